"""Exercises and the student's ``check()``.

Each exercise is split in two so that student code never judges itself:

* ``observe(answer, seed)`` runs where the student's code lives (their kernel, or a sandboxed child of the
  grader) and turns the answer into plain data (``helpers.observe.describe``);
* ``judge(observation, seed, lang)`` runs on trusted ground (the same kernel for ``check``, the grading
  process for ``autograd-course grade``), recomputes the reference on the same seeded inputs and names the
  likely mistake.
"""
import math
import re
import secrets

import torch

from helpers.messages import language, say
from helpers.observe import describe, observe_function, tensor_from
from helpers.verdict import Verdict

RTOL, ATOL = 1e-4, 1e-5

# Classic autograd errors and the hint that explains each one.
ERROR_HINTS = (
    (r"grad can be implicitly created only for scalar outputs", "hint_nonscalar"),
    (r"backward through the graph a second time", "hint_second_backward"),
    (r"does not require grad and does not have a grad_fn", "hint_no_grad_fn"),
    (r"(?i)only tensors of floating point", "hint_int_grad"),
    (r"Can't call numpy\(\) on Tensor that requires grad", "hint_numpy"),
    (r"in-place operation|modified by an inplace operation", "hint_inplace"),
)


def text(message, lang):
    """An exercise's own message: a plain string or a {"zh": ..., "en": ...} dict."""
    return message if isinstance(message, str) else message[language(lang)]


class Exercise:
    """One graded question. ``name`` is the variable or function the student defines."""

    def __init__(self, id, name, *, success, points=1):
        self.id, self.name, self.success, self.points = id, name, success, points

    def verdict(self, status, detail, lang):
        return Verdict(self.id, status, detail, language(lang))

    def observe(self, answer, seed):
        return {"answer": describe(answer)}

    def judge(self, observation, seed, lang=None):
        raise NotImplementedError


class FunctionExercise(Exercise):
    """The student writes a function; it is called on fixed edge cases and seeded random inputs.

    ``cases(generator)`` returns a list of argument tuples; ``reference`` is the right function; ``mistakes``
    maps wrong functions (the typical errors) to the message that names them; ``none_mistake`` explains a
    result of None (such as returning the ``.grad`` of a detached tensor) and ``error_mistakes`` pairs a regular
    expression on a raised error's message with the exercise's own explanation; ``forbidden`` pairs a regular
    expression with the message shown when the function's source uses it (e.g. ``cos`` where the exercise
    asks for autograd's derivative of ``sin``); ``plain`` asks for results detached from the graph.
    """

    def __init__(self, id, name, *, cases, reference, success, mistakes=(), none_mistake=None, error_mistakes=(),
                 forbidden=(), plain=False, points=1):
        super().__init__(id, name, success=success, points=points)
        self.cases, self.reference, self.mistakes, self.plain = cases, reference, mistakes, plain
        self.none_mistake, self.error_mistakes, self.forbidden = none_mistake, error_mistakes, forbidden

    def inputs(self, seed):
        return self.cases(torch.Generator().manual_seed(seed))

    def observe(self, answer, seed):
        return observe_function(answer, self.inputs(seed))

    def judge(self, observation, seed, lang=None):
        if observation.get("todo"):
            return self.verdict("todo", say("todo_detail", lang), lang)
        if "results" not in observation:
            return self.verdict("fail", say("not_callable", lang, got=kind_name(observation.get("answer"))), lang)
        for pattern, message in self.forbidden:
            if re.search(pattern, observation.get("source", "")):
                return self.verdict("fail", text(message, lang), lang)
        cases = self.inputs(seed)
        if len(observation["results"]) != len(cases):
            return self.verdict("fail", say("unreadable", lang, got="results"), lang)
        for args, result in zip(cases, observation["results"]):
            problem = self.named_mistake(result, lang) or diagnose(result, self.reference(*clone(args)), lang, plain=self.plain, figures=False,
                               mistakes=[(wrong(*clone(args)), message) for wrong, message in self.mistakes])
            if problem:
                return self.verdict("fail", problem, lang)
        return self.verdict("pass", text(self.success, lang), lang)

    def named_mistake(self, result, lang):
        """The exercise's own explanation of a None result or of a known error, when it has one."""
        kind = result.get("kind")
        if kind == "none" and self.none_mistake and not _read_nonleaf_grad(result):
            return text(self.none_mistake, lang)
        if kind == "exception":
            for pattern, message in self.error_mistakes:
                if re.search(pattern, str(result.get("message", ""))):
                    return text(message, lang)
        return None


