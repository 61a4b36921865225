"""What the checker tests share: the registry's ids, a seeded verdict, the solutions' answers, the unfilled and
the hostile answers.

No tests here: the generic ones are in test_exercises.py, the chapters' own in test_checks_chNN_MM.py.
"""
import functools
import json
from pathlib import Path

import nbformat
import torch

from helpers.exercises import EXERCISES
from helpers.messages import say, text

ROOT = Path(__file__).resolve().parent.parent
IDS = sorted(EXERCISES)
SOLUTIONS = sorted(ROOT.glob("solutions/ex[0-9][0-9]_*.ipynb"))
SOLUTIONS_EN = sorted(ROOT.glob("en/solutions/ex[0-9][0-9]_*.ipynb"))  # the English edition's, cell for cell


def ids_of(*kinds, chapters=None):
    """The registered ids whose exercise is one of ``kinds`` (any kind when none), in ``chapters`` ("ch04", ...)."""
    return [exercise_id for exercise_id in IDS
            if (not kinds or isinstance(EXERCISES[exercise_id], kinds))
            and (chapters is None or exercise_id[:4] in chapters)]


def verdict(exercise_id, answer, seed=0, lang="zh"):
    """The verdict for one chosen seed (``check`` draws a random one), so a test can compare seeds."""
    exercise = EXERCISES[exercise_id]
    return exercise.judge(exercise.observe(answer, seed), seed, lang)


@functools.cache
def solution_answers():
    """{exercise id: what its solution cell defines (a value, a letter, a function or a class)}: the setup and
    answer cells of every solution notebook, run in one namespace per notebook."""
    answers = {}
    for path in SOLUTIONS:
        namespace = {}
        for cell in nbformat.read(path, as_version=4).cells:
            role = cell.metadata.get("autograd_course", {})
            if role.get("role") == "setup" or role.get("exercise"):
                exec(compile(cell.source, str(path), "exec"), namespace)
            if role.get("exercise") in EXERCISES:
                answers[role["exercise"]] = namespace[EXERCISES[role["exercise"]].name]
    return answers


def calls_like_the_reference(exercise_id):
    """True when the exercise calls the student's function as it calls its reference and mistakes (the "call"
    probe), so that each listed mistake is itself a wrong answer."""
    exercise = EXERCISES[exercise_id]
    return getattr(exercise, "probe", None) == "call" and callable(getattr(exercise, "reference", None))


def solution_cells(exercise_id, lang="zh"):
    """The cells of the solution notebook that holds ``exercise_id`` (ex04_*.ipynb for "ch04.*") in ``lang``'s edition."""
    (path,) = [p for p in (SOLUTIONS_EN if lang == "en" else SOLUTIONS) if p.name[2:4] == exercise_id[2:4]]
    return nbformat.read(path, as_version=4).cells


def question(exercise_id, lang="zh"):
    """The markdown cell that asks the question (it names the exercise id in backquotes)."""
    return next(c.source for c in solution_cells(exercise_id, lang)
                if c.cell_type == "markdown" and f"`{exercise_id}`" in c.source)


def none_message(exercise):
    """What a None result gets when the exercise explains None: "did you return?", then its own explanation."""
    return {lang: say("none_because", lang, reason=text(exercise.none_mistake, lang)) for lang in ("zh", "en")}


def placeholder(x):
    """What the released notebook holds before the student writes anything."""
    ...  # 在这里写你的代码


class Liar:
    """Claims to equal everything, to be the number 2 and the letter B; calling it returns itself."""

    def __eq__(self, other):
        return True

    __hash__ = object.__hash__

    def __float__(self):
        return 2.0

    def __str__(self):
        return "B"

    def __call__(self, *args):
        return self

    def __len__(self):
        return 2


def exits(*args):
    raise SystemExit(0)


# Answers that try to pass by lying or to end the check: each must simply fail.
HOSTILE = [None, "B or not B", Liar(), exits, torch.tensor(float("nan"))]


def load(name="ex02_zeroing_gradients.ipynb"):
    """A solution notebook as plain JSON, to write into a class folder for the grader."""
    return json.loads((ROOT / "solutions" / name).read_text(encoding="utf-8"))


def answer_cell(notebook, exercise_id):
    return next(c for c in notebook["cells"] if c["metadata"].get("autograd_course", {}).get("exercise") == exercise_id)


def with_answer(exercise_id, source, name="ex02_zeroing_gradients.ipynb"):
    """The solution notebook ``name`` with ``exercise_id``'s answer cell holding ``source`` instead."""
    notebook = load(name)
    answer_cell(notebook, exercise_id)["source"] = source
    return notebook
