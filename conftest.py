"""Shared pytest set-up: nbval runs notebooks as ``autograd-course outputs`` does (helpers.authoring.run)."""
from helpers.authoring.run import CELL_TIMEOUT, use_kernel_environment

use_kernel_environment()


def pytest_configure(config):
    if hasattr(config.option, "nbval_cell_timeout"):
        config.option.nbval_cell_timeout = CELL_TIMEOUT
