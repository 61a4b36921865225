"""Shared pytest set-up: the kernel environment nbval runs notebooks in."""
import os

# The same variables as the Makefile, so `pytest` run by hand behaves like `make test`.
os.environ.setdefault("IPYKERNEL_CELL_NAME", "<cell>")
os.environ.setdefault("PYTHONHASHSEED", "0")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
