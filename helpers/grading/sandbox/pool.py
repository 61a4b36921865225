"""The grading process's side of the workers: start them, feed them tasks, collect replies, replace the dead.

A task is one student's submission: the exercises of all of the student's notebooks. The workers
(``helpers.grading.sandbox.worker``) are forked from a zygote, a fresh interpreter started with exec, a clean
environment and a clean command line (``WORKER_ENVIRONMENT``, ``Zygote.command``) that pays the torch import
once; nothing of this process (the instructor's environment, paths, roster, results, the reference solutions)
reaches them. Two
tasks are kept in flight per worker so it never waits for the grading process; tasks are drawn from an
iterator only when a worker has room, so the grading process plans the class while the workers grade it. A
worker that stops answering (a child it could not kill, a crash) is killed with its process group and
replaced; its current task is reported as crashed and the tasks queued behind it go to the pool again. So is
a worker whose reply cannot be read (garbage on its pipe, a report too large or out of order). Past the
run's wall-clock limit the workers are stopped and every task not yet answered gets ``EXPIRED`` as its
reason. A pool refuses to start (one line, exit status 2) where the kernel cannot sandbox the children
(``sandbox.unavailable``), unless it is told to trust the students.
"""
import collections
import itertools
import json
import os
import select
import selectors
import socket
import subprocess
import sys
import time

from helpers import ROOT
from helpers.grading import sandbox
from helpers.grading.environment import ENVIRONMENT

IN_FLIGHT = 2
RESULT_LINE = 4096  # bytes of a result's header line
EXPIRED = "the whole run reached its time limit"
SLACK = 10.0  # seconds beyond a task's own limit before the worker itself is presumed stuck
STARTUP = 60.0  # seconds a new worker may take to import torch on a loaded machine
# All a worker's environment: one thread per process, matplotlib without a display, a UTF-8 locale.
WORKER_ENVIRONMENT = {**ENVIRONMENT, "LANG": "C.UTF-8"}
RESULT_FIELDS = {"id": int, "seconds": float, "timed_out": bool, "too_big": bool, "cpu_limit": bool, "size": int}


