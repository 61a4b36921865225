"""What every registered exercise must do, whatever its chapter.

Unfilled answers are "todo", hostile ones fail without raising, verdicts read the same for every seed (nbval
compares the check cells' output), right answers pass and every listed mistake, value or option gets its own
message; every solution notebook follows the exercise format. Every exercise is tested from its own definition
and its solution cell, so a new one needs no table here: the right answer is the solution's, and each listed
mistake of a function exercise is itself a wrong answer. The chapters' tables (FUNCTIONS, CORE_NAMED, HINTED,
OTHER_WRONGS, EXTRA in test_checks_chNN_MM.py) add answers a student might write.
"""
import re

import nbformat
import pytest
import torch

import test_checks_ch01_03
import test_checks_ch04_06
import test_checks_ch07_08
import test_checks_ch11_12
import test_checks_ch09_10
from exercise_support import (HOSTILE, IDS, ROOT, SOLUTIONS, SOLUTIONS_EN, calls_like_the_reference, ids_of, none_message, placeholder,
                              question, solution_answers, verdict)
from helpers import check
from helpers.authoring.editions import FINGERPRINT
from helpers.authoring.new_exercise import EXERCISES_PER_CHAPTER, LIMIT_REASON, TODO
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.exercises import EXERCISES
from helpers.messages import say, text

TABLES = (test_checks_ch01_03, test_checks_ch04_06, test_checks_ch07_08, test_checks_ch09_10, test_checks_ch11_12)
FUNCTIONS = {exercise_id: answers for table in TABLES for exercise_id, answers in table.FUNCTIONS.items()}
OTHER_WRONGS = [wrong for table in TABLES for wrong in table.OTHER_WRONGS]
CORE_NAMED = [named for table in TABLES for named in getattr(table, "CORE_NAMED", [])]
HINTED = [hinted for table in TABLES for hinted in getattr(table, "HINTED", [])]
EXTRA = [extra for table in TABLES for extra in getattr(table, "EXTRA", [])]
CHAPTERS = sorted({exercise_id[:4] for exercise_id in IDS})


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_chapter_has_as_many_exercises_as_a_sitting_holds(chapter):
    low, high = EXERCISES_PER_CHAPTER
    count = len(ids_of(chapters=(chapter,)))
    assert low <= count <= high, f"{chapter} has {count} exercises: " + LIMIT_REASON.format(low=low, high=high)


def test_no_scaffold_is_left_unfinished():
    unfinished = [path.relative_to(path.parents[1]) for folder in ("content", "solutions")
                  for path in sorted((SOLUTIONS[0].parents[1] / folder).glob("*.*")) if TODO in path.read_text("utf-8")]
    assert not unfinished, f"fill in every {TODO} that new-exercise left in {unfinished}"


def test_every_exercise_has_a_solution_that_defines_its_name():
    assert sorted(solution_answers()) == IDS


def test_the_chapters_tables_match_their_exercises():
    for exercise_id, (rights, wrongs, none_wrong) in FUNCTIONS.items():
        exercise = EXERCISES[exercise_id]
        assert isinstance(exercise, FunctionExercise) and rights, exercise_id
        assert len(wrongs) == len(exercise.mistakes), exercise_id
        assert (none_wrong is None) == (exercise.none_mistake is None), exercise_id


def right_functions(exercise_id):
    return [solution_answers()[exercise_id], *FUNCTIONS.get(exercise_id, ([], [], None))[0]]


def wrong_functions(exercise_id):
    """One wrong answer per listed mistake (the chapter's table, else the mistakes themselves), then the one
    behind the none_mistake when the table has it."""
    exercise = EXERCISES[exercise_id]
    if exercise_id in FUNCTIONS:
        _, wrongs, none_wrong = FUNCTIONS[exercise_id]
        return list(zip(wrongs, [m for _, m in exercise.mistakes])) + ([(none_wrong, none_message(exercise))]
                                                                        if none_wrong else [])
    return list(exercise.mistakes) if calls_like_the_reference(exercise_id) else []


@pytest.mark.parametrize("exercise_id", ids_of(FunctionExercise))
def test_the_right_functions_pass(exercise_id):
    for right in right_functions(exercise_id):
        for seed in (0, 1, 2, 3):
            result = verdict(exercise_id, right, seed)
            assert result.status == "pass", (right.__name__, seed, result)
        for lang in ("zh", "en"):
            result = check(exercise_id, right, lang=lang)
            assert result.passed and str(result).startswith("✅"), (right.__name__, str(result))


