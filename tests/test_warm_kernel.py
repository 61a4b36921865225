"""nbval's warm kernels (tests/warm_kernel.py) stand in for fresh ones: a notebook sees the same interpreter state
in both, an interrupt reaches the kernel, and a kernel whose launcher is killed does not outlive it."""
import os
import signal
import sys
import time

import pytest
from jupyter_client.manager import start_new_kernel
from nbval.kernel import CURRENT_ENV_KERNEL_NAME
from nbval.kernel import start_new_kernel as start_nbval_kernel

# What a notebook could print that tells a kernel's start apart: where imports come from, hash order, torch's
# threads and CPU kernels, the environment, the folder, the command line and which modules were imported first.
STATE = ("import os, sys, torch\n"
         "print(sys.path, hash('autograd'), torch.get_num_threads(), torch.backends.cpu.get_cpu_capability(),\n"
         "      sorted(os.environ), os.getcwd(), sys.argv[0], 'matplotlib' in sys.modules)")

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="warm kernels are Linux only (conftest.py)")


def printed(client, code, timeout=60):
    out = []
    client.execute_interactive(code, timeout=timeout, output_hook=lambda message: out.append(
        message["content"].get("text") or message["content"].get("ename") or ""))
    return "".join(out)


@pytest.fixture
def warm(tmp_path):
    manager, client = start_nbval_kernel(kernel_name=CURRENT_ENV_KERNEL_NAME, cwd=str(tmp_path))
    yield manager, client
    client.stop_channels()
    manager.shutdown_kernel(now=True)


def test_a_warm_kernel_starts_in_the_state_of_a_fresh_one(tmp_path, warm):
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(tmp_path))
    try:
        fresh = printed(client, STATE)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert printed(warm[1], STATE) == fresh


def test_an_interrupt_reaches_a_warm_kernel_and_killing_it_ends_the_kernel(warm):
    manager, client = warm
    kernel = int(printed(client, "import os; print(os.getpid())"))
    assert kernel != manager.provisioner.process.pid  # the launcher stands in for the kernel
    sleeping = client.execute("import time; time.sleep(60)")
    time.sleep(1)
    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=30)  # long before the minute is up
    assert reply["parent_header"]["msg_id"] == sleeping and reply["content"]["ename"] == "KeyboardInterrupt"
    os.kill(manager.provisioner.process.pid, signal.SIGKILL)  # what nbval does to a kernel that will not stop
    deadline = time.monotonic() + 30
    while _alive(kernel):
        assert time.monotonic() < deadline, "the kernel outlived its launcher"
        time.sleep(0.1)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is gone too; the server reaps it
        return stat.read().rpartition(")")[2].split()[0] != "Z"
