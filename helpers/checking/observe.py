"""Turn whatever a student's code produced into plain, bounded, JSON-safe data.

Observations cross from the student's process to the grader's, so they hold only dicts, lists, strings,
numbers and booleans (never pickles or live objects), and reading them never calls the student's own
methods such as ``__eq__`` or ``__repr__``.

What a probe reads it reads through primitives taken when this module is imported, before any student code
runs: a tensor's data, ``requires_grad`` and ``grad_fn`` through ``torch._C.TensorBase``'s own descriptors
(a subclass's properties and a patched ``torch.Tensor`` cannot answer instead), under ``DisableTorchFunction``
(no subclass's or mode's ``__torch_function__`` runs). After the student's code the probe checks that its own
functions, those primitives and ``torch.autograd.gradcheck`` are still the ones it started with, and reports
any change as ``tampered`` evidence; the grading process adds what it reads in the answer cell itself
(``helpers.checking.scan.tampering``).
"""
import ast
import dis
import math
import os
import sys
import textwrap
import types
import warnings

import torch

from helpers.checking import cells
from helpers.checking.scan import TENSOR_ATTRIBUTES

MAX_ELEMENTS = 100_000
MAX_ITEMS = 32
MAX_TEXT = 300
MAX_FRAMES = 40  # how far up a watched call looks for a forbidden module's code

_BASE = torch._C.TensorBase.__dict__
_GRAD_FN, _REQUIRES_GRAD, _IS_LEAF, _GRAD, _DTYPE, _SHAPE = (
    _BASE[name].__get__ for name in ("grad_fn", "requires_grad", "is_leaf", "grad", "dtype", "shape"))
_NUMEL, _DETACH, _TO, _RESHAPE, _TOLIST, _IS_COMPLEX = (
    _BASE[name] for name in ("numel", "detach", "to", "reshape", "tolist", "is_complex"))
_NO_TORCH_FUNCTION = torch._C.DisableTorchFunction
_TENSOR, _FLOAT64, _ISFINITE = torch.Tensor, torch.float64, math.isfinite
_PLAIN_TENSORS = (torch.Tensor, torch.nn.Parameter)


def describe(value, depth=0, evidence=None):
    """A plain-data description of ``value``; never raises. A tensor subclass that redefines an attribute the
    probe reads is added to ``evidence`` (a list), when given."""
    try:
        return _describe(value, depth, evidence)
    except Exception as error:  # a hostile object: say what it was, nothing more
        return {"kind": "unreadable", "type": _type_name(value), "error": type(error).__name__}


def _describe(value, depth, evidence):
    if value is Ellipsis:
        return {"kind": "ellipsis"}
    if value is None:
        return {"kind": "none"}
    kind = type(value)
    if kind in (bool, int, float) or kind in _numpy_scalars():
        if kind not in (bool, int, float):  # a NumPy scalar (np.float64(4.5)) is read as the number it holds
            value = kind.item(value)
            kind = type(value)
            if kind not in (bool, int, float):
                return {"kind": "object", "type": _type_name(value)}
        number = float(value) if kind is not int or abs(value) < 2 ** 1000 else math.copysign(math.inf, value)
        return {"kind": "number", "type": kind.__name__, "value": number if _ISFINITE(number) else str(number)}
    if isinstance(value, _TENSOR):
        return _describe_tensor(value, depth, evidence)
    if kind is str:
        return {"kind": "str", "value": value[:MAX_TEXT]}
    if kind in (list, tuple) and depth < 2:
        return {"kind": "sequence", "type": kind.__name__, "length": len(value),
                "items": [describe(item, depth + 1, evidence) for item in value[:MAX_ITEMS]]}
    if callable(value):
        return {"kind": "function", "type": _type_name(value)}
    return {"kind": "object", "type": _type_name(value)}


def _numpy_scalars():
    """NumPy's scalar types, when NumPy is loaded (a notebook or a child that never imported it pays nothing)."""
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return ()
    if numpy not in _NUMPY_SCALARS:
        _NUMPY_SCALARS[numpy] = frozenset(t for t in numpy.sctypeDict.values()
                                          if issubclass(t, (numpy.number, numpy.bool_)))
    return _NUMPY_SCALARS[numpy]


