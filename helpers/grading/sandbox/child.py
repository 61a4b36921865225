"""The forked child that runs one student's answer cells, one exercise after another, and reports plain data.

It runs after ``os.fork()`` in a grading worker, for one student's exercises (from all of the student's
notebooks; never another student's). It reads its task from the worker's private map, then puts up its walls:
its own namespaces, tmpfs, identity and thread bound (``sandbox.isolate``), limits, then Landlock and the
seccomp allowlist (``sandbox.confine``; only ``guard``'s Python-level hook and the ``hidden`` list under
``--trust-students``); then, for each exercise, the instructor's setup cell and the student's answer cell in a
fresh namespace, and ``helpers.checking.observe`` on the answer. It writes one JSON line per exercise to its
pipe; the grading process trusts none of it beyond its shape. If an exercise ends the child (a timeout, a
crash, a memory bomb), the worker starts a fresh child for the student's exercises after it, so one exercise
cannot cost the others.
"""
import ctypes
import json
import linecache
import os
import resource
import signal
import sys
import tempfile
import threading
import traceback


from helpers.grading import sandbox
from helpers.grading.sandbox import guard, wire
from helpers.checking.observe import PROBES

PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)
FILE_LIMIT = 16 * 2**20  # bytes any file the student writes may grow to
OPEN_FILES = 256  # descriptors (so pipes, whose buffers no memory limit counts, stay few)


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


def run(task, payload, start, cpu_hard, result_fd, workdir, parent):
    """Grade the exercises of ``payload`` (the worker's map of the task) from ``start`` on, in this forked
    process, one JSON line each, and exit. ``cpu_hard``: CPU seconds for the whole child.

    The task's ``hidden`` folders (refused by the Python-level guard) come only under ``--trust-students``,
    when the kernel's walls are not up; otherwise the child never holds the grader's paths."""
    write, exit_now, dumps, cpu_limit = os.write, os._exit, json.dumps, resource.RLIMIT_CPU
    setrlimit, usage, rusage_self = resource.setrlimit, resource.getrusage, resource.RUSAGE_SELF
    items = []
    try:
        try:
            data = json.loads(bytes(payload))
            items = data["items"][start:]
            task = dict(task, cpu_hard=cpu_hard)
            _confine(task, result_fd, workdir, tuple(data.get("hidden") or ()) if sandbox.TRUST else (), parent)
            failure = None
        except BaseException as error:  # noqa: BLE001 -- the walls could not be raised: no student code runs
            failure = {"outcome": "sandbox", "message": f"{type(error).__name__}: {error}"[:300]}

        def grade_all():
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

        if failure is None:  # in a fresh thread, the student's code finds no frame of the worker (or of the
            runner = threading.Thread(target=grade_all, name="student")  # grader it was forked from) above it
            runner.start()
            runner.join()
        else:
            grade_all()
        os.close(result_fd)
    finally:
        exit_now(0)


def _confine(task, result_fd, workdir, hidden, parent):
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
    if not sandbox.TRUST:
        sandbox.isolate(workdir)  # before chdir: the working folder is the child's own tmpfs from now on
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # after any change of identity, which clears it
    if os.getppid() != parent:  # the worker died before the signal was set: nobody will read the reports
        os._exit(0)
    os.chdir(workdir)
    os.environ.update(HOME=workdir, TMPDIR=workdir, MPLCONFIGDIR=workdir)  # the worker's clean environment
    tempfile.tempdir = workdir
    resource.setrlimit(resource.RLIMIT_CPU, (task["cpu_hard"], task["cpu_hard"]))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))
    if task.get("memory_mb"):
        limit = _virtual_size() + task["memory_mb"] * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    if not sandbox.TRUST:
        sandbox.confine(workdir)
    guard.lock_down(workdir, hidden)


def _answer_report(item):
    namespace = {"__name__": "__main__"}
    _run_cell(item["setup"], "<setup>", namespace)
    _run_cell(item["answer"], f"<answer {item['exercise']}>", namespace)
    if item["name"] not in namespace:
        return {"outcome": "undefined"}
    answer = namespace[item["name"]]
    cases = None if item["inputs"] is None else [tuple(wire.decode(arg) for arg in case) for case in item["inputs"]]
    observation = PROBES[item["probe"]](answer, cases, sandboxed=True, watch=item.get("watch"))
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
