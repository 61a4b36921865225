"""The grader's statuses (their sentences are in ``helpers.messages``), a student's row status, and the stable key
of a grading problem."""
from helpers.messages import MESSAGES

# In the order a student's row reports its first problem; pass, fail and todo are the checkers' own verdicts.
PROBLEMS = ("invalid-notebook", "missing", "tampered", "crashed", "timeout", "memory", "error")
STATUSES = ("pass", "fail", "todo") + PROBLEMS
BLANK = "blank"  # a student's row when nothing is filled in anywhere: every exercise todo


def student_status(records):
    """A student's row: the first grading problem ("timeout: ch02.loop"), else ``blank`` when every exercise is
    still todo (an unfilled copy scores 0 with a reason, never as "ok"), else "ok"."""
    for problem in PROBLEMS:
        for record in records:
            if record["status"] == problem:
                return f"{problem}: {record['exercise']}"
    return BLANK if records and all(r["status"] == "todo" for r in records) else "ok"


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
