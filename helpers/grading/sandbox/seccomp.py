"""A hand-built seccomp BPF allowlist for the grading child (x86_64), installed through prctl.

The child may make only the system calls listed below, each with the reason it needs it; any other call fails
with EPERM. Some are allowed only with certain arguments: ``clone`` only for threads (``clone3`` answers
ENOSYS so that the C library falls back to ``clone``, whose flags a filter can read); ``kill``, ``setpriority``,
``sched_setscheduler``, ``prlimit64`` and the like only when aimed at the child itself; ``ioctl``, ``fcntl`` and
``prctl`` only with the requests a Python program makes of its own files and threads; ``rt_sigaction`` never
for SIGXCPU (the CPU-time limit cannot be caught or ignored). So xattrs (POSIX ACLs), chmod, chown, utime,
other ioctls (``chattr +i``), SysV IPC, POSIX message queues, ``memfd_create``, ``sethostname``, keyrings, bpf,
perf, userfaultfd, io_uring, sockets, mounts, namespaces, new processes, exec and ptrace are all denied, and so
is any system call a newer kernel adds. Any other architecture's calling convention (x32, i386) kills the
process. ``tests/test_walls.py`` fails if a call joins the list without a reason.
"""
import ctypes
import errno
import functools
import platform

AUDIT_ARCH_X86_64 = 0xC000003E
X32_BIT = 0x40000000
CLONE_THREAD = 0x00010000
RET_KILL_PROCESS, RET_ALLOW, RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
LD_ABS, JEQ, JGE, JSET, JA, RET = 0x20, 0x15, 0x35, 0x45, 0x05, 0x06
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_GET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 21, 2
NR, ARCH, ARG0, ARG1 = 0, 4, 16, 24  # offsets in struct seccomp_data (the low 32 bits of an argument)
SIGXCPU = 24

