"""The registry of exercises, the one place the engine gets them from: ``EXERCISES``, id -> Exercise.

The exercises are the course's content, not the engine's. In the instructor's copy every module ``chNN.py`` of
the package ``content`` defines a list ``EXERCISES``. A student's handout has no such modules: its package holds
the exercises as recorded on public inputs (``exercises.recorded`` beside this file, see
``helpers.checking.recorded``), and they are loaded from there.
"""
import importlib
import pkgutil
import re
from pathlib import Path

CONTENT = "content"  # the package of exercise definitions (their references never reach a student)
CHAPTER_MODULE = re.compile(r"ch\d\d")
RECORDED = Path(__file__).with_name("exercises.recorded")  # only in a handout's student package


def definitions(package=CONTENT):
    """id -> Exercise from the chapter modules of ``package``, in chapter order; a duplicate id is an error."""
    found = {}
    for name in sorted(m.name for m in pkgutil.iter_modules(importlib.import_module(package).__path__)
                       if CHAPTER_MODULE.fullmatch(m.name)):
        for exercise in importlib.import_module(f"{package}.{name}").EXERCISES:
            if exercise.id in found:
                raise ValueError(f"duplicate exercise id {exercise.id} ({package}/{name}.py)")
            found[exercise.id] = exercise
    return found


def recorded(path=RECORDED):
    from helpers.checking.recorded import unpack

    return unpack(path.read_bytes())


EXERCISES = recorded() if RECORDED.exists() else definitions()
