"""Shared pytest set-up: nbval runs notebooks as ``autograd-course outputs`` does (helpers.authoring.run), but
with ATen's portable kernels and one thread (``CROSS_CHECK_ENVIRONMENT``): the stored outputs, made with the
machine's native settings, must come out the same."""
from helpers.authoring.run import CELL_TIMEOUT, CROSS_CHECK_ENVIRONMENT, use_kernel_environment

use_kernel_environment(CROSS_CHECK_ENVIRONMENT)


def pytest_configure(config):
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = CELL_TIMEOUT