# name: (x86_64 number, why the child needs it). Paths are Landlock's business, so file calls are allowed here.
ALLOWED = {
    "read": (0, "reading files and pipes"),
    "write": (1, "writing files and the report pipe"),
    "open": (2, "opening files (Landlock decides which)"),
    "close": (3, "closing its own files"),
    "stat": (4, "file metadata (os.stat, imports)"),
    "fstat": (5, "file metadata of an open file"),
    "lstat": (6, "file metadata without following links"),
    "poll": (7, "waiting on its own pipes (select module)"),
    "lseek": (8, "moving in its own files"),
    "mmap": (9, "memory allocation and loading libraries"),
    "mprotect": (10, "memory protection changes by the allocator and loader"),
    "munmap": (11, "freeing memory maps"),
    "brk": (12, "the C heap"),
    "rt_sigprocmask": (14, "signal masks (threads, time.sleep)"),
    "rt_sigreturn": (15, "returning from a signal handler"),
    "pread64": (17, "positioned reads (sqlite3, zipfile)"),
    "pwrite64": (18, "positioned writes (sqlite3)"),
    "readv": (19, "reading into several buffers"),
    "writev": (20, "writing from several buffers"),
    "access": (21, "os.access and the import system"),
    "pipe": (22, "os.pipe within the child"),
    "select": (23, "select.select on its own pipes"),
    "sched_yield": (24, "yielding the CPU (locks, torch)"),
    "mremap": (25, "growing memory blocks (numpy, torch)"),
    "msync": (26, "flushing its own memory maps"),
    "mincore": (27, "memory residency queries by allocators"),
    "madvise": (28, "allocators returning memory to the kernel"),
    "dup": (32, "duplicating its own file descriptors"),
    "dup2": (33, "duplicating its own file descriptors"),
    "pause": (34, "waiting for a signal (signal.pause)"),
    "nanosleep": (35, "sleeping for a while (time.sleep)"),
    "getitimer": (36, "reading its interval timers (signal.getitimer)"),
    "alarm": (37, "an alarm for itself (signal.alarm)"),
    "setitimer": (38, "its interval timers (signal.setitimer)"),
    "getpid": (39, "its own process id"),
    "sendfile": (40, "shutil.copyfile between its own files"),
    "exit": (60, "ending a thread"),
    "uname": (63, "platform and socket.gethostname"),
    "flock": (73, "locks on its own files (sqlite3)"),
    "fsync": (74, "syncing its own files"),
    "fdatasync": (75, "syncing its own files (sqlite3)"),
    "truncate": (76, "truncating its own files"),
    "ftruncate": (77, "truncating its own files"),
    "getdents": (78, "listing folders (os.listdir)"),
    "getcwd": (79, "its working folder (os.getcwd)"),
    "chdir": (80, "changing its working folder (os.chdir)"),
    "fchdir": (81, "changing its working folder (os.fchdir)"),
    "rename": (82, "renaming its own files"),
    "mkdir": (83, "making folders in its own folder"),
    "rmdir": (84, "removing its own folders"),
    "creat": (85, "creating files in its folder"),
    "link": (86, "hard links in its own folder"),
    "unlink": (87, "removing its own files"),
    "symlink": (88, "symbolic links in its own folder"),
    "readlink": (89, "resolving links (os.path.realpath)"),
    "umask": (95, "the file-creation mask (tempfile)"),
    "gettimeofday": (96, "reading the time"),
    "getrlimit": (97, "reading its own limits"),
    "getrusage": (98, "its own CPU time (time.process_time)"),
    "sysinfo": (99, "memory totals read by libraries"),
    "times": (100, "its CPU times (os.times)"),
    "getuid": (102, "its own user id"),
    "getgid": (104, "its own group id"),
    "geteuid": (107, "its own user id"),
    "getegid": (108, "its own group id"),
    "getppid": (110, "its parent's id"),
    "getpgrp": (111, "its process group"),
    "getgroups": (115, "its supplementary groups (none)"),
    "getresuid": (118, "its user ids"),
    "getresgid": (120, "its group ids"),
    "getpgid": (121, "its process group (os.getpgid)"),
    "getsid": (124, "its session id (os.getsid)"),
    "capget": (125, "reading its (empty) capabilities"),
    "rt_sigpending": (127, "its pending signals (signal.sigpending)"),
    "rt_sigtimedwait": (128, "waiting for its signals (signal.sigtimedwait)"),
    "rt_sigsuspend": (130, "waiting for signals"),
    "sigaltstack": (131, "the signal stack Python and faulthandler set up"),
    "statfs": (137, "free space of a filesystem (os.statvfs, shutil.disk_usage)"),
    "fstatfs": (138, "free space of a filesystem (os.fstatvfs)"),
    "getpriority": (140, "reading priorities (os.getpriority)"),
    "sched_getparam": (143, "reading scheduling parameters"),
    "sched_getscheduler": (145, "reading the scheduling policy"),
    "sched_get_priority_max": (146, "reading scheduling limits"),
    "sched_get_priority_min": (147, "reading scheduling limits"),
    "sched_rr_get_interval": (148, "reading scheduling limits"),
    "arch_prctl": (158, "the C library's thread-pointer setup"),
    "setrlimit": (160, "lowering its own limits (resource.setrlimit)"),
    "gettid": (186, "its thread ids"),
    "readahead": (187, "read-ahead hints on its own files"),
    "time": (201, "reading the time"),
    "futex": (202, "locks and condition variables between its threads"),
    "sched_getaffinity": (204, "os.sched_getaffinity, CPU counts"),
    "set_tid_address": (218, "thread start-up in the C library"),
    "getdents64": (217, "listing folders (os.listdir, os.scandir)"),
    "restart_syscall": (219, "the kernel restarting a call after a signal"),
    "fadvise64": (221, "access-pattern hints on its own files"),
    "timer_create": (222, "POSIX timers (signal.setitimer, time limits in libraries)"),
    "timer_settime": (223, "arming its POSIX timers"),
    "timer_gettime": (224, "reading its POSIX timers"),
    "timer_getoverrun": (225, "reading its POSIX timers"),
    "timer_delete": (226, "deleting its POSIX timers"),
    "clock_gettime": (228, "reading the clocks (time.time, time.perf_counter)"),
    "clock_getres": (229, "clock resolution (time.get_clock_info)"),
    "clock_nanosleep": (230, "sleeping for a while (time.sleep)"),
    "exit_group": (231, "ending the child"),
    "epoll_wait": (232, "waiting on its own descriptors (selectors)"),
    "epoll_ctl": (233, "waiting on its own descriptors (selectors)"),
    "openat": (257, "opening files (Landlock decides which)"),
    "mkdirat": (258, "making folders in its own folder"),
    "newfstatat": (262, "file metadata (os.stat, imports)"),
    "unlinkat": (263, "removing its own files"),
    "renameat": (264, "renaming its own files"),
    "linkat": (265, "hard links in its own folder"),
    "symlinkat": (266, "symbolic links in its own folder"),
    "readlinkat": (267, "resolving symbolic links"),
    "faccessat": (269, "checking access (os.access)"),
    "pselect6": (270, "waiting on its descriptors (select.select)"),
    "ppoll": (271, "waiting on its descriptors (select.poll)"),
    "set_robust_list": (273, "thread start-up in the C library"),
    "epoll_pwait": (281, "waiting on its own descriptors"),
    "timerfd_create": (283, "timer descriptors used by event loops"),
    "eventfd": (284, "event descriptors between its own threads"),
    "fallocate": (285, "reserving space in its own files (its tmpfs is size-capped)"),
    "timerfd_settime": (286, "arming its timer descriptors"),
    "timerfd_gettime": (287, "reading its timer descriptors"),
    "eventfd2": (290, "event descriptors between its own threads"),
    "epoll_create": (213, "an event poller (selectors.DefaultSelector)"),
    "epoll_create1": (291, "an event poller (selectors.DefaultSelector)"),
    "dup3": (292, "duplicating its own file descriptors"),
    "pipe2": (293, "os.pipe within the child"),
    "preadv": (295, "vectored positioned reads"),
    "pwritev": (296, "vectored positioned writes"),
    "getcpu": (309, "which CPU a thread runs on (allocators)"),
    "sched_getattr": (315, "reading scheduling attributes"),
    "renameat2": (316, "renaming its own files"),
    "getrandom": (318, "random numbers (os.urandom, random, torch seeds)"),
    "copy_file_range": (326, "shutil.copyfile between its own files"),
    "preadv2": (327, "vectored positioned reads"),
    "pwritev2": (328, "vectored positioned writes"),
    "statx": (332, "file metadata (os.stat)"),
    "rseq": (334, "restartable sequences, registered by the C library for each thread"),
    "close_range": (436, "closing ranges of its own descriptors"),
    "openat2": (437, "opening files (Landlock decides which)"),
    "faccessat2": (439, "checking access (os.access)"),
    "epoll_pwait2": (441, "waiting on its own descriptors"),
    "futex_waitv": (449, "waiting on several locks"),
    "get_mempolicy": (239, "NUMA queries by the BLAS and oneDNN libraries"),
}
# Allowed only when the first argument (a process or thread id) is 0 or the child itself: on others they would
# signal, renice, reschedule or re-limit the worker, a sibling worker or the grader.
SELF_ONLY = {
    "kill": (62, "signalling itself (os.kill(os.getpid(), ...), faulthandler)"),
    "tkill": (200, "signalling its own main thread"),
    "tgkill": (234, "signalling its own threads (signal.pthread_kill)"),
    "rt_sigqueueinfo": (129, "queued signals to itself"),
    "rt_tgsigqueueinfo": (297, "queued signals to its own threads"),
    "prlimit64": (302, "reading and lowering its own limits (resource.getrlimit)"),
    "sched_setaffinity": (203, "pinning its own threads (torch.set_num_threads)"),
    "sched_setparam": (142, "its own scheduling parameters"),
    "sched_setscheduler": (144, "its own scheduling policy"),
    "sched_setattr": (314, "its own scheduling attributes"),
}
# setpriority(which, who, ...): only PRIO_PROCESS for itself (PRIO_USER would renice every process of its user).
SETPRIORITY = (141, "os.setpriority on itself")
CLONE = (56, "starting threads (only with CLONE_THREAD: no new processes)")
CLONE3 = (435, "answers ENOSYS so that the C library starts threads with clone, whose flags the filter reads")
RT_SIGACTION = (13, "installing signal handlers, except for SIGXCPU (the CPU-time limit)")
IOCTL = (16, "isatty, terminal size, non-blocking and close-on-exec flags of its own descriptors")
IOCTL_REQUESTS = {"TCGETS": 0x5401, "TIOCGWINSZ": 0x5413, "FIONREAD": 0x541B, "FIONBIO": 0x5421,
                  "FIONCLEX": 0x5450, "FIOCLEX": 0x5451}