_NUMPY_SCALARS = {}


def _describe_tensor(tensor, depth, evidence=None):
    lying = _redefined(type(tensor))
    if lying and evidence is not None:
        evidence.append(f"Tensor subclass {_type_name(tensor)} redefines {', '.join(lying)}")
    with _NO_TORCH_FUNCTION():  # no subclass's or mode's __torch_function__ runs while we read
        return _read_tensor(tensor, depth)


def _redefined(kind):
    """The attributes the probe reads that a tensor subclass defines itself (a property that may lie)."""
    if kind in _PLAIN_TENSORS:
        return []
    found = set()
    for klass in kind.__mro__:
        if klass in _PLAIN_TENSORS or klass is torch._C.TensorBase:
            break
        found.update(name for name in vars(klass) if name in TENSOR_ATTRIBUTES)
    return sorted(found)


def _read_tensor(plain, depth):
    grad_fn = _GRAD_FN(plain)
    numel = _NUMEL(plain)
    info = {
        "kind": "tensor",
        "dtype": str(_DTYPE(plain)).removeprefix("torch."),
        "shape": list(_SHAPE(plain)),
        "numel": numel,
        "requires_grad": _REQUIRES_GRAD(plain),
        "is_leaf": _IS_LEAF(plain),
        "grad_fn": type(grad_fn).__name__ if grad_fn is not None else None,
        "values": None,
    }
    if numel <= MAX_ELEMENTS and not _IS_COMPLEX(plain):
        flat = _TOLIST(_RESHAPE(_TO(_DETACH(plain), "cpu", _FLOAT64), (-1,)))
        info["values"] = [v if _ISFINITE(v) else str(v) for v in flat]
    if depth == 0 and info["is_leaf"]:
        grad = _GRAD(plain)
        if grad is not None:
            info["grad"] = _read_tensor(grad, depth + 1)
    return info


def observe_value(answer, inputs=None, *, sandboxed=False, watch=None):
    """The "describe" probe: a value or choice answer, described as it is."""
    evidence = []
    observation = {"answer": describe(answer, 0, evidence)}
    evidence += tampered()
    if evidence:
        observation["tampered"] = evidence
    return observation


def observe_function(answer, inputs, *, sandboxed=False, watch=None):
    """The "call" probe: call the student's function on each tuple of ``inputs``; describe what came back.

    Each result also says which argument it is, when it is one of them (``argument``: an in-place update
    returns its argument itself). ``calls`` names the torch functions the function called, ``modules`` the
    watched modules (``watch``) whose code ran. Outside the grader's sandbox the observation also carries
    the function's source and ``scan``, the text the rules read (its cell in a kernel); in the sandbox the
    grader reads both from the answer cell itself. Whether an unfilled function is a placeholder is judged
    from that source (``is_placeholder_source``); ``placeholder`` is the bytecode's guess.
    """
    if answer is Ellipsis:
        return {"todo": True}
    if not callable(answer):
        return {"answer": describe(answer)}
    results, calls, evidence = [], _Calls(watch), []
    for args in inputs:
        with warnings.catch_warnings(record=True) as caught:  # e.g. reading .grad of a non-leaf tensor
            warnings.simplefilter("always")
            try:
                with calls:
                    value = answer(*args)
                result = describe(value, 0, evidence)
                position = next((i for i, arg in enumerate(args) if value is arg), None)
                if position is not None:
                    result["argument"] = position
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # SystemExit too: the student's function must not end the check
                result = {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}
        if caught:
            result["warnings"] = [_text_of(w.message) for w in caught[:3]]
        results.append(result)
    evidence += tampered() + ([] if calls.intact else ["the torch function mode stack was changed"])
    observation = {"results": results, "placeholder": is_placeholder(answer), "calls": calls.names(),
                   "modules": sorted(calls.modules)}
    if not sandboxed:
        observation.update(source=cells.source_of(answer), scan=cells.answer_text(answer))
    if evidence:
        observation["tampered"] = evidence
    return observation


