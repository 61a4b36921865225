"""The forked child that runs one student's answer cells, one exercise after another, and reports plain data.

It runs after ``os.fork()`` in a grading worker, for one student's exercises (from all of the student's
notebooks; never another student's): limits first, then the walls of ``guard``; then, for each
exercise, the instructor's setup cell and the student's answer cell in a fresh namespace, and
``helpers.checking.observe`` on the answer. It writes one JSON line per exercise to its pipe; the grading process
trusts none of it beyond its shape. If an exercise ends the child (a timeout, a crash, a memory bomb), the
worker starts a fresh child for the student's exercises after it, so one exercise cannot cost the others.
"""
import json
import linecache
import os
import resource
import signal
import sys
import traceback

from helpers.grading import guard, wire
from helpers.checking.observe import describe, observe_function

FILE_LIMIT = 16 * 2**20  # bytes any file the student writes may grow to


class Sink:
    """Where ``print`` goes: counts and discards, so gigantic output costs neither memory nor disk."""

    def __init__(self):
        self.written = 0

    def write(self, text):
        self.written += len(text)
        return len(text)

    def flush(self):
        pass

    def isatty(self):
        return False


def run(task, items, result_fd, workdir):
    """Grade ``items`` (exercises of ``task``) in this forked process, one JSON line each, and exit."""
    write, exit_now, dumps, cpu_limit = os.write, os._exit, json.dumps, resource.RLIMIT_CPU
    setrlimit, usage, rusage_self = resource.setrlimit, resource.getrusage, resource.RUSAGE_SELF
    try:
        try:
            _confine(task, len(items), result_fd, workdir)
            failure = None
        except BaseException as error:  # noqa: BLE001
            failure = {"outcome": "error", **_error_info(error, "")}
        for item in items:
            if failure is None:
                used = usage(rusage_self)
                try:
                    setrlimit(cpu_limit, (int(used.ru_utime + used.ru_stime + task["cpu_seconds"] + 1), task["cpu_hard"]))
                    report = _answer_report(item)
                except BaseException as error:  # noqa: BLE001 -- whatever the student did, report it as data
                    report = {"outcome": "error", **_error_info(error, item["exercise"])}
            else:
                report = failure
            try:
                data = (dumps(report, allow_nan=False) + "\n").encode()
            except BaseException:  # noqa: BLE001 -- an observation that json cannot encode
                data = b'{"outcome": "error", "type": "ValueError", "message": "unencodable observation"}\n'
            while data:
                data = data[write(result_fd, data[:65536]):]
        os.close(result_fd)
    finally:
        exit_now(0)


def _confine(task, count, result_fd, workdir):
    os.setpgid(0, 0)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized file write fails with an error instead
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65536)
    sys.stdin = open(os.devnull)  # input() raises EOFError
    sys.stdout = sys.stderr = Sink()
    os.chdir(workdir)
    used = resource.getrusage(resource.RUSAGE_SELF)
    task["cpu_hard"] = int(used.ru_utime + used.ru_stime + count * (task["cpu_seconds"] + 1) + 2)
    resource.setrlimit(resource.RLIMIT_CPU, (task["cpu_hard"], task["cpu_hard"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if task.get("memory_mb"):
        limit = _virtual_size() + task["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    guard.lock_down(workdir, task["hidden"])


def _answer_report(item):
    namespace = {"__name__": "__main__"}
    _run_cell(item["setup"], "<setup>", namespace)
    _run_cell(item["answer"], f"<answer {item['exercise']}>", namespace)
    if item["name"] not in namespace:
        return {"outcome": "undefined"}
    answer = namespace[item["name"]]
    if item["inputs"] is None:
        observation = {"answer": describe(answer)}
    else:
        cases = [tuple(wire.decode(arg) for arg in case) for case in item["inputs"]]
        observation = observe_function(answer, cases, with_source=False)  # the grader parses the answer cell
    return {"outcome": "ok", "observation": observation}


def _run_cell(source, filename, namespace):
    # Registered in linecache so inspect.getsource (and so is_placeholder) can read the student's function.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def _error_info(error, exercise_id):
    """Type, message and answer-cell line of an exception, read defensively (the exception may be hostile)."""
    info = {"type": "?", "message": "?", "line": None, "exit": isinstance(error, SystemExit)}
    try:
        info["type"] = str(type(error).__name__)[:100]
        info["message"] = str(error)[:500]
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename == f"<answer {exercise_id}>":
                info["line"] = frame.lineno
    except BaseException:  # noqa: BLE001
        pass
    return info


def _virtual_size():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
