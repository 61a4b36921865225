"""content/teaching.py: every exercise links to a section that exists in both editions, and every mistake family
merges keys that the checkers can really report."""
import pytest

from content.teaching import FAMILIES, SECTIONS
from helpers.checking.diagnose import ERROR_HINTS
from helpers.checking.kinds import ChoiceExercise
from helpers.checking.mistakes import NOT_DIAGNOSES, own_messages
from helpers.exercises import EXERCISES
from helpers.grading.insight import chapter_file, section_titles
from helpers.messages import CHECKER_MESSAGES

GENERIC = ({key for key in CHECKER_MESSAGES if key not in NOT_DIAGNOSES and not key.startswith("hint_")}
           | {"raised"} | {"raised-" + key.removeprefix("hint_") for _, key in ERROR_HINTS})


def keys_of(exercise):
    """Every local mistake key a verdict on ``exercise`` can carry."""
    keys = {key for key, _ in own_messages(exercise)} | GENERIC
    if isinstance(exercise, ChoiceExercise):
        keys |= {f"option-{letter}" for letter in exercise.options} | {"bad_choice"}
    return keys


def test_every_exercise_has_a_section_and_every_section_an_exercise():
    assert not set(EXERCISES) - set(SECTIONS), \
        f"add the section that teaches {sorted(set(EXERCISES) - set(SECTIONS))} to SECTIONS in content/teaching.py"
    assert not set(SECTIONS) - set(EXERCISES), f"content/teaching.py: no exercise {sorted(set(SECTIONS) - set(EXERCISES))}"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_section_is_a_heading_of_its_chapter(lang):
    numbers = set(SECTIONS.values()) | {family["section"] for family in FAMILIES.values()}
    missing = [n for n in sorted(numbers) if n not in section_titles(chapter_file(n.split(".")[0], lang))]
    assert not missing, f"no such section heading in the {lang} chapters: {missing}"
    if lang == "en":
        assert "en" in chapter_file("1", "en").parts


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_family_key_names_a_mistake_the_checkers_report(name):
    family = FAMILIES[name]
    assert family["zh"] and family["en"] and family["keys"]
    unknown = []
    for key in family["keys"]:
        exercise_id, _, local = key.partition("/")
        if exercise_id == "*":
            known = local in GENERIC
        else:
            known = exercise_id in EXERCISES and local in keys_of(EXERCISES[exercise_id])
        if not known:
            unknown.append(key)
    assert not unknown, f"{name}: no exercise reports {unknown}"
