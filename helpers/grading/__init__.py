"""Instructor grading (``autograd-course grade``) and the student's ``autograd-course check``.

Student code runs in forked children of long-lived workers (``worker``, ``child``, ``guard``) and sends
back plain JSON; the verdicts are computed here (``grade``) by the exercises' own judges.
"""
from helpers.grading.commands import register

__all__ = ["register"]
