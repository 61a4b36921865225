"""The "autograd_function" probe: the student's answer is a ``torch.autograd.Function`` subclass.

It runs where the student's code lives (the notebook, or the grader's sandboxed child) and reports plain data:
for each case ``(args, grad_output)`` the output of ``Class.apply(*args)`` (``output``), what ``forward`` left
on ``ctx`` (``ctx``: the attributes it stored, and whether each saved tensor is the output or an input) and the
gradients that the class's ``backward`` gives for the tensor arguments (``torch.autograd.grad`` with
``grad_output``), or the error it raised; and the outcome of ``torch.autograd.gradcheck`` on the first case, in
float64. Every case is applied before any is differentiated, and the gradients are taken in reverse order, so a
``backward`` that reads what the last ``forward`` left somewhere (a global, a class attribute) instead of its
own ``ctx`` gets the wrong inputs. The judge (``content.kinds``) compares outputs and gradients with the
reference on the grader's fresh inputs; gradcheck can only add a failure.
"""
import types
import warnings

import torch

from helpers.checking import cells
from helpers.checking.observe import _DETACH, _DTYPE, _SHAPE, describe, is_placeholder, tampered

MAX_MESSAGE = 500
# Taken before any student code runs, so that replacing them (torch.autograd.gradcheck = ...) changes nothing here.
_GRADCHECK, _GRAD, _APPLY_GRAD_FN = torch.autograd.gradcheck, torch.autograd.grad, torch._C.TensorBase.__dict__["grad_fn"].__get__
_SAVED_TENSORS = torch._C._FunctionBase.__dict__["saved_tensors"].__get__
_EQUAL, _NO_TORCH_FUNCTION, _FUNCTION = torch.equal, torch._C.DisableTorchFunction, torch.autograd.Function
_CTX_ATTRIBUTES = frozenset({"to_save", "non_differentiable", "dirty_tensors", "materialize_grads",
                             "saved_for_forward"})  # what torch's own FunctionCtx may keep in ctx.__dict__


def observe_autograd_function(answer, inputs, *, sandboxed=False, watch=None):
    """Apply the Function class ``answer`` to each case and differentiate it; run gradcheck once."""
    if answer is Ellipsis or (type(answer) is types.FunctionType and is_placeholder(answer)):
        return {"todo": True}
    if not is_function_class(answer):
        return {"answer": describe(answer)}
    backward, evidence = _own_backward(answer), []
    applied = [_applied(answer, args) for args, _ in inputs]
    results = [None] * len(applied)
    for index in reversed(range(len(applied))):
        results[index] = _gradients(applied[index], inputs[index][1], evidence)
    observation = {"results": results, "gradcheck": _gradcheck(answer, inputs[0][0]) if inputs else None,
                   "placeholder": isinstance(backward, types.FunctionType) and is_placeholder(backward)}
    if not sandboxed:
        observation.update(source=cells.source_of(answer), scan=cells.answer_text(answer))
    evidence += tampered()
    if evidence:
        observation["tampered"] = evidence
    return observation


def is_function_class(answer):
    try:
        return isinstance(answer, type) and issubclass(answer, _FUNCTION) and answer is not _FUNCTION
    except Exception:
        return False


def _own_backward(cls):
    """The ``backward`` the class defines (a staticmethod's function), read without calling the student's code."""
    for klass in cls.__mro__:
        entry = klass.__dict__.get("backward")
        if entry is not None:
            return entry.__func__ if isinstance(entry, staticmethod) else entry
    return None


def _prepared(args):
    """Fresh float64 leaves for the floating-point tensor arguments; other arguments as they are."""
    return tuple(a.detach().to(torch.float64).requires_grad_(True) if isinstance(a, torch.Tensor) and a.is_floating_point()
                 else a for a in args)


def _applied(cls, args):
    """(args, output or None, what went wrong or None, warnings) for ``cls.apply(*args)``."""
    args = _prepared(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return args, cls.apply(*args), None, caught
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # the student's forward must not end the check
            return args, None, {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}, caught


def _gradients(applied, grad_output, evidence):
    args, output, failed, caught = applied
    wrt = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    with warnings.catch_warnings(record=True) as more:
        warnings.simplefilter("always")
        if failed is None:
            try:
                ctx = _ctx(output, args)
                grads = _GRAD(output, wrt, grad_output.to(torch.float64), allow_unused=True)
                result = describe(tuple(grads), 0, evidence)
                result.update(output=describe(output, 1, evidence), ctx=ctx)
            except KeyboardInterrupt:
                raise
            except BaseException as error:  # the student's backward must not end the check
                result = {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}
        else:
            result = failed
    shown = [*caught, *more]
    if shown:
        result["warnings"] = [_text_of(w.message) for w in shown[:3]]
    return result


def _ctx(output, args):
    """What forward left on ctx: the attributes it stored itself, and each saved tensor as "output", "input<i>"
    or "other" (compared by value)."""
    ctx = _APPLY_GRAD_FN(output) if isinstance(output, torch.Tensor) else None
    if ctx is None:
        return {"stored": [], "saved": []}
    try:
        names = list(object.__getattribute__(ctx, "__dict__"))
    except Exception:  # noqa: BLE001
        names = []
    stored = sorted(str(name)[:40] for name in names if name not in _CTX_ATTRIBUTES)[:20]
    try:
        saved = _SAVED_TENSORS(ctx)
    except Exception:  # noqa: BLE001 -- already freed, or not a custom Function's ctx
        saved = ()
    with _NO_TORCH_FUNCTION():
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        return {"stored": stored, "saved": [_which(t, output, tensors) for t in saved[:8]]}


def _which(tensor, output, inputs):
    def same(a, b):
        try:
            return _SHAPE(a) == _SHAPE(b) and _DTYPE(a) == _DTYPE(b) and bool(_EQUAL(_DETACH(a), _DETACH(b)))
        except Exception:  # noqa: BLE001
            return False

    if same(tensor, output):
        return "output"
    for index, candidate in enumerate(inputs):
        if same(tensor, candidate):
            return f"input{index}"
    return "other"


def _gradcheck(cls, args):
    """gradcheck's verdict on ``cls.apply`` at ``args`` (float64): passed, and the first line of its message."""
    args = _prepared(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            passed = bool(_GRADCHECK(cls.apply, args, raise_exception=True))
            return {"passed": passed, "message": ""}
        except KeyboardInterrupt:
            raise
        except BaseException as error:
            lines = _text_of(error).splitlines() or [""]
            return {"passed": False, "message": f"{_type_name(error)}: {lines[0].rstrip(',')}"[:MAX_MESSAGE]}


def _text_of(error):
    try:
        return str(error)[:MAX_MESSAGE]
    except Exception:
        return ""


def _type_name(value):
    try:
        return type(value).__name__
    except Exception:
        return "?"
