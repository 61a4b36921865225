"""The checkers of chapters 7-8: right answers pass, every listed mistake is named, nothing crashes.

The wrong answers below are written the way a student would write them; each one must get the message the
exercise lists for that mistake. test_exercises.py runs the generic tests on the tables FUNCTIONS, CORE_NAMED,
HINTED and OTHER_WRONGS. The last tests assert the PyTorch facts the explanations rely on.
"""
import re
import warnings

import pytest
import torch
from torch.func import hessian, jacfwd, jacrev, jvp

from exercise_support import ids_of, question, verdict
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.exercises import EXERCISES
from helpers.messages import say, text

CHAPTERS = ("ch07", "ch08")


# --- ch07.second_derivative -------------------------------------------------------------------------------------

def second_derivative(f, x):
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    return d2y


def second_derivative_by_backward(f, x):
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
    dy.sum().backward()
    return x.grad


def second_derivative_only_once(f, x):
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(f(x).sum(), x)
    return dy


def second_derivative_value(f, x):
    return f(x)


def second_derivative_accumulated(f, x):
    x = x.clone().requires_grad_(True)
    f(x).sum().backward(create_graph=True)
    x.grad.sum().backward()
    return x.grad.detach()


def second_derivative_no_create_graph(f, x):
    x = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(f(x).sum(), x)
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    return d2y


# --- ch07.hessian -----------------------------------------------------------------------------------------------

def hessian_at(x):
    return torch.autograd.functional.hessian(lambda v: v[0] ** 2 * v[1] + v[1] ** 3, x)


def hessian_by_func(x):
    return hessian(lambda v: v[0] ** 2 * v[1] + v[1] ** 3)(x)


def hessian_returns_gradient(x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(x[0] ** 2 * x[1] + x[1] ** 3, x)
    return g


def hessian_of_gradient_sum(x):
    x = x.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(x[0] ** 2 * x[1] + x[1] ** 3, x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    return h


def hessian_without_cross_term(x):
    return torch.stack([torch.stack([2 * x[1], torch.tensor(0.0)]), torch.stack([torch.tensor(0.0), 6 * x[1]])])


def hessian_copied_from_chapter(x):
    return torch.autograd.functional.hessian(lambda v: v[0] ** 2 * v[1] + v[1] ** 3 + torch.sin(v[0]), x)


# --- ch07.f_prime -----------------------------------------------------------------------------------------------

def f_prime(x):
    x = x.clone().requires_grad_(True)
    (torch.log(x ** 2) * torch.sin(x) + 1 / x).sum().backward()
    return x.grad


def f_prime_by_jvp(x):
    _, tangent = jvp(lambda t: torch.log(t ** 2) * torch.sin(t) + 1 / t, (x,), (torch.ones_like(x),))
    return tangent


def f_prime_by_formula(x):
    return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) - 1 / x ** 2


def f_prime_wrong_sign(x):
    return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) + 1 / x ** 2


def f_prime_log_x(x):
    x = x.clone().requires_grad_(True)
    (torch.log(x) * torch.sin(x) + 1 / x).sum().backward()
    return x.grad


def f_prime_product_of_derivatives(x):
    return (2 / x) * torch.cos(x) - 1 / x ** 2


def f_prime_without_reciprocal(x):
    x = x.clone().requires_grad_(True)
    (torch.log(x ** 2) * torch.sin(x)).sum().backward()
    return x.grad


def f_prime_value(x):
    return torch.log(x ** 2) * torch.sin(x) + 1 / x


# --- ch08 -------------------------------------------------------------------------------------------------------

def fixed_nonscalar(x):
    x = x.clone().requires_grad_(True)
    y = x * x
    y.backward(torch.ones_like(y))
    return x.grad


def nonscalar_mean(x):
    x = x.clone().requires_grad_(True)
    (x * x).mean().backward()
    return x.grad


def nonscalar_value(x):
    x = x.clone().requires_grad_(True)
    return x * x


def nonscalar_before_backward(x):
    x = x.clone().requires_grad_(True)
    y = (x * x).sum()
    return x.grad


def nonscalar_unfixed(x):
    x = x.clone().requires_grad_(True)
    (x * x).backward()
    return x.grad