FCNTL = (72, "descriptor flags, duplication and record locks on its own files (not F_SETOWN, F_SETSIG, F_SETPIPE_SZ)")
FCNTL_COMMANDS = {"F_DUPFD": 0, "F_GETFD": 1, "F_SETFD": 2, "F_GETFL": 3, "F_SETFL": 4, "F_GETLK": 5, "F_SETLK": 6,
                  "F_SETLKW": 7, "F_GETOWN": 9, "F_OFD_GETLK": 36, "F_OFD_SETLK": 37, "F_OFD_SETLKW": 38,
                  "F_DUPFD_CLOEXEC": 1030, "F_GETPIPE_SZ": 1032}
PRCTL = (157, "naming its threads and reading its own settings (not PR_SET_PDEATHSIG, which the worker set)")
PRCTL_OPTIONS = {"PR_GET_PDEATHSIG": 2, "PR_GET_DUMPABLE": 3, "PR_SET_NAME": 15, "PR_GET_NAME": 16,
                 "PR_GET_SECCOMP": 21, "PR_CAPBSET_READ": 23, "PR_GET_TIMERSLACK": 30, "PR_GET_NO_NEW_PRIVS": 39,
                 "PR_SET_VMA": 0x53564D41}


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Filter))]


_libc = ctypes.CDLL(None, use_errno=True)


