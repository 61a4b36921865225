"""The Python-level walls the child puts up after the kernel's (``sandbox.confine``: Landlock and seccomp).

The grade never depends on these walls: verdicts are computed in the grading process from plain data on
inputs drawn there. With the kernel's sandbox up, this audit hook only turns forbidden actions into clear
``PermissionError`` messages before the kernel would refuse them, and blocks importing the references. Under
``--trust-students`` (a kernel without Landlock ABI 6) it is the only wall, with the ``hidden`` folders it
refuses to open: an audit hook cannot be removed once installed, and this one uses only functions bound
before the student's code runs, but it is not a security boundary (CPython's own caveat).
"""
import builtins
import posix
import sys
import types

# The registry and the package of exercise definitions (their references): a child never needs either.
BLOCKED_MODULES = ("helpers.exercises", "content")
FORBIDDEN_EVENTS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                    "os.forkpty", "pty.spawn", "os.kill", "os.killpg", "signal.pthread_kill", "os.symlink",
                    "os.link", "socket.__new__", "ctypes.", "sys.setprofile", "sys.settrace", "_posixsubprocess",
                    "gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._current_frames")
PATH_EVENTS = ("os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.truncate",
               "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile", "os.chdir")
WRITE_FLAGS = posix.O_WRONLY | posix.O_RDWR | posix.O_CREAT | posix.O_TRUNC | posix.O_APPEND


def _blocked(name):
    return any(name == module or name.startswith(module + ".") for module in BLOCKED_MODULES)


class _Blocker:
    """A meta-path finder that refuses to import the reference solutions."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if _blocked(name):
            raise ImportError(f"{name} is not available while grading")
        return None


def lock_down(workdir, hidden):
    """Forbid importing the references, reading ``hidden`` folders, writing outside ``workdir``, spawning."""
    # Never loaded in a grading worker; scanning sys.modules costs a child 4 ms.
    if any(module in sys.modules for module in BLOCKED_MODULES):
        for name in [n for n in sys.modules if _blocked(n)]:
            del sys.modules[name]
    for module in BLOCKED_MODULES:
        sys.modules[module] = None
    sys.meta_path.insert(0, _Blocker())
    # The hook runs with private copies of this module's globals and of the builtins, taken before the
    # student's code runs, so patching either later cannot change what the hook does.
    private = dict(globals(), __builtins__=dict(builtins.__dict__))
    for function in (_hook, _make_realpath):
        private[function.__name__] = types.FunctionType(function.__code__, private, argdefs=function.__defaults__)
    realpath = private["_make_realpath"]()
    hook = private["_hook"](realpath(workdir, posix.getcwd()), tuple(realpath(h, posix.getcwd()) for h in hidden))
    sys.addaudithook(hook)


def _hook(workdir, hidden):
    # Everything the hook calls is bound here, so the student cannot weaken it by patching modules or builtins.
    getcwd, starts, isinstance_, str_, bytes_, int_, any_ = posix.getcwd, str.startswith, isinstance, str, bytes, int, any
    decode, contains, write_flags, realpath = bytes.decode, str.__contains__, WRITE_FLAGS, _make_realpath()
    forbidden, path_events, denied, own_proc = FORBIDDEN_EVENTS, PATH_EVENTS, PermissionError, f"/proc/{posix.getpid()}/"

    def plain(path):
        if isinstance_(path, bytes_):
            return decode(path, "utf-8", "surrogateescape")
        return str_.__add__("", path) if isinstance_(path, str_) else None

    def inside(path, folder):
        return path == folder or starts(path, folder + "/")

    def hook(event, args):
        if event == "open":
            path = plain(args[0])
            if path is None:
                return
            full = realpath(path, getcwd())
            if any_(inside(full, folder) for folder in hidden) or (
                    starts(full, "/proc/") and not starts(full, "/proc/self/") and not starts(full + "/", own_proc)
                    and full[6:7].isdigit()):
                raise denied(f"grading: {path!r} is off limits")
            mode, flags = args[1], args[2]
            writing = (isinstance_(mode, str_) and any_(contains(mode, c) for c in "wax+")) or (
                isinstance_(flags, int_) and int_.__and__(flags, write_flags))
            if writing and not inside(full, workdir) and full != "/dev/null":
                raise denied(f"grading: writing {path!r} is not allowed; only the working folder")
        elif starts(event, forbidden):
            raise denied(f"grading: {event} is not allowed")
        elif event in path_events:
            for item in args:
                path = plain(item)
                if path is not None and not inside(realpath(path, getcwd()), workdir):
                    raise denied(f"grading: {event} outside the working folder is not allowed")

    return hook


def _make_realpath(readlink=posix.readlink):
    """``os.path.realpath`` from primitives bound now (the student may patch ``os.path`` or ``posix`` later)."""
    def realpath(path, cwd, depth=0):
        parts = (path if path.startswith("/") else cwd + "/" + path).split("/")
        resolved = ""
        for index, part in enumerate(parts):
            if part in ("", "."):
                continue
            if part == "..":
                resolved = resolved[:resolved.rfind("/")]
                continue
            candidate = resolved + "/" + part
            try:
                target = readlink(candidate)
            except OSError:
                resolved = candidate
                continue
            if depth > 40:
                return candidate
            base = realpath(target, resolved or "/", depth + 1)
            rest = "/".join(parts[index + 1:])
            return realpath(base + "/" + rest, "/", depth + 1) if rest else base
        return resolved or "/"

    return realpath
