"""Shared pytest set-up: nbval runs notebooks as ``autograd-course outputs`` does (helpers.authoring.run), but
with ATen's portable kernels and one thread (``CROSS_CHECK_ENVIRONMENT``): the stored outputs, made with the
machine's native settings, must come out the same."""
from helpers.authoring.run import CELL_TIMEOUT, CROSS_CHECK_ENVIRONMENT, use_kernel_environment

use_kernel_environment(CROSS_CHECK_ENVIRONMENT)


def pytest_configure(config):
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = CELL_TIMEOUT


def pytest_collection_modifyitems(items):
    """The longest modules first: the two browser modules each keep one worker busy for over a minute (one
    JupyterLab, one chromium, a dozen chapters in a row), so under ``--dist loadscope`` they must start at once,
    not be handed out last while the other workers fall idle. A stable sort: every other test keeps its order."""
    items.sort(key=lambda item: "tests/browser/" not in item.nodeid)
