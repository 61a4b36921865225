"""Grading workers: fork servers that import torch once and fork a fresh child for every student.

The pool starts one zygote with exec (``python -E -s -B -m helpers.grading.sandbox.worker``) and a clean
environment, never by forking the grading process; the zygote imports torch, warms up and forks the workers
(``main``). So no worker and no child inherits the instructor's environment (an LMS token), command line (the
paths), roster, results or the reference solutions (``content``), and the torch import is paid once for all workers.

A worker never holds one student's data where a later student's child could find it: a task arrives as a
fixed-size header (numbers only: ``HEADER``) and a payload (the student's exercises) that the worker reads into
a private anonymous map without parsing it; the child it forks parses it, and the map is unmapped when the task
is done. The children's reports pass through one buffer that every child sees as zeros (``MADV_WIPEONFORK``),
and go to the grading process as raw bytes after a header line, without being decoded here.

Protocol on stdin: per task, ``HEADER`` bytes of JSON (``id``, ``size``, ``count``, ``timeout``, ``cpu_seconds``,
``memory_mb``, ``warm``) then ``size`` bytes of payload (JSON: ``items``, and ``hidden`` under
``--trust-students``). On stdout, per exercise in order: a JSON line (``id``, ``seconds``, ``timed_out``,
``too_big``, ``exit``, ``signal``, ``cpu_limit``, ``size``) then ``size`` bytes of the child's report. A child
runs the exercises of one task only, so students never share a child. The worker gives each exercise its own
wall-clock limit, kills the child's process group when it is exceeded, and forks a fresh child for the
student's exercises left after any exercise that ended its child. A stop for CPU time (SIGXCPU, or the hard
limit's SIGKILL with the CPU time used up) is reported as ``cpu_limit``.
"""
import argparse
import ctypes
import gc
import json
import mmap
import os
import select
import signal
import socket
import tempfile
import time

import torch

import helpers.checking.check  # noqa: F401 -- imported before forking (the setup cell's check, describe, ...);
# it loads the reference solutions only inside check(), which the children cannot import.
import helpers.en  # noqa: F401 -- an English notebook's setup cell imports it, and a child cannot read helpers/.

# Importing helpers.en made this process speak English; verdicts are worded in the grading process, in its language.
os.environ.pop("AUTOGRAD_COURSE_LANG", None)
from helpers.grading import sandbox
from helpers.grading.sandbox import REPORT_LIMIT, TASK_HEADER as HEADER, child

CHUNK = 1 << 16
PR_SET_PDEATHSIG = 1
MADV_WIPEONFORK = 18  # Linux ≥ 4.14 (Python's mmap module names it only from 3.12)
_libc = ctypes.CDLL(None, use_errno=True)


