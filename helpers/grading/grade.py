"""Grade a class: plan every (student, exercise), run answer cells in the sandbox, judge here, record.

Only this process imports the reference solutions. It draws one fresh seed per exercise per run, sends
the resulting inputs to the children as plain data, and calls ``exercise.judge`` on what comes back, so
nothing a student's code does in its own process can decide its grade. A student's exercises, from all of
the student's notebooks, are one task: a fresh child runs them, and no other student's. Every
(student, exercise) gets exactly one record with a status and a reason, whatever the submission looks like.
"""
import ast
import hashlib
import itertools
import json
import re
import secrets
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers import ROOT
from helpers.checking.kinds import Exercise
from helpers.grading import notebooks
from helpers.grading.sandbox import wire
from helpers.grading.sandbox.pool import Pool
from helpers.grading.results import ResultsLog
from helpers.grading.statuses import PROBLEMS, problem_key
from helpers.messages import say

DEFAULT_SETUP = "import torch\nfrom helpers import check\n"
MAX_ANSWER = 200_000  # characters in one answer cell
MEMORY_ERROR = re.compile(r"(?i)can't allocate memory|not enough memory|out of memory|std::bad_alloc|MemoryError")


@dataclass
class Settings:
    timeout: float = 10.0
    memory_mb: int = 1024
    jobs: int = 2
    lang: str = "zh"
    run_limit: float = 6 * 3600.0  # seconds for the whole run; students not graded by then get a reason


@dataclass
class CourseNotebook:
    filename: str
    setup: str
    ids: list


@dataclass
class Course:
    notebooks: list
    exercises: dict  # id -> Exercise, in course order
    setups: dict = field(default_factory=dict)  # id -> setup source

    @classmethod
    def load(cls, folder, registry):
        """The assignment: every exercise notebook in ``folder`` (the released copies), with its setup cell."""
        course_notebooks, exercises, setups = [], {}, {}
        for path in sorted(Path(folder).glob("*.ipynb")):
            try:
                notebook = notebooks.read(path)
            except notebooks.InvalidNotebook as error:
                raise CourseError(f"{path}: {error.reason()}") from None
            setup = notebook.setup_source() or DEFAULT_SETUP
            ids = [i for i in notebook.exercise_ids() if i in registry and i not in exercises]
            course_notebooks.append(CourseNotebook(path.name, setup, ids))
            for exercise_id in ids:
                exercises[exercise_id], setups[exercise_id] = registry[exercise_id], setup
        return cls(course_notebooks, exercises, setups)


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
                    job.record = _problem("invalid-notebook", say("broken_notebook", lang, file=path.name, reason=reason))
                else:
                    job.record = _problem("missing", say("no_notebook", lang))
            else:
                code, other = chosen.answers(exercise_id)
                if not code:
                    job.record = _problem("missing", say("not_code", lang, kind=other[-1].get("cell_type"))
                                          if other else say("no_cell", lang))
                else:
                    job.answer = notebooks.source(code[-1])
                    if len(code) > 1:
                        job.note = say("duplicate", lang, count=len(code))
                    if len(job.answer) > MAX_ANSWER:
                        job.record = _problem("error", say("cell_too_big", lang, size=len(job.answer)))
            jobs.append(job)
    return jobs


def _match(course_notebook, readable):
    """The student's notebook for this course notebook: most shared exercise ids, then the same file name."""
    wanted = set(course_notebook.ids)
    scored = [(len(wanted & set(n.exercise_ids())), n.path.name == course_notebook.filename, n) for n in readable]
    scored = [s for s in scored if s[0] or s[1]]
    return max(scored, key=lambda s: s[:2])[2] if scored else None


def _problem(status, reason):
    return {"status": status, "detail": reason}


