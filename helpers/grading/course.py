"""The assignment and the settings a class is graded with: which exercise notebooks, their setup cells, the
limits, and the fingerprint that says when cached grades are stale.

An assignment is versioned: ``assignment.json`` records what a class was given (each notebook's file name, setup
cell and exercise ids, and each exercise's fingerprint, ``helpers.checking.recorded.fingerprint``) and in which
language (the edition's: English when the setup cells import ``helpers.en``), the grader's default for its feedback. ``handout``
writes one for the students' copy, and ``grade`` keeps one in its results folder, so a regrade grades the same
exercises even after the course has gained new ones, and says which of them changed since.
"""
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from helpers import ROOT
from helpers.grading import notebooks
from helpers.messages import LANGUAGES, edition_language

DEFAULT_SETUP = "import torch\nfrom helpers import check\n"
ASSIGNMENT = "assignment.json"
ASSIGNMENT_FORMAT = 1


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
    recorded: dict = field(default_factory=dict)  # id -> fingerprint, when loaded from an assignment.json
    released: object = None  # the whole assignment, when this is the part of it that an assignment file grades
    lang: str = None  # the edition's language; None: the setup cells' (``edition_language``)
    _fingerprints: dict = field(default=None, repr=False)

    @classmethod
    def load(cls, source, registry=None):
        """The assignment: ``source`` is an assignment.json, or a folder with one, or else a folder of released
        exercise notebooks (every one of them, with its setup cell).

        Raises ``CourseError`` when there is no exercise to grade. ``registry=None`` takes every exercise id
        (a check before the references are loaded; the exercises are then None)."""
        source = Path(source)
        if source.is_file() or (source / ASSIGNMENT).is_file():
            return cls.from_assignment(source if source.is_file() else source / ASSIGNMENT, registry)
        course_notebooks, exercises, setups = [], {}, {}
        for path in sorted(source.glob("*.ipynb")):
            try:
                notebook = notebooks.read(path)
            except notebooks.InvalidNotebook as error:
                raise CourseError(f"{path}: {error.reason()}") from None
            setup = notebook.setup_source() or DEFAULT_SETUP
            ids = [i for i in notebook.exercise_ids() if (registry is None or i in registry) and i not in exercises]
            course_notebooks.append(CourseNotebook(path.name, setup, ids))
            for exercise_id in ids:
                exercises[exercise_id], setups[exercise_id] = (registry or {}).get(exercise_id), setup
        if not exercises:
            raise CourseError(f"{source} holds no exercise notebooks")
        return cls(course_notebooks, exercises, setups)

    @classmethod
    def from_assignment(cls, path, registry):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            entries = [(n["file"], n["setup"], dict(n["exercises"])) for n in data["notebooks"]]
            if data.get("format") != ASSIGNMENT_FORMAT:
                raise ValueError(f"format {data.get('format')}, this version reads {ASSIGNMENT_FORMAT}")
            if not all(isinstance(v, (str, type(None))) for _, _, ids in entries for v in ids.values()):
                raise ValueError("a fingerprint that is not a string")
            if data.get("lang") not in (None, *LANGUAGES):
                raise ValueError(f"lang {data['lang']!r}, not one of {', '.join(LANGUAGES)}")
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise CourseError(f"{path}: not an assignment this version can read ({type(error).__name__}: {error})") \
                from None
        gone = [] if registry is None else [i for _, _, ids in entries for i in ids if i not in registry]
        if gone:
            raise CourseError(f"{path}: the course no longer defines {', '.join(gone)}; grade with the version of "
                              "the course that made this assignment")
        course = cls([CourseNotebook(file, setup, list(ids)) for file, setup, ids in entries], {}, lang=data.get("lang"))
        for file, setup, ids in entries:
            for exercise_id, recorded in ids.items():
                course.exercises[exercise_id], course.setups[exercise_id] = (registry or {}).get(exercise_id), setup
                course.recorded[exercise_id] = recorded
        return course

    def subset(self, ids):
        """The part of this assignment that grades only ``ids``, in the assignment's order."""
        keep = set(ids)
        kept = [CourseNotebook(n.filename, n.setup, [i for i in n.ids if i in keep]) for n in self.notebooks]
        return Course([n for n in kept if n.ids], {i: e for i, e in self.exercises.items() if i in keep},
                      {i: s for i, s in self.setups.items() if i in keep},
                      {i: f for i, f in self.recorded.items() if i in keep}, released=self, lang=self.language)

    @property
    def language(self):
        """The edition's language: the one recorded, else English when the setup cells import ``helpers.en``."""
        return self.lang or edition_language("\n".join(n.setup for n in self.notebooks))

    def fingerprints(self):
        """id -> the exercise's fingerprint now (computed once: it runs the exercise on its public inputs)."""
        if self._fingerprints is None:
            from helpers.checking.recorded import fingerprint

            self._fingerprints = {i: fingerprint(exercise) for i, exercise in self.exercises.items()}
        return self._fingerprints

    def record_fingerprints(self):
        """Record today's fingerprint of every exercise that has none recorded yet."""
        self.recorded = {i: self.recorded.get(i) or self.fingerprints()[i] for i in self.exercises}

    def changed(self):
        """The exercises whose fingerprint differs from the one recorded in the assignment it was loaded from."""
        return [i for i, recorded in self.recorded.items() if recorded and self.fingerprints()[i] != recorded]

    def assignment(self):
        """What ``assignment.json`` records of this course (a fingerprint not recorded yet is null)."""
        return {"format": ASSIGNMENT_FORMAT, "lang": self.language,
                "notebooks": [{"file": n.filename, "setup": n.setup,
                               "exercises": {i: self.recorded.get(i) for i in n.ids}} for n in self.notebooks]}


def write_assignment(path, course):
    """Write ``course``'s assignment.json to ``path``, atomically."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(course.assignment(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)


# What a verdict depends on: the checkers, the exercises, the grader and its messages (not the chapters'
# widgets and drawings, nor the authoring tools), so editing a widget keeps every cached grade.
VERDICT_SOURCES = ("content", "helpers/checking", "helpers/exercises.py", "helpers/grading", "helpers/messages.py")


def fingerprint(course_folder, settings):
    """Changes whenever the checkers, the grader, the course notebooks or the limits change."""
    digest = hashlib.sha256(f"{settings.timeout}|{settings.memory_mb}|{settings.lang}".encode())
    sources = [path for name in VERDICT_SOURCES
               for path in (sorted(ROOT.joinpath(name).rglob("*.py")) if ROOT.joinpath(name).is_dir() else [ROOT / name])]
    course = Path(course_folder)
    for path in sources + ([] if course.is_file() else sorted(course.glob("*.ipynb"))):
        digest.update(path.read_bytes())
    if course.is_file():  # an assignment.json: what is graded, not the fingerprints that grading itself records
        notebooks = json.loads(course.read_text(encoding="utf-8"))["notebooks"]
        digest.update(json.dumps([[n["file"], n["setup"], list(n["exercises"])] for n in notebooks]).encode())
    return digest.hexdigest()[:16]


class CourseError(ValueError):
    """The course folder cannot be graded: no exercise this version of the course knows, or a broken notebook."""
