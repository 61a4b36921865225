"""The grading process's side of the workers: start them, feed them tasks, collect replies, replace the dead.

A task is one student's submission: the exercises of all of the student's notebooks. Each worker
(``helpers.grading.sandbox.worker``) pays the torch import once: the workers of a fresh grading process are forked
from it after it imported torch, before it loads the reference solutions; a worker started once they are
loaded (a replacement, or a pool started by a process that holds them) is a fresh interpreter. Two tasks are
kept in flight per worker so it never waits for the grading process; tasks are drawn from an iterator only
when a worker has room, so the grading process plans the class while the workers grade it. A worker that
stops answering (a child it could not kill, a crash) is killed with its process group and replaced; its
current task is reported as crashed and the tasks queued behind it go to the pool again. So is a worker
whose reply cannot be read (garbage on its pipe, a reply too large or out of order). Past the run's
wall-clock limit the workers are stopped and every task not yet answered gets ``EXPIRED`` as its reason.
A pool refuses to start (one line, exit status 2) where the kernel cannot sandbox the children
(``sandbox.unavailable``), unless it is told to trust the students.
"""
import collections
import itertools
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from helpers import ROOT
from helpers.grading import sandbox
from helpers.grading.environment import ENVIRONMENT
from helpers.grading.sandbox.guard import BLOCKED_MODULES
from helpers.grading.sandbox.worker import serve_forked

IN_FLIGHT = 2
REPLY_LIMIT = 64 * 2**20  # bytes of one worker reply (a task's reports, each bounded by the worker)
EXPIRED = "the whole run reached its time limit"
SLACK = 10.0  # seconds beyond a task's own limit before the worker itself is presumed stuck
STARTUP = 60.0  # seconds a new worker may take to import torch on a loaded machine
def forkable():
    """Whether a worker forked from this process is clean: no references loaded, no other thread running."""
    return not any(module in sys.modules for module in BLOCKED_MODULES) and threading.active_count() == 1