@pytest.mark.parametrize("exercise_id", ids_of(FunctionExercise))
def test_each_listed_mistake_gets_its_own_message(exercise_id):
    cases = wrong_functions(exercise_id)
    assert cases or exercise_id in FUNCTIONS, f"{exercise_id}: add its wrong answers to its chapter's FUNCTIONS table"
    seen = set()
    for wrong, message in cases:
        for lang in ("zh", "en"):
            details = {verdict(exercise_id, wrong, seed, lang).detail for seed in (0, 1, 2)}
            assert details == {text(message, lang)}, (getattr(wrong, "__name__", wrong), lang, details)
        assert verdict(exercise_id, wrong).status == "fail"
        seen.add(text(message, "zh"))
    assert len(seen) == len(cases), "two mistakes share a message"


@pytest.mark.parametrize("exercise_id, wrong, message", CORE_NAMED, ids=[w.__name__ for _, w, _ in CORE_NAMED])
def test_mistakes_the_core_names(exercise_id, wrong, message):
    result = verdict(exercise_id, wrong)
    assert result.status == "fail" and result.detail == message, result


@pytest.mark.parametrize("exercise_id, wrong, hint", HINTED, ids=[w.__name__ for _, w, _ in HINTED])
def test_an_explained_error_ends_with_its_hint(exercise_id, wrong, hint):
    result = verdict(exercise_id, wrong)
    assert result.status == "fail" and result.detail.endswith(say(hint, "zh")), result


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_placeholder_is_todo(exercise_id):
    unfilled = [..., placeholder] if isinstance(EXERCISES[exercise_id], FunctionExercise) else [...]
    for answer in unfilled:
        result = check(exercise_id, answer)
        assert result.status == "todo" and "尚未完成" in str(result), (answer, str(result))


@pytest.mark.parametrize("exercise_id", IDS)
def test_hostile_answers_fail_without_raising(exercise_id):
    for answer in HOSTILE:
        for lang in ("zh", "en"):
            result = check(exercise_id, answer, lang=lang)
            assert result.status == "fail", (answer, result)
            assert say("internal", lang, error="\0").split("\0")[0] not in result.detail, result


@pytest.mark.parametrize("exercise_id", IDS)
def test_verdicts_do_not_depend_on_the_random_inputs(exercise_id):
    """nbval compares the check cells' output, so a verdict must read the same for every seed."""
    if isinstance(EXERCISES[exercise_id], FunctionExercise):
        answers = [*right_functions(exercise_id), *(wrong for wrong, _ in wrong_functions(exercise_id)),
                   lambda *args: torch.zeros(3)]
    else:
        answers = [..., "A", "B", "C", "D", 2.0, -2.0, 0.5, 48.0, 12.0, 36.0]
    answers += [wrong for i, wrong in OTHER_WRONGS if i == exercise_id]
    for answer in [a for a in answers if a is not None]:
        assert len({str(verdict(exercise_id, answer, seed)) for seed in range(5)}) == 1, answer


def right_values(exercise):
    """The expected value as the exercise holds it and as a fresh tensor; a leaf that requires grad if asked."""
    tensor = torch.as_tensor(exercise.expected).clone().requires_grad_(exercise.leaf)
    return [tensor] if exercise.leaf else [exercise.expected, tensor]


@pytest.mark.parametrize("exercise_id", ids_of(ValueExercise))
def test_value_mistakes_are_named(exercise_id):
    exercise = EXERCISES[exercise_id]
    for right in right_values(exercise):
        assert check(exercise_id, right).passed, right
    for wrong, message in exercise.mistakes:
        assert check(exercise_id, wrong).detail == text(message, "zh")
        assert check(exercise_id, wrong, lang="en").detail == text(message, "en")
    assert len({text(message, "zh") for _, message in exercise.mistakes}) == len(exercise.mistakes)


