"""The English edition's entry point: ``from helpers.en import check, draw_graph, expect_error``.

Importing it makes English the language of this process (verdicts, graph drawings, widgets), through the
same switch a student could set by hand (``AUTOGRAD_COURSE_LANG``), so an English notebook speaks English
without any setting. It offers the same public names as ``helpers``.
"""
import os

import helpers

os.environ["AUTOGRAD_COURSE_LANG"] = "en"

__all__ = helpers.__all__


def __getattr__(name):
    return getattr(helpers, name)
