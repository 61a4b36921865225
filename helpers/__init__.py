"""autograd-course helpers: demonstrations, answer checkers, drawings and the instructor command line."""
from helpers.demo import expect_error, expect_warning

__all__ = ["expect_error", "expect_warning"]
