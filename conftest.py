"""Shared pytest set-up: nbval runs notebooks as ``autograd-course outputs`` does (helpers.authoring.run), but
with ATen's portable kernels and one thread (``CROSS_CHECK_ENVIRONMENT``): the stored outputs, made with the
machine's native settings, must come out the same. Its kernels are forked from a process that has imported torch
already (tests/warm_kernel.py)."""
import sys

from helpers.authoring.run import CELL_TIMEOUT, CROSS_CHECK_ENVIRONMENT, use_kernel_environment
from tests.warm_kernel import WarmKernels

use_kernel_environment(CROSS_CHECK_ENVIRONMENT)
WARM_KERNELS = WarmKernels() if sys.platform == "linux" else None  # it forks, and it sets PR_SET_PDEATHSIG


def pytest_configure(config):
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = CELL_TIMEOUT


def pytest_unconfigure():
    if WARM_KERNELS:
        WARM_KERNELS.stop()


def pytest_collection_modifyitems(items):
    """The longest modules first: the two browser modules each keep one worker busy for over a minute (one
    JupyterLab, one chromium, a dozen chapters in a row), so under ``--dist loadscope`` they must start at once,
    not be handed out last while the other workers fall idle. A stable sort: every other test keeps its order."""
    items.sort(key=lambda item: "tests/browser/" not in item.nodeid)
