"""A grading worker: a fork server that imports torch once and forks a fresh child for every exercise.

Started by the grading process as ``python -m helpers.grading.worker``; it never imports the reference
solutions (``helpers.exercises``), so no child can find them in memory. Protocol: one JSON task per line
on stdin, one JSON reply per line on stdout, in order. The worker enforces the wall-clock limit by
killing the child's process group, and passes the child's report on as raw text for the parent to check.
"""
import gc
import json
import os
import select
import shutil
import signal
import sys
import tempfile
import time

import torch

import helpers.observe  # noqa: F401 -- imported before forking, like everything the children need
from helpers.grading import child

REPORT_LIMIT = 8 * 2**20  # bytes of observation a child may send


def main():
    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grading process decides when workers stop
    gc.freeze()  # keep the garbage collector from touching (and so copying) the parent's pages in children
    finished = []  # children that replied and are being torn down: reaped later, off the critical path
    for line in sys.stdin:
        task = json.loads(line)
        reply, leftover = grade(task)
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()
        finished.append(leftover)
        finished = [item for item in finished if not _reaped(*item)]
    for pid, workdir in finished:
        _reap(pid, workdir)


def grade(task):
    workdir = tempfile.mkdtemp(prefix="autograd-grade-")
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        child.run(task, write_end, workdir)  # never returns
    os.close(write_end)
    data, timed_out, too_big = _read_report(read_end, started + task["timeout"])
    os.close(read_end)
    reply = {"id": task["id"], "seconds": round(time.perf_counter() - started, 4), "timed_out": timed_out,
             "too_big": too_big, "report": data.decode("utf-8", "replace"), "exit": None, "signal": None}
    if timed_out or too_big or not data.endswith(b"\n"):
        _kill(pid)
        status = _reap(pid, workdir)
        reply["exit"], reply["signal"] = _decode(status)
        return reply, (None, None)
    _kill(pid)  # its report is complete; nothing the child does from now on can matter
    return reply, (pid, workdir)


def _read_report(fd, deadline):
    chunks, size = [], 0
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return b"".join(chunks), True, False
        ready, _, _ = select.select([fd], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks), False, False
        chunks.append(chunk)
        size += len(chunk)
        if size > REPORT_LIMIT:
            return b"", False, True


def _kill(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _decode(status):
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    return os.WEXITSTATUS(status), None


def _reaped(pid, workdir):
    if pid is None:
        return True
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        shutil.rmtree(workdir, ignore_errors=True)
    return bool(done)


def _reap(pid, workdir):
    if pid is None:
        return 0
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    main()