def fixed_backward_twice(x):
    x = x.clone().requires_grad_(True)
    y = (x ** 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def backward_twice_by_recomputing(x):
    x = x.clone().requires_grad_(True)
    for _ in range(2):
        (x ** 3).sum().backward()
    return x.grad


def backward_twice_zeroed(x):
    x = x.clone().requires_grad_(True)
    y = (x ** 3).sum()
    y.backward(retain_graph=True)
    x.grad = None
    y.backward()
    return x.grad


def backward_twice_value(x):
    return x ** 3


def backward_twice_none(x):
    x = x.clone().requires_grad_(True)
    (x ** 3).sum()
    return x.grad


def backward_twice_unfixed(x):
    x = x.clone().requires_grad_(True)
    y = (x ** 3).sum()
    y.backward()
    y.backward()
    return x.grad


def sgd_step(w, lr):
    (w ** 2).sum().backward()
    with torch.no_grad():
        w -= lr * w.grad
    w.grad = None
    return w


def sgd_step_through_data(w, lr):
    (w ** 2).sum().backward()
    w.data -= lr * w.grad
    w.grad.zero_()
    return w


def sgd_returns_gradient(w, lr):
    (w ** 2).sum().backward()
    return w.grad


def sgd_wrong_sign(w, lr):
    (w ** 2).sum().backward()
    with torch.no_grad():
        w += lr * w.grad
    w.grad.zero_()
    return w


def sgd_without_lr(w, lr):
    (w ** 2).sum().backward()
    with torch.no_grad():
        w -= w.grad
    w.grad.zero_()
    return w


def sgd_on_a_copy(w, lr):
    (w ** 2).sum().backward()
    copy = w.clone()
    with torch.no_grad():
        copy -= lr * w.grad
    w.grad.zero_()
    return w


def sgd_out_of_place(w, lr):
    (w ** 2).sum().backward()
    return w - lr * w.grad


def sgd_detached(w, lr):
    (w ** 2).sum().backward()
    return w.detach() - lr * w.grad


def sgd_grad_kept(w, lr):
    (w ** 2).sum().backward()
    with torch.no_grad():
        w -= lr * w.grad
    return w


def sgd_unfixed(w, lr):
    (w ** 2).sum().backward()
    w -= lr * w.grad
    return w


def fixed_numpy(x):
    x = x.clone().requires_grad_(True)
    y = torch.sin(x)
    values = torch.from_numpy(y.detach().numpy().copy())
    y.sum().backward()
    return values, x.grad


def numpy_swapped(x):
    values, grad = fixed_numpy(x)
    return grad, values


def numpy_values_twice(x):
    values, _ = fixed_numpy(x)
    return values, values


def numpy_attached(x):
    x = x.clone().requires_grad_(True)
    y = torch.sin(x)
    y.sum().backward()
    return y, x.grad


def numpy_array(x):
    x = x.clone().requires_grad_(True)
    y = torch.sin(x)
    y.sum().backward()
    return y.detach().numpy(), x.grad


# Per function exercise: the right answers, one wrong function per listed mistake (in the exercise's order),
# and the function behind its none_mistake (None when it has none).
FUNCTIONS = {
    "ch07.second_derivative": ([second_derivative, second_derivative_by_backward],
                               [second_derivative_only_once, second_derivative_value, second_derivative_accumulated],
                               None),
    "ch07.hessian": ([hessian_at, hessian_by_func],
                     [hessian_returns_gradient, hessian_of_gradient_sum, hessian_without_cross_term,
                      hessian_copied_from_chapter], None),
    "ch07.f_prime": ([f_prime, f_prime_by_jvp, f_prime_by_formula],
                     [f_prime_wrong_sign, f_prime_log_x, f_prime_product_of_derivatives, f_prime_without_reciprocal,
                      f_prime_value], None),
    "ch08.fixed_nonscalar": ([fixed_nonscalar], [nonscalar_mean, nonscalar_value], nonscalar_before_backward),
    "ch08.fixed_backward_twice": ([fixed_backward_twice, backward_twice_by_recomputing],
                                  [backward_twice_zeroed, backward_twice_value], backward_twice_none),
    "ch08.fixed_inplace_leaf": ([sgd_step, sgd_step_through_data],
                                [sgd_returns_gradient, sgd_wrong_sign, sgd_without_lr, sgd_on_a_copy], None),
    "ch08.fixed_numpy": ([fixed_numpy], [numpy_swapped, numpy_values_twice], None),
}
# Wrong answers named by an exercise's own extra messages (errors, leaf problems).
EXTRA = [
    ("ch07.second_derivative", second_derivative_no_create_graph,
     lambda e: e.error_mistakes[0][1]),
    ("ch08.fixed_inplace_leaf", sgd_unfixed, lambda e: e.error_mistakes[0][1]),
    ("ch08.fixed_inplace_leaf", sgd_out_of_place, lambda e: e.leaf_problems["not_leaf"]),
    ("ch08.fixed_inplace_leaf", sgd_detached, lambda e: e.leaf_problems["no_grad"]),
    ("ch08.fixed_inplace_leaf", sgd_grad_kept, lambda e: e.leaf_problems["grad_not_cleared"]),
]
# The broken snippets of chapter 8 as given: the core names the error and ends with the hint that explains it.
HINTED = [
    ("ch08.fixed_nonscalar", nonscalar_unfixed, "hint_nonscalar"),
    ("ch08.fixed_backward_twice", backward_twice_unfixed, "hint_second_backward"),
]
# Wrong answers the core names on its own (no listed mistake needed), with the message they must get.
CORE_NAMED = [
    ("ch08.fixed_numpy", numpy_attached,
     say("nth_result", "zh", index=1) + say("still_attached", "zh", grad_fn="SinBackward0")),
    ("ch08.fixed_numpy", numpy_array, say("nth_result", "zh", index=1) + say("not_tensor", "zh", got="ndarray")),
]
# Wrong answers beyond the listed mistakes, for the generic test that the verdict reads the same for every seed.
OTHER_WRONGS = [(exercise_id, wrong) for exercise_id, wrong, _ in EXTRA + HINTED + CORE_NAMED]


def test_chapters_7_and_8_have_an_exercise_of_every_kind():
    for chapter in CHAPTERS:
        for kind in (FunctionExercise, ValueExercise, ChoiceExercise):
            assert ids_of(kind, chapters=(chapter,)), (chapter, kind)


def test_leaf_problems_are_distinct():
    problems = EXERCISES["ch08.fixed_inplace_leaf"].leaf_problems
    assert len({text(message, "zh") for message in problems.values()}) == len(problems) == 3


def test_an_unrelated_error_keeps_the_cores_message():
    def raises(f, x):
        raise ValueError("something else")

    result = verdict("ch07.second_derivative", raises)
    assert result.detail == say("raised", "zh", error="ValueError: something else")


@pytest.mark.parametrize("tamper", [
    lambda result: result.update(grad="not a dict"),
    lambda result: result.update(grad={"values": ["nan"]}),
    lambda result: result.update(grad={"values": None}),
    lambda result: result.update(requires_grad="yes"),
    lambda result: result.pop("is_leaf"),
])
def test_forged_leaf_observations_fail_without_raising(tamper):
    """The grader trusts nothing the child sends: a forged observation of right values still fails safely."""
    exercise = EXERCISES["ch08.fixed_inplace_leaf"]
    observation = exercise.observe(sgd_step, 0)
    tamper(observation["results"][-1])
    assert exercise.judge(observation, 0, "zh").status == "fail"


@pytest.mark.parametrize("message", ["", "x" * 10_000, "does not have a grad_fn" * 100])
def test_forged_error_observations_fail_without_raising(message):
    exercise = EXERCISES["ch07.second_derivative"]
    observation = exercise.observe(second_derivative_no_create_graph, 0)
    observation["results"][0]["message"] = message
    assert exercise.judge(observation, 0, "zh").status == "fail"


def test_an_error_observation_of_the_wrong_shape_never_passes():
    """The core refuses a non-string message by raising, which the grader reports as a malformed observation."""
    exercise = EXERCISES["ch07.second_derivative"]
    observation = exercise.observe(second_derivative_no_create_graph, 0)
    observation["results"][0]["message"] = None
    try:
        status = exercise.judge(observation, 0, "zh").status
    except TypeError:
        status = "malformed"
    assert status != "pass"


def test_the_leaf_check_reads_what_the_observation_says():
    problem = EXERCISES["ch08.fixed_inplace_leaf"].leaf_problem
    assert problem({"kind": "tensor", "requires_grad": True, "is_leaf": True}) is None
    assert problem({"kind": "tensor", "requires_grad": True, "is_leaf": True, "grad": {"values": [0.0, 0.0]}}) is None
    assert problem({"kind": "tensor", "requires_grad": True, "is_leaf": True, "grad": {"values": [0.0, 1.0]}}) \
        == "grad_not_cleared"
    assert problem({"kind": "tensor", "requires_grad": True, "is_leaf": False}) == "not_leaf"
    assert problem({"kind": "number", "value": 1.0}) == "no_grad"


@pytest.mark.parametrize("exercise_id", ids_of(ChoiceExercise, chapters=CHAPTERS))
def test_the_question_lists_the_exercises_options_word_for_word(exercise_id):
    for letter, option in EXERCISES[exercise_id].options.items():
        assert f"- **{letter}**. {option}" in question(exercise_id)


# --- the facts the questions and explanations claim ---------------------------------------------------------------

def test_fact_grad_after_create_graph():
    x = torch.tensor(2.0, requires_grad=True)
    (g,) = torch.autograd.grad(x ** 4, x, create_graph=True)
    assert x.grad is None and g.item() == 32.0
    g.backward()
    assert x.grad.item() == EXERCISES["ch07.grad_after_create_graph"].expected


def test_fact_second_derivative_without_create_graph_raises():
    x = torch.linspace(-2, 2, 5, requires_grad=True)
    (dy,) = torch.autograd.grad(torch.sin(x).sum(), x)
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        torch.autograd.grad(dy.sum(), x)


def test_fact_create_graph_keeps_the_dtype():
    x = torch.linspace(-2, 2, 5, requires_grad=True)
    (dy,) = torch.autograd.grad(torch.sin(x).sum(), x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    assert dy.dtype == d2y.dtype == torch.float32


def test_fact_hessian_formula():
    x = torch.tensor([1.0, 2.0])
    assert torch.equal(hessian_at(x), torch.tensor([[4.0, 2.0], [2.0, 12.0]]))


def test_fact_jacobians_of_vector_functions_agree_in_both_modes():
    torch.manual_seed(0)
    W = torch.randn(8, 20)
    x = torch.randn(20)
    J_fwd, J_rev = jacfwd(lambda v: torch.tanh(W @ v))(x), jacrev(lambda v: torch.tanh(W @ v))(x)
    assert J_fwd.shape == (8, 20) and torch.allclose(J_fwd, J_rev, atol=1e-6)


def test_fact_retain_grad_value():
    x = torch.tensor(2.0, requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h ** 2).backward()
    assert h.grad.item() == EXERCISES["ch08.retain_grad_value"].expected and x.grad.item() == 36.0


def test_fact_loss_under_no_grad_raises_the_chosen_message():
    w, x, t = torch.ones(3, requires_grad=True), torch.arange(3.0), torch.ones(3)
    with torch.no_grad():
        loss = ((w * x - t) ** 2).mean()
    message = EXERCISES["ch08.which_message"].options[EXERCISES["ch08.which_message"].correct]
    with pytest.raises(RuntimeError, match=re.escape(message)):
        loss.backward()


def test_fact_the_broken_snippets_raise_the_quoted_errors():
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        nonscalar_unfixed(torch.arange(3.0))
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        backward_twice_unfixed(torch.arange(3.0))
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        sgd_unfixed(torch.ones(2, requires_grad=True), 0.1)
    x = torch.arange(3.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        torch.sin(x).numpy()


def test_fact_accumulating_backward_gives_first_plus_second_derivative():
    x = torch.linspace(-2, 2, 5, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # backward(create_graph=True) warns about a reference cycle
        (x ** 3).sum().backward(create_graph=True)
        x.grad.sum().backward()
    assert torch.allclose(x.grad, 3 * x.detach() ** 2 + 6 * x.detach())
