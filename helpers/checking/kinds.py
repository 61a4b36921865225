"""The exercise kinds: a function, a value, a multiple choice.

Each exercise is split in two so that student code never judges itself:

* ``observe(answer, seed)`` runs where the student's code lives (their kernel, or a sandboxed child of the
  grader) and turns the answer into plain data (``helpers.checking.observe.describe``);
* ``judge(observation, seed, lang)`` runs on trusted ground (the same kernel for ``check``, the grading
  process for ``autograd-course grade``), recomputes the reference on the same seeded inputs and names the
  likely mistake.
"""
import re
import unicodedata

import torch

from helpers.checking import rules as method_rules
from helpers.checking import scan
from helpers.checking.diagnose import clone, diagnose, kind_name, read_nonleaf_grad
from helpers.checking.mistakes import mistake_key
from helpers.checking.observe import PROBES, is_placeholder_source
from helpers.checking.verdict import Verdict
from helpers.messages import language, say, text


class Exercise:
    """One graded question. ``name`` is the variable or function the student defines.

    ``probe`` names what runs where the student's code lives (``helpers.checking.observe.PROBES``): the
    notebook's ``check`` and the grader's sandboxed child both run it, on ``inputs(seed)``, watching what
    ``watch`` asks (``helpers.checking.rules.watch``). A new kind picks a probe (or adds one there) and writes
    its ``judge``; nothing else needs to know about it. ``source_from_cell`` asks the grader to give the judge
    the answer's source as written in the answer cell. ``recorded_functions`` name the attributes a handout
    records as results on its public inputs (``helpers.checking.recorded``).
    """
    probe = "describe"
    source_from_cell = False
    recorded_functions = ("reference",)
    rules = ()

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

    @property
    def watch(self):
        return method_rules.watch(self.rules)

    def observe(self, answer, seed):
        return PROBES[self.probe](answer, self.inputs(seed), watch=self.watch)

    def judge(self, observation, seed, lang=None):
        raise NotImplementedError

    def broken_rule(self, observation, stage, lang):
        """The verdict for the first of ``rules`` (``helpers.checking.rules``) of ``stage`` the answer breaks."""
        found = method_rules.broken(self.rules, observation, self, stage=stage)
        if found:
            rule, evidence = found
            return self.verdict("fail", method_rules.message(rule, evidence, lang), lang, f"rule-{rule['key']}")
        return None


def confirmed(confirm, source, found):
    """True when the answer's source confirms an error's specific cause: it matches every regular expression of
    ``confirm["source"]`` (one or a list) and not ``confirm["not_source"]`` (no condition: always). ``<name>``
    in them stands for what the error's pattern captured (``found``, a match), such as an undefined name."""
    if not confirm:
        return True
    source = source if isinstance(source, str) else ""
    captured = re.escape(found.group(1)) if found.re.groups else ""
    wanted = confirm.get("source") or []
    wanted = [wanted] if isinstance(wanted, str) else wanted
    unwanted = [confirm["not_source"]] if confirm.get("not_source") else []
    search = lambda pattern: re.search(pattern.replace("<name>", captured), source, re.MULTILINE)  # noqa: E731
    return all(search(pattern) for pattern in wanted) and not any(search(pattern) for pattern in unwanted)


