"""Turn whatever a student's code produced into plain, bounded, JSON-safe data.

Observations cross from the student's process to the grader's, so they hold only dicts, lists, strings,
numbers and booleans (never pickles or live objects), and reading them never calls the student's own
methods such as ``__eq__`` or ``__repr__``.
"""
import math

import torch

MAX_ELEMENTS = 100_000
MAX_ITEMS = 32
MAX_TEXT = 300


def describe(value, depth=0):
    """A plain-data description of ``value``; never raises."""
    try:
        return _describe(value, depth)
    except Exception as error:  # a hostile object: say what it was, nothing more
        return {"kind": "unreadable", "type": _type_name(value), "error": type(error).__name__}


def _describe(value, depth):
    if value is Ellipsis:
        return {"kind": "ellipsis"}
    if value is None:
        return {"kind": "none"}
    if type(value) in (bool, int, float):
        number = float(value)
        return {"kind": "number", "type": type(value).__name__, "value": number if math.isfinite(number) else str(number)}
    if isinstance(value, torch.Tensor):
        return _describe_tensor(value, depth)
    if type(value) is str:
        return {"kind": "str", "value": value[:MAX_TEXT]}
    if type(value) in (list, tuple) and depth < 2:
        return {"kind": "sequence", "length": len(value),
                "items": [describe(item, depth + 1) for item in value[:MAX_ITEMS]]}
    if callable(value):
        return {"kind": "function", "type": _type_name(value)}
    return {"kind": "object", "type": _type_name(value)}


def _describe_tensor(tensor, depth):
    with torch._C.DisableTorchFunctionSubclass():  # a tensor subclass cannot override what we read
        return _read_tensor(tensor, depth)


def _read_tensor(plain, depth):
    grad_fn = plain.grad_fn
    info = {
        "kind": "tensor",
        "dtype": str(plain.dtype).removeprefix("torch."),
        "shape": list(plain.shape),
        "numel": plain.numel(),
        "requires_grad": plain.requires_grad,
        "is_leaf": plain.is_leaf,
        "grad_fn": type(grad_fn).__name__ if grad_fn is not None else None,
        "values": None,
    }
    if plain.numel() <= MAX_ELEMENTS and not plain.is_complex():
        flat = plain.detach().to("cpu", torch.float64).reshape(-1).tolist()
        info["values"] = [v if math.isfinite(v) else str(v) for v in flat]
    if depth == 0 and plain.is_leaf and plain.grad is not None:
        info["grad"] = _read_tensor(plain.grad, depth + 1)
    return info


def tensor_from(info):
    """Rebuild a float64 tensor from a tensor description that carries its values (grader side)."""
    values = [float(v) for v in info["values"]]
    return torch.tensor(values, dtype=torch.float64).reshape(info["shape"])


def _type_name(value):
    try:
        return type(value).__name__
    except Exception:
        return "?"
