"""Grade a class: plan every (student, exercise), run answer cells in the sandbox, judge here, record.

Only this process imports the reference solutions. It draws one fresh seed per exercise per run, sends
the resulting inputs to the children as plain data, and calls ``exercise.judge`` on what comes back, so
nothing a student's code does in its own process can decide its grade. A student's exercises, from all of
the student's notebooks, are one task: a fresh child runs them, and no other student's. Every
(student, exercise) gets exactly one record with a status and a reason, whatever the submission looks like.
"""
import hashlib
import itertools
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers import ROOT
from helpers.checking.kinds import Exercise
from helpers.grading import notebooks
from helpers.grading.course import Course, fingerprint
from helpers.grading.judge import Judge, problem
from helpers.grading.results import ResultsLog
from helpers.grading.sandbox.pool import Pool
from helpers.grading.statuses import PROBLEMS, problem_key
from helpers.messages import say

MAX_ANSWER = 200_000  # characters in one answer cell
NAME_ERROR = re.compile(r"NameError: name '(\w+)' is not defined")


@dataclass
class Job:
    """One (student, exercise) to record: either already decided (``record``) or a task for a child."""
    student: str
    exercise: Exercise
    key: str
    notebook: str = None
    record: dict = None
    answer: str = None
    note: str = None
    cells: list = None  # the code cells of the student's notebook, to name the cell a borrowed name comes from
    warnings: list = field(default_factory=list)  # where marks may be lost (``warnings_of``), decided when planned


def plan(student, folder, course, fingerprint, lang):
    """The jobs of one student: which notebook answers which exercise, and what cannot be graded and why.

    Never raises: a folder that cannot even be searched gives every exercise an ``error`` record with why."""
    try:
        return _plan(student, folder, course, fingerprint, lang)
    except Exception as error:  # noqa: BLE001 -- e.g. a RecursionError or MemoryError on hostile files
        reason = say("grading_failed", lang, why=type(error).__name__)
        return [Job(student, exercise, f"unplanned-{type(error).__name__}", record=problem("error", reason))
                for exercise in course.exercises.values()]


def _plan(student, folder, course, fingerprint, lang):
    readable, broken = [], []
    for path in notebooks.find(folder):
        try:
            readable.append(notebooks.read(path))
        except notebooks.InvalidNotebook as error:
            broken.append((path, error.reason(lang), error.digest))
    listing = "|".join(sorted([f"{notebooks.shown(n.path.name)}:{n.digest}" for n in readable]
                              + [f"{notebooks.shown(p.name)}:{d}" for p, _, d in broken]))
    jobs = []
    for course_notebook in course.notebooks:
        chosen, several = _match(course_notebook, readable, {i: course.exercises[i].name for i in course_notebook.ids})
        for exercise_id in course_notebook.ids:
            exercise = course.exercises[exercise_id]
            digest = chosen.digest if chosen else hashlib.sha256(listing.encode()).hexdigest()
            planned = several + advisory(_typed_elsewhere, chosen, exercise)
            key = hashlib.sha256(f"{fingerprint}|{exercise_id}|{digest}|{planned}".encode()).hexdigest()[:32]
            job = Job(student, exercise, key, notebooks.shown(chosen.path.name) if chosen else None, warnings=planned)
            if chosen is None:
                same_name = [b for b in broken if b[0].name == course_notebook.filename] or broken
                if same_name:
                    path, reason, _ = same_name[0]
                    job.notebook = notebooks.shown(path.name)
                    job.record = problem("invalid-notebook", say("broken_notebook", lang, file=job.notebook,
                                                                 reason=reason))
                else:
                    job.record = problem("missing", say("no_notebook", lang))
            else:
                code, other = chosen.answers(exercise_id)
                if not code:
                    job.record = problem("missing", say("not_code", lang, kind=other[-1].get("cell_type"))
                                          if other else say("no_cell", lang))
                else:
                    job.answer, job.cells = notebooks.source(code[-1]), chosen.cells
                    if len(code) > 1:
                        job.note = say("duplicate", lang, count=len(code))
                    if len(job.answer) > MAX_ANSWER:
                        job.record = problem("error", say("cell_too_big", lang, size=len(job.answer)))
            jobs.append(job)
    return jobs


def _match(course_notebook, readable, names):
    """The student's notebook for this course notebook, and a warning when several hold its exercises.

    The candidates are the notebooks that hold one of its exercise ids (or have its file name). The rule, which
    the warning states: the most answered cells (not the released ``...``), then the newest, then the course's
    file name, then the first name. Copies with the same content count as one."""
    wanted = set(course_notebook.ids)
    candidates = [n for n in readable if wanted & set(n.exercise_ids()) or n.path.name == course_notebook.filename]
    if not candidates:
        return None, []
    ranked = sorted(candidates, key=lambda n: (-n.answered(names), -n.mtime, n.path.name != course_notebook.filename,
                                               os.fsencode(n.path.name)))
    chosen, distinct = ranked[0], {n.digest for n in ranked}
    if len(distinct) == 1:
        return chosen, []
    runner_up = ranked[1]
    why = ("answered" if chosen.answered(names) > runner_up.answered(names) else
           "newest" if chosen.mtime > runner_up.mtime else
           "same_name" if chosen.path.name == course_notebook.filename != runner_up.path.name else "first_name")
    listing = [[notebooks.shown(n.path.name), n.answered(names), round(n.mtime)] for n in ranked]
    return chosen, [{"kind": "several_notebooks", "notebook": course_notebook.filename, "why": why,
                     "graded": listing[0][0], "answered": listing[0][1], "listing": listing}]


