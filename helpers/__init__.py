"""autograd-course helpers: demonstrations, answer checkers, drawings and the instructor command line.

The public names load on first use (PEP 562), so ``autograd-course grade`` can start its torch-importing
workers before the command line itself pays for importing torch.
"""
import importlib

_PUBLIC = {"check": "helpers.checking.check", "draw_graph": "helpers.chapters.graph",
           "expect_error": "helpers.chapters.demo", "expect_warning": "helpers.chapters.demo"}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