@pytest.mark.parametrize("exercise_id", ids_of(ChoiceExercise))
def test_every_wrong_option_has_its_own_explanation(exercise_id):
    exercise = EXERCISES[exercise_id]
    assert set(exercise.explanations) == set(exercise.options) and 3 <= len(exercise.options) <= 5
    for lang in ("zh", "en"):
        assert len({text(e, lang) for e in exercise.explanations.values()}) == len(exercise.options), lang
    for letter in exercise.options:
        result = check(exercise_id, f" ({letter.lower()}) ")
        assert result.passed == (letter == exercise.correct)
        assert result.detail.endswith(text(exercise.explanations[letter], "zh"))
        for lang in ("zh", "en"):
            result = check(exercise_id, letter, lang=lang)
            assert result.passed == (letter == exercise.correct)
            assert result.detail.endswith(text(exercise.explanations[letter], lang))


@pytest.mark.parametrize("exercise_id", ids_of(ChoiceExercise))
def test_a_choice_answer_that_is_no_option_letter_gets_told_the_options(exercise_id):
    options = "/".join(EXERCISES[exercise_id].options)
    for answer in ["E", "AB", 1, None, ["A"]]:
        result = check(exercise_id, answer)
        assert result.status == "fail" and options in result.detail, (answer, result)


@pytest.mark.parametrize("exercise_id", ids_of(ChoiceExercise))
def test_the_question_lists_every_option_letter(exercise_id):
    english = [path for path in SOLUTIONS_EN if path.name[2:4] == exercise_id[2:4]]
    for lang in ("zh", "en") if english else ("zh",):
        letters = re.findall(r"^- \*\*([A-Z])(?:\.\*\*|\*\*\.) ", question(exercise_id, lang), re.MULTILINE)
        assert letters == list(EXERCISES[exercise_id].options), lang


def test_every_chapter_has_one_solution_notebook():
    assert sorted("ch" + path.name[2:4] for path in SOLUTIONS) == CHAPTERS


# Each edition's title and setup cell: an English notebook imports helpers.en, so check speaks English unasked.
EDITION_FORMAT = {"zh": (r"# 练习 \d+：", "import torch\nfrom helpers import check"),
                  "en": (r"# Exercise \d+: ", "import torch\nfrom helpers.en import check")}


@pytest.mark.parametrize("path", SOLUTIONS + SOLUTIONS_EN, ids=lambda path: "en/" * (path in SOLUTIONS_EN) + path.stem)
def test_solution_notebook_follows_the_exercise_format(path):
    cells = nbformat.read(path, as_version=4).cells
    title, setup = EDITION_FORMAT["en" if path in SOLUTIONS_EN else "zh"]
    assert re.match(title, cells[0].source) and f"../notebooks/{path.stem[2:]}.ipynb" in cells[0].source
    roles = [{key: value for key, value in c.metadata.get("autograd_course", {}).items() if key != FINGERPRINT}
             for c in cells]  # an English cell also records the Chinese cell it translates
    assert roles[1] == {"role": "setup"}
    assert cells[1].source == setup
    ids = ids_of(chapters=("ch" + path.stem[2:4],))
    assert sorted(role["exercise"] for role in roles if "exercise" in role) == ids, "one answer cell per exercise"
    assert sorted(role["check"] for role in roles if "check" in role) == ids, "one check cell per exercise"
    for n, cell in enumerate(cells):
        if "exercise" not in roles[n]:
            continue
        exercise_id = roles[n]["exercise"]
        assert cells[n - 1].cell_type == "markdown" and f"`{exercise_id}`" in cells[n - 1].source
        assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source
        assert roles[n + 1] == {"check": exercise_id}
        assert cells[n + 1].source == f'check("{exercise_id}", {EXERCISES[exercise_id].name})'
        outputs = [o.get("data", {}).get("text/plain", "") for o in cells[n + 1].outputs]
        assert len(outputs) == 1 and outputs[0].startswith(f"✅ {exercise_id} "), (exercise_id, outputs)


@pytest.mark.parametrize("exercise_id, wrong, message", EXTRA, ids=[w.__name__ for _, w, _ in EXTRA])
def test_extra_mistakes_get_their_own_message(exercise_id, wrong, message):
    message = message(EXERCISES[exercise_id])
    for lang in ("zh", "en"):
        details = {verdict(exercise_id, wrong, seed, lang).detail for seed in (0, 1, 2)}
        assert details == {text(message, lang)}, (wrong.__name__, lang, details)
