"""The grader's statuses (their sentences are in ``helpers.messages``) and the stable key of a grading problem."""
from helpers.messages import MESSAGES

# In the order a student's row reports its first problem; pass, fail and todo are the checkers' own verdicts.
PROBLEMS = ("invalid-notebook", "missing", "tampered", "crashed", "timeout", "memory", "error")
STATUSES = ("pass", "fail", "todo") + PROBLEMS



def problem_key(exercise_id, status, detail):
    """The stable mistake key of a grading problem: the status, and for an answer cell that raised, the
    hint its error matches (``ch02.no_zero/raised-inplace``), so errors can be grouped by hint."""
    from helpers.checking.mistakes import error_hint

    if status != "error":
        return f"{exercise_id}/{status}"
    for lang in ("zh", "en"):
        prefix = MESSAGES["cell_raised"][lang].split("{", 1)[0]
        if str(detail).startswith(prefix):
            hint = error_hint(str(detail))
            return f"{exercise_id}/raised-{hint}" if hint else f"{exercise_id}/raised"
    return f"{exercise_id}/error"
