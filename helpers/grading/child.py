"""The forked child that runs one student's answer cell for one exercise and reports plain data.

It runs after ``os.fork()`` in a grading worker: limits first, then the walls of ``guard``, then the
instructor's setup cell and the student's answer cell, then ``helpers.observe`` on the answer. What it
writes to its pipe is one JSON object; the grading process trusts none of it beyond its shape.
"""
import json
import linecache
import os
import resource
import signal
import sys
import traceback

from helpers.grading import guard, wire
from helpers.observe import describe, observe_function

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


def run(task, result_fd, workdir):
    """Grade ``task`` in this (forked) process and exit; never returns."""
    write, close, exit_now, dumps = os.write, os.close, os._exit, json.dumps
    try:
        try:
            _confine(task, result_fd, workdir)
            report = _answer_report(task)
        except BaseException as error:  # noqa: BLE001 -- whatever the student did, report it as data
            report = {"outcome": "error", **_error_info(error, task)}
        try:
            data = (dumps(report, allow_nan=False) + "\n").encode()
        except BaseException:  # noqa: BLE001 -- an observation that json cannot encode
            data = b'{"outcome": "error", "type": "ValueError", "message": "unencodable observation"}\n'
        while data:
            data = data[write(result_fd, data[:65536]):]
        close(result_fd)
    finally:
        exit_now(0)


def _confine(task, result_fd, workdir):
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
    cpu = max(1, int(task["cpu_seconds"] + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if task.get("memory_mb"):
        limit = _virtual_size() + task["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    guard.lock_down(workdir, task["hidden"])


def _answer_report(task):
    namespace = {"__name__": "__main__"}
    _run_cell(task["setup"], "<setup>", namespace)
    filename = f"<answer {task['exercise']}>"
    _run_cell(task["answer"], filename, namespace)
    if task["name"] not in namespace:
        return {"outcome": "undefined"}
    answer = namespace[task["name"]]
    if task["inputs"] is None:
        observation = {"answer": describe(answer)}
    else:
        observation = observe_function(answer, [tuple(wire.decode(arg) for arg in case) for case in task["inputs"]])
    return {"outcome": "ok", "observation": observation}


def _run_cell(source, filename, namespace):
    # Registered in linecache so inspect.getsource (and so is_placeholder) can read the student's function.
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)


def _error_info(error, task):
    """Type, message and answer-cell line of an exception, read defensively (the exception may be hostile)."""
    info = {"type": "?", "message": "?", "line": None, "exit": isinstance(error, SystemExit)}
    try:
        info["type"] = str(type(error).__name__)[:100]
        info["message"] = str(error)[:500]
        for frame in traceback.extract_tb(error.__traceback__):
            if frame.filename == f"<answer {task['exercise']}>":
                info["line"] = frame.lineno
    except BaseException:  # noqa: BLE001
        pass
    return info


def _virtual_size():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
