"""A stable key for the mistake a failing verdict names, derived from the exercise, never written by hand.

The sentence a student reads changes with edits and translations; the key does not, so the class report
can count mistakes across runs and languages. Keys are local to an exercise (the verdict prefixes the id):

* a listed value mistake of a ``ValueExercise`` by its value: ``value-18``; other listed mistakes by their
  position: ``mistake-2`` (a function mistake), or by an explicit ``"key"`` entry in the message dict;
* the exercise's ``none_mistake``: ``none`` (``no_return`` when the source shows no return); its
  ``error_mistakes`` by position: ``error-1``; a broken rule by its key: ``rule-forbid``; any other message
  dict the exercise holds by its attribute name (``leaf_problems.not_leaf``), or a message constant of the
  exercise's module by its name (``gradcheck_failed``);
* the core's generic diagnoses by their message key: ``returned_none``, ``accumulated``, ``wrong_results``;
  a raised error as ``raised`` or ``raised-<hint>`` (``raised-nonscalar``); the n-th result of a sequence as
  ``result2-<key>``; a multiple choice by the option: ``option-B`` (set by the choice exercise itself).

Anything else is ``other``. The key is found by matching the verdict's sentence against the templates of those
messages in the verdict's language, so exercise kinds written later need no change to get keys.
"""
import re
import string
import sys
import weakref

from helpers.messages import CHECKER_MESSAGES as MESSAGES, language

OTHER = "other"
# Catalogue entries that are not a diagnosis on their own (headlines, fragments, handled separately).
NOT_DIAGNOSES = {"pass", "fail", "todo", "todo_detail", "unknown_exercise", "internal", "n_results", "nth_result",
                 "raised", "wrong_choice", "where_count", "where_cell"}
_own = weakref.WeakKeyDictionary()
_generic = {}


def is_message(value):
    return isinstance(value, dict) and isinstance(value.get("zh"), str) and isinstance(value.get("en"), str)


def error_hint(detail):
    """The ERROR_HINTS key (without ``hint_``) that a raised error's text matches, or None."""
    from helpers.checking.diagnose import ERROR_HINTS

    for pattern, key in ERROR_HINTS:
        if re.search(pattern, detail):
            return key.removeprefix("hint_")
    return None


def _pattern(template):
    """A regular expression matching ``template`` with its ``{fields}`` filled in by anything."""
    try:
        parts = [re.escape(literal) + ("(.*?)" if field is not None else "")
                 for literal, field, _, _ in string.Formatter().parse(template)]
    except ValueError:  # braces that are not fields: the message is used as written
        parts = [re.escape(template)]
    return re.compile("".join(parts), re.DOTALL)


def _templates(messages, lang):
    """[(key, literal text, compiled pattern)], longest literal first (the most specific wins a prefix match)."""
    out = []
    for key, message in messages:
        template = message if isinstance(message, str) else message.get(lang)
        if isinstance(template, str) and template:
            out.append((key, template, _pattern(template)))
    return sorted(out, key=lambda t: -len(t[1]))


def _value_key(wrong, position):
    try:
        import torch

        value = torch.as_tensor(wrong, dtype=torch.float64)
        if value.numel() == 1:
            return f"value-{float(value):g}"
    except (TypeError, ValueError, RuntimeError):
        pass
    return f"mistake-{position}"


def own_messages(exercise):
    """(key, message) for every message the exercise itself can show, in the order keys are preferred."""
    found, seen = [], set()

    def add(key, message):
        if (is_message(message) or isinstance(message, str)) and id(message) not in seen:
            seen.add(id(message))
            found.append((message.get("key", key) if isinstance(message, dict) else key, message))

    for position, entry in enumerate(getattr(exercise, "mistakes", None) or (), 1):
        if isinstance(entry, (tuple, list)) and len(entry) == 2:
            wrong, message = entry
            add(f"mistake-{position}" if callable(wrong) else _value_key(wrong, position), message)
    if getattr(exercise, "none_mistake", None) is not None:
        add("none", exercise.none_mistake)
    for position, entry in enumerate(getattr(exercise, "error_mistakes", None) or (), 1):
        if isinstance(entry, (tuple, list)) and len(entry) in (2, 3):
            add(f"error-{position}", entry[1])
    for name, value in vars(exercise).items():
        if name in ("success", "explanations", "mistakes", "none_mistake", "error_mistakes", "rules"):
            continue
        if is_message(value):
            add(name, value)
        elif isinstance(value, dict):
            for key, item in value.items():
                if is_message(item):
                    add(f"{name}.{key}", item)
        elif isinstance(value, (list, tuple)):
            for position, item in enumerate(value, 1):
                if is_message(item):
                    add(f"{name}-{position}", item)
    module = sys.modules.get(type(exercise).__module__)
    if module is not None and not module.__name__.startswith("helpers.checking"):
        for name, value in vars(module).items():
            if is_message(value) and not name.startswith("_"):
                add(name.lower(), value)
    return found


def _own_templates(exercise, lang):
    try:
        cache = _own.setdefault(exercise, {})
    except TypeError:  # not weakly referenceable: no cache
        cache = {}
    if lang not in cache:
        cache[lang] = _templates(own_messages(exercise), lang)
    return cache[lang]


def _generic_templates(lang):
    if lang not in _generic:
        _generic[lang] = _templates([(k, m) for k, m in MESSAGES.items()
                                     if k not in NOT_DIAGNOSES and not k.startswith(("hint_", "evidence_"))],
                                    lang)
    return _generic[lang]


def mistake_key(exercise, detail, lang=None):
    """The local key of the mistake ``detail`` names (see the module's docstring); ``other`` when unknown."""
    lang = language(lang)
    detail = detail if isinstance(detail, str) else str(detail)
    nth = _pattern(MESSAGES["nth_result"][lang]).match(detail)
    if nth:
        return f"result{nth.group(1)}-{mistake_key(exercise, detail[nth.end():], lang)}"
    owned = _own_templates(exercise, lang) if exercise is not None else []
    generic = _generic_templates(lang)
    for templates in (owned, generic):
        for key, literal, pattern in templates:
            if detail == literal or pattern.fullmatch(detail):
                return key
    if _pattern(MESSAGES["raised"][lang]).match(detail):
        hint = error_hint(detail)
        return f"raised-{hint}" if hint else "raised"
    for templates in (owned, generic):
        for key, literal, pattern in templates:
            if len(literal) >= 8 and pattern.match(detail):
                return key
    return OTHER
