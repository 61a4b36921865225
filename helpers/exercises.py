"""The registry of exercises, the one place the engine gets them from: ``EXERCISES``, id -> Exercise.

The exercises are the course's content, not the engine's: every module ``chNN.py`` of the package ``content``
defines a list ``EXERCISES``.
"""
import importlib
import pkgutil
import re

CONTENT = "content"  # the package of exercise definitions (their references never reach a student)
CHAPTER_MODULE = re.compile(r"ch\d\d")


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


EXERCISES = definitions()