def supported():
    """Whether this kernel and architecture can take the filter."""
    return platform.machine() == "x86_64" and _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


def reasons():
    """Every system call the child may make (with or without conditions on its arguments) -> why."""
    conditional = {"setpriority": SETPRIORITY, "clone": CLONE, "clone3": CLONE3, "rt_sigaction": RT_SIGACTION,
                   "ioctl": IOCTL, "fcntl": FCNTL, "prctl": PRCTL}
    return {name: reason for name, (_, reason) in {**ALLOWED, **SELF_ONLY, **conditional}.items()}


def _one_of(values, then):
    """Jump to ``then`` (a block) when the accumulator is one of ``values``; else deny."""
    code = [(JEQ, len(values) - index, 0, value) for index, value in enumerate(values)]
    return code + [(RET, 0, 0, RET_ERRNO | errno.EPERM)] + then


ALLOW = [(RET, 0, 0, RET_ALLOW)]
DENY = [(RET, 0, 0, RET_ERRNO | errno.EPERM)]


SELF = "self"  # in ``program``'s output: the child's own process id, filled in by ``install``


def program(pid=SELF):
    """The filter as (code, jt, jf, k) tuples; ``pid`` is the child itself (the one target it may name).

    Built from blocks that each end in a return, so every jump is short: a system call number is compared
    with the calls of a block, a match jumps into the block, a mismatch skips over it."""
    pid = pid if pid == SELF else pid & 0xFFFFFFFF
    self_only = [(LD_ABS, 0, 0, ARG0)] + _one_of([0, pid], ALLOW)
    blocks = [
        ([CLONE[0]], [(LD_ABS, 0, 0, ARG0), (JSET, 0, 1, CLONE_THREAD)] + ALLOW + DENY),
        ([CLONE3[0]], [(RET, 0, 0, RET_ERRNO | errno.ENOSYS)]),
        ([RT_SIGACTION[0]], [(LD_ABS, 0, 0, ARG0), (JEQ, 0, 1, SIGXCPU)] + DENY + ALLOW),
        ([IOCTL[0]], [(LD_ABS, 0, 0, ARG1)] + _one_of(list(IOCTL_REQUESTS.values()), ALLOW)),
        ([FCNTL[0]], [(LD_ABS, 0, 0, ARG1)] + _one_of(list(FCNTL_COMMANDS.values()), ALLOW)),
        ([PRCTL[0]], [(LD_ABS, 0, 0, ARG0)] + _one_of(list(PRCTL_OPTIONS.values()), ALLOW)),
        ([SETPRIORITY[0]], [(LD_ABS, 0, 0, ARG0), (JEQ, 1, 0, 0)] + DENY + [(LD_ABS, 0, 0, ARG1)]
         + _one_of([0, pid], ALLOW)),
        ([number for number, _ in SELF_ONLY.values()], self_only),
    ]
    numbers = sorted(number for number, _ in ALLOWED.values())
    blocks += [(numbers[start:start + 200], ALLOW) for start in range(0, len(numbers), 200)]
    code = [(LD_ABS, 0, 0, ARCH), (JEQ, 1, 0, AUDIT_ARCH_X86_64), (RET, 0, 0, RET_KILL_PROCESS), (LD_ABS, 0, 0, NR),
            (JGE, 0, 1, X32_BIT)] + DENY
    for numbers_of_block, block in blocks:
        code += [(JEQ, len(numbers_of_block) - index, 0, number) for index, number in enumerate(numbers_of_block)]
        code += [(JA, 0, 0, len(block))] + block
    return code + DENY


@functools.cache
def compiled():
    """The filter as a ctypes array, and where the child's process id goes (built once, in the worker)."""
    code = program()
    places = [index for index, (_, _, _, k) in enumerate(code) if k == SELF]
    return (_Filter * len(code))(*[_Filter(op, jt, jf, 0 if k == SELF else k) for op, jt, jf, k in code]), places


def install(pid):
    """Apply the filter to this process and its threads to come; for good."""
    filters, places = compiled()
    for index in places:
        filters[index].k = pid & 0xFFFFFFFF
    prog = _Program(len(filters), filters)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) < 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
