"""The assignment and the settings a class is graded with: which exercise notebooks, their setup cells, the
limits, and the fingerprint that says when cached grades are stale."""
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from helpers import ROOT
from helpers.grading import notebooks

DEFAULT_SETUP = "import torch\nfrom helpers import check\n"


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
    def load(cls, folder, registry=None):
        """The assignment: every exercise notebook in ``folder`` (the released copies), with its setup cell.

        Raises ``CourseError`` when there is no exercise to grade. ``registry=None`` takes every exercise id
        (a check before the references are loaded; the exercises are then None)."""
        course_notebooks, exercises, setups = [], {}, {}
        for path in sorted(Path(folder).glob("*.ipynb")):
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
            raise CourseError(f"{folder} holds no exercise notebooks")
        return cls(course_notebooks, exercises, setups)


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
