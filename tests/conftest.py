"""Grading runs inside the test process share one zygote per trust level.

A grading command execs a zygote that imports torch and warms up (1.4 s of CPU) and closes it at the end; the
tests grade some forty times. Here a zygote outlives the pool that started it and serves the next one, so each
test worker pays that start once. Sharing is safe because a zygote never holds a run's data: the workers it
forks receive their tasks on their own pipes. A pool that fails still kills its zygote (``close(wait=0)``), and
the next pool starts a fresh one.

Not shared: a test marked ``own_zygote`` (it counts the zygote's children), and every grading command a test
runs as a subprocess (an interrupted command, the memory scan, the Gradescope autograder): the one-zygote-per-
command path stays tested as the command runs it.
"""
import pytest

from helpers.grading.sandbox import pool

_ZYGOTE = pool.Zygote  # the real one: the fixture below puts _KeptZygote in its place
_running = {}  # trust -> the real zygote kept for the next pool


class _KeptZygote:
    """Stands in for a pool's zygote; only a failing pool's ``close(wait=0)`` reaches the real one."""

    def __init__(self, trust=False):
        zygote = _running.get(trust)
        if zygote is None or zygote.process.poll() is not None:
            zygote = _running[trust] = _ZYGOTE(trust)
        self._zygote = zygote

    def __getattr__(self, name):
        return getattr(self._zygote, name)

    def close(self, wait=5.0):
        if wait == 0:
            self._zygote.close(wait=0)


@pytest.fixture(autouse=True)
def _shared_zygote(request, monkeypatch):
    if not request.node.get_closest_marker("own_zygote"):
        monkeypatch.setattr(pool, "Zygote", _KeptZygote)


def pytest_sessionfinish():
    for zygote in _running.values():
        zygote.close()
