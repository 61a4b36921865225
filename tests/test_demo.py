import warnings

import pytest
import torch

from helpers import expect_error, expect_warning


def test_expect_error_prints_the_real_message(capsys):
    with expect_error(RuntimeError, r"only for scalar outputs"):
        (torch.arange(3.0, requires_grad=True) * 2).backward()
    assert capsys.readouterr().out.startswith("RuntimeError: grad can be implicitly created only for scalar outputs")


def test_expect_error_fails_when_nothing_is_raised():
    with pytest.raises(AssertionError, match="nothing was raised"):
        with expect_error(RuntimeError, "x"):
            pass


def test_expect_error_fails_when_the_message_drifts():
    with pytest.raises(AssertionError, match="no longer matches"):
        with expect_error(ValueError, "expected words"):
            raise ValueError("other words")


def test_expect_error_lets_other_errors_through():
    with pytest.raises(KeyError):
        with expect_error(ValueError, "x"):
            raise KeyError("k")


def test_expect_warning_prints_and_requires_the_warning(capsys):
    with expect_warning(UserWarning, "careful"):
        warnings.warn("be careful", UserWarning)
    assert "UserWarning: be careful" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="saw no warning"):
        with expect_warning(UserWarning, "careful"):
            pass
