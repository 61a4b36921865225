"""An exercise as a student's handout knows it: its results on public inputs, recorded, not the code behind them.

A handout checks answers without the course's definitions (``content/chNN.py``, with their references).
``record`` runs an exercise's input maker, reference (and the kind's other ``recorded_functions``, such as a
Function exercise's forward) and named mistakes for a few public seeds and keeps what they returned; ``rebuild`` makes an exercise of the same kind whose ``cases``, ``reference`` and mistakes look
those results up. The judge is the same code, so on those inputs the verdicts are the same (a test compares
them). Any other seed is mapped to one of the public ones: a handout only ever checks on public inputs, while
the grader draws fresh ones from the definitions.

``pack`` stores recorded exercises zlib-compressed, so no answer is greppable in a handout. Compressed is not
encrypted: ``unpack`` is in the same handout.
"""
import hashlib
import importlib
import inspect
import json
import math
import textwrap
import types
import zlib

import torch

from helpers.checking.diagnose import clone

PUBLIC_SEEDS = (0, 1, 2)
FORMAT = 1


class NotRecordable(TypeError):
    """An exercise holds something a handout cannot carry as data (a function other than its inputs maker,
    reference or mistakes, or a kind defined beside the references)."""


def record(exercise, seeds=PUBLIC_SEEDS):
    """Plain data for ``exercise``: its kind and its attributes, with functions replaced by their results."""
    kind = type(exercise)
    if kind.__module__.startswith("content.ch"):
        raise NotRecordable(f"{exercise.id}: the kind {kind.__name__} is defined in {kind.__module__}, beside the "
                            "references; move it to content/kinds.py, the module a handout ships")
    state, calls = {}, _Calls(exercise, seeds)
    for name, value in vars(exercise).items():
        if name == "cases" and callable(value):
            state[name] = {"$": "cases", "seeds": {str(seed): encode(cases) for seed, cases in calls.cases.items()}}
        elif name in getattr(kind, "recorded_functions", ("reference",)) and callable(value):
            state[name] = calls.results(value)
        elif name == "mistakes":
            state[name] = [[calls.results(wrong) if callable(wrong) else encode(wrong), encode(message)]
                           for wrong, message in value]
        else:
            try:
                state[name] = encode(value)
            except TypeError as error:
                raise NotRecordable(f"{exercise.id}: {name} cannot be recorded ({error})") from None
    return {"kind": f"{kind.__module__}:{kind.__qualname__}", "state": state}


class _Calls:
    """The inputs of each public seed, and a function's results on them, called as the judge calls it."""

    def __init__(self, exercise, seeds):
        maker = getattr(exercise, "cases", None)
        self.id = exercise.id
        self.cases = {seed: maker(torch.Generator().manual_seed(seed)) for seed in seeds} if callable(maker) else {}

    def results(self, function):
        table = {}
        for seed, cases in self.cases.items():
            for number, args in enumerate(cases, 1):
                try:
                    table[key_of(args)] = encode(function(*clone(args)))
                except Exception as error:
                    raise NotRecordable(f"{self.id}: {getattr(function, '__name__', 'a function')} raised "
                                        f"{type(error).__name__} on case {number} of seed {seed}: {error}") from None
        return {"$": "recorded", "results": table}


def rebuild(recorded):
    """The exercise that ``record`` described: same kind, same attributes, recorded functions."""
    module, _, name = recorded["kind"].partition(":")
    kind = getattr(importlib.import_module(module), name)
    exercise = kind.__new__(kind)
    for attribute, value in recorded["state"].items():
        setattr(exercise, attribute, decode(value))
    return exercise


class RecordedCases:
    """An exercise's ``cases(generator)``: the arguments recorded for the generator's seed, or, for any other
    seed, for one of the public ones (always the same one for the same seed)."""

    def __init__(self, seeds):
        self.seeds = {int(seed): cases for seed, cases in seeds.items()}

    def __call__(self, generator):
        seed, public = generator.initial_seed(), sorted(self.seeds)
        return decode(self.seeds[seed if seed in self.seeds else public[seed % len(public)]])


