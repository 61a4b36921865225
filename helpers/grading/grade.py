"""Grade a class: plan every (student, exercise), run answer cells in the sandbox, judge here, record.

Only this process imports the reference solutions. It draws one fresh seed per exercise per run, sends
the resulting inputs to the children as plain data, and calls ``exercise.judge`` on what comes back, so
nothing a student's code does in its own process can decide its grade. A student's exercises, from all of
the student's notebooks, are one task: a fresh child runs them, and no other student's. Every
(student, exercise) gets exactly one record with a status and a reason, whatever the submission looks like.
"""
import hashlib
import itertools
import time
from dataclasses import dataclass
from pathlib import Path

from helpers import ROOT
from helpers.checking.kinds import Exercise
from helpers.grading import notebooks
from helpers.grading.course import Course, CourseError, fingerprint
from helpers.grading.judge import Judge, problem
from helpers.grading.results import ResultsLog
from helpers.grading.sandbox.pool import Pool
from helpers.grading.statuses import PROBLEMS, problem_key
from helpers.messages import say

MAX_ANSWER = 200_000  # characters in one answer cell


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


def plan(student, folder, course, fingerprint, lang):
    """The jobs of one student: which notebook answers which exercise, and what cannot be graded and why."""
    readable, broken = [], []
    for path in sorted(p for p in Path(folder).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts):
        try:
            readable.append(notebooks.read(path))
        except notebooks.InvalidNotebook as error:
            broken.append((path, error.reason(lang), error.digest))
    listing = "|".join(sorted([f"{n.path.name}:{n.digest}" for n in readable] + [f"{p.name}:{d}" for p, _, d in broken]))
    jobs = []
    for course_notebook in course.notebooks:
        chosen = _match(course_notebook, readable)
        for exercise_id in course_notebook.ids:
            exercise = course.exercises[exercise_id]
            digest = chosen.digest if chosen else hashlib.sha256(listing.encode()).hexdigest()
            key = hashlib.sha256(f"{fingerprint}|{exercise_id}|{digest}".encode()).hexdigest()[:32]
            job = Job(student, exercise, key, chosen.path.name if chosen else None)
            if chosen is None:
                same_name = [b for b in broken if b[0].name == course_notebook.filename] or broken
                if same_name:
                    path, reason, _ = same_name[0]
                    job.notebook = path.name
                    job.record = problem("invalid-notebook", say("broken_notebook", lang, file=path.name, reason=reason))
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


def _match(course_notebook, readable):
    """The student's notebook for this course notebook: most shared exercise ids, then the same file name."""
    wanted = set(course_notebook.ids)
    scored = [(len(wanted & set(n.exercise_ids())), n.path.name == course_notebook.filename, n) for n in readable]
    scored = [s for s in scored if s[0] or s[1]]
    return max(scored, key=lambda s: s[:2])[2] if scored else None


def grade(submissions, out, course_folder, registry, settings, progress=None, pool=None, only=None):
    """Grade every student folder in ``submissions``; return (course, students, one record per job).

    ``pool`` may be a ``Pool`` started earlier (its workers import torch while this process does too).
    Students are planned one by one as the workers ask for more, so grading starts at once.
    """
    submissions, out = Path(submissions), Path(out)
    course = Course.load(course_folder, registry)
    if not course.exercises:
        raise CourseError(f"{course_folder} holds no exercise notebooks")
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
    planned = tasks()
    first = next(planned, None)
    if first is not None or pool:  # no workers to start when everything is decided already
        with pool or Pool(min(settings.jobs, total)) as workers:
            for task, reply in workers.run(itertools.chain([first] if first else [], planned),
                                           deadline=time.monotonic() + settings.run_limit):
                group = groups[task["id"]]
                results = reply.get("results") or [{"worker": reply.get("worker", "?")}] * len(group)
                for job, result in zip(group, results):
                    outcome = judge(job, result)
                    records[job.student, job.exercise.id] = log.append(_record(job, outcome, result.get("seconds")))
                if progress:
                    progress(len(group), total)
    current = [records[job.student, job.exercise.id] for job in jobs]
    current = log.rewrite(current, keep_others=only is not None)
    return course, students, current


def _record(job, outcome, seconds):
    record = {"student": job.student, "exercise": job.exercise.id, "notebook": job.notebook, "key": job.key,
              "status": outcome["status"], "score": outcome.get("score", 0.0), "points": job.exercise.points,
              "detail": outcome["detail"], "seconds": seconds, "graded_at": round(time.time(), 3),
              "mistake": outcome.get("mistake") or (problem_key(job.exercise.id, outcome["status"], outcome["detail"])
                                                    if outcome["status"] in PROBLEMS else None)}
    if job.note:
        record["note"] = job.note
    return record
