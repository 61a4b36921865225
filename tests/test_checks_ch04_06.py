"""The checkers of chapters 4-6: right answers pass, every listed mistake is named, nothing crashes.

The wrong answers below are written the way a student would write them; each one must get the message the
exercise lists for that mistake. test_exercises.py runs the generic tests on the tables FUNCTIONS, CORE_NAMED,
HINTED and OTHER_WRONGS. The last tests assert the PyTorch facts the explanations rely on, so a release that
changes them fails here rather than in front of a student.
"""
import numpy as np
import pytest
import torch

from exercise_support import verdict
from helpers.messages import text
from helpers.exercises import EXERCISES
from helpers.messages import say


# The chapter's examples, written again on purpose (content/ch05.py has the checker's copy): the tests'
# own copy makes a change to the checker's fail here.
def f(a):
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def g(a):
    b = a
    while b.norm() < 10:
        b = b * b + 1
    return b if b.sum() > 0 else -b


# --- ch04.detach_grad -------------------------------------------------------------------------------------------

def detach_grad(x):
    x = x.clone().requires_grad_(True)
    u = (x * x).detach()
    (u * x).sum().backward()
    return x.grad


def detach_forgotten(x):
    x = x.clone().requires_grad_(True)
    u = x * x
    (u * x).sum().backward()
    return x.grad


def detach_grad_of_y(x):
    x = x.clone().requires_grad_(True)
    y = x * x
    u = y.detach()
    y.sum().backward()
    return x.grad


def detach_returns_u_grad(x):
    x = x.clone().requires_grad_(True)
    u = (x * x).detach()
    (u * x).sum().backward()
    return u.grad


def detach_returns_y_grad(x):
    x = x.clone().requires_grad_(True)
    y = x * x
    (y.detach() * x).sum().backward()
    return y.grad


# --- ch04.plain_cube --------------------------------------------------------------------------------------------

def plain_cube(x):
    with torch.no_grad():
        return x ** 3


def attached_cube(x):
    return x ** 3


def numpy_cube(x):
    return (x ** 3).detach().numpy()


# --- ch05 -------------------------------------------------------------------------------------------------------

def grad_of_f(a):
    a = a.clone().requires_grad_(True)
    d = f(a)
    d.backward(torch.ones_like(d))
    return a.grad


def value_of_f(a):
    return f(a)


def grad_of_f_mean(a):
    a = a.clone().requires_grad_(True)
    f(a).mean().backward()
    return a.grad


def grad_of_f_before_backward(a):
    a = a.clone().requires_grad_(True)
    f(a)
    return a.grad


def grad_of_f_vector_backward(a):
    a = a.clone().requires_grad_(True)
    f(a).backward()
    return a.grad


def grad_norm_squared(a):
    a = a.clone().requires_grad_(True)
    (torch.norm(a) ** 2).backward()
    return a.grad


def grad_norm_squared_by_hand_wrong(a):
    return a


def grad_norm_not_squared(a):
    a = a.clone().requires_grad_(True)
    torch.norm(a).backward()
    return a.grad


def grad_norm_squared_none(a):
    a = a.clone().requires_grad_(True)
    torch.norm(a) ** 2
    return a.grad


def grad_of_g(a):
    a = a.clone().requires_grad_(True)
    g(a).sum().backward()
    return a.grad


def g_d_over_a(a):
    return g(a) / a


def g_copied_from_f(a):
    a = a.clone().requires_grad_(True)
    f(a).sum().backward()
    return a.grad


def g_value(a):
    return g(a)


def g_none(a):
    leaf = a.clone().requires_grad_(True)
    g(leaf).sum()
    return leaf.grad


# --- ch06 -------------------------------------------------------------------------------------------------------

def sin_and_derivative(x):
    x = x.clone().requires_grad_(True)
    y = torch.sin(x)
    y.backward(torch.ones_like(y))
    return y.detach(), x.grad


def sin_swapped(x):
    values, slopes = sin_and_derivative(x)
    return slopes, values


def sin_twice(x):
    values, _ = sin_and_derivative(x)
    return values, values


def sin_attached(x):
    x = x.clone().requires_grad_(True)
    y = torch.sin(x)
    y.sum().backward()
    return y, x.grad


def sin_by_formula(x):
    return torch.sin(x), torch.cos(x)


def derivative(f, x):
    x = x.clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad


def derivative_value(f, x):
    return f(x)


def derivative_hard_coded(f, x):
    return torch.cos(x)  # the derivative of sin, whatever f is


def derivative_none(f, x):
    x = x.clone().requires_grad_(True)
    f(x)
    return x.grad


