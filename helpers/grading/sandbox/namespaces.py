"""The grading child's own corner of the system, from unprivileged kernel features (user namespaces).

``isolate(workdir)`` runs in the freshly forked child, before Landlock and seccomp. It gives the child fresh
IPC, UTS and mount namespaces: SysV IPC objects and POSIX message queues it makes die with it and never reach
another student, ``sethostname`` changes only its own name, and its working folder is its own size-capped
tmpfs (``TMPFS``), so files it writes fill neither the disk the results are on nor anyone else's folder, and
vanish with it (no clean-up to fool). It also gets its own user namespace, where it holds no capability and
where ``RLIMIT_NPROC`` counts its own threads only (``THREADS``): the equivalent of a cgroup's ``pids.max``,
which these machines do not delegate (cgroup v1 for pids and memory, root-owned).

As root, the child first becomes ``nobody`` (uid and gid 65534, no supplementary groups, no capabilities):
root's rights over files (``chattr +i``, ACLs, chmod), over other processes (``setpriority``) and over the
system (``sethostname``) are gone with the uid, and ``RLIMIT_NPROC`` is enforced, which it never is for root.
An unprivileged user cannot enter a folder such as ``/root`` (mode 0700) that holds the interpreter (pyenv)
or the project; ``view`` lists those folders, and the child covers each with a tmpfs holding only what it
must read (the interpreter, site-packages), bound back at the same paths.
"""
import ctypes
import os
import resource
import stat

NOBODY = 65534  # the uid and gid a child of a root grader runs as
THREADS = 64  # tasks (the child and its threads) a child may have at once
TMPFS = "size=65536k,nr_inodes=4096,mode=0700"  # the child's working folder: 64 MB, 4096 files and folders

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x04000000, 0x08000000, 0x10000000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_SLAVE = 2, 4, 4096, 16384, 1 << 19
PR_SET_DUMPABLE = 4
CAPABILITY_VERSION_3 = 0x20080522

_libc = ctypes.CDLL(None, use_errno=True)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _check(result, what):
    if result < 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source, target, kind, flags, options=None):
    _check(_libc.mount(source and os.fsencode(source), os.fsencode(target), kind and kind.encode(), flags,
                       options and options.encode()), f"mount {target}")


def view(paths):
    """[(folder, [paths beneath it])]: for each folder that ``nobody`` cannot enter (no search right for
    others) on the way to one of ``paths``, the paths to bind back. Empty unless this process is root."""
    if os.geteuid() != 0:
        return []
    hidden = {}
    for path in sorted(paths):
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts)):
            folder = "/" + "/".join(parts[:depth])
            try:
                if not os.stat(folder).st_mode & stat.S_IXOTH:
                    hidden.setdefault(folder, []).append(path)
                    break
            except OSError:
                break
    return [(folder, [p for p in found if not any(p.startswith(q + "/") for q in found)])
            for folder, found in hidden.items() if not any(folder.startswith(f + "/") for f in hidden)]


def isolate(workdir, folders=()):
    """Fresh namespaces, a tmpfs on ``workdir``, an unprivileged identity without capabilities, a thread bound.

    Must run in a single-threaded process (a freshly forked child). ``folders`` is ``view(...)``."""
    os.umask(0o022)  # folders it makes (and ``_cover``'s) are readable by nobody whatever the grader's umask
    if os.geteuid() == 0:
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        _mount(None, "/", None, MS_REC | MS_SLAVE)  # nothing mounted here reaches the system's namespace
        _cover(folders)
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"{TMPFS},uid={NOBODY},gid={NOBODY}")
        os.setgroups([])
        os.setresgid(NOBODY, NOBODY, NOBODY)
        os.setresuid(NOBODY, NOBODY, NOBODY)  # every capability goes with uid 0
        _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # so that it may write its own uid_map
        _check(_libc.unshare(CLONE_NEWUSER), "unshare")  # only to count its threads apart from other children
        _map(NOBODY, NOBODY)
    else:
        uid, gid = os.geteuid(), os.getegid()
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS), "unshare")
        _map(uid, gid)
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, TMPFS)
    _check(_libc.capset(ctypes.byref(_CapHeader(CAPABILITY_VERSION_3, 0)), (_CapData * 2)()), "capset")
    resource.setrlimit(resource.RLIMIT_NPROC, (THREADS, THREADS))


def _map(uid, gid):
    """Map the one uid and gid this process has to themselves in its new user namespace."""
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        fd = os.open(f"/proc/self/{name}", os.O_WRONLY)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)


def _cover(folders):
    """A tmpfs (mode 0755) over each folder, with the paths beneath it bound back where they were."""
    for folder, paths in folders:
        handles = [os.open(path, os.O_PATH | os.O_CLOEXEC) for path in paths]
        try:
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,nr_inodes=256,mode=0755")
            for path, handle in zip(paths, handles):
                if stat.S_ISDIR(os.fstat(handle).st_mode):
                    os.makedirs(path, mode=0o755, exist_ok=True)
                else:
                    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
                    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o644))
                _mount(f"/proc/self/fd/{handle}", path, None, MS_BIND | MS_REC)
        finally:
            for handle in handles:
                os.close(handle)
