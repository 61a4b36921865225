"""The rules an exercise states about how its answer is made, declared as plain data beside the exercise.

A rule is a dict, so a handout records it as it is (``helpers.checking.recorded``). ``says`` is the sentence
the exercise's text states (``{"zh": ..., "en": ...}``): the question in ``solutions/`` lists it word for word
under **规则** (a test holds the two together), and a verdict that finds the rule broken quotes it.

* ``forbid(names=, modules=)``: a function or module the answer must not use, however it is reached: named in
  the answer cell or a function it reaches, looked up by a computed name, or seen being called;
* ``uses_autograd()``: the result must come from autograd (``backward``, ``torch.autograd.grad``, ``torch.func``);
* ``dtype(name)``: every tensor the function returns has this dtype;
* ``returns_argument(position)``: the function returns the very object it was given at ``position`` (updated
  in place), not a new one;
* ``ctx_reads(allowed, saved=)``: a Function's ``backward`` reads only these ``ctx`` attributes, ``forward``
  stores nothing else on ``ctx``, and what it saves is ``saved`` ("output": the forward's result).

``forbid`` is checked before the values (a forbidden call is wrong whatever it returns); the others after them,
so a wrong value is named first and a rule answers "right value, wrong method".
"""
from helpers.messages import language, say, text

AUTOGRAD_CALLS = frozenset({"backward", "grad", "_make_dual", "vjp", "jvp"})  # as the call record names them
MAX_EVIDENCE = 3


def forbid(*, says, names=(), modules=(), key="forbid"):
    return {"rule": "forbid", "key": key, "names": list(names), "modules": list(modules), "says": says}


def uses_autograd(*, says, key="autograd"):
    return {"rule": "autograd", "key": key, "says": says}


def dtype(name, *, says, key="dtype"):
    return {"rule": "dtype", "key": key, "dtype": name, "says": says}


def returns_argument(position, *, says, key="same_object"):
    return {"rule": "returns_argument", "key": key, "position": position, "says": says}


def ctx_reads(allowed, *, says, saved=None, key="ctx"):
    return {"rule": "ctx", "key": key, "allowed": list(allowed), "saved": None if saved is None else list(saved),
            "says": says}


def watch(rules):
    """What the probe must watch while the answer runs (the modules a rule forbids), or None."""
    modules = sorted({m for rule in rules or () if rule.get("rule") == "forbid" for m in rule.get("modules", ())})
    return {"modules": modules} if modules else None


def broken(rules, observation, exercise, *, stage):
    """(rule, [evidence as (message key, fields)]) for the first rule of ``stage`` ("before" or "after" the
    values are compared) that the observation breaks, else None."""
    for rule in rules or ():
        kind = rule.get("rule")
        if (kind == "forbid") != (stage == "before"):
            continue
        evidence = CHECKS[kind](rule, observation, exercise)
        if evidence:
            return rule, evidence
    return None


def message(rule, evidence, lang):
    """The verdict's sentence: the rule as the exercise states it, then what broke it."""
    shown = "；".join if language(lang) == "zh" else "; ".join
    return say("rule_broken", lang, rule=text(rule["says"], lang),
               evidence=shown(say(key, lang, **fields) for key, fields in evidence[:MAX_EVIDENCE]))


def _lines(found):
    return [("evidence_line", {"line": line, "code": code}) for line, code in found]


def _check_forbid(rule, observation, exercise):
    from helpers.checking.scan import forbidden_uses

    names, modules = rule.get("names", []), rule.get("modules", [])
    evidence = _lines(forbidden_uses(_text(observation.get("scan")), names, modules))
    calls = _names(observation.get("calls"))
    evidence += [("evidence_called", {"name": name}) for name in names if name in calls]
    evidence += [("evidence_module", {"module": module}) for module in modules
                 if module in _names(observation.get("modules"))]
    return evidence


def _check_autograd(rule, observation, exercise):
    if AUTOGRAD_CALLS & set(_names(observation.get("calls"))):
        return []
    return [("evidence_no_autograd", {})]


def _check_dtype(rule, observation, exercise):
    for result in _results(observation):
        for tensor in _tensors(result):
            if tensor.get("dtype") != rule["dtype"]:
                return [("evidence_dtype", {"got": str(tensor.get("dtype"))[:40]})]
    return []


def _check_returns_argument(rule, observation, exercise):
    if any(result.get("argument") != rule["position"] for result in _results(observation)):
        return [("evidence_new_object", {})]
    return []


def _check_ctx(rule, observation, exercise):
    from helpers.checking.scan import ctx_reads

    allowed = rule.get("allowed", [])
    evidence = _lines(ctx_reads(_text(observation.get("scan")), exercise.name, allowed))
    for result in _results(observation):
        ctx = result.get("ctx") if isinstance(result.get("ctx"), dict) else {}
        stored = [str(name)[:40] for name in _names(ctx.get("stored")) if name not in allowed]
        if stored:
            evidence.append(("evidence_ctx_stored", {"names": ", ".join(f"ctx.{name}" for name in stored)}))
        if rule.get("saved") is not None and _names(ctx.get("saved")) != rule["saved"]:
            evidence.append(("evidence_saved", {}))
        if len(evidence) > 1:
            break
    return evidence


CHECKS = {"forbid": _check_forbid, "autograd": _check_autograd, "dtype": _check_dtype,
          "returns_argument": _check_returns_argument, "ctx": _check_ctx}


def _text(value):
    return value if isinstance(value, str) else ""


def _names(value):
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _results(observation):
    results = observation.get("results")
    return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []


def _tensors(description):
    if description.get("kind") == "tensor":
        return [description]
    if description.get("kind") == "sequence" and isinstance(description.get("items"), list):
        return [item for item in description["items"] if isinstance(item, dict) and item.get("kind") == "tensor"]
    return []