class Recorded:
    """A reference or a named mistake, as recorded: what it returned for each recorded argument tuple."""

    def __init__(self, results):
        self.results = results

    def __call__(self, *args):
        key = key_of(args)
        if key not in self.results:
            raise LookupError("no recorded result for these inputs")
        return decode(self.results[key])


def encode(value, *, key=False):
    """JSON-able data for tensors, numbers, strings, None, lists, tuples, dicts with string keys and torch or
    small module-level functions (inputs such as ``cube``; by name only when ``key``)."""
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise TypeError("a complex tensor")
        return {"$": "tensor", "dtype": str(value.dtype).removeprefix("torch."), "shape": list(value.shape),
                "values": value.detach().cpu().reshape(-1).tolist(), "requires_grad": value.requires_grad}
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, tuple):
        return {"$": "tuple", "items": [encode(item, key=key) for item in value]}
    if isinstance(value, list):
        return [encode(item, key=key) for item in value]
    if isinstance(value, dict) and "$" not in value and all(type(k) is str for k in value):
        return {k: encode(item, key=key) for k, item in value.items()}
    if callable(value) and getattr(torch, getattr(value, "__name__", ""), None) is value:
        return {"$": "torch", "name": value.__name__}
    if isinstance(value, types.FunctionType) and value.__closure__ is None and value.__name__ != "<lambda>":
        return {"$": "function", "name": value.__name__,
                **({} if key else {"source": textwrap.dedent(inspect.getsource(value))})}
    raise TypeError(f"a {type(value).__name__}")


def decode(data):
    """The inverse of ``encode`` (recorded functions become ``Recorded`` / ``RecordedCases``)."""
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        return data
    tag = data.get("$")
    if tag is None:
        return {k: decode(item) for k, item in data.items()}
    if tag == "tensor":
        # clone: a fresh tensor, not a view of the flat one (an in-place update of a view fails differently)
        tensor = torch.tensor(data["values"], dtype=getattr(torch, data["dtype"])).reshape(data["shape"]).clone()
        return tensor.requires_grad_(True) if data["requires_grad"] else tensor
    if tag == "tuple":
        return tuple(decode(item) for item in data["items"])
    if tag == "torch":
        return getattr(torch, data["name"])
    if tag == "function":
        namespace = {"torch": torch, "math": math}
        exec(compile(data["source"], f"<input {data['name']}>", "exec"), namespace)
        return namespace[data["name"]]
    if tag == "cases":
        return RecordedCases(data["seeds"])
    if tag == "recorded":
        return Recorded(data["results"])
    raise ValueError(f"unknown recorded data {tag!r}")


def key_of(args):
    """Which recorded result belongs to these arguments: a digest of their data."""
    text = json.dumps(encode(args, key=True), sort_keys=True, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def fingerprint(exercise):
    """A digest of everything the exercise says on the inputs of the first public seed: it changes when the
    exercise does (its kind, messages, values, inputs, or what its reference and mistakes return)."""
    text = json.dumps(record(exercise, PUBLIC_SEEDS[:1]), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def pack(exercises, seeds=PUBLIC_SEEDS):
    """The recorded exercises (an id -> Exercise mapping), compressed."""
    data = {"format": FORMAT, "seeds": list(seeds), "exercises": [record(e, seeds) for e in exercises.values()]}
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode(), 9)


def unpack(blob):
    """id -> Exercise, from what ``pack`` made."""
    data = json.loads(zlib.decompress(blob))
    if data.get("format") != FORMAT:
        raise ValueError(f"recorded exercises of format {data.get('format')}, this package reads {FORMAT}")
    exercises = (rebuild(recorded) for recorded in data["exercises"])
    return {exercise.id: exercise for exercise in exercises}
