"""The rules an exercise states are the rules its checker enforces, and the other way round.

Each question in solutions/ lists its rules under **规则**, one bullet each, word for word the ``says`` of a rule
the exercise declares (``helpers.checking.rules``); a prohibition written anywhere else in a question is a rule
that no checker enforces. The English questions (en/solutions/) list the English ``says`` under **Rules**. Every rule has an answer in tests/student_answers.py that breaks it alone.
"""
import re

import pytest

from exercise_support import IDS, SOLUTIONS_EN, question
from helpers.exercises import EXERCISES
from helpers.messages import text
from student_answers import ANSWERS

RULES_HEADING = {"zh": "**规则**", "en": "**Rules** (the checker enforces them; breaking any one makes the answer wrong):"}
ENGLISH_IDS = [i for i in IDS if any(path.name[2:4] == i[2:4] for path in SOLUTIONS_EN)]
PROHIBITIONS = re.compile(r"不许|不要用|不能用|禁止|只能用|必须用|必须来自|必须由")


def stated_rules(markdown, lang="zh"):
    """The bullets under the rules line (**规则**, **Rules**) of a question, and the question without them."""
    lines, rules, rest, inside = markdown.splitlines(), [], [], False
    for line in lines:
        if line.startswith(RULES_HEADING[lang]):
            inside = True
            continue
        if inside and line.startswith("- "):
            rules.append(line[2:].strip())
        elif inside and line.strip():
            inside = False
            rest.append(line)
        elif not inside:
            rest.append(line)
    return rules, "\n".join(rest)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_question_states_exactly_the_rules_the_checker_enforces(exercise_id):
    stated, rest = stated_rules(question(exercise_id))
    declared = [text(rule["says"], "zh") for rule in getattr(EXERCISES[exercise_id], "rules", ()) or ()]
    assert stated == declared, f"{exercise_id}: the question's 规则 and the exercise's rules differ"
    assert len({rule["key"] for rule in getattr(EXERCISES[exercise_id], "rules", ()) or ()}) == len(declared)
    if getattr(EXERCISES[exercise_id], "probe", "describe") != "describe":  # an option may quote a prohibition
        assert not PROHIBITIONS.search(rest), f"{exercise_id}: a rule stated outside 规则 that nothing enforces"


@pytest.mark.parametrize("exercise_id", ENGLISH_IDS)
def test_the_english_question_states_the_english_rules_word_for_word(exercise_id):
    stated, rest = stated_rules(question(exercise_id, "en"), "en")
    declared = [text(rule["says"], "en") for rule in getattr(EXERCISES[exercise_id], "rules", ()) or ()]
    assert stated == declared, f"{exercise_id}: the English question's Rules and the exercise's rules differ"
    assert "**Rules**" not in rest, f"{exercise_id}: a Rules line not written exactly {RULES_HEADING['en']!r}"


def test_the_check_finds_a_rule_stated_but_not_enforced_and_the_other_way_round():
    stated, _ = stated_rules("题目。\n\n**规则**（…）：\n\n- 不许用 cos。\n\n练习编号：`x`")
    assert stated == ["不许用 cos。"]
    assert PROHIBITIONS.search(stated_rules("不许用 `torch.optim`。")[1])


@pytest.mark.parametrize("exercise_id", [i for i in IDS if getattr(EXERCISES[i], "rules", ())])
def test_every_rule_has_an_answer_that_breaks_it_alone(exercise_id):
    keys = {f"rule-{rule['key']}" for rule in EXERCISES[exercise_id].rules}
    broken = {answer.expect for answer in ANSWERS.get(exercise_id, ()) if answer.kind == "rule"}
    assert keys <= broken, f"{exercise_id}: no answer breaks {sorted(keys - broken)} alone"