# Per function exercise: the right answers, one wrong function per listed mistake (in the exercise's order),
# and the function behind its none_mistake (None when it has none).
FUNCTIONS = {
    "ch04.detach_grad": ([detach_grad], [detach_forgotten, detach_grad_of_y], detach_returns_u_grad),
    "ch04.plain_cube": ([plain_cube], [], None),
    "ch05.grad_of_f": ([grad_of_f], [value_of_f, grad_of_f_mean], grad_of_f_before_backward),
    "ch05.norm_squared_grad": ([grad_norm_squared], [grad_norm_squared_by_hand_wrong, grad_norm_not_squared],
                               grad_norm_squared_none),
    "ch05.redesigned_flow": ([grad_of_g], [g_d_over_a, g_copied_from_f, g_value], g_none),
    "ch06.sin_and_derivative": ([sin_and_derivative], [sin_swapped, sin_twice], None),
    "ch06.derivative_of": ([derivative], [derivative_value, derivative_hard_coded], derivative_none),
}
# Wrong answers the core names on its own (no listed mistake needed), with the message they must get.
CORE_NAMED = [
    ("ch04.detach_grad", detach_returns_y_grad, say("nonleaf_grad", "zh")),
    ("ch04.plain_cube", attached_cube, say("still_attached", "zh", grad_fn="PowBackward0")),
    ("ch04.plain_cube", numpy_cube, say("not_tensor", "zh", got="ndarray")),
    ("ch06.sin_and_derivative", sin_attached,
     say("nth_result", "zh", index=1) + say("still_attached", "zh", grad_fn="SinBackward0")),
]
# Wrong answers that raise: the core names the error and ends with the hint that explains it.
HINTED = [("ch05.grad_of_f", grad_of_f_vector_backward, "hint_nonscalar")]
# Wrong answers beyond the listed mistakes, for the generic test that the verdict reads the same for every seed.
OTHER_WRONGS = [(exercise_id, wrong) for exercise_id, wrong, _ in CORE_NAMED + HINTED] + [("ch06.sin_and_derivative",
                                                                                        sin_by_formula)]


def test_the_none_message_does_not_hide_the_non_leaf_diagnosis():
    assert verdict("ch04.detach_grad", detach_returns_y_grad).detail != text(
        EXERCISES["ch04.detach_grad"].none_mistake, "zh")


def test_cos_is_forbidden_in_the_sin_exercise_only():
    (rule,) = [r for r in EXERCISES["ch06.sin_and_derivative"].rules if r["rule"] == "forbid"]
    result = verdict("ch06.sin_and_derivative", sin_by_formula)
    assert result.detail.startswith(say("rule_broken", "zh", rule=text(rule["says"], "zh"), evidence="").rstrip("）"))
    assert result.mistake == "ch06.sin_and_derivative/rule-forbid" and "torch.cos" in result.detail
    assert verdict("ch06.derivative_of", derivative_hard_coded).status == "fail"
    assert verdict("ch06.sin_and_derivative", sin_and_derivative).status == "pass"


# --- the facts the explanations claim ---------------------------------------------------------------------------

def test_fact_data_changes_are_silent_and_detach_changes_raise():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = a.sigmoid()
    out.data.zero_()
    out.sum().backward()
    assert torch.equal(a.grad, torch.zeros(3))  # silently wrong: sigmoid'(a) is not 0
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = a.sigmoid()
    out.detach().zero_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_fact_data_and_detach_share_storage_and_leave_x_alone():
    x = torch.ones(3, requires_grad=True)
    assert x.data.data_ptr() == x.detach().data_ptr() == x.data_ptr()
    assert not x.detach().requires_grad and x.requires_grad


def test_fact_no_grad_blocks_y2_and_keeps_requires_grad():
    x = torch.tensor(3.0, requires_grad=True)
    y1 = x ** 2
    with torch.no_grad():
        y2 = x ** 3
        assert x.requires_grad
    y3 = y1 + y2
    y3.backward()
    assert x.grad.item() == EXERCISES["ch04.no_grad_value"].expected
    # no other quantity of the question is the answer (at x = 1 the value y3 was: issue 19)
    wrong = {y1.item(), y2.item(), y3.item(), 2 * 3 + 3 * 3 ** 2, 3 * 3 ** 2, 0.0}
    assert x.grad.item() not in wrong
    assert {value for value, _ in EXERCISES["ch04.no_grad_value"].mistakes} == wrong


def test_fact_no_grad_uses():
    w = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        w -= 0.1
    with torch.no_grad():
        w -= 0.1
        loss = (w * w).sum()
    with pytest.raises(RuntimeError, match="does not require grad and does not have a grad_fn"):
        loss.backward()
    with torch.inference_mode():
        features = torch.ones(3) * 2
    with pytest.raises(RuntimeError, match="Inference tensors cannot be saved for backward"):
        (w * features).sum().backward()


def test_fact_vector_a_needs_a_scalar_and_shares_one_k():
    a = torch.tensor([0.5, -0.2, 0.1], requires_grad=True)
    d = f(a)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        d.backward()
    d.sum().backward()
    assert torch.allclose(a.grad, d.detach() / a.detach()) and len(set(a.grad.tolist())) == 1


def test_fact_redesigned_gradient_is_not_d_over_a():
    a = torch.tensor(0.5)
    b1 = a * a + 1
    b2 = b1 * b1 + 1
    b3 = b2 * b2 + 1  # norms 1.25, 2.56, 7.57, then 58.3 >= 10: four steps
    assert torch.allclose(grad_of_g(a), 2 * a * 2 * b1 * 2 * b2 * 2 * b3)
    assert not torch.allclose(grad_of_g(a), g(a) / a)


def test_fact_plotting_needs_both_tensors_detached():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = torch.linspace(0, 2 * torch.pi, 9, requires_grad=True)
    try:
        for args in [(x, torch.sin(x)), (x, torch.sin(x).detach())]:
            with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
                plt.plot(*args)
        plt.plot(x.detach(), torch.sin(x).detach())
        plt.plot(torch.arange(3.0), torch.arange(3.0))  # plain tensors plot without any conversion
    finally:
        plt.close("all")
    assert isinstance(np.asarray(torch.arange(3.0)), np.ndarray)


def test_fact_weighted_backward():
    x = torch.tensor([0.0, torch.pi / 2, torch.pi], requires_grad=True)
    torch.sin(x).backward(torch.tensor([1.0, 1.0, 2.0]))
    assert torch.isclose(x.grad[2], torch.tensor(EXERCISES["ch06.weighted_backward"].expected))