class FunctionExercise(Exercise):
    """The student writes a function; it is called on fixed edge cases and seeded random inputs.

    ``cases(generator)`` returns a list of argument tuples; ``reference`` is the right function; ``mistakes``
    maps wrong functions (the typical errors) to the message that names them; ``none_mistake`` explains a
    result of None (such as returning the ``.grad`` of a detached tensor) and ``error_mistakes`` pairs a regular
    expression on a raised error's message with the exercise's own explanation, and optionally with what the
    answer's source must show for that explanation to be the cause (``{"source": regex, "not_source":
    regex}``), for an error text that several causes share; ``rules`` are the rules the exercise's text states
    about how the answer is made (``helpers.checking.rules``); ``plain`` asks for results detached from the graph.
    """

    def __init__(self, id, name, *, cases, reference, success, mistakes=(), none_mistake=None, error_mistakes=(),
                 rules=(), plain=False, points=1):
        super().__init__(id, name, success=success, points=points)
        self.cases, self.reference, self.mistakes, self.plain = cases, reference, mistakes, plain
        self.none_mistake, self.error_mistakes, self.rules = none_mistake, error_mistakes, rules

    probe = "call"
    source_from_cell = True

    def inputs(self, seed):
        return self.cases(torch.Generator().manual_seed(seed))

    def judge(self, observation, seed, lang=None):
        if observation.get("todo") or self.unfilled(observation):
            return self.verdict("todo", say("todo_detail", lang), lang)
        if "results" not in observation:
            return self.verdict("fail", say("not_callable", lang, got=kind_name(observation.get("answer"))), lang)
        broken = self.broken_rule(observation, "before", lang)
        if broken:
            return broken
        cases = self.inputs(seed)
        if len(observation["results"]) != len(cases):
            return self.verdict("fail", say("unreadable", lang, got="results"), lang)
        for args, result in zip(cases, observation["results"]):
            named = self.named_mistake(result, observation, lang)
            if named:
                return self.verdict("fail", named[0], lang, named[1])
            problem = diagnose(result, self.reference(*clone(args)), lang, plain=self.plain, figures=False,
                               mistakes=[(wrong(*clone(args)), message) for wrong, message in self.mistakes])
            if problem:
                return self.verdict("fail", problem, lang)
        return self.after_values(observation, lang) or self.verdict("pass", text(self.success, lang), lang)

    def after_values(self, observation, lang):
        """The verdict for what is wrong although every value is right (a rule broken), else None."""
        return self.broken_rule(observation, "after", lang)

    def unfilled(self, observation):
        """A released placeholder (``...``), read from the source when known, else from the bytecode's guess."""
        source = observation.get("source")
        if isinstance(source, str) and source:
            return is_placeholder_source(source, self.name)
        return observation.get("placeholder") is True

    def named_mistake(self, result, observation, lang):
        """(sentence, key) for a None result or a raised error that the answer's source or the exercise explains."""
        kind = result.get("kind")
        if kind == "none":
            return self.none_explained(result, observation, lang)
        if kind == "exception":
            message, source = str(result.get("message", "")), observation.get("scan")
            for entry in self.error_mistakes:
                found = re.search(entry[0], message)
                if found and confirmed(entry[2] if len(entry) > 2 else None, source, found):
                    position = next(i for i, e in enumerate(self.error_mistakes, 1) if e[1] == entry[1])
                    return text(entry[1], lang), f"error-{position}"  # one key per message, as mistakes.py keys it
        return None

    def none_explained(self, result, observation, lang, always=False):
        """A missing ``return`` when the source shows one, else the exercise's own explanation of None (after
        "did you return?"), unless the answer read a non-leaf's .grad and the core says so (``always`` not)."""
        if self.returns_value(observation) is False:
            return say("no_return", lang, name=self.name), "no_return"
        if self.none_mistake and (always or not read_nonleaf_grad(result)):
            return say("none_because", lang, reason=text(self.none_mistake, lang)), "none"
        return None

    def returns_value(self, observation):
        """Whether the answer's function has a ``return`` with a value (None: its source is not known)."""
        return scan.returns_value(observation.get("scan"), self.name)


class ValueExercise(Exercise):
    """The student assigns a number or tensor to ``name``; ``mistakes`` maps wrong values to messages.

    ``leaf`` asks for a leaf tensor that requires grad (such as ``torch.arange(4.0, requires_grad=True)``);
    ``integer`` accepts an integer tensor for an integer quantity (a count of bytes).
    """

    def __init__(self, id, name, *, expected, success, mistakes=(), plain=True, leaf=False, integer=False, points=1):
        super().__init__(id, name, success=success, points=points)
        self.expected, self.mistakes, self.plain, self.leaf = expected, mistakes, plain and not leaf, leaf
        self.integer = integer

    def judge(self, observation, seed, lang=None):
        answer = observation.get("answer", {})
        if answer.get("kind") == "ellipsis":
            return self.verdict("todo", say("todo_detail", lang), lang)
        problem = diagnose(answer, self.expected, lang, plain=self.plain, mistakes=self.mistakes, leaf=self.leaf,
                           integer=self.integer)
        if problem:
            return self.verdict("fail", problem, lang)
        return self.verdict("pass", text(self.success, lang), lang)


class ChoiceExercise(Exercise):
    """Multiple choice: ``explanations`` gives every option (right or wrong) its own explanation. A letter is
    read as typed, full-width (Ｃ) or in brackets and with a full stop: "（C）", "c.", " C。"."""

    def __init__(self, id, name, *, options, correct, explanations, points=1):
        super().__init__(id, name, success=explanations[correct], points=points)
        self.options, self.correct, self.explanations = options, correct, explanations

    def judge(self, observation, seed, lang=None):
        answer = observation.get("answer", {})
        if answer.get("kind") == "ellipsis":
            return self.verdict("todo", say("todo_detail", lang), lang)
        letter = self.letter(answer.get("value")) if answer.get("kind") == "str" else None
        if letter not in self.options:
            return self.verdict("fail", say("bad_choice", lang, options="/".join(self.options)), lang, "bad_choice")
        if letter == self.correct:
            return self.verdict("pass", text(self.explanations[letter], lang), lang)
        return self.verdict("fail", say("wrong_choice", lang, got=letter) + text(self.explanations[letter], lang), lang,
                            f"option-{letter}")

    @staticmethod
    def letter(value):
        if not isinstance(value, str):
            return None
        return unicodedata.normalize("NFKC", value).strip().upper().strip("()（）.。 ")
