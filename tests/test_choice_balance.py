"""Multiple-choice questions cannot be passed by a rule of thumb: over every registered ChoiceExercise (all
chapters, as they land), no letter is right in more than 40% of the questions and the right option is the
longest (alone or tied) in at most 40% of them.

Lengths are measured on the option texts the checker holds (``options``), which the question cells show.
"""
from collections import Counter

import pytest

from exercise_support import ids_of, verdict
from helpers.checking.kinds import ChoiceExercise
from helpers.exercises import EXERCISES

LIMIT = 0.40
CHOICES = [EXERCISES[exercise_id] for exercise_id in ids_of(ChoiceExercise)]


def longest_letters(exercise):
    """The letters of the longest options (several when tied)."""
    lengths = {letter: len(option) for letter, option in exercise.options.items()}
    return [letter for letter, length in lengths.items() if length == max(lengths.values())]


def share(count):
    return count / len(CHOICES)


def test_there_are_choice_questions():
    assert len(CHOICES) >= 5


def test_no_letter_is_right_in_more_than_40_percent_of_the_questions():
    counts = Counter(exercise.correct for exercise in CHOICES)
    letter, count = counts.most_common(1)[0]
    assert share(count) <= LIMIT, f"{letter!r} is right in {count} of {len(CHOICES)} questions: {dict(counts)}"


def test_the_right_option_is_the_longest_in_at_most_40_percent_of_the_questions():
    longest = [exercise.id for exercise in CHOICES if exercise.correct in longest_letters(exercise)]
    assert share(len(longest)) <= LIMIT, f"the right option is (one of) the longest in {len(longest)} of " \
                                         f"{len(CHOICES)} questions: {longest}"


@pytest.mark.parametrize("letter", sorted({letter for exercise in CHOICES for letter in exercise.options}))
def test_always_answering_the_same_letter_does_not_pass(letter):
    passed = [exercise.id for exercise in CHOICES if verdict(exercise.id, letter).passed]
    assert share(len(passed)) <= LIMIT, f"always {letter!r} passes {len(passed)} of {len(CHOICES)}: {passed}"


@pytest.mark.parametrize("tie", ["first", "last"])
def test_always_answering_the_longest_option_does_not_pass(tie):
    """A student who picks the longest option, breaking ties either way."""
    passed = []
    for exercise in CHOICES:
        letters = longest_letters(exercise)
        if verdict(exercise.id, letters[0] if tie == "first" else letters[-1]).passed:
            passed.append(exercise.id)
    assert share(len(passed)) <= LIMIT, f"always the longest passes {len(passed)} of {len(CHOICES)}: {passed}"
