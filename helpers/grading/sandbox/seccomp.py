"""A hand-built seccomp BPF filter for the grading child (x86_64), installed through prctl.

Denied with EPERM: new processes (fork, vfork, clone without CLONE_THREAD, execve), ptrace and
process_vm_*, pidfd_*, kcmp, sockets, mount and the new mount API, unshare/setns/chroot, io_uring, bpf,
perf_event_open, userfaultfd, keyrings, kexec, prctl(PR_SET_PDEATHSIG); ``kill``/``tgkill``/``prlimit64`` unless aimed at the child
itself. ``clone3`` answers ENOSYS so that the C library falls back to ``clone``, where the flags can be read;
threads stay allowed. Any other architecture's calling convention (x32, i386) kills the process.
"""
import ctypes
import errno
import platform

AUDIT_ARCH_X86_64 = 0xC000003E
X32_BIT = 0x40000000
CLONE_THREAD = 0x00010000
RET_KILL_PROCESS, RET_ALLOW, RET_ERRNO = 0x80000000, 0x7FFF0000, 0x00050000
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_GET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 21, 2
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data (the low 32 bits of args[0] on little-endian)

DENIED = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "process_madvise": 440, "kcmp": 312,
    "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438,
    "socket": 41, "socketpair": 53,
    "mount": 165, "umount2": 166, "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
    "fsmount": 432, "fspick": 433, "mount_setattr": 442, "pivot_root": 155, "chroot": 161,
    "unshare": 272, "setns": 308, "fork": 57, "vfork": 58, "execve": 59, "execveat": 322,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "bpf": 321, "perf_event_open": 298,
    "userfaultfd": 323, "add_key": 248, "request_key": 249, "keyctl": 250, "kexec_load": 246,
    "kexec_file_load": 320, "name_to_handle_at": 303, "open_by_handle_at": 304,
}
CLONE, CLONE3, PRCTL, PR_SET_PDEATHSIG = 56, 435, 157, 1
SELF_ONLY = {"kill": 62, "tgkill": 234, "prlimit64": 302, "tkill": 200, "rt_sigqueueinfo": 129,
             "rt_tgsigqueueinfo": 297, "sched_setaffinity": 203}


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_uint16), ("filter", ctypes.POINTER(_Filter))]


_libc = ctypes.CDLL(None, use_errno=True)


def supported():
    """Whether this kernel and architecture can take the filter."""
    return platform.machine() == "x86_64" and _libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


def program(pid):
    """The filter as (code, jt, jf, k) tuples; ``pid`` is the child itself (the one target it may name)."""
    code = [(LD_ABS, 0, 0, ARCH), (JEQ, 1, 0, AUDIT_ARCH_X86_64), (RET, 0, 0, RET_KILL_PROCESS), (LD_ABS, 0, 0, NR),
            (JGE, "deny", 0, X32_BIT)]
    code += [(JEQ, "deny", 0, number) for number in DENIED.values()]
    code += [(JEQ, "clone", 0, CLONE), (JEQ, "nosys", 0, CLONE3), (JEQ, "prctl", 0, PRCTL)]
    code += [(JEQ, "self", 0, number) for number in SELF_ONLY.values()]
    code += [(RET, 0, 0, RET_ALLOW)]
    labels = {"clone": len(code)}
    code += [(LD_ABS, 0, 0, ARG0), (JSET, "allow", "deny", CLONE_THREAD)]
    labels["prctl"] = len(code)  # the parent-death signal the worker set stays set
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, "deny", "allow", PR_SET_PDEATHSIG)]
    labels["self"] = len(code)
    code += [(LD_ABS, 0, 0, ARG0), (JEQ, "allow", 0, 0), (JEQ, "allow", "deny", pid & 0xFFFFFFFF)]
    labels["allow"] = len(code)
    code += [(RET, 0, 0, RET_ALLOW)]
    labels["deny"] = len(code)
    code += [(RET, 0, 0, RET_ERRNO | errno.EPERM)]
    labels["nosys"] = len(code)
    code += [(RET, 0, 0, RET_ERRNO | errno.ENOSYS)]
    resolved = []
    for index, (op, jt, jf, k) in enumerate(code):
        jt, jf = (labels[j] - index - 1 if isinstance(j, str) else j for j in (jt, jf))
        resolved.append((op, jt, jf, k))
    return resolved


def install(pid):
    """Apply the filter to this process and its threads to come; for good."""
    code = program(pid)
    filters = (_Filter * len(code))(*[_Filter(*instruction) for instruction in code])
    prog = _Program(len(code), filters)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) < 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")
