"""Warm kernels for nbval: each notebook's kernel is forked from a process that has already imported torch.

nbval starts a fresh kernel for every notebook it runs, and each spends about 1.5 s of CPU importing IPython,
ipykernel and torch before its first cell: a minute for the 36 notebooks of ``make test``. Here one server per
test process (``serve``) imports them once and forks a kernel for each notebook. What nbval starts as the kernel
is a small launcher (``launch``): it hands the server its connection file, working folder, environment and
standard streams, forwards the signals it gets (an interrupt) to the kernel, and exits when the kernel does. The
kernel runs every cell for real, in a process that shares nothing with any other kernel; it only skips the
imports. matplotlib is not imported ahead: ipykernel sets its inline backend when the kernel starts.

The launcher and the kernel hold the two ends of one socket: if either dies (nbval kills a kernel that does not
shut down), the other sees the socket close and ends too. The server dies with its test process, and the kernels
with the server.

Usage: ``warm_kernel.py --serve SOCKET`` (started by ``WarmKernels``) and ``warm_kernel.py -f CONNECTION``
(the kernel command nbval runs; the server's socket comes in ``WARM_KERNEL_SOCKET``).
"""
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SOCKET_VARIABLE = "WARM_KERNEL_SOCKET"
PR_SET_PDEATHSIG = 1
CONNECT_TIMEOUT = 120  # seconds the launcher waits for the server to finish its imports on a loaded machine


def die_with_parent():
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def serve(path):
    die_with_parent()  # the server with its test process
    import torch  # noqa: F401
    import ipykernel.ipkernel  # noqa: F401
    import ipykernel.kernelapp  # noqa: F401
    import ipywidgets  # noqa: F401
    import helpers.checking.check  # noqa: F401
    assert "matplotlib" not in sys.modules and threading.active_count() == 1, "nothing may run before fork"

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped as they exit
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path + ".new")
    os.rename(path + ".new", path)  # the launchers connect once the imports are done
    listener.listen(16)
    while True:
        connection, _ = listener.accept()
        request, streams, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        pid = os.fork()
        if pid == 0:
            listener.close()
            become_kernel(connection, json.loads(request), streams)
        for fd in streams:
            os.close(fd)
        connection.sendall(str(pid).encode())
        connection.close()


def become_kernel(connection, request, streams):
    """In the forked child: take the launcher's streams, folder, environment and command line, and run ipykernel."""
    try:
        die_with_parent()  # a kernel with the server
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for number, fd in enumerate(streams):
            os.dup2(fd, number)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["environ"])
        sys.argv = request["argv"]
        del sys.path[0]  # this script's folder; ipykernel_launcher drops the working folder python -m puts there

        def end_with_launcher():
            connection.recv(1)  # returns when the launcher is gone
            os._exit(1)

        threading.Thread(target=end_with_launcher, daemon=True).start()
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=request["argv"][1:])
    finally:
        os._exit(0)


def launch(argv):
    path = os.environ[SOCKET_VARIABLE]
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while True:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            server.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            server.close()
            if time.monotonic() > deadline:
                sys.exit(f"warm kernel: no server at {path}")
            time.sleep(0.05)
    from importlib.util import find_spec  # not the import: it would load ipykernel here too

    request = {"argv": [find_spec("ipykernel_launcher").origin, *argv], "cwd": os.getcwd(), "environ": dict(os.environ)}
    socket.send_fds(server, [json.dumps(request).encode()], [0, 1, 2])
    kernel = int(server.recv(32))
    for signum in (signal.SIGINT, signal.SIGTERM):  # an interrupt; a polite end (SIGKILL closes the socket)
        signal.signal(signum, lambda signum, _: os.kill(kernel, signum))
    while server.recv(1):  # until the kernel exits and its end of the socket closes
        pass


class WarmKernels:
    """Makes nbval's kernels (``--nbval-current-env``) warm kernels; the server starts with the first of them."""

    def __init__(self):
        import ipykernel.kernelspec

        self.server, self.folder, plain = None, None, ipykernel.kernelspec.get_kernel_dict

        def kernel_dict(*args, **kwargs):
            self.start()
            return {**plain(*args, **kwargs), "argv": [sys.executable, __file__, "-f", "{connection_file}"]}

        ipykernel.kernelspec.get_kernel_dict = kernel_dict

    def start(self):
        if self.server is None:
            self.folder = tempfile.mkdtemp(prefix="warm-kernels-")
            os.environ[SOCKET_VARIABLE] = os.path.join(self.folder, "socket")
            self.server = subprocess.Popen([sys.executable, __file__, "--serve", os.environ[SOCKET_VARIABLE]],
                                           stdin=subprocess.DEVNULL)

    def stop(self):
        if self.server is not None:
            self.server.kill()
            self.server.wait()
            shutil.rmtree(self.folder, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1] == "--serve":
        serve(sys.argv[2])
    else:
        launch(sys.argv[1:])
