"""autograd-course helpers: what the chapters, the exercise notebooks and the instructor's command line use.

Laid out by who uses it: ``chapters`` (demonstrations, graph drawings, one widget module per chapter),
``checking`` (how an answer is observed and judged, ``check``), ``exercises`` (the registry: the course's
exercise definitions in the package ``content``, or a handout's recorded ones), ``authoring`` (release, running
notebooks, handout, new-exercise), ``grading`` (the ``grade`` command, assignments and the sandbox), and
``messages``, the one catalogue of every sentence the engine says to a student or instructor.

The public names load on first use (PEP 562): ``autograd-course release`` and ``outputs`` never import torch,
and a notebook's ``from helpers import check`` imports only what checking needs.
"""
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project: notebooks/, solutions/, exercises/

_PUBLIC = {"check": "helpers.checking.check", "draw_graph": "helpers.chapters.graph",
           "expect_error": "helpers.chapters.demo", "expect_warning": "helpers.chapters.demo"}

__all__ = sorted(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")
