"""Partial credit: an exercise may declare parts, each a share of its points, awarded part by part.

A part is one of the results of a function exercise that returns several (``ch02.three_grads`` returns three
gradients). A failing answer earns a part when it would pass with every *other* result replaced by the
reference's: so each part is judged by the exercise's own judge (its rules, named mistakes and tolerances),
never by a second checker, and an answer that breaks a rule of the exercise earns no part. A passing answer
earns every part; anything else (todo, an error, a timeout) earns none. Without parts, all or nothing.
"""
import copy
import math

from helpers.checking.diagnose import clone
from helpers.checking.observe import describe
from helpers.messages import text


def declare(exercises, exercise_id, parts):
    """Give the exercise ``exercise_id`` of the list ``exercises`` its parts: ``(label, share, result)`` each,
    ``label`` what the student reads ({"zh": ..., "en": ...}), ``share`` of the exercise's points (the shares
    add up to 1), ``result`` which of the returned results (0 for the first). Kept as plain data, so that a
    handout records them as it records the rest of the exercise."""
    (exercise,) = [e for e in exercises if e.id == exercise_id]
    exercise.parts = [{"label": label, "share": share, "result": result} for label, share, result in parts]
    total = sum(p["share"] for p in exercise.parts)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise ValueError(f"{exercise_id}: the shares of its parts add up to {total}, not 1")


def credit(exercise, observation, seed, lang, verdict):
    """(fraction of the points earned, [{"part", "share", "earned"}]) for a failing answer to an exercise with
    parts; None when all or nothing applies (no parts, or not a failure)."""
    parts = getattr(exercise, "parts", ())
    if not parts or verdict.status != "fail":
        return None
    results = observation.get("results")
    cases = exercise.inputs(seed)
    if not isinstance(results, list) or len(results) != len(cases):
        earned = [False] * len(parts)
    else:
        references = [exercise.reference(*clone(args)) for args in cases]
        earned = [_passes_with_others_right(exercise, observation, seed, references, part) for part in parts]
    awarded = [{"part": text(p["label"], lang), "share": p["share"], "earned": e} for p, e in zip(parts, earned)]
    return sum(p["share"] for p, e in zip(parts, earned) if e), awarded


def _passes_with_others_right(exercise, observation, seed, references, part):
    substituted = copy.deepcopy(observation)
    for result, reference in zip(substituted["results"], references):
        items = result.get("items") if result.get("kind") == "sequence" else None
        if not isinstance(items, list) or len(items) != len(reference) or result.get("length") != len(reference):
            return False
        for index, value in enumerate(reference):
            if index != part["result"]:
                items[index] = describe(value)
    return exercise.judge(substituted, seed, "en").status == "pass"
