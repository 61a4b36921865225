"""The "autograd_function" probe: the student's answer is a ``torch.autograd.Function`` subclass.

It runs where the student's code lives (the notebook, or the grader's sandboxed child) and reports plain data:
for each case ``(args, grad_output)`` the gradients that the class's ``backward`` gives for the tensor
arguments (``torch.autograd.grad`` of ``Class.apply(*args)`` with ``grad_output``), or the error it raised;
and the outcome of ``torch.autograd.gradcheck`` on the first case, in float64. The judge
(``content.ch09``) compares the gradients with the reference and names the mistake.
"""
import types
import warnings

import torch

from helpers.checking.observe import describe, is_placeholder

MAX_MESSAGE = 500


def observe_autograd_function(answer, inputs, *, sandboxed=False):
    """Apply the Function class ``answer`` to each case and differentiate it; run gradcheck once."""
    if answer is Ellipsis or (type(answer) is types.FunctionType and is_placeholder(answer)):
        return {"todo": True}
    if not is_function_class(answer):
        return {"answer": describe(answer)}
    backward = _own_backward(answer)
    results = [_gradients(answer, args, grad_output) for args, grad_output in inputs]
    return {"results": results, "gradcheck": _gradcheck(answer, inputs[0][0]) if inputs else None,
            "source": "", "placeholder": isinstance(backward, types.FunctionType) and is_placeholder(backward)}


def is_function_class(answer):
    try:
        return isinstance(answer, type) and issubclass(answer, torch.autograd.Function) \
            and answer is not torch.autograd.Function
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


def _gradients(cls, args, grad_output):
    args = _prepared(args)
    wrt = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            output = cls.apply(*args)
            grads = torch.autograd.grad(output, wrt, grad_output.to(torch.float64), allow_unused=True)
            result = describe(tuple(grads))
        except KeyboardInterrupt:
            raise
        except BaseException as error:  # the student's backward must not end the check
            result = {"kind": "exception", "type": _type_name(error), "message": _text_of(error)}
    if caught:
        result["warnings"] = [_text_of(w.message) for w in caught[:3]]
    return result


def _gradcheck(cls, args):
    """gradcheck's verdict on ``cls.apply`` at ``args`` (float64): passed, and the first line of its message."""
    args = _prepared(args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            passed = bool(torch.autograd.gradcheck(cls.apply, args, raise_exception=True))
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
