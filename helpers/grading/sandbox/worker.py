"""A grading worker: a fork server that imports torch once and forks a fresh child for every student.

The command line forks its workers from the grading process right after importing torch and the checker
core and running ``warm_up``, before it imports the reference solutions (``content``) or reads a submission
(``serve_forked``); a worker started later, once the references are loaded, is a fresh interpreter
(``python -m helpers.grading.sandbox.worker``). Either way no worker, and so no child, has the references in memory.
Protocol: one JSON task (one student's submission: the exercises of all of the student's notebooks, as
``items``) per line on stdin, one JSON reply per line on stdout, in order. A child runs the exercises of one
task only, so students never share a child. The child reports one line per exercise; the worker gives each
exercise its own wall-clock limit, kills the child's process group when it is exceeded, and forks a fresh
child for the student's exercises left after any exercise that ended its child. Reports are passed on as raw
text for the grading process to check.
"""
import functools
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

import helpers.checking.check  # noqa: F401 -- imported before forking (the setup cell's check, describe, ...);
# it loads the reference solutions only inside check(), which the children cannot import.
from helpers.grading import sandbox
from helpers.grading.sandbox import child

REPORT_LIMIT = 8 * 2**20  # bytes of observation a child may send for one exercise


@functools.cache
def warm_up():
    """Run once what answers commonly use, so each child inherits it instead of importing it itself.

    (A non-scalar ``backward(gradient)`` alone imports torch.fx and sympy lazily: 0.6 s in every child.)
    The grading process calls it before forking its workers, so it is paid once, not once per worker.
    """
    x = torch.linspace(-1, 1, 5, requires_grad=True)
    y = torch.sin(x) * x ** 2
    y.backward(torch.ones_like(y), retain_graph=True)
    y.sum().backward()
    (g,) = torch.autograd.grad((x ** 3).sum(), x, create_graph=True)
    g.sum().backward()
    torch.autograd.functional.jacobian(lambda t: t ** 2, x.detach())
    with torch.no_grad():
        (x * 2).detach().numpy()


def warm_up_transforms():
    """torch.func, forward AD and torch.optim: on first use they import torch._dynamo and build dispatch tables.

    (1.2 s in every child whose answer calls, say, ``torch.func.jvp``; 5 ms once the worker has done it.)
    """
    from torch.func import grad, jacfwd, jacrev, jvp, vmap

    x = torch.linspace(0.5, 2.0, 4)
    jvp(lambda t: torch.log(t ** 2) * torch.sin(t) + 1 / t, (x,), (torch.ones_like(x),))
    grad(lambda t: (torch.sin(t) / t).sum())(x)
    jacrev(lambda t: t.exp() / t)(x)
    jacfwd(lambda t: 1 / t)(x)
    vmap(torch.sin)(x)
    torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1).step()


def warm_up_pyplot():
    import matplotlib.pyplot  # noqa: F401 -- 0.5 s


# What only some classes use, with the words in an answer cell that announce it: the worker warms each up
# the first time a task mentions it, so that its later children inherit the work instead of repeating it.
ON_DEMAND = [(("torch.func", "functorch", "forward_ad", "optim", "jvp", "vmap", "jacrev", "jacfwd"),
              warm_up_transforms),
             (("matplotlib",), warm_up_pyplot)]


SCRATCH = None  # the folder (given by the pool) that holds this worker's children's folders


def serve_forked(tasks_fd, replies_fd, scratch=None):
    """The body of a worker forked from the grading process: tasks on ``tasks_fd``, replies on ``replies_fd``."""
    global SCRATCH
    try:
        SCRATCH = scratch
        gc.freeze()  # the grading process's objects are never collected (or closed) here
        os.setsid()  # its own process group, out of reach of the terminal's Ctrl-C
        null = os.open(os.devnull, os.O_RDWR)
        for fd, target in ((tasks_fd, 0), (replies_fd, 1), (null, 2)):
            os.dup2(fd, target)
        os.closerange(3, 65536)  # the grading process's files, the other workers' pipes included
        sys.stdin, sys.stdout = open(0, closefd=False), open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        main()
    finally:
        os._exit(0)


def main():
    global SCRATCH
    if os.environ.get("AUTOGRADE_TRUST_STUDENTS") == "1":  # a worker started as a fresh interpreter
        sandbox.TRUST = True
    SCRATCH = SCRATCH or os.environ.pop("AUTOGRADE_SCRATCH", None)
    torch.set_num_threads(1)
    warm_up()
    sandbox.readable()  # computed once here, inherited by every child
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grading process decides when workers stop
    gc.freeze()  # keep the garbage collector from touching (and so copying) the parent's pages in children
    exiting = []  # children that reported everything: reaped later, off the critical path
    warmed = set()
    for line in sys.stdin:
        task, line = json.loads(line), None
        # The grader's folders reach the child only when the kernel cannot wall it in (--trust-students).
        hidden = tuple(task.pop("hidden", None) or ())
        if not sandbox.TRUST:
            hidden = ()
        _warm_up_on_demand(task["items"], warmed)
        results = []
        while len(results) < len(task["items"]):
            results += run_child(task, task["items"][len(results):], exiting, hidden)
        sys.stdout.write(json.dumps({"id": task["id"], "results": results}) + "\n")
        sys.stdout.flush()
        exiting = [item for item in exiting if not _reaped(*item)]
    for pid, workdir in exiting:
        _kill(pid)
        _reap(pid, workdir)


def _warm_up_on_demand(items, done):
    text = "".join(str(item["answer"]) for item in items)
    for words, warm in ON_DEMAND:
        if warm not in done and any(word in text for word in words):
            done.add(warm)
            try:
                warm()
            except Exception:  # noqa: BLE001 -- only a head start: a child does it again if it must
                pass
            gc.freeze()


def run_child(task, items, exiting, hidden=()):
    """Fork a child for ``items``; the results of those it finished, plus the one that ended it (if any)."""
    workdir = tempfile.mkdtemp(prefix="autograd-grade-", dir=SCRATCH)
    read_end, write_end = os.pipe()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        child.run(task, items, write_end, workdir, hidden)  # never returns
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
