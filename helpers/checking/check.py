"""The student's ``check()``: judge an answer in the notebook itself and show the verdict.

It says what the grader will say. The grader runs each answer cell on its own after the setup cell, for at most
``--timeout`` seconds, and reports code that changes the checker: so ``check`` too stops the student's code after
``TIME_LIMIT`` seconds (the grader's default), fails an answer whose cell uses a name another cell defines (naming
that cell, from the kernel's history), and reports tampering with the same evidence. A ``check(...)`` left in an
answer cell does nothing in the grader, where the definitions cannot be imported.
"""
import contextlib
import secrets
import signal
import threading

from helpers.checking import cells, scan
from helpers.checking.diagnose import kind_name
from helpers.checking.observe import describe
from helpers.checking.verdict import Verdict
from helpers.messages import language, say

TIME_LIMIT = 10.0  # seconds: the grader's default --timeout
MAX_EVIDENCE = 3


class TimeLimitExceeded(KeyboardInterrupt):
    """Raised in the student's code when its time is up. A KeyboardInterrupt, so the probes let it through and a
    student's ``except Exception`` does not swallow it (a bare ``except`` gets it again every half second)."""


def check(exercise_id, answer=Ellipsis, *, lang=None, time_limit=TIME_LIMIT):
    """Check a student's answer in the notebook and return a Verdict (shown as a coloured box); never raises."""
    try:
        from helpers.exercises import EXERCISES
    except ImportError:  # the grader's sandbox: a check(...) left in an answer cell
        shown = exercise_id[:60] if type(exercise_id) is str else "?"
        return Verdict(shown, "todo", say("grading_check", lang), language(lang))
    exercise = EXERCISES.get(exercise_id) if type(exercise_id) is str else None
    if exercise is None:
        shown = exercise_id[:60] if type(exercise_id) is str else kind_name(describe(exercise_id))
        return Verdict(shown, "fail", say("unknown_exercise", lang, exercise_id=shown,
                                          known=", ".join(sorted(EXERCISES))), language(lang))
    seed = secrets.randbits(31)
    try:
        with time_limit_of(time_limit):
            observation = exercise.observe(answer, seed)
        verdict = exercise.judge(observation, seed, lang)
        if verdict.status == "todo":
            return verdict
        cell = observation.get("scan") if isinstance(observation.get("scan"), str) else None
        cell = cell or cells.kernel_cell(exercise.name, answer) or ""
        evidence = tampering(observation, cell, lang)
        if evidence:
            return exercise.verdict("fail", say("tampering", lang, evidence=evidence), lang, "tampered")
        outside = cells.outside_names(exercise.name, answer)
        if outside:
            number = outside[0][1]
            where = say("where_count", lang, number=number) if number is not None else ""
            return exercise.verdict("fail", say("outside_name", lang, names=", ".join(n for n, _ in outside),
                                                where=where), lang, "outside_name")
        return verdict
    except TimeLimitExceeded:
        return exercise.verdict("fail", say("too_slow", lang, seconds=f"{time_limit:g}"), lang, "timeout")
    except (Exception, SystemExit) as error:  # SystemExit: from a hostile tensor subclass's property
        return exercise.verdict("fail", say("internal", lang, error=type(error).__name__), lang)


def tampering(observation, cell, lang):
    """The evidence of tampering, as one line: what the probe found changed, then what the cell's text shows."""
    found = [str(item)[:120] for item in observation.get("tampered") or () if isinstance(item, str)]
    found += [say("evidence_line", lang, line=line, code=code) for line, code in scan.tampering(cell)]
    return ("；" if language(lang) == "zh" else "; ").join(list(dict.fromkeys(found))[:MAX_EVIDENCE])


@contextlib.contextmanager
def time_limit_of(seconds):
    """Raise TimeLimitExceeded in the code run inside after ``seconds`` (and every half second after, until it
    ends). Only in the main thread and where there is SIGALRM (not on Windows): elsewhere no limit."""
    if not seconds or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        raise TimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
