"""The sandbox that runs students' code: workers (``pool``, ``worker``), the per-student child (``child``) and
its walls, enforced by the kernel: its own namespaces, tmpfs, identity and thread bound (``namespaces``),
Landlock (``landlock``) and a seccomp allowlist (``seccomp``); plus the Python-level ``guard`` for friendlier
messages. ``wire`` carries exercise inputs to the child and replies back as plain data.

``unavailable()`` says, in one line, why this system cannot raise the walls (None when it can); grading then
refuses unless the instructor passes ``--trust-students``.
"""
import functools
import os
import site
import subprocess
import sys
import sysconfig
import tempfile

from helpers.grading.sandbox import landlock, namespaces, seccomp

TRUST = False  # --trust-students: no kernel walls (set in a worker started with --trust-students)
TASK_HEADER = 512  # bytes of the fixed-size header before each task's payload (grading process -> worker)
REPORT_LIMIT = 8 * 2**20  # bytes of report a child may send for one exercise (worker -> grading process)
READ_ONLY = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/opt", "/sys")
# Of /proc and /dev, only these (and the child's own /proc/<pid>): not other processes' command lines or memory.
READ_FILES = ("/proc/cpuinfo", "/proc/meminfo", "/proc/stat", "/proc/loadavg", "/dev/null", "/dev/zero",
              "/dev/urandom", "/dev/random")
# What only some classes use, with the words in an answer cell that announce it: the grading process names
# the warm-ups a task needs, and the worker runs each the first time (so later children inherit the work).
ON_DEMAND = {"transforms": ("torch.func", "functorch", "forward_ad", "optim", "jvp", "vmap", "jacrev", "jacfwd"),
             "pyplot": ("matplotlib",)}


def warm_ups(answers):
    """The names of the ON_DEMAND warm-ups that these answer cells announce."""
    text = "".join(answers)
    return [name for name, words in ON_DEMAND.items() if any(word in text for word in words)]


@functools.cache
def unavailable():
    """None when this system can raise every wall of the child, else the reason (one line)."""
    version = landlock.abi()
    if version < landlock.NEEDED_ABI:
        return (f"this kernel has Landlock ABI {version} (Linux ≥ 6.12 with ABI {landlock.NEEDED_ABI} is needed "
                "to sandbox students' code)")
    if not seccomp.supported():
        return "this system cannot install seccomp filters on x86_64 (needed to sandbox students' code)"
    return _probe()


@functools.cache
def readable():
    """What a child must read to run: the interpreter and its libraries, site-packages, system files.

    Computed once in the worker (``sysconfig`` is slow the first time), inherited by every child."""
    paths = {sys.base_prefix, sys.base_exec_prefix, os.path.dirname(os.path.realpath(sys.executable)), *READ_ONLY}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[key])
    paths.update(site.getsitepackages() if hasattr(site, "getsitepackages") else [])
    return tuple(sorted(p for p in paths if p and os.path.isabs(p)))


@functools.cache
def view():
    """The folders a child of a root grader must cover to read ``readable()`` as nobody (``namespaces.view``)."""
    return namespaces.view([p for p in readable() if os.path.exists(p)])


def prepare():
    """Compute once, in a worker, what every child needs to raise its walls (so that each inherits it)."""
    readable()
    view()
    seccomp.compiled()


def isolate(workdir):
    """The child's own namespaces, tmpfs, identity and thread bound (``namespaces.isolate``)."""
    namespaces.isolate(workdir, view())


def confine(workdir):
    """Landlock (read the system, write only ``workdir``, no signals or sockets out) then seccomp; for good."""
    landlock.restrict(read=readable() + READ_FILES + (f"/proc/{os.getpid()}",), write=[workdir],
                      files_write=["/dev/null"])
    seccomp.install(os.getpid())


def scratch():
    """A fresh folder for a worker's children's folders (the mount points of their tmpfs), in the temporary
    folder; for a root grader, whose children run as nobody, in one that others may pass through (else /tmp)."""
    root = tempfile.gettempdir()
    if os.geteuid() == 0 and any(not os.stat(folder).st_mode & 0o001 for folder in _ancestors(root)):
        root = "/tmp"
    folder = tempfile.mkdtemp(prefix="autograd-worker-", dir=root)
    os.chmod(folder, 0o711)
    return folder


def _ancestors(path):
    parts = os.path.realpath(path).split("/")
    return ["/" + "/".join(parts[1:depth]) for depth in range(2, len(parts) + 1)]


def remove(folder):
    """Remove a folder the grader made, whatever a child left in it (under --trust-students, even a tree
    thousands of folders deep, which ``shutil.rmtree`` cannot take)."""
    try:
        os.rmdir(folder)
        return
    except FileNotFoundError:
        return
    except OSError:
        pass
    subprocess.run(["rm", "-rf", "--one-file-system", "--", folder], stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def _probe():
    """Raise every wall in a throw-away child of this process; None if it could, else why not."""
    workdir = scratch()
    folder = os.path.join(workdir, "child")
    os.mkdir(folder)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            isolate(folder)
            confine(folder)
            for path in [os.__file__, *(p for p in readable() if "-packages" in p and os.path.isdir(p))]:
                os.close(os.open(path, os.O_RDONLY))  # what a child imports, read as the child
            os.write(write_end, b"ok")
        except BaseException as error:  # noqa: BLE001 -- reported to the grading process as one line
            os.write(write_end, f"{type(error).__name__}: {error}".encode()[:500])
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read().decode("utf-8", "replace")
    os.waitpid(pid, 0)
    os.rmdir(folder)
    os.rmdir(workdir)
    if answer == "ok":
        return None
    who = "nobody (uid 65534, as the grader runs as root)" if os.geteuid() == 0 else "an unprivileged user namespace"
    return f"a child in {who} could not raise its walls here ({answer})"