class ValueExercise(Exercise):
    """The student assigns a number or tensor to ``name``; ``mistakes`` maps wrong values to messages.

    ``leaf`` asks for a leaf tensor that requires grad (such as ``torch.arange(4.0, requires_grad=True)``).
    """

    def __init__(self, id, name, *, expected, success, mistakes=(), plain=True, leaf=False, points=1):
        super().__init__(id, name, success=success, points=points)
        self.expected, self.mistakes, self.plain, self.leaf = expected, mistakes, plain and not leaf, leaf

    def judge(self, observation, seed, lang=None):
        answer = observation.get("answer", {})
        if answer.get("kind") == "ellipsis":
            return self.verdict("todo", say("todo_detail", lang), lang)
        problem = diagnose(answer, self.expected, lang, plain=self.plain, mistakes=self.mistakes, leaf=self.leaf)
        if problem:
            return self.verdict("fail", problem, lang)
        return self.verdict("pass", text(self.success, lang), lang)


class ChoiceExercise(Exercise):
    """Multiple choice: ``explanations`` gives every option (right or wrong) its own explanation."""

    def __init__(self, id, name, *, options, correct, explanations, points=1):
        super().__init__(id, name, success=explanations[correct], points=points)
        self.options, self.correct, self.explanations = options, correct, explanations

    def judge(self, observation, seed, lang=None):
        answer = observation.get("answer", {})
        if answer.get("kind") == "ellipsis":
            return self.verdict("todo", say("todo_detail", lang), lang)
        letter = answer.get("value", "").strip().upper().strip("()（）.。") if answer.get("kind") == "str" else None
        if letter not in self.options:
            return self.verdict("fail", say("bad_choice", lang, options="/".join(self.options)), lang)
        if letter == self.correct:
            return self.verdict("pass", text(self.explanations[letter], lang), lang)
        return self.verdict("fail", say("wrong_choice", lang, got=letter) + text(self.explanations[letter], lang), lang)


def diagnose(result, expected, lang, *, plain=False, mistakes=(), leaf=False, figures=True):
    """None when ``result`` (a description) matches ``expected``; otherwise the message naming the mistake.

    ``leaf`` asks for a leaf tensor that requires grad; ``figures=False`` leaves out the size of the error,
    which would otherwise differ from run to run when the inputs are random.
    """
    kind = result.get("kind")
    if kind == "exception":
        message = str(result.get("message", ""))
        hints = [say(key, lang) for pattern, key in ERROR_HINTS if re.search(pattern, message)]
        return " ".join([say("raised", lang, error=f"{result.get('type')}: {_shorten(message)}")] + hints[:1])
    if kind == "none":
        return say("nonleaf_grad" if _read_nonleaf_grad(result) else "returned_none", lang)
    if isinstance(expected, (tuple, list)):
        return _diagnose_sequence(result, expected, lang, plain, mistakes, figures)
    expected = torch.as_tensor(expected, dtype=torch.float64)
    if kind == "number" and expected.numel() == 1 and not leaf:
        got = float(result["value"])  # "nan" and "inf" arrive as strings
        if not math.isfinite(got):
            return say("nan", lang)
        return _compare(torch.tensor(got, dtype=torch.float64), expected.reshape(()), lang, mistakes, figures)
    if kind != "tensor":
        return say("not_tensor" if expected.dim() or leaf else "not_number", lang, got=kind_name(result))
    if not (result["dtype"].startswith("float") or result["dtype"] in ("bfloat16", "half")):
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
    return _compare(got, expected, lang, mistakes, figures)


NON_LEAF_WARNING = "not a leaf Tensor is being accessed"


def _read_nonleaf_grad(result):
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
    if description.get("kind") == "number":
        got = torch.tensor(float(description["value"]), dtype=torch.float64)
    elif description.get("kind") == "tensor" and description["values"] is not None:
        got = tensor_from(description)
    else:
        return False
    value = torch.as_tensor(value, dtype=torch.float64)
    return got.shape == value.shape and bool(torch.allclose(got, value, rtol=RTOL, atol=ATOL))


def _compare(got, expected, lang, mistakes, figures=True):
    if got.shape == expected.shape and torch.allclose(got, expected, rtol=RTOL, atol=ATOL):
        return None
    for wrong_value, message in mistakes:
        wrong_value = torch.as_tensor(wrong_value, dtype=torch.float64)
        if wrong_value.shape == got.shape and torch.allclose(got, wrong_value, rtol=RTOL, atol=ATOL):
            return text(message, lang)
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
    return say("wrong_values", lang, error=float((got - expected).abs().max()))


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


def check(exercise_id, answer=Ellipsis, *, lang=None):
    """Check a student's answer in the notebook and return a Verdict (shown as a coloured box); never raises."""
    from helpers.exercises import EXERCISES

    exercise = EXERCISES.get(exercise_id) if type(exercise_id) is str else None
    if exercise is None:
        shown = exercise_id[:60] if type(exercise_id) is str else kind_name(describe(exercise_id))
        return Verdict(shown, "fail", say("unknown_exercise", lang, exercise_id=shown,
                                          known=", ".join(sorted(EXERCISES))), language(lang))
    seed = secrets.randbits(31)
    try:
        return exercise.judge(exercise.observe(answer, seed), seed, lang)
    except Exception as error:
        return exercise.verdict("fail", say("internal", lang, error=type(error).__name__), lang)