class Worker:
    def __init__(self, trust=False):
        sandbox.TRUST = trust  # what a forked worker, and so its children, inherit
        # The children's folders live in this one, removed with the worker however it ends.
        self.scratch = tempfile.mkdtemp(prefix="autograd-worker-")
        tasks_read, tasks_write = os.pipe()
        replies_read, replies_write = os.pipe()
        if forkable():
            pid = os.fork()
            if pid == 0:
                serve_forked(tasks_read, replies_write, self.scratch)  # never returns
            self.process = _Forked(pid)
        else:
            env = {**os.environ, **ENVIRONMENT, "AUTOGRADE_TRUST_STUDENTS": "1" if trust else "0",
                   "AUTOGRADE_SCRATCH": self.scratch}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
            self.process = subprocess.Popen([sys.executable, "-m", "helpers.grading.sandbox.worker"], cwd=ROOT, env=env,
                                            stdin=tasks_read, stdout=replies_write, stderr=subprocess.DEVNULL,
                                            start_new_session=True)
        os.close(tasks_read)
        os.close(replies_write)
        self.stdin, self.stdout = open(tasks_write, "wb"), open(replies_read, "rb", buffering=0)
        os.set_blocking(replies_read, False)
        self.tasks = collections.deque()  # (task, sent_at)
        self.buffer = b""
        self.free_since = time.monotonic() + STARTUP

    def send(self, task):
        self.stdin.write((json.dumps(task) + "\n").encode())
        self.stdin.flush()
        if not self.tasks:
            self.free_since = max(self.free_since, time.monotonic())
        self.tasks.append(task)

    def deadline(self):
        """When the oldest task must have come back (its limit counts from when the worker could start it)."""
        task = self.tasks[0]
        return self.free_since + task["timeout"] * len(task["items"]) + SLACK

    def stop(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.wait()
        shutil.rmtree(self.scratch, ignore_errors=True)


def _reply(line, task_id):
    """A worker's reply for ``task_id`` as a dict of the expected shape, or None."""
    try:
        reply = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(reply, dict) or reply.get("id") != task_id or not isinstance(reply.get("results"), list):
        return None
    if not all(isinstance(result, dict) and isinstance(result.get("report"), str) for result in reply["results"]):
        return None
    return reply


class _Forked:
    """What the pool uses of ``subprocess.Popen``, for a worker forked from this process."""

    def __init__(self, pid):
        self.pid, self.status = pid, None

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.status is None:
            pid, status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                self.status = status
                break
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("grading worker", timeout)
            time.sleep(0.01)
        return self.status


class Pool:
    """``run(tasks)`` yields ``(task, reply)`` for every task, in completion order."""

    def __init__(self, jobs, trust=False):
        """``trust``: grade without the kernel's walls (``--trust-students``). Without it, a kernel that cannot
        raise them ends the command with one line (exit status 2) before any worker starts."""
        reason = None if trust else sandbox.unavailable()
        if reason:
            print(f"autograd-course: refusing to grade: {reason}; pass --trust-students to grade without a sandbox",
                  file=sys.stderr)
            raise SystemExit(2)
        self.trust = trust
        self.workers = [Worker(trust) for _ in range(max(1, jobs))]

    def run(self, tasks, deadline=None):
        """``tasks`` may be a generator: it is advanced only when a worker has room for one more task.

        Past ``deadline`` (``time.monotonic()``; the whole run's wall-clock limit) the workers are stopped and
        every task not yet answered is yielded with the reason ``EXPIRED``."""
        tasks, pending = iter(tasks), collections.deque()  # pending: tasks to send again after a crash
        more = True
        selector = selectors.DefaultSelector()
        for worker in self.workers:
            selector.register(worker.stdout, selectors.EVENT_READ, worker)
        try:
            while True:
                for worker in self.workers:
                    while len(worker.tasks) < IN_FLIGHT and (pending or more):
                        task = pending.popleft() if pending else next(tasks, None)
                        if task is None:
                            more = False
                        else:
                            worker.send(task)
                if not pending and not more and not any(worker.tasks for worker in self.workers):
                    break
                busy = [worker.deadline() for worker in self.workers if worker.tasks] + ([deadline] if deadline else [])
                if deadline and time.monotonic() > deadline:
                    yield from self._expire(tasks, pending, selector)
                    break
                events = selector.select(max(0.0, min(busy) - time.monotonic()) if busy else None)
                for key, _ in events:
                    yield from self._collect(key.data, selector, pending)
                now = time.monotonic()
                for worker in list(self.workers):
                    if worker.tasks and now > worker.deadline():
                        yield from self._replace(worker, selector, pending, "worker stopped answering")
        finally:
            selector.close()

    def _expire(self, tasks, pending, selector):
        for worker in list(self.workers):
            lost = list(worker.tasks)
            worker.tasks.clear()
            selector.unregister(worker.stdout)
            worker.stop()
            self.workers.remove(worker)
            for task in lost:
                yield task, {"id": task["id"], "worker": EXPIRED}
        for task in itertools.chain(pending, tasks):
            yield task, {"id": task["id"], "worker": EXPIRED}
        pending.clear()

    def _collect(self, worker, selector, pending):
        try:
            chunk = os.read(worker.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        except OSError:
            chunk = b""
        if not chunk:
            yield from self._replace(worker, selector, pending, "worker died")
            return
        worker.buffer += chunk
        if len(worker.buffer) > REPLY_LIMIT:
            yield from self._replace(worker, selector, pending, "reply too large")
            return
        *lines, worker.buffer = worker.buffer.split(b"\n")
        for number, line in enumerate(lines):
            reply = _reply(line, worker.tasks[0]["id"])
            if reply is None:  # garbage on the pipe: this task is lost, the worker replaced, the rest re-sent
                worker.buffer = b""
                yield from self._replace(worker, selector, pending, "unreadable reply")
                return
            task = worker.tasks.popleft()
            worker.free_since = time.monotonic()
            yield task, reply

    def _replace(self, worker, selector, pending, reason):
        selector.unregister(worker.stdout)
        worker.stop()
        lost = worker.tasks.popleft()
        pending.extendleft(reversed([task for task in worker.tasks]))
        fresh = Worker(self.trust)
        self.workers[self.workers.index(worker)] = fresh
        selector.register(fresh.stdout, selectors.EVENT_READ, fresh)
        yield lost, {"id": lost["id"], "worker": reason}

    def close(self):
        for worker in self.workers:
            try:
                worker.stdin.close()  # the worker finishes its loop and reaps its children
            except OSError:
                pass
        for worker in self.workers:
            try:
                worker.process.wait(timeout=5)
                shutil.rmtree(worker.scratch, ignore_errors=True)
            except subprocess.TimeoutExpired:
                worker.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            for worker in self.workers:
                worker.stop()
