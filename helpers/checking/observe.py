"""Turn whatever a student's code produced into plain, bounded, JSON-safe data.

Observations cross from the student's process to the grader's, so they hold only dicts, lists, strings,
numbers and booleans (never pickles or live objects), and reading them never calls the student's own
methods such as ``__eq__`` or ``__repr__``.
"""
import ast
import dis
import inspect
import math
import re
import textwrap
import types
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


def observe_value(answer, inputs=None, *, sandboxed=False):
    """The "describe" probe: a value or choice answer, described as it is."""
    return {"answer": describe(answer)}


def observe_function(answer, inputs, *, sandboxed=False):
    """The "call" probe: call the student's function on each tuple of ``inputs``; describe what came back.

    In the grader's sandbox (``sandboxed``) the function's source is left out: the grader reads it from the
    answer cell itself. Whether an unfilled function is a placeholder is judged from that source
    (``is_placeholder_source``); ``placeholder`` is the bytecode's guess, for when no source can be found.
    """
    if answer is Ellipsis:
        return {"todo": True}
    if not callable(answer):
        return {"answer": describe(answer)}
    results, calls = [], _Calls()
    for args in inputs:
        with warnings.catch_warnings(record=True) as caught:  # e.g. reading .grad of a non-leaf tensor
            warnings.simplefilter("always")
            try:
                with calls:
                    value = answer(*args)
                result = describe(value)
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: the student's function must not end the check
                result = {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}
        if caught:
            result["warnings"] = [_text_of(w.message) for w in caught[:3]]
        results.append(result)
    return {"results": results, "source": "" if sandboxed else source_of(answer), "placeholder": is_placeholder(answer),
            "calls": calls.names()}


class _Calls(torch.overrides.TorchFunctionMode):
    """Which torch functions and Tensor methods the student's function called (``cos``, however reached:
    a helper, ``getattr(torch, "co" + "s")``, ``x.cos()``), observed at the ``__torch_function__`` layer.
    A function that removes this mode from the stack (or the stack's modes) is reported as ``"<unobserved>"``."""

    LIMIT = 200

    def __init__(self):
        super().__init__()
        self.seen, self.intact = set(), True

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if len(self.seen) < self.LIMIT:
            self.seen.add(str(getattr(func, "__name__", "?")).rstrip("_"))
        return func(*args, **(kwargs or {}))

    def __exit__(self, *exc):
        stack = torch.overrides._get_current_function_mode_stack()
        if not stack or stack[-1] is not self:
            self.intact = False
            return None  # the mode was popped: leave the stack as the student left it
        return super().__exit__(*exc)

    def names(self):
        return sorted(self.seen) + ([] if self.intact else ["<unobserved>"])


# What the sandboxed child (or the notebook) runs for an exercise kind: each kind names its probe.
PROBES = {"describe": observe_value, "call": observe_function}


def _text_of(error):
    """``str(error)``, bounded, even when the student's exception class breaks ``__str__``."""
    try:
        return str(error)[:500]
    except Exception:
        return ""


def source_of(function):
    """The source text of the student's function (bounded), or "" when it cannot be found.

    ``inspect.getsource`` reads Python's line cache, which in a kernel run with a fixed IPYKERNEL_CELL_NAME
    (as nbval and ``make test`` do) holds only the latest cell; then the kernel's input history is searched
    for the definition instead.
    """
    try:
        name = function.__name__ if isinstance(function, types.FunctionType) else None
    except Exception:
        return ""
    try:
        text = inspect.getsource(function)
    except Exception:
        text = ""
    if name is None or _defines(text, name):
        return text[:20_000]
    return _from_kernel_history(name)[:20_000]


def _defines(text, name):
    return re.search(rf"^\s*(async\s+)?def\s+{re.escape(name)}\s*\(", text) is not None


def _from_kernel_history(name):
    """The latest definition of function ``name`` among the cells this IPython kernel has run."""
    try:
        from IPython import get_ipython

        cells = get_ipython().history_manager.input_hist_raw
    except Exception:
        return ""
    for cell in reversed(cells):
        if f"def {name}" not in cell:
            continue
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in reversed(tree.body):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                return ast.get_source_segment(cell, node) or ""
    return ""


def is_placeholder(function):
    """The bytecode's guess that a function is a released, unfilled one (a body of ``...``).

    ``return None`` compiles to the same bytecode, so the source decides when it is known.
    """
    try:
        return isinstance(function, types.FunctionType) and all(i.opname in ("RESUME", "NOP", "RETURN_VALUE", "RETURN_CONST")
                   or (i.opname == "LOAD_CONST" and i.argval is None)
                   for i in dis.get_instructions(function.__code__))
    except Exception:
        return False


def is_placeholder_source(source, name):
    """True when ``source`` defines ``name`` (or, failing that, its only function) with a body of only ``...``
    (and perhaps a docstring)."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError):
        return False
    functions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found = [node for node in functions if node.name == name] or functions[-1:]
    if not found:
        return False
    return is_placeholder_body(found[-1].body)


def is_placeholder_body(body):
    """True for a function body (a list of ast statements) of only ``...``, perhaps after a docstring."""
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
        and body[0].value.value is Ellipsis


def tensor_from(info):
    """Rebuild a float64 tensor from a tensor description that carries its values (grader side)."""
    values = [float(v) for v in info["values"]]
    return torch.tensor(values, dtype=torch.float64).reshape(info["shape"])


def _type_name(value):
    try:
        return type(value).__name__
    except Exception:
        return "?"


# The probe for answers that are torch.autograd.Function subclasses (chapter 9); registered here, after
# ``describe`` and ``is_placeholder`` exist, so that the grading child has it without importing the checkers.
from helpers.checking.autograd_function import observe_autograd_function  # noqa: E402

PROBES["autograd_function"] = observe_autograd_function
