"""The student's ``check()``: judge an answer in the notebook itself and show the verdict."""
import secrets

from helpers.checking.diagnose import kind_name
from helpers.checking.observe import describe
from helpers.checking.verdict import Verdict
from helpers.messages import language, say


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
    except (Exception, SystemExit) as error:  # SystemExit: from a hostile tensor subclass's property
        return exercise.verdict("fail", say("internal", lang, error=type(error).__name__), lang)