class _Calls(torch.overrides.TorchFunctionMode):
    """Which torch functions and Tensor methods the student's function called (``cos``, however reached:
    a helper, ``getattr(torch, "co" + "s")``, ``x.cos()``), observed at the ``__torch_function__`` layer, and
    which watched modules' code made a torch call (``torch.optim``'s SGD, however it was reached).
    A function that removes this mode from the stack (or the stack's modes) leaves it not ``intact``."""

    LIMIT = 200

    def __init__(self, watch=None):
        super().__init__()
        self.seen, self.modules, self.intact = set(), set(), True
        self.folders = _folders((watch or {}).get("modules", ())) if isinstance(watch, dict) else {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if len(self.seen) < self.LIMIT:
            self.seen.add(str(getattr(func, "__name__", "?")).rstrip("_"))
        if self.folders and len(self.modules) < len(self.folders):
            self._find_modules()
        return func(*args, **(kwargs or {}))

    def _find_modules(self):
        frame = sys._getframe(2)
        for _ in range(MAX_FRAMES):
            if frame is None:
                return
            filename = frame.f_code.co_filename
            for module, folder in self.folders.items():
                if filename.startswith(folder):
                    self.modules.add(module)
            frame = frame.f_back

    def __exit__(self, *exc):
        stack = torch.overrides._get_current_function_mode_stack()
        if not stack or stack[-1] is not self:
            self.intact = False
            return None  # the mode was popped: leave the stack as the student left it
        return super().__exit__(*exc)

    def names(self):
        return sorted(self.seen)


def _folders(modules):
    """{module: the path prefix of its code} for the watched modules that are loaded."""
    found = {}
    for module in modules:
        loaded = sys.modules.get(module) if isinstance(module, str) else None
        path = getattr(loaded, "__file__", None)
        if isinstance(path, str):
            found[module] = os.path.dirname(path) + os.sep if path.endswith("__init__.py") else path
    return found


# What the sandboxed child (or the notebook) runs for an exercise kind: each kind names its probe.
PROBES = {"describe": observe_value, "call": observe_function}


def _text_of(error):
    """``str(error)``, bounded, even when the student's exception class breaks ``__str__``."""
    try:
        return str(error)[:500]
    except Exception:
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




def _snapshot():
    """What the probes run with, as this module and the Function probe's hold it now (before any student code):
    [(label, namespace, name, object, its code)] for every global of both modules, every function of the classes
    they define, the PROBES table, torch's gradcheck and what torch.Tensor itself defines of TENSOR_ATTRIBUTES."""
    from helpers.checking import autograd_function

    entries = []
    for module in (sys.modules[__name__], autograd_function):
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            entries.append((f"{module.__name__}.{name}", vars(module), name, value, getattr(value, "__code__", None)))
            if isinstance(value, type) and value.__module__ == module.__name__:
                entries += [(f"{module.__name__}.{name}.{member}", vars(value), member, function, function.__code__)
                            for member, function in vars(value).items() if isinstance(function, types.FunctionType)]
    entries += [(f"PROBES[{key!r}]", PROBES, key, probe, probe.__code__) for key, probe in PROBES.items()]
    entries.append(("torch.autograd.gradcheck", vars(torch.autograd), "gradcheck", torch.autograd.gradcheck, None))
    entries += [(f"torch.Tensor.{name}", vars(torch.Tensor), name, vars(torch.Tensor).get(name, _MISSING), None)
                for name in sorted(TENSOR_ATTRIBUTES)]
    return entries


_MISSING = object()


def tampered(snapshot=None):
    """What changed since import among the probes' functions, primitives and torch's own (labels), or []."""
    changed = []
    for label, namespace, name, value, code in snapshot or _SNAPSHOT:
        now = namespace.get(name, _MISSING) if namespace is not None else _MISSING
        if now is not value or (code is not None and getattr(now, "__code__", None) is not code):
            changed.append(f"{label} was replaced")
    return changed


# The probe for answers that are torch.autograd.Function subclasses (chapter 9); registered here, after
# ``describe``, ``is_placeholder`` and ``tampered`` exist, so that the grading child has it without importing the checkers.
from helpers.checking.autograd_function import observe_autograd_function  # noqa: E402

PROBES["autograd_function"] = observe_autograd_function
_SNAPSHOT = _snapshot()