def warm_up():
    """Run once what answers commonly use, so each child inherits it instead of importing it itself.

    (A non-scalar ``backward(gradient)`` alone imports torch.fx and sympy lazily: 0.6 s in every child.)
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


WARM_UPS = {"transforms": warm_up_transforms, "pyplot": warm_up_pyplot}  # the names of sandbox.ON_DEMAND


def main(argv=None):
    """The zygote: import torch and warm up once, then fork a worker whenever the grading process asks.

    Requests come as packets on the socket that is its stdin: ``fork NUMBER SCRATCH`` with the worker's task
    and reply pipes attached, ``kill NUMBER`` (answered ``done`` once the worker is gone). The zygote never
    reads a task; when the socket closes, it waits for its workers and exits."""
    parser = argparse.ArgumentParser(description="the grading workers' zygote (started by the grading process)")
    parser.add_argument("--trust-students", action="store_true")
    args = parser.parse_args(argv)
    sandbox.TRUST = args.trust_students
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # a grading process that dies takes it along
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grading process decides when workers stop
    torch.set_num_threads(1)
    warm_up()
    sandbox.prepare()  # computed once here, inherited by every worker and child
    gc.freeze()  # keep the garbage collector from touching (and so copying) the parent's pages in children
    requests, workers = socket.socket(fileno=0), {}
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(requests, 4096, 2)
        except OSError:
            break
        if not message:
            break
        verb, number, *rest = message.decode().split(" ", 2)
        if verb == "fork" and len(fds) == 2:
            workers[number] = _fork_worker(requests, fds, rest[0])
        for fd in fds:
            os.close(fd)
        if verb == "kill":
            pid = workers.pop(number, None)
            if pid is not None:
                _kill(pid)
                os.waitpid(pid, 0)
            requests.sendall(b"done")
    for pid in workers.values():
        os.waitpid(pid, 0)


def _fork_worker(requests, fds, scratch):
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    try:
        requests.close()
        os.dup2(fds[0], 0)
        os.dup2(fds[1], 1)
        os.setsid()  # its own process group, out of reach of the terminal's Ctrl-C
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # and gone with the zygote
        if os.getppid() == parent:
            serve(scratch)
    finally:
        os._exit(0)


def serve(scratch):
    """A worker: tasks on stdin, results on stdout, until stdin ends."""
    os.closerange(3, 65536)
    reports = mmap.mmap(-1, REPORT_LIMIT + CHUNK, flags=mmap.MAP_PRIVATE)
    reports.madvise(MADV_WIPEONFORK)  # every child sees zeros here, never an earlier student's report
    exiting, warmed = [], set()  # children that reported everything: reaped later, off the critical path
    while True:
        header = _read_exactly(0, HEADER)
        if header is None:
            break
        task = json.loads(header)
        payload = mmap.mmap(-1, max(1, task["size"]), flags=mmap.MAP_PRIVATE)
        try:
            if _read_exactly(0, task["size"], payload) is None:
                break
            _warm_up(task["warm"], warmed)
            done = 0
            while done < task["count"]:
                done += run_child(task, payload, done, reports, scratch, exiting)
        finally:
            payload.close()
        exiting = [item for item in exiting if not _reaped(*item)]
    for pid, workdir in exiting:
        _kill(pid)
        _reap(pid, workdir)


def _read_exactly(fd, size, into=None):
    """``size`` bytes from ``fd`` (into the map ``into``, when given); None at the end of the input."""
    view = memoryview(into)[:size] if into is not None else memoryview(bytearray(size))
    done = 0
    while done < size:
        count = os.readv(fd, [view[done:]])
        if not count:
            return None
        done += count
    return view.obj if into is None else into


def _warm_up(names, done):
    for name in names:
        if name in WARM_UPS and name not in done:
            done.add(name)
            try:
                WARM_UPS[name]()
            except Exception:  # noqa: BLE001 -- only a head start: a child does it again if it must
                pass
            gc.freeze()


def run_child(task, payload, start, reports, scratch, exiting):
    """Fork a child for the task's exercises from ``start`` on; send the results of those it finished and of the
    one that ended it (if any); return how many were sent."""
    workdir = tempfile.mkdtemp(prefix="grade-", dir=scratch)
    read_end, write_end = os.pipe()
    cpu_hard = int((task["count"] - start) * (task["cpu_seconds"] + 1) + 2)  # CPU seconds for the whole child
    parent = os.getpid()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        child.run(task, payload, start, cpu_hard, write_end, workdir, parent)  # never returns
    os.close(write_end)
    sent, filled = 0, 0
    while start + sent < task["count"]:
        line, filled, problem = _read_line(read_end, reports, filled, started + task["timeout"])
        now = time.perf_counter()
        result = {"id": task["id"], "seconds": round(now - started, 4), "timed_out": problem == "timeout",
                  "too_big": problem == "too big", "exit": None, "signal": None, "cpu_limit": False}
        if problem:
            os.close(read_end)
            _kill(pid)
            status, usage = _reap(pid, workdir)
            if problem == "ended":
                result["exit"], result["signal"] = _decode(status)
                result["cpu_limit"] = result["signal"] == signal.SIGXCPU or (
                    result["signal"] == signal.SIGKILL and usage.ru_utime + usage.ru_stime >= cpu_hard - 0.5)
            _send(result, reports, line)
            return sent + 1
        _send(result, reports, line)
        reports.move(0, line, filled - line)
        filled -= line
        sent += 1
        started = now
    os.close(read_end)
    _kill(pid)  # everything it had to say is said; nothing it does from now on can matter
    exiting.append((pid, workdir))
    return sent


def _read_line(fd, reports, filled, deadline):
    """(length, filled, problem): a newline-terminated report at the start of ``reports`` (its length with the
    newline), or what was read when the child stopped (``problem``: "timeout", "ended" or "too big")."""
    searched = 0
    while True:
        end = reports.find(b"\n", searched, filled)
        if end >= 0:
            return end + 1, filled, None
        searched = filled
        if filled > REPORT_LIMIT:
            return 0, filled, "too big"
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return filled, filled, "timeout"
        if not select.select([fd], [], [], remaining)[0]:
            continue
        count = os.readv(fd, [memoryview(reports)[filled:filled + CHUNK]])
        if not count:
            return filled, filled, "ended"
        filled += count


def _send(result, reports, length):
    """A result line, then the first ``length`` bytes of ``reports`` as they are."""
    result["size"] = length
    data = (json.dumps(result) + "\n").encode()
    while data:
        data = data[os.write(1, data):]
    view, done = memoryview(reports)[:length], 0
    while done < length:
        done += os.write(1, view[done:])
    view.release()


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
        sandbox.remove(workdir)  # an empty mount point: the child's tmpfs died with it
    return bool(done)


def _reap(pid, workdir):
    _, status, usage = os.wait4(pid, 0)
    sandbox.remove(workdir)
    return status, usage


if __name__ == "__main__":
    main()