class Zygote:
    """The exec'd interpreter (``helpers.grading.sandbox.worker``) that imports torch once and forks the workers.

    Requests go as packets on a socket pair; nothing here waits for the zygote's start-up, so it imports torch
    while this process does."""

    def __init__(self, trust=False):
        self.socket, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(self.command(trust), cwd=ROOT, env=WORKER_ENVIRONMENT, stdin=theirs,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.forked = 0

    @staticmethod
    def command(trust):
        """The whole command line: the interpreter, isolated from the environment and the user's site."""
        return [sys.executable, "-E", "-s", "-B", "-m", "helpers.grading.sandbox.worker",
                *(["--trust-students"] if trust else [])]

    def fork(self, scratch):
        """A new worker's number and its task and reply pipes (our ends); raises OSError if the zygote is gone."""
        tasks_read, tasks_write = os.pipe()
        replies_read, replies_write = os.pipe()
        self.forked += 1
        try:
            socket.send_fds(self.socket, [f"fork {self.forked} {scratch}".encode()], [tasks_read, replies_write])
        except OSError:
            os.close(tasks_write)
            os.close(replies_read)
            raise
        finally:
            os.close(tasks_read)
            os.close(replies_write)
        return self.forked, tasks_write, replies_read

    def kill(self, number):
        """Kill a worker (its children die with it) and wait until the zygote has reaped it."""
        try:
            self.socket.settimeout(STARTUP)
            self.socket.sendall(f"kill {number}".encode())
            self.socket.recv(16)
        except OSError:
            pass
        finally:
            self.socket.settimeout(None)

    def close(self, wait=5.0):
        """The zygote waits for its workers and exits; past ``wait`` it is killed, and its workers with it."""
        self.socket.close()
        try:
            self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Worker:
    def __init__(self, zygote, trust=False):
        self.trust, self.zygote = trust, zygote
        # The children's folders (mount points of their own tmpfs) live in this one, removed with the worker
        # however it ends.
        self.scratch = sandbox.scratch()
        self.number, tasks, replies = zygote.fork(self.scratch)
        self.stdin, self.stdout = open(tasks, "wb", buffering=0), open(replies, "rb", buffering=0)
        os.set_blocking(tasks, False)
        os.set_blocking(replies, False)
        self.outgoing = bytearray()  # tasks not yet taken by the worker's pipe
        self.tasks = collections.deque()
        self.buffer, self.expected, self.results = bytearray(), None, []
        self.free_since = time.monotonic() + STARTUP

    def send(self, task):
        """Queue the task: a header of numbers only, then the student's exercises (``worker`` says why)."""
        items = task["items"]
        payload = json.dumps({"items": items, **({"hidden": task["hidden"]} if self.trust else {})}).encode()
        header = json.dumps({"id": task["id"], "size": len(payload), "count": len(items), "timeout": task["timeout"],
                             "cpu_seconds": task["cpu_seconds"], "memory_mb": task["memory_mb"],
                             "warm": sandbox.warm_ups(item["answer"] for item in items)}).encode()
        self.outgoing += header.ljust(sandbox.TASK_HEADER) + payload
        self.flush()
        if not self.tasks:
            self.free_since = max(self.free_since, time.monotonic())
        self.tasks.append(task)

    def flush(self):
        """Write what the worker's pipe takes now (never block: the worker may be busy writing to us)."""
        try:
            while self.outgoing:
                del self.outgoing[:os.write(self.stdin.fileno(), self.outgoing[:1 << 16])]
        except BlockingIOError:
            pass
        except OSError:
            self.outgoing.clear()  # a dead worker: its end is noticed on its stdout

    def deadline(self):
        """When the oldest task must have come back (its limit counts from when the worker could start it)."""
        task = self.tasks[0]
        return self.free_since + task["timeout"] * len(task["items"]) + SLACK

    def replies(self, chunk):
        """The tasks completed by ``chunk`` of the worker's output, as (task, reply); raises ValueError on garbage."""
        self.buffer += chunk
        done = []
        while True:
            if self.expected is None:
                end = self.buffer.find(b"\n", 0, RESULT_LINE)
                if end < 0:
                    if len(self.buffer) >= RESULT_LINE:
                        raise ValueError("unreadable reply")
                    return done
                if not self.tasks:
                    raise ValueError("a reply to no task")
                self.expected = _result(bytes(self.buffer[:end]), self.tasks[0]["id"])
                del self.buffer[:end + 1]
            size = self.expected["size"]
            if len(self.buffer) < size:
                return done
            report = bytes(self.buffer[:size]).decode("utf-8", "replace")
            del self.buffer[:size]
            self.results.append({**self.expected, "report": report})
            self.expected = None
            if len(self.results) == len(self.tasks[0]["items"]):
                task = self.tasks.popleft()
                self.free_since = time.monotonic()
                done.append((task, {"id": task["id"], "results": self.results}))
                self.results = []

    def stop(self):
        self.zygote.kill(self.number)
        self.close_streams()
        sandbox.remove(self.scratch)

    def close_streams(self):
        for stream in (self.stdin, self.stdout):
            try:
                stream.close()
            except OSError:
                pass

    def ended(self, deadline):
        """Whether the worker closed its end of the reply pipe (it finished) before ``deadline``."""
        while time.monotonic() < deadline:
            if select.select([self.stdout], [], [], max(0.0, deadline - time.monotonic()))[0]:
                try:
                    if not os.read(self.stdout.fileno(), 1 << 16):
                        return True
                except BlockingIOError:
                    continue
                except OSError:
                    return True
        return False


def _result(line, task_id):
    """A result header for ``task_id`` of the expected shape; raises ValueError otherwise."""
    try:
        result = json.loads(line)
    except (ValueError, RecursionError):
        raise ValueError("unreadable reply") from None
    if not isinstance(result, dict) or result.get("id") != task_id or not all(
            isinstance(result.get(name), kind) for name, kind in RESULT_FIELDS.items()):
        raise ValueError("unreadable reply")
    if not 0 <= result["size"] <= sandbox.REPORT_LIMIT + 2**16:
        raise ValueError("reply too large")
    return result


def _watch(selector, worker):
    """Wait for room in the worker's pipe only while there is something to write to it."""
    wanted, watched = bool(worker.outgoing), worker.stdin in selector.get_map()
    if wanted and not watched:
        selector.register(worker.stdin, selectors.EVENT_WRITE, worker)
    elif watched and not wanted:
        selector.unregister(worker.stdin)


def _unwatch(selector, worker):
    for stream in (worker.stdout, worker.stdin):
        if stream in selector.get_map():
            selector.unregister(stream)


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
        self.zygote = Zygote(trust)
        self.workers = [self._worker() for _ in range(max(1, jobs))]

    def _worker(self):
        """A new worker, from a new zygote if the old one is gone."""
        try:
            return Worker(self.zygote, self.trust)
        except OSError:
            self.zygote.close(wait=0)
            self.zygote = Zygote(self.trust)
            return Worker(self.zygote, self.trust)

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
                    _watch(selector, worker)
                if not pending and not more and not any(worker.tasks for worker in self.workers):
                    break
                busy = [worker.deadline() for worker in self.workers if worker.tasks] + ([deadline] if deadline else [])
                if deadline and time.monotonic() > deadline:
                    yield from self._expire(tasks, pending, selector)
                    break
                events = selector.select(max(0.0, min(busy) - time.monotonic()) if busy else None)
                for key, _ in events:
                    if key.data in self.workers and key.fileobj is key.data.stdin:
                        key.data.flush()
                        _watch(selector, key.data)
                    elif key.data in self.workers:
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
            _unwatch(selector, worker)
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
        try:
            done = worker.replies(chunk)
        except ValueError as error:  # garbage on the pipe: this task is lost, the worker replaced, the rest re-sent
            yield from self._replace(worker, selector, pending, str(error))
            return
        yield from done

    def _replace(self, worker, selector, pending, reason):
        _unwatch(selector, worker)
        worker.stop()
        lost = worker.tasks.popleft() if worker.tasks else None
        pending.extendleft(reversed([task for task in worker.tasks]))
        fresh = self._worker()
        self.workers[self.workers.index(worker)] = fresh
        selector.register(fresh.stdout, selectors.EVENT_READ, fresh)
        if lost is not None:
            yield lost, {"id": lost["id"], "worker": reason}

    def close(self):
        for worker in self.workers:
            try:
                worker.stdin.close()  # the worker finishes its loop and reaps its children
            except OSError:
                pass
        deadline = time.monotonic() + 5
        for worker in self.workers:
            if not worker.ended(deadline):
                worker.zygote.kill(worker.number)
            worker.close_streams()
        self.zygote.close()
        for worker in self.workers:
            sandbox.remove(worker.scratch)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.close()
        else:
            for worker in self.workers:
                worker.close_streams()
            self.zygote.close(wait=0)  # its workers, and their children, die with it
            for worker in self.workers:
                sandbox.remove(worker.scratch)
