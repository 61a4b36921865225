"""Name the likely mistake: compare an observed answer (``helpers.checking.observe``) with the reference."""
import math
import re

import torch

from helpers.checking.observe import tensor_from
from helpers.messages import say, text

RTOL, ATOL = 1e-4, 1e-5

# Classic autograd errors and the hint that explains each one.
ERROR_HINTS = (
    (r"grad can be implicitly created only for scalar outputs", "hint_nonscalar"),
    (r"backward through the graph a second time", "hint_second_backward"),
    (r"does not require grad and does not have a grad_fn", "hint_no_grad_fn"),
    (r"(?i)only tensors of floating point", "hint_int_grad"),
    (r"Can't call numpy\(\) on Tensor that requires grad", "hint_numpy"),
    (r"in-place operation|modified by an inplace operation", "hint_inplace"),
    (r"name '[^']*' is not defined", "hint_name"),
    (r"'NoneType' object has no attribute|'NoneType' and|and 'NoneType'|NoneType' object is not", "hint_none"),
)
INTEGER_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def diagnose(result, expected, lang, *, plain=False, mistakes=(), leaf=False, figures=True, integer=False):
    """None when ``result`` (a description) matches ``expected``; otherwise the message naming the mistake.

    A listed wrong value (``mistakes``) is named before anything else is said about the answer (that it is still
    attached to the graph, say): it is the more specific cause. ``leaf`` asks for a leaf tensor that requires
    grad; ``integer`` accepts an integer tensor (an integer quantity); ``figures=False`` leaves out the size of
    the error, which would otherwise differ from run to run when the inputs are random.
    """
    kind = result.get("kind")
    if kind == "exception":
        message = str(result.get("message", ""))
        hints = [say(key, lang) for pattern, key in ERROR_HINTS if re.search(pattern, message)]
        return " ".join([say("raised", lang, error=f"{result.get('type')}: {_shorten(message)}")] + hints[:1])
    if kind == "none":
        return say("nonleaf_grad" if read_nonleaf_grad(result) else "returned_none", lang)
    if isinstance(expected, (tuple, list)):
        return _diagnose_sequence(result, expected, lang, plain, mistakes, figures)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    got = _values(result)
    named = _named(got, expected, mistakes, lang) if got is not None else None
    if named:
        return named
    if kind == "number" and expected.numel() == 1 and not leaf:
        if not math.isfinite(float(result["value"])):  # "nan" and "inf" arrive as strings
            return say("nan", lang)
        return _compare(got, expected.reshape(()), lang, figures)
    if kind != "tensor":
        return say("not_tensor" if expected.dim() or leaf else "not_number", lang, got=kind_name(result))
    if not (result["dtype"].startswith("float") or result["dtype"] in ("bfloat16", "half")
            or (integer and result["dtype"] in INTEGER_DTYPES)):
        return say("int_dtype", lang, got=result["dtype"])
    if result["values"] is None:
        return say("too_big", lang, numel=result["numel"], expected=tuple(expected.shape))
    if plain and result["grad_fn"]:
        return say("still_attached", lang, grad_fn=result["grad_fn"])
    if plain and result["requires_grad"]:
        return say("still_requires_grad", lang)
    if leaf and not result["requires_grad"]:
        return say("needs_grad", lang)
    if leaf and not result["is_leaf"]:
        return say("not_leaf", lang, grad_fn=result["grad_fn"])
    got = tensor_from(result)
    if not torch.isfinite(got).all() and torch.isfinite(expected).all():
        return say("nan", lang)
    return _compare(got, expected, lang, figures)


def _values(description):
    """A number's or tensor's values as a float64 tensor, or None when the description holds none."""
    try:
        if description.get("kind") == "number":
            return torch.tensor(float(description["value"]), dtype=torch.float64)
        if description.get("kind") == "tensor" and description.get("values") is not None:
            return tensor_from(description)
    except (TypeError, ValueError, KeyError, RuntimeError, OverflowError):
        return None
    return None


