"""The judge: turns what a sandboxed child reported about one answer into a status and the sentence the
student reads, with the same checker as the notebook's ``check``. It runs in the grading process, the only
one that imports the reference solutions.

What the child reports is data to judge, never a verdict: values are compared here with the references on
inputs drawn here, and what the rules and the tampering scan read is the answer cell as the notebook holds it
(``observation["scan"]``), not anything the child says about it. The order is the notebook's: a todo, then
tampering (status ``tampered``, with its evidence), then a name the cell takes from another cell of the
notebook (the rule that each answer cell runs alone after the setup cell), then the checker's verdict.
"""
import ast
import re
import secrets
import signal

from helpers.checking import scan
from helpers.checking.check import tampering
from helpers.grading import notebooks
from helpers.grading.sandbox import wire
from helpers.messages import say

MEMORY_ERROR = re.compile(r"(?i)can't allocate memory|not enough memory|out of memory|std::bad_alloc|MemoryError")


def problem(status, reason):
    return {"status": status, "detail": reason}


class Judge:
    """Turns a worker's reply into a status and the sentence the student reads; memoised per run."""

    def __init__(self, course, settings):
        self.settings, self.lang = settings, settings.lang
        self.seeds = {i: secrets.randbits(31) for i in course.exercises}
        self.inputs = {i: _encoded(e.inputs(self.seeds[i])) for i, e in course.exercises.items()}
        self.setups = course.setups
        self.cache = {}

    def task(self, number, jobs, setups, hidden):
        """The worker's task for one student: every exercise to run, in course order, as plain data."""
        items = [{"exercise": job.exercise.id, "name": job.exercise.name, "setup": setups[job.exercise.id],
                  "answer": job.answer, "probe": job.exercise.probe, "inputs": self.inputs[job.exercise.id],
                  "watch": job.exercise.watch} for job in jobs]
        return {"id": number, "items": items, "timeout": self.settings.timeout, "cpu_seconds": self.settings.timeout,
                "memory_mb": self.settings.memory_mb, "hidden": hidden}

    def __call__(self, job, reply):
        """The outcome for one exercise; never raises: a failure here is that exercise's ``error``, with why."""
        try:
            return self._judge(job, reply)
        except Exception as error:  # noqa: BLE001 -- e.g. a RecursionError or MemoryError on hostile data
            return problem("error", say("grading_failed", self.lang, why=type(error).__name__))

    def _judge(self, job, reply):
        lang, exercise = self.lang, job.exercise
        if reply.get("worker"):
            return problem("crashed", say("worker", lang, why=reply["worker"]))
        if reply["timed_out"] or reply.get("cpu_limit") or reply["signal"] == signal.SIGXCPU:
            return problem("timeout", say("too_slow", lang, seconds=f"{self.settings.timeout:g}"))
        if reply["too_big"]:
            return problem("error", say("result_too_big", lang))
        text = reply["report"]
        if not text.endswith("\n"):
            how = f"signal {signal.Signals(reply['signal']).name}" if reply["signal"] else f"exit code {reply['exit']}"
            return problem("crashed", say("died", lang, how=how))
        try:
            report = wire.read_report(text)
            outcome = report["outcome"]
        except (ValueError, TypeError, KeyError):
            return problem("error", say("malformed", lang, why="JSON"))
        if outcome == "sandbox":
            return problem("crashed", say("worker", lang, why=f"sandbox: {str(report.get('message'))[:300]}"))
        if outcome == "error":
            return self._outside(job) or self._raised(report)
        if outcome == "undefined":
            return problem("error", say("undefined", lang, name=exercise.name))
        observation = report.get("observation") if outcome == "ok" else None
        if not isinstance(observation, dict):
            return problem("error", say("malformed", lang, why="observation"))
        observation["scan"] = job.answer
        if exercise.source_from_cell:
            observation["source"] = trusted_source(job.answer, exercise.name)
            memory = _out_of_memory(observation.get("results"))
            if memory:
                return problem("memory", say("too_much_memory", lang, mb=self.settings.memory_mb, error=memory))
        # The report text decides the observation, the answer's text the tampering evidence and the source.
        cache_key = (exercise.id, text, job.answer)
        if cache_key not in self.cache:
            try:
                verdict = exercise.judge(observation, self.seeds[exercise.id], lang)
                evidence = tampering(observation, job.answer, lang) if verdict.status != "todo" else ""
                if evidence:
                    self.cache[cache_key] = problem("tampered", say("tampering", lang, evidence=evidence))
                else:
                    self.cache[cache_key] = {"status": verdict.status, "detail": verdict.detail,
                                             "mistake": verdict.mistake, "score": verdict.score * exercise.points}
                    self.cache[cache_key].update(_partial_credit(exercise, observation, self.seeds[exercise.id],
                                                                 lang, verdict))
            except Exception as error:  # noqa: BLE001 -- a forged observation of the wrong shape
                self.cache[cache_key] = problem("error", say("malformed", lang, why=type(error).__name__))
        found = dict(self.cache[cache_key])
        if found["status"] in ("pass", "fail"):
            return self._outside(job) or found
        return found

    def _outside(self, job):
        """A fail naming the names the answer cell takes from another cell of its notebook, and that cell."""
        cells = getattr(job, "cells", None) or []
        wanted = scan.free_names(job.answer, scan.bound_names(self.setups.get(job.exercise.id, "")))
        if not wanted:
            return None
        found = {}
        for number, cell in enumerate(cells, 1):
            text = notebooks.source(cell)
            if cell.get("cell_type") == "code" and text != job.answer:
                for name in wanted & scan.bound_names(text):
                    found.setdefault(name, number)
        if not found:
            return None
        names = sorted(found)
        where = say("where_cell", self.lang, number=found[names[0]])
        return {"status": "fail", "score": 0.0, "mistake": f"{job.exercise.id}/outside_name",
                "detail": say("outside_name", self.lang, names=", ".join(names), where=where)}

    def _raised(self, report):
        lang = self.lang
        if report.get("exit"):
            return problem("crashed", say("exited", lang))
        error = f"{report.get('type')}: {report.get('message')}"[:300]
        if report.get("type") == "MemoryError" or MEMORY_ERROR.search(str(report.get("message"))):
            return problem("memory", say("too_much_memory", lang, mb=self.settings.memory_mb, error=error))
        where = say("line", lang, line=report["line"]) if isinstance(report.get("line"), int) else ""
        return problem("error", say("cell_raised", lang, error=error, where=where))


