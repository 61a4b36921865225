"""autograd-course helpers: demonstrations, answer checkers, drawings and the instructor command line."""
from helpers.demo import expect_error, expect_warning
from helpers.exercise import check

__all__ = ["check", "expect_error", "expect_warning"]
