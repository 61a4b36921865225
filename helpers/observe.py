"""Turn whatever a student's code produced into plain, bounded, JSON-safe data.

Observations cross from the student's process to the grader's, so they hold only dicts, lists, strings,
numbers and booleans (never pickles or live objects), and reading them never calls the student's own
methods such as ``__eq__`` or ``__repr__``.
"""
import ast
import inspect
import math
import textwrap
import warnings

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
        number = float(value) if type(value) is not int or abs(value) < 2 ** 1000 else math.copysign(math.inf, value)
        return {"kind": "number", "type": type(value).__name__, "value": number if math.isfinite(number) else str(number)}
    if isinstance(value, torch.Tensor):
        return _describe_tensor(value, depth)
    if type(value) is str:
        return {"kind": "str", "value": value[:MAX_TEXT]}
    if type(value) in (list, tuple) and depth < 2:
        return {"kind": "sequence", "type": type(value).__name__, "length": len(value),
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


def observe_function(answer, inputs):
    """Call the student's function on each tuple of ``inputs`` and describe what came back (or what it raised)."""
    if answer is Ellipsis or is_placeholder(answer):
        return {"todo": True}
    if not callable(answer):
        return {"answer": describe(answer)}
    results = []
    for args in inputs:
        with warnings.catch_warnings(record=True) as caught:  # e.g. reading .grad of a non-leaf tensor
            warnings.simplefilter("always")
            try:
                result = describe(answer(*args))
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: the student's function must not end the check
                result = {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}
        if caught:
            result["warnings"] = [_text_of(w.message) for w in caught[:3]]
        results.append(result)
    return {"results": results, "source": source_of(answer)}


def _text_of(error):
    """``str(error)``, bounded, even when the student's exception class breaks ``__str__``."""
    try:
        return str(error)[:500]
    except Exception:
        return ""


def source_of(function):
    """The function's source text (bounded), or "" when Python cannot find it."""
    try:
        return inspect.getsource(function)[:20_000]
    except Exception:
        return ""


def is_placeholder(function):
    """True for a released, unfilled function whose body is only ``...`` (and perhaps a docstring)."""
    try:
        tree = ast.parse(textwrap.dedent(source_of(function)))
    except (SyntaxError, IndentationError, ValueError):
        return False
    definition = tree.body[0] if tree.body else None
    if not isinstance(definition, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    return all(isinstance(statement, ast.Pass) or (isinstance(statement, ast.Expr) and isinstance(
        statement.value, ast.Constant) and (statement.value.value is Ellipsis or isinstance(statement.value.value, str)))
        for statement in definition.body)


def tensor_from(info):
    """Rebuild a float64 tensor from a tensor description that carries its values (grader side)."""
    values = [float(v) for v in info["values"]]
    return torch.tensor(values, dtype=torch.float64).reshape(info["shape"])


def _type_name(value):
    try:
        return type(value).__name__
    except Exception:
        return "?"