def _partial_credit(exercise, observation, seed, lang, verdict):
    """The score and the parts earned, for a failing answer to an exercise that declares parts (else nothing)."""
    from helpers.checking.parts import credit

    earned = credit(exercise, observation, seed, lang, verdict)
    return {"score": earned[0] * exercise.points, "parts": earned[1]} if earned else {}


def _encoded(inputs):
    """An exercise's inputs as plain data for the child (None when its probe calls nothing)."""
    return None if inputs is None else [[wire.encode(arg) for arg in case] for case in inputs]


def _out_of_memory(results):
    """The first allocation failure the student's function raised while being called, if any."""
    for result in results if isinstance(results, list) else []:
        if isinstance(result, dict) and result.get("kind") == "exception":
            error = f"{result.get('type')}: {result.get('message')}"
            if result.get("type") == "MemoryError" or MEMORY_ERROR.search(error):
                return error[:200]
    return None


def trusted_source(cell, name):
    """The student's function as written in the answer cell (the child could lie about it)."""
    try:
        tree = ast.parse(cell)
    except (SyntaxError, ValueError, RecursionError, MemoryError):  # 6000 terms in one expression: too deep
        return cell
    found = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
             and node.name == name]
    if not found:
        return cell
    node = found[-1]
    lines = cell.splitlines(True)
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return "".join(lines[start - 1:node.end_lineno])
