"""The sandbox that runs students' code: workers (``pool``, ``worker``), the per-student child (``child``) and
its walls: Landlock (``landlock``) and seccomp (``seccomp``), enforced by the kernel, plus the Python-level
``guard`` for friendlier messages. ``wire`` carries exercise inputs to the child and replies back as plain data.

``unavailable()`` says, in one line, why this kernel cannot enforce the walls (None when it can); grading
then refuses unless the instructor passes ``--trust-students``.
"""
import functools
import os
import site
import sys
import sysconfig

from helpers.grading.sandbox import landlock, seccomp

TRUST = False  # --trust-students: no kernel walls (set in the grading process before workers start)
READ_ONLY = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/proc", "/sys", "/dev")


def unavailable():
    """None when Landlock (ABI ≥ 6, with signal scoping) and seccomp filters work here, else the reason."""
    version = landlock.abi()
    if version < landlock.NEEDED_ABI:
        return (f"this kernel has Landlock ABI {version} (Linux ≥ 6.12 with ABI {landlock.NEEDED_ABI} is needed "
                "to sandbox students' code)")
    if not seccomp.supported():
        return "this system cannot install seccomp filters on x86_64 (needed to sandbox students' code)"
    return None


@functools.cache
def readable():
    """What a child must read to run: the interpreter and its libraries, site-packages, system files.

    Computed once in the worker (``sysconfig`` is slow the first time), inherited by every child."""
    paths = {sys.base_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable)), *READ_ONLY}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    return tuple(sorted(p for p in paths if p and os.path.isabs(p)))


def confine(workdir):
    """Landlock (read the system, write only ``workdir``, no signals or sockets out) then seccomp; for good."""
    landlock.restrict(read=readable(), write=[workdir], files_write=["/dev/null"])
    seccomp.install(os.getpid())
