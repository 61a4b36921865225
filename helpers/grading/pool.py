"""The grading process's side of the workers: start them, feed them tasks, collect replies, replace the dead.

A task is one student's notebook. Each worker (``helpers.grading.worker``) is a fresh interpreter that pays the torch import once. Two
tasks are kept in flight per worker so it never waits for the grading process. A worker that stops
answering (a child it could not kill, a crash) is killed with its process group and replaced; its
current task is reported as crashed and the tasks queued behind it go to the pool again.
"""
import collections
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

IN_FLIGHT = 2
SLACK = 10.0  # seconds beyond a task's own limit before the worker itself is presumed stuck
STARTUP = 60.0  # seconds a new worker may take to import torch on a loaded machine
ROOT = Path(__file__).resolve().parents[2]
# Huge pages for the worker's heap make each fork several times cheaper (page tables are the cost).
WORKER_ENV = {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1", "PYTHONMALLOC": "malloc", "OMP_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}


class Worker:
    def __init__(self):
        env = {**os.environ, **WORKER_ENV}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen([sys.executable, "-m", "helpers.grading.worker"], cwd=ROOT, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        os.set_blocking(self.process.stdout.fileno(), False)
        self.tasks = collections.deque()  # (task, sent_at)
        self.buffer = b""
        self.free_since = time.monotonic() + STARTUP

    def send(self, task):
        self.process.stdin.write((json.dumps(task) + "\n").encode())
        self.process.stdin.flush()
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
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.process.wait()


class Pool:
    """``run(tasks)`` yields ``(task, reply)`` for every task, in completion order."""

    def __init__(self, jobs):
        self.workers = [Worker() for _ in range(max(1, jobs))]

    def run(self, tasks):
        pending = collections.deque(tasks)
        selector = selectors.DefaultSelector()
        for worker in self.workers:
            selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
        try:
            while pending or any(worker.tasks for worker in self.workers):
                for worker in self.workers:
                    while pending and len(worker.tasks) < IN_FLIGHT:
                        worker.send(pending.popleft())
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
            chunk = os.read(worker.process.stdout.fileno(), 1 << 20)
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
        selector.unregister(worker.process.stdout)
        worker.stop()
        lost = worker.tasks.popleft()
        pending.extendleft(reversed([task for task in worker.tasks]))
        fresh = Worker()
        self.workers[self.workers.index(worker)] = fresh
        selector.register(fresh.process.stdout, selectors.EVENT_READ, fresh)
        yield lost, {"id": lost["id"], "worker": reason}

    def close(self):
        for worker in self.workers:
            try:
                worker.process.stdin.close()  # the worker finishes its loop and reaps its children
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