class Judge:
    """Turns a worker's reply into a status and the sentence the student reads; memoised per run."""

    def __init__(self, course, settings):
        self.settings, self.lang = settings, settings.lang
        self.seeds = {i: secrets.randbits(31) for i in course.exercises}
        self.inputs = {i: _encoded(e.inputs(self.seeds[i])) for i, e in course.exercises.items()}
        self.cache = {}

    def task(self, number, jobs, setups, hidden):
        """The worker's task for one student: every exercise to run, in course order, as plain data."""
        items = [{"exercise": job.exercise.id, "name": job.exercise.name, "setup": setups[job.exercise.id],
                  "answer": job.answer, "probe": job.exercise.probe, "inputs": self.inputs[job.exercise.id]}
                 for job in jobs]
        return {"id": number, "items": items, "timeout": self.settings.timeout, "cpu_seconds": self.settings.timeout,
                "memory_mb": self.settings.memory_mb, "hidden": hidden}

    def __call__(self, job, reply):
        lang, exercise = self.lang, job.exercise
        if reply.get("worker"):
            return _problem("crashed", say("worker", lang, why=reply["worker"]))
        if reply["timed_out"] or reply["signal"] == signal.SIGXCPU:
            return _problem("timeout", say("too_slow", lang, seconds=f"{self.settings.timeout:g}"))
        if reply["too_big"]:
            return _problem("error", say("result_too_big", lang))
        text = reply["report"]
        if not text.endswith("\n"):
            how = f"signal {signal.Signals(reply['signal']).name}" if reply["signal"] else f"exit code {reply['exit']}"
            return _problem("crashed", say("died", lang, how=how))
        try:
            report = wire.read_report(text)
            outcome = report["outcome"]
        except (ValueError, TypeError, KeyError):
            return _problem("error", say("malformed", lang, why="JSON"))
        if outcome == "error":
            return self._raised(report)
        if outcome == "undefined":
            return _problem("error", say("undefined", lang, name=exercise.name))
        observation = report.get("observation") if outcome == "ok" else None
        if not isinstance(observation, dict):
            return _problem("error", say("malformed", lang, why="observation"))
        if exercise.source_from_cell:
            observation["source"] = trusted_source(job.answer, exercise.name)
            memory = _out_of_memory(observation.get("results"))
            if memory:
                return _problem("memory", say("too_much_memory", lang, mb=self.settings.memory_mb, error=memory))
        cache_key = (exercise.id, text, observation.get("source"))
        if cache_key not in self.cache:
            try:
                verdict = exercise.judge(observation, self.seeds[exercise.id], lang)
                self.cache[cache_key] = {"status": verdict.status, "detail": verdict.detail, "mistake": verdict.mistake,
                                         "score": verdict.score * exercise.points}
            except Exception as error:  # noqa: BLE001 -- a forged observation of the wrong shape
                self.cache[cache_key] = _problem("error", say("malformed", lang, why=type(error).__name__))
        return dict(self.cache[cache_key])

    def _raised(self, report):
        lang = self.lang
        if report.get("exit"):
            return _problem("crashed", say("exited", lang))
        error = f"{report.get('type')}: {report.get('message')}"[:300]
        if report.get("type") == "MemoryError" or MEMORY_ERROR.search(str(report.get("message"))):
            return _problem("memory", say("too_much_memory", lang, mb=self.settings.memory_mb, error=error))
        where = say("line", lang, line=report["line"]) if isinstance(report.get("line"), int) else ""
        return _problem("error", say("cell_raised", lang, error=error, where=where))


def _encoded(inputs):
    """An exercise's inputs as plain data for the child (None when its probe calls nothing)."""
    return None if inputs is None else [[wire.encode(arg) for arg in case] for case in inputs]


def _out_of_memory(results):
    """The first allocation failure the student's function raised while being called, if any."""
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict) and result.get("kind") == "exception":
            error = f"{result.get('type')}: {result.get('message')}"
            if result.get("type") == "MemoryError" or MEMORY_ERROR.search(error):
                return error[:200]
    return None


def trusted_source(cell, name):
    """The student's function as written in the answer cell (the child could lie about it)."""
    try:
        tree = ast.parse(cell)
    except (SyntaxError, ValueError):
        return cell
    found = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == name]
    if not found:
        return cell
    node = found[-1]
    lines = cell.splitlines(True)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "".join(lines[start - 1:node.end_lineno])


# What a verdict depends on: the checkers, the exercises, the grader and its messages (not the chapters'
# widgets and drawings, nor the authoring tools), so editing a widget keeps every cached grade.
VERDICT_SOURCES = ("helpers/checking", "helpers/exercises", "helpers/grading", "helpers/messages.py")


def fingerprint(course_folder, settings):
    """Changes whenever the checkers, the grader, the course notebooks or the limits change."""
    digest = hashlib.sha256(f"{settings.timeout}|{settings.memory_mb}|{settings.lang}".encode())
    sources = [path for name in VERDICT_SOURCES
               for path in (sorted(ROOT.joinpath(name).rglob("*.py")) if ROOT.joinpath(name).is_dir() else [ROOT / name])]
    for path in sources + sorted(Path(course_folder).glob("*.ipynb")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class CourseError(ValueError):
    """The course folder cannot be graded: no exercise this version of the course knows, or a broken notebook."""


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
    hidden = [str(ROOT / "helpers" / "exercises"), str(ROOT / "solutions"), str(out.resolve()),
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
