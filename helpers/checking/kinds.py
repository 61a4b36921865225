"""The exercise kinds: a function, a value, a multiple choice.

Each exercise is split in two so that student code never judges itself:

* ``observe(answer, seed)`` runs where the student's code lives (their kernel, or a sandboxed child of the
  grader) and turns the answer into plain data (``helpers.checking.observe.describe``);
* ``judge(observation, seed, lang)`` runs on trusted ground (the same kernel for ``check``, the grading
  process for ``autograd-course grade``), recomputes the reference on the same seeded inputs and names the
  likely mistake.
"""
import re

import torch

from helpers.checking.diagnose import clone, diagnose, kind_name, read_nonleaf_grad
from helpers.checking.mistakes import mistake_key
from helpers.checking.observe import PROBES, is_placeholder_source
from helpers.checking.verdict import Verdict
from helpers.messages import language, say, text


class Exercise:
    """One graded question. ``name`` is the variable or function the student defines.

    ``probe`` names what runs where the student's code lives (``helpers.checking.observe.PROBES``): the
    notebook's ``check`` and the grader's sandboxed child both run it, on ``inputs(seed)``. A new kind picks
    a probe (or adds one there) and writes its ``judge``; nothing else needs to know about it.
    ``source_from_cell`` asks the grader to give the judge the answer's source as written in the answer cell.
    """
    probe = "describe"
    source_from_cell = False

    def __init__(self, id, name, *, success, points=1):
        self.id, self.name, self.success, self.points = id, name, success, points

    def verdict(self, status, detail, lang, mistake=None):
        """A verdict; a failure also carries a stable key of its mistake (``helpers.checking.mistakes``),
        derived from ``detail`` unless given."""
        if status == "fail":
            mistake = f"{self.id}/{mistake or mistake_key(self, detail, lang)}"
        return Verdict(self.id, status, detail, language(lang), mistake if status == "fail" else None)

    def inputs(self, seed):
        """The arguments the probe calls the answer with (None: the answer is only described)."""
        return None

    def observe(self, answer, seed):
        return PROBES[self.probe](answer, self.inputs(seed))

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

    probe = "call"
    source_from_cell = True

    def inputs(self, seed):
        return self.cases(torch.Generator().manual_seed(seed))

    def judge(self, observation, seed, lang=None):
        if observation.get("todo") or self.unfilled(observation):
            return self.verdict("todo", say("todo_detail", lang), lang)
        if "results" not in observation:
            return self.verdict("fail", say("not_callable", lang, got=kind_name(observation.get("answer"))), lang)
        calls = observation.get("calls") if isinstance(observation.get("calls"), list) else []
        called = " ".join(str(name) for name in calls)
        for pattern, message in self.forbidden:  # written in the source, or observed being called
            if re.search(pattern, observation.get("source", "")) or re.search(pattern, called) or (
                    "<unobserved>" in calls):
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

    def unfilled(self, observation):
        """A released placeholder (``...``), read from the source when known, else from the bytecode's guess."""
        source = observation.get("source")
        if isinstance(source, str) and source:
            return is_placeholder_source(source, self.name)
        return observation.get("placeholder") is True

    def named_mistake(self, result, lang):
        """The exercise's own explanation of a None result or of a known error, when it has one."""
        kind = result.get("kind")
        if kind == "none" and self.none_mistake and not read_nonleaf_grad(result):
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
            return self.verdict("fail", say("bad_choice", lang, options="/".join(self.options)), lang, "bad_choice")
        if letter == self.correct:
            return self.verdict("pass", text(self.explanations[letter], lang), lang)
        return self.verdict("fail", say("wrong_choice", lang, got=letter) + text(self.explanations[letter], lang), lang,
                            f"option-{letter}")
