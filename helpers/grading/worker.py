"""A grading worker: a fork server that imports torch once and forks a fresh child for every notebook.

Started by the grading process as ``python -m helpers.grading.worker``; it never imports the reference
solutions (``helpers.exercises``), so no child can find them in memory. Protocol: one JSON task (one
student's notebook: its exercises as ``items``) per line on stdin, one JSON reply per line on stdout, in
order. The child reports one line per exercise; the worker gives each exercise its own wall-clock limit,
kills the child's process group when it is exceeded, and forks a fresh child for the exercises left after
any exercise that ended its child. Reports are passed on as raw text for the grading process to check.
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

import helpers.exercise  # noqa: F401 -- imported before forking (the setup cell's check, describe, ...);
# it loads the reference solutions only inside check(), which the children cannot import.
from helpers.grading import child

REPORT_LIMIT = 8 * 2**20  # bytes of observation a child may send for one exercise


def warm_up():
    """Run once what answers commonly use, so each child inherits it instead of importing it itself.

    (A non-scalar ``backward(gradient)`` alone imports torch.fx and sympy lazily: 0.6 s in every child.)
    """
    import torch.fx.experimental.symbolic_shapes  # noqa: F401

    x = torch.linspace(-1, 1, 5, requires_grad=True)
    y = torch.sin(x) * x ** 2
    y.backward(torch.ones_like(y), retain_graph=True)
    y.sum().backward()
    (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()
    torch.autograd.functional.jacobian(lambda t: t ** 2, x.detach())
    with torch.no_grad():
        (x * 2).detach().numpy()


def main():
    torch.set_num_threads(1)
    warm_up()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grading process decides when workers stop
    gc.freeze()  # keep the garbage collector from touching (and so copying) the parent's pages in children
    exiting = []  # children that reported everything: reaped later, off the critical path
    for line in sys.stdin:
        task = json.loads(line)
        results = []
        while len(results) < len(task["items"]):
            results += run_child(task, task["items"][len(results):], exiting)
        sys.stdout.write(json.dumps({"id": task["id"], "results": results}) + "\n")
        sys.stdout.flush()
        exiting = [item for item in exiting if not _reaped(*item)]
    for pid, workdir in exiting:
        _kill(pid)
        _reap(pid, workdir)


def run_child(task, items, exiting):
    """Fork a child for ``items``; the results of those it finished, plus the one that ended it (if any)."""
    workdir = tempfile.mkdtemp(prefix="autograd-grade-")
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        child.run(task, items, write_end, workdir)  # never returns
    os.close(write_end)
    results, pending = [], b""
    while len(results) < len(items):
        deadline = started + task["timeout"]
        line, pending, problem = _read_line(read_end, pending, deadline)
        now = time.perf_counter()
        results.append({"seconds": round(now - started, 4), "report": line.decode("utf-8", "replace"),
                        "timed_out": problem == "timeout", "too_big": problem == "too big",
                        "exit": None, "signal": None})
        started = now
        if problem:
            break
    os.close(read_end)
    _kill(pid)  # everything it had to say is said; nothing it does from now on can matter
    if results[-1]["report"].endswith("\n"):
        exiting.append((pid, workdir))
    else:
        results[-1]["exit"], results[-1]["signal"] = _decode(_reap(pid, workdir))
    return results


def _read_line(fd, pending, deadline):
    """(line, rest, problem): one newline-terminated report, or what was read when the child stopped."""
    while b"\n" not in pending:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return pending, b"", "timeout"
        if not select.select([fd], [], [], remaining)[0]:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return pending, b"", "ended"
        pending += chunk
        if len(pending) > REPORT_LIMIT:
            return b"", b"", "too big"
    line, _, rest = pending.partition(b"\n")
    return line + b"\n", rest, None


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
    done, _ = os.waitpid(pid, os.WNOHANG)
    if done:
        shutil.rmtree(workdir, ignore_errors=True)
    return bool(done)


def _reap(pid, workdir):
    _, status = os.waitpid(pid, 0)
    shutil.rmtree(workdir, ignore_errors=True)
    return status


if __name__ == "__main__":
    main()