def advisory(find, *args):
    """The warnings ``find`` finds, or none when it fails on a hostile cell: a warning may never cost a grade."""
    try:
        return find(*args)
    except Exception:  # noqa: BLE001 -- e.g. a RecursionError or MemoryError on a cell built to break parsers
        return []


def _typed_elsewhere(chosen, exercise):
    """The warning for an answer typed into another cell while the answer cell is unfilled or gone."""
    found = chosen.typed_elsewhere(exercise.id, exercise.name) if chosen else None
    return [{"kind": "outside_cell", "exercise": exercise.id, "name": exercise.name, "cell": found[0],
             "line": found[1], "gone": not chosen.answers(exercise.id)[0]}] if found else []


def _borrowed(job, outcome):
    """The warning for an answer that uses a name only another cell of its notebook defines: the verdict's own
    key for it when the checker gives one (``…/outside_name``), else a NameError whose name another cell defines."""
    if not job.cells or job.answer is None:
        return []
    if str(outcome.get("mistake") or "").endswith("/outside_name"):
        names = notebooks.free_names(job.answer)
    else:
        raised = NAME_ERROR.search(str(outcome.get("detail", "")))
        names = {raised.group(1)} if raised else set()
    found = notebooks.defining_cell(job.cells, job.answer, names) if names else None
    return [{"kind": "other_cell", "exercise": job.exercise.id, "name": found[0], "cell": found[1],
             "line": found[2]}] if found else []


def grade(submissions, out, course_folder, registry, settings, progress=None, pool=None, only=None, exercises=None):
    """Grade every student folder in ``submissions``; return (course, students, one record per job).

    ``pool`` may be a ``Pool`` started earlier (its workers import torch while this process does too).
    Students are planned one by one as the workers ask for more, so grading starts at once. ``exercises``
    (ids) grades only those of the assignment (an assignment file's subset).
    """
    submissions, out = Path(submissions), Path(out)
    course = Course.load(course_folder, registry)
    if exercises is not None:
        course = course.subset(exercises)
    out.mkdir(parents=True, exist_ok=True)
    stamp = fingerprint(course_folder, settings)
    folders = notebooks.student_folders(submissions)  # every real folder, dot-leading and oddly named ones too
    students = list(folders)
    if only is not None:  # regrade one student; the others' records in results.jsonl are kept as they are
        students = [only]
    log = ResultsLog(out / "results.jsonl")
    judge = Judge(course, settings)
    hidden = [str(ROOT / "content"), str(ROOT / "solutions"), str(out.resolve()),
              str(submissions.resolve()), str(Path(course_folder).resolve())]
    total = len(students) * len(course.exercises)
    jobs, records, groups = [], {}, []

    def tasks():
        """One task per student (all of the student's notebooks), planned only when a worker has room for it."""
        for student in students:
            waiting = []
            for job in plan(student, folders.get(student, submissions / student), course, stamp, settings.lang):
                jobs.append(job)
                earlier = log.get(job.student, job.exercise.id, job.key)
                if earlier:
                    records[job.student, job.exercise.id] = earlier
                elif job.record:
                    records[job.student, job.exercise.id] = log.append(_record(job, job.record, None))
                else:
                    waiting.append(job)
            decided = len(course.exercises) - len(waiting)
            if progress and decided:
                progress(decided, total)
            if waiting:
                groups.append(waiting)
                yield judge.task(len(groups) - 1, waiting, course.setups, hidden)

    if progress:
        progress(0, total)
    try:
        planned = tasks()
        first = next(planned, None)
        if first is not None or pool:  # no workers to start when everything is decided already
            with pool or Pool(min(settings.jobs, total)) as workers:
                for task, reply in workers.run(itertools.chain([first] if first else [], planned),
                                               deadline=time.monotonic() + settings.run_limit):
                    group = groups[task["id"]]
                    results = reply.get("results") or [{"worker": reply.get("worker", "?")}] * len(group)
                    for job, result in zip(group, results):
                        outcome = judge(job, result)  # never raises: a failure is this exercise's error
                        records[job.student, job.exercise.id] = log.append(_record(job, outcome,
                                                                                   result.get("seconds")))
                    if progress:
                        progress(len(group), total)
        current = [records[job.student, job.exercise.id] for job in jobs]
        current = log.rewrite(current, keep_others=only is not None)
    finally:
        log.close()
    return course, students, current


def _record(job, outcome, seconds):
    record = {"student": job.student, "exercise": job.exercise.id, "notebook": job.notebook, "key": job.key,
              "status": outcome["status"], "score": outcome.get("score", 0.0), "points": job.exercise.points,
              "detail": outcome["detail"], "seconds": seconds, "graded_at": round(time.time(), 3),
              "mistake": outcome.get("mistake") or (problem_key(job.exercise.id, outcome["status"], outcome["detail"])
                                                    if outcome["status"] in PROBLEMS else None)}
    if job.note:
        record["note"] = job.note
    warnings = job.warnings + advisory(_borrowed, job, outcome)
    if warnings:
        record["warnings"] = warnings
    if outcome.get("parts"):
        record["parts"] = outcome["parts"]
    return record
