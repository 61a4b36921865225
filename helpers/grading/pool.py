"""The grading process's side of the workers: start them, feed them tasks, collect replies, replace the dead.

A task is one student's submission: the exercises of all of the student's notebooks. Each worker
(``helpers.grading.worker``) pays the torch import once: the workers of a fresh grading process are forked
from it after it imported torch, before it loads the reference solutions; a worker started once they are
loaded (a replacement, or a pool started by a process that holds them) is a fresh interpreter. Two tasks are
kept in flight per worker so it never waits for the grading process; tasks are drawn from an iterator only
when a worker has room, so the grading process plans the class while the workers grade it. A worker that
stops answering (a child it could not kill, a crash) is killed with its process group and replaced; its
current task is reported as crashed and the tasks queued behind it go to the pool again.
"""
import collections
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from helpers.grading.environment import ENVIRONMENT
from helpers.grading.guard import BLOCKED_MODULE
from helpers.grading.worker import serve_forked

IN_FLIGHT = 2
SLACK = 10.0  # seconds beyond a task's own limit before the worker itself is presumed stuck
STARTUP = 60.0  # seconds a new worker may take to import torch on a loaded machine
ROOT = Path(__file__).resolve().parents[2]
def forkable():
    """Whether a worker forked from this process is clean: no references loaded, no other thread running."""
    return BLOCKED_MODULE not in sys.modules and threading.active_count() == 1


class Worker:
    def __init__(self):
        tasks_read, tasks_write = os.pipe()
        replies_read, replies_write = os.pipe()
        if forkable():
            pid = os.fork()
            if pid == 0:
                serve_forked(tasks_read, replies_write)  # never returns
            self.process = _Forked(pid)
        else:
            env = {**os.environ, **ENVIRONMENT}
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
            self.process = subprocess.Popen([sys.executable, "-m", "helpers.grading.worker"], cwd=ROOT, env=env,
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

    def __init__(self, jobs):
        self.workers = [Worker() for _ in range(max(1, jobs))]

    def run(self, tasks):
        """``tasks`` may be a generator: it is advanced only when a worker has room for one more task."""
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
                busy = [worker.deadline() for worker in self.workers if worker.tasks]
                events = selector.select(max(0.0, min(busy) - time.monotonic()) if busy else None)
                for key, _ in events:
                    yield from self._collect(key.data, selector, pending)
                now = time.monotonic()
                for worker in list(self.workers):
                    if worker.tasks and now > worker.deadline():
                        yield from self._replace(worker, selector, pending, "worker stopped answering")
        finally:
            selector.close()

    def _collect(self, worker, selector, pending):
        try:
            chunk = os.read(worker.stdout.fileno(), 1 << 20)
        except BlockingIOError:
            return
        if not chunk:
            yield from self._replace(worker, selector, pending, "worker died")
            return
        worker.buffer += chunk
        *lines, worker.buffer = worker.buffer.split(b"\n")
        for line in lines:
            task = worker.tasks.popleft()
            worker.free_since = time.monotonic()
            reply = json.loads(line)
            if reply.get("id") != task["id"]:
                raise RuntimeError("grading worker replied out of order")
            yield task, reply

    def _replace(self, worker, selector, pending, reason):
        selector.unregister(worker.stdout)
        worker.stop()
        lost = worker.tasks.popleft()
        pending.extendleft(reversed([task for task in worker.tasks]))
        fresh = Worker()
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