def _named(got, expected, mistakes, lang):
    """The message of the listed wrong value ``got`` equals, if any (none when ``got`` is the right value, as a
    mistake may give on some inputs)."""
    if got.shape == expected.shape and torch.allclose(got, expected, rtol=RTOL, atol=ATOL, equal_nan=True):
        return None
    for wrong_value, message in mistakes:
        wrong_value = torch.as_tensor(wrong_value, dtype=torch.float64)
        if wrong_value.shape == got.shape and torch.allclose(got, wrong_value, rtol=RTOL, atol=ATOL):
            return text(message, lang)
    return None


NON_LEAF_WARNING = "not a leaf Tensor is being accessed"


def read_nonleaf_grad(result):
    """True when the student's call warned that it read the .grad of a non-leaf tensor."""
    return any(NON_LEAF_WARNING in str(warning) for warning in result.get("warnings", []))


def _shorten(message, limit=300):
    """The error message, cut at a sentence end (not mid-word) when it is long."""
    if len(message) <= limit:
        return message
    cut = max(message.rfind(mark, 0, limit) for mark in (". ", "。", "\n"))
    return message[:cut + 1 if cut > limit // 3 else limit] + " …"


def _diagnose_sequence(result, expected, lang, plain, mistakes, figures):
    items = result.get("items", []) if result.get("kind") == "sequence" else []
    if result.get("kind") != "sequence" or result["length"] != len(expected):
        return say("shape", lang, expected=say("n_results", lang, n=len(expected)), got=kind_name(result))
    problems = [diagnose(item, want, lang, plain=plain, figures=figures) for item, want in zip(items, expected)]
    if not any(problems):
        return None
    for wrong_values, message in mistakes:
        if len(wrong_values) == len(items) and all(_matches(item, want) for item, want in zip(items, wrong_values)):
            return text(message, lang)
    index, problem = next((i, p) for i, p in enumerate(problems, 1) if p)
    return say("nth_result", lang, index=index) + problem


def _matches(description, value):
    """True when a number or tensor description holds ``value`` (same shape, same values)."""
    got = _values(description)
    if got is None:
        return False
    value = torch.as_tensor(value, dtype=torch.float64)
    return got.shape == value.shape and bool(torch.allclose(got, value, rtol=RTOL, atol=ATOL))


def _compare(got, expected, lang, figures=True):
    if got.shape == expected.shape and torch.allclose(got, expected, rtol=RTOL, atol=ATOL):
        return None
    if got.shape != expected.shape:
        return say("shape", lang, expected=tuple(expected.shape), got=tuple(got.shape))
    if expected.abs().max() > ATOL:
        for factor in (2, 3, 4, 5):
            if torch.allclose(got, factor * expected, rtol=RTOL, atol=ATOL):
                return say("accumulated", lang, factor=factor)
        if torch.allclose(got, -expected, rtol=RTOL, atol=ATOL):
            return say("negated", lang)
    if not figures:
        return say("wrong_results", lang)
    # How many values are off, never by how much: "largest error 48" for an answer of 0 would give the answer away.
    wrong = int((~torch.isclose(got, expected, rtol=RTOL, atol=ATOL)).sum())
    return say("wrong_values", lang, wrong=wrong, total=got.numel())


def kind_name(description):
    """A short, student-facing name for what a description describes."""
    if not description:
        return "?"
    kind = description.get("kind")
    if kind == "tensor":
        return f"tensor{tuple(description['shape'])}"
    if kind in ("number", "sequence", "object", "function", "unreadable"):
        return description.get("type", kind)
    return kind


def clone(args):
    """Fresh copies of tensor arguments, so one call cannot leak state (such as .grad) into the next."""
    return tuple(a.detach().clone().requires_grad_(a.requires_grad) if isinstance(a, torch.Tensor) else a
                 for a in args)
