"""Plain-data encoding of exercise inputs, so they cross to the sandboxed child as JSON, never as pickles.

An input may be a function (``derivative(f, x)``): a torch function travels by name, a small module-level
Python function by its source, which the child runs with only ``torch`` and ``math`` in scope.
"""
import inspect
import json
import math
import re
import textwrap
import types

import torch


def encode(value):
    """JSON-able data for the arguments of a FunctionExercise case (tensors, numbers, strings, sequences)."""
    if isinstance(value, torch.Tensor):
        return {"tensor": value.detach().reshape(-1).tolist(), "shape": list(value.shape),
                "dtype": str(value.dtype).removeprefix("torch."), "requires_grad": value.requires_grad}
    if isinstance(value, (list, tuple)):
        return {"sequence": [encode(item) for item in value], "tuple": isinstance(value, tuple)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    if callable(value) and getattr(torch, getattr(value, "__name__", ""), None) is value:
        return {"torch_function": value.__name__}
    if isinstance(value, types.FunctionType) and value.__closure__ is None:
        return {"function": textwrap.dedent(inspect.getsource(value)), "name": value.__name__}
    raise TypeError(f"cannot send a {type(value).__name__} to the grading child")


def decode(data):
    """The inverse of ``encode`` (child side)."""
    if "tensor" in data:
        # clone: a fresh tensor, not a view of the flat one (an in-place update of a view fails differently)
        tensor = torch.tensor(data["tensor"], dtype=getattr(torch, data["dtype"])).reshape(data["shape"]).clone()
        return tensor.requires_grad_(data["requires_grad"])
    if "sequence" in data:
        items = [decode(item) for item in data["sequence"]]
        return tuple(items) if data["tuple"] else items
    if "torch_function" in data:
        return getattr(torch, data["torch_function"])
    if "function" in data:
        namespace = {"torch": torch, "math": math}
        exec(compile(data["function"], f"<input {data['name']}>", "exec"), namespace)
        return namespace[data["name"]]
    return data["value"]


MAX_DEPTH = 64  # nesting of a child's report (an observation is a few levels deep)


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how a lone surrogate reaches JSON text (\ud800)


def read_report(text, limit=MAX_DEPTH):
    """A child's JSON report, read safely: bounded nesting (never a RecursionError), every string made
    encodable (a lone surrogate becomes U+FFFD). Raises ValueError for anything else.

    Fast for the common report: the strings are walked only when the text escapes a surrogate, the nesting
    only when the text holds more brackets than the limit."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise ValueError("report nested too deeply") from None
    if text.count("[") + text.count("{") > limit and not _shallow(value, limit):
        raise ValueError("report nested too deeply")
    return _clean(value) if SURROGATE_ESCAPE.search(text) else value


def _shallow(value, limit):
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth >= limit:
            return False
        for child in (item.values() if type(item) is dict else item) if type(item) in (list, dict) else ():
            if type(child) in (list, dict):
                stack.append((child, depth + 1))
    return True


def _clean(value):
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, list):
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    return value
