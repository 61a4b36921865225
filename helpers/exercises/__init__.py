"""The registry of exercises: every module ``chNN.py`` here defines a list ``EXERCISES``."""
import importlib
import pkgutil

EXERCISES = {}
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("ch")):
    for _exercise in importlib.import_module(f"{__name__}.{_module}").EXERCISES:
        if _exercise.id in EXERCISES:
            raise ValueError(f"duplicate exercise id {_exercise.id}")
        EXERCISES[_exercise.id] = _exercise
