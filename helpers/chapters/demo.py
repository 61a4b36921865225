"""Show an error or warning that PyTorch really raises, and fail loudly if it does not.

Chapters demonstrate mistakes (backward twice, integer tensors, ...). Leaving a cell failing would stop
the notebook, and catching with a bare ``except`` would hide a PyTorch that no longer complains. These
context managers print the real message and raise ``AssertionError`` when the expected error or warning
does not happen, so nbval fails as soon as PyTorch disagrees with the course.
"""
import contextlib
import re
import warnings


@contextlib.contextmanager
def expect_error(error_type, pattern):
    """Run the block, require it to raise ``error_type`` whose message matches ``pattern``; print it."""
    try:
        yield
    except error_type as error:
        message = str(error)
        if not re.search(pattern, message):
            raise AssertionError(f"{type(error).__name__} raised, but its message no longer matches "
                                 f"{pattern!r}:\n{message}") from error
        print(f"{type(error).__name__}: {message}")
    else:
        raise AssertionError(f"expected {error_type.__name__} matching {pattern!r}, but nothing was raised")


@contextlib.contextmanager
def expect_warning(category, pattern):
    """Run the block, require a ``category`` warning whose message matches ``pattern``; print it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    matching = [w for w in caught if issubclass(w.category, category) and re.search(pattern, str(w.message))]
    if not matching:
        seen = [f"{w.category.__name__}: {w.message}" for w in caught]
        raise AssertionError(f"expected {category.__name__} matching {pattern!r}; saw {seen or 'no warning'}")
    print(f"{matching[0].category.__name__}: {matching[0].message}")
