"""The checkers and widgets of chapters 11-12: right answers pass, every listed mistake is named, nothing crashes.

The wrong answers below are written the way a student would write them; each one must get the message the
exercise lists for that mistake. test_exercises.py runs the generic tests on the tables FUNCTIONS, CORE_NAMED,
HINTED and OTHER_WRONGS. The last tests assert the PyTorch facts the chapters and explanations rely on.
"""
import math
import warnings

import pytest
import torch

from content import ch11, ch12
from content.kinds import is_order
from exercise_support import ids_of, question, verdict
from helpers.chapters import ch11 as widgets11
from helpers.chapters import ch12 as widgets12
from helpers.chapters import panel
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.exercises import EXERCISES
from helpers.messages import text

CHAPTERS = ("ch11", "ch12")


# --- ch11.clipped_grad --------------------------------------------------------------------------------------------

def clipped_by_hook(x, w, limit):
    x = x.detach().clone().requires_grad_(True)
    y = x * w
    y.register_hook(lambda grad: grad.clamp(-limit, limit))
    (y ** 2).sum().backward()
    return x.grad


def clipped_by_handle(x, w, limit):
    x = x.clone().requires_grad_(True)
    y = x * w
    handle = y.register_hook(lambda grad: torch.clamp(grad, min=-limit, max=limit))
    torch.sum(y * y).backward()
    handle.remove()
    return x.grad


def hook_on_x(x, w, limit):
    x = x.detach().clone().requires_grad_(True)
    x.register_hook(lambda grad: grad.clamp(-limit, limit))
    y = x * w
    (y ** 2).sum().backward()
    return x.grad


def hook_returns_none(x, w, limit):
    x = x.detach().clone().requires_grad_(True)
    y = x * w
    y.register_hook(lambda grad: None if grad.clamp(-limit, limit) is not None else None)
    (y ** 2).sum().backward()
    return x.grad


def hook_after_backward(x, w, limit):
    x = x.detach().clone().requires_grad_(True)
    y = x * w
    (y ** 2).sum().backward()
    y.register_hook(lambda grad: grad.clamp(-limit, limit))
    return x.grad


def clip_upper_only(x, w, limit):
    x = x.detach().clone().requires_grad_(True)
    y = x * w
    y.register_hook(lambda grad: grad.clamp(max=limit))
    (y ** 2).sum().backward()
    return x.grad


# --- ch11.safe_sqrt -----------------------------------------------------------------------------------------------

def value_and_grad(f):
    def run(x):
        x = x.detach().clone().requires_grad_(True)
        y = f(x)
        y.sum().backward()
        return y.detach(), x.grad
    run.__name__ = f.__name__
    return run


def double_where(x):
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), torch.zeros_like(x))


def sqrt_of_relu(x):
    return torch.sqrt(torch.relu(x))


def plain_sqrt(x):
    return torch.sqrt(x)


def where_trap(x):
    return torch.where(x > 0, torch.sqrt(x), 0.0)


def mask_trap(x):
    return torch.where(x > 0, torch.sqrt(x.abs()), torch.zeros_like(x)) + 0 * torch.sqrt(x.abs())


def sqrt_of_clamp(x):
    return torch.sqrt(torch.clamp(x, min=0))


def sqrt_grad_not_tracked(x):
    with torch.no_grad():
        value = double_where(x)
    return value, torch.zeros_like(x)


def sqrt_swapped(x):
    value, grad = value_and_grad(double_where)(x)
    return grad, value


# --- ch12 _backward functions ----------------------------------------------------------------------------------------

def mul_backward(a, b, a_grad, b_grad, out_grad):
    a_grad = a_grad + b * out_grad
    b_grad = b_grad + a * out_grad
    return a_grad, b_grad


def mul_backward_in_place(a, b, a_grad, b_grad, out_grad):
    a_grad, b_grad = a_grad.clone(), b_grad.clone()
    a_grad += b * out_grad
    b_grad += a * out_grad
    return a_grad, b_grad


def mul_assigned(a, b, a_grad, b_grad, out_grad):
    a_grad = b * out_grad
    b_grad = a * out_grad
    return a_grad, b_grad


def mul_without_out_grad(a, b, a_grad, b_grad, out_grad):
    return a_grad + b, b_grad + a


def mul_own_factor(a, b, a_grad, b_grad, out_grad):
    return a_grad + a * out_grad, b_grad + b * out_grad


def tanh_backward(x, x_grad, out_grad):
    t = torch.tanh(x)
    return x_grad + (1 - t ** 2) * out_grad


def tanh_backward_by_cosh(x, x_grad, out_grad):
    return x_grad + out_grad / torch.cosh(x) ** 2


def tanh_assigned(x, x_grad, out_grad):
    t = torch.tanh(x)
    return (1 - t ** 2) * out_grad


def tanh_without_out_grad(x, x_grad, out_grad):
    t = torch.tanh(x)
    return x_grad + (1 - t ** 2)


def tanh_with_input(x, x_grad, out_grad):
    return x_grad + (1 - x ** 2) * out_grad


def tanh_one_minus_t(x, x_grad, out_grad):
    t = torch.tanh(x)
    return x_grad + (1 - t) * out_grad


def pow_backward(x, n, x_grad, out_grad):
    return x_grad + n * x ** (n - 1) * out_grad


def pow_backward_by_autograd(x, n, x_grad, out_grad):
    x = x.detach().clone().requires_grad_(True)
    (x ** n).backward(out_grad)
    return x_grad + x.grad


def pow_assigned(x, n, x_grad, out_grad):
    return n * x ** (n - 1) * out_grad


def pow_without_out_grad(x, n, x_grad, out_grad):
    return x_grad + n * x ** (n - 1)


def pow_keeps_exponent(x, n, x_grad, out_grad):
    return x_grad + n * x ** n * out_grad


def pow_without_factor_n(x, n, x_grad, out_grad):
    return x_grad + x ** (n - 1) * out_grad


# --- ch12.topological_order -----------------------------------------------------------------------------------------

def topo_dfs(inputs):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in inputs[v]:
                visit(child)
            order.append(v)

    visit(0)
    return order


def topo_kahn(inputs):
    """Kahn's algorithm on the reachable nodes: another valid order, which must pass too."""
    reachable, stack = set(), [0]
    while stack:
        v = stack.pop()
        if v not in reachable:
            reachable.add(v)
            stack.extend(inputs[v])
    waiting = {v: len(set(inputs[v])) for v in reachable}
    users = {v: [u for u in reachable if v in inputs[u]] for v in reachable}
    ready = sorted(v for v in reachable if waiting[v] == 0)
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for u in users[v]:
            waiting[u] -= 1
            if waiting[u] == 0:
                ready.append(u)
    return order


def topo_preorder(inputs):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            order.append(v)
            for child in inputs[v]:
                visit(child)

    visit(0)
    return order


def topo_root_first(inputs):
    return list(reversed(topo_dfs(inputs)))


def topo_no_visited(inputs):
    order = []

    def visit(v):
        for child in inputs[v]:
            visit(child)
        order.append(v)

    visit(0)
    return order


def topo_every_node(inputs):
    """Every node, reachable or not, in a valid order of the whole graph."""
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in inputs[v]:
                visit(child)
            order.append(v)

    for v in range(len(inputs)):
        visit(v)
    return order


def topo_strings(inputs):
    return [str(v) for v in topo_dfs(inputs)]


# --- ch12.unbroadcast -----------------------------------------------------------------------------------------------

def unbroadcast_by_loops(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(dim=axis, keepdim=True)
    return grad


def unbroadcast_by_sum_to_size(grad, shape):
    return grad.sum_to_size(shape)


def unbroadcast_returns_grad(grad, shape):
    return grad


def unbroadcast_leading_only(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    return grad


def unbroadcast_no_keepdim(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    for axis in reversed(range(len(shape))):
        if shape[axis] == 1 and grad.shape[axis] != 1:
            grad = grad.sum(dim=axis)
    return grad


def unbroadcast_mean(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.mean(dim=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.mean(dim=axis, keepdim=True)
    return grad


def unbroadcast_everything(grad, shape):
    return grad.sum()


# Per function exercise: the right answers, one wrong function per listed mistake (in the exercise's order),
# and the function behind its none_mistake (None when it has none).
FUNCTIONS = {
    "ch11.clipped_grad": ([clipped_by_hook, clipped_by_handle], [hook_on_x, hook_returns_none, clip_upper_only], None),
    "ch11.safe_sqrt": ([value_and_grad(double_where), value_and_grad(sqrt_of_relu)],
                       [sqrt_grad_not_tracked, sqrt_swapped], None),
    "ch12.mul_backward": ([mul_backward, mul_backward_in_place], [mul_assigned, mul_without_out_grad, mul_own_factor],
                          None),
    "ch12.tanh_backward": ([tanh_backward, tanh_backward_by_cosh],
                           [tanh_assigned, tanh_without_out_grad, tanh_with_input, tanh_one_minus_t], None),
    "ch12.pow_backward": ([pow_backward, pow_backward_by_autograd],
                          [pow_assigned, pow_without_out_grad, pow_keeps_exponent, pow_without_factor_n], None),
    "ch12.topological_order": ([topo_dfs, topo_kahn], [topo_preorder, topo_root_first, topo_no_visited], None),
    "ch12.unbroadcast": ([unbroadcast_by_loops, unbroadcast_by_sum_to_size],
                         [unbroadcast_returns_grad, unbroadcast_leading_only, unbroadcast_no_keepdim, unbroadcast_mean,
                          unbroadcast_everything], None),
}
# Wrong answers named by an exercise's own extra messages (non-finite results, node sets, hooks too late).
EXTRA = [
    ("ch11.safe_sqrt", value_and_grad(where_trap), lambda e: e.nonfinite["where_trap"]),
    ("ch11.safe_sqrt", value_and_grad(mask_trap), lambda e: e.nonfinite["where_trap"]),
    ("ch11.safe_sqrt", value_and_grad(sqrt_of_clamp), lambda e: e.nonfinite["inf"]),
    ("ch11.safe_sqrt", value_and_grad(plain_sqrt), lambda e: e.nonfinite["nan_value"]),
    ("ch11.clipped_grad", hook_after_backward, lambda e: e.mistakes[1][1]),
    ("ch12.topological_order", topo_every_node, lambda e: e.messages["nodes"]),
]
HINTED = []
CORE_NAMED = []
# Wrong answers beyond the listed mistakes, for the generic test that the verdict reads the same for every seed.
OTHER_WRONGS = [(exercise_id, wrong) for exercise_id, wrong, _ in EXTRA] + [("ch12.topological_order", topo_strings)]


def test_chapters_11_and_12_have_four_to_six_exercises_of_at_least_two_kinds():
    for chapter in CHAPTERS:
        assert 4 <= len(ids_of(chapters=(chapter,))) <= 6
        kinds = {kind for kind in (FunctionExercise, ValueExercise, ChoiceExercise) if ids_of(kind, chapters=(chapter,))}
        assert len(kinds) >= 2, chapter


def test_the_nonfinite_messages_are_distinct():
    messages = EXERCISES["ch11.safe_sqrt"].nonfinite
    assert len({text(message, "zh") for message in messages.values()}) == len(messages) == 3


def test_a_list_of_strings_is_no_order():
    result = verdict("ch12.topological_order", topo_strings)
    assert result.status == "fail" and "list" in verdict("ch12.topological_order", topo_strings, lang="en").detail


@pytest.mark.parametrize("seed", range(4))
def test_the_graphs_are_dags_with_shared_and_unreachable_nodes(seed):
    cases = ch12.graph_cases(torch.Generator().manual_seed(seed))
    for (inputs,) in cases:
        order = topo_dfs(inputs)
        assert is_order(inputs, order) and len(inputs) <= 32
        assert is_order(inputs, topo_kahn(inputs))
        assert not is_order(inputs, topo_preorder(inputs)[::-1]) or inputs != cases[0][0]
    first = cases[0][0]
    assert not is_order(first, topo_preorder(first)) and not is_order(first, topo_preorder(first)[::-1])
    assert len(topo_no_visited(first)) > len(topo_dfs(first))
    for (inputs,) in cases[1:]:
        assert len(topo_dfs(inputs)) < len(inputs)  # one node the root does not reach


def test_forged_order_observations_fail_without_raising():
    exercise = EXERCISES["ch12.topological_order"]
    for forged in ({"kind": "sequence", "length": 3, "items": "xyz"}, {"kind": "sequence", "length": None, "items": []},
                   {"kind": "sequence", "length": 5, "items": [{"kind": "number", "type": "int", "value": 99}] * 5},
                   {"kind": "number", "value": 1.0}):
        observation = exercise.observe(topo_dfs, 0)
        observation["results"][0] = forged
        assert exercise.judge(observation, 0, "zh").status == "fail"


def test_forged_nonfinite_observations_are_read_without_raising():
    """The extra reading of (value, gradient) trusts nothing; what the core then refuses is the core's affair."""
    exercise = EXERCISES["ch11.safe_sqrt"]
    for forged in ({"kind": "sequence", "length": 2, "items": [None, "x"]},
                   {"kind": "sequence", "length": 2, "items": [{"kind": "tensor", "values": None}, {"kind": "number"}]},
                   {"kind": "sequence", "length": 2, "items": [{"kind": "tensor", "values": [1, "nan"]}, {}]},
                   {"kind": "sequence", "items": "ab"}):
        assert exercise.named_mistake(forged, {}, "zh") in (None, (text(exercise.nonfinite["nan_value"], "zh"),
                                                                   "nonfinite.nan_value"))
        observation = exercise.observe(value_and_grad(double_where), 0)
        observation["results"][0] = forged
        try:
            status = exercise.judge(observation, 0, "zh").status
        except (AttributeError, KeyError, TypeError):  # the core refuses a malformed description
            status = "malformed"
        assert status != "pass"


@pytest.mark.parametrize("exercise_id", ids_of(ChoiceExercise, chapters=CHAPTERS))
def test_the_question_lists_the_exercises_options_word_for_word(exercise_id):
    for letter, option in EXERCISES[exercise_id].options.items():
        assert f"- **{letter}**. {option}" in question(exercise_id)


# --- the facts the chapters and the questions claim -------------------------------------------------------------

def test_fact_subgradients_at_zero():
    picks = {"relu": (torch.relu, 0.0), "clamp": (lambda t: torch.clamp(t, min=0), 1.0),
             "maximum": (lambda t: torch.maximum(t, torch.zeros(())), 0.5), "abs": (torch.abs, 0.0)}
    for name, (f, expected) in picks.items():
        x = torch.tensor(0.0, requires_grad=True)
        f(x).backward()
        assert x.grad.item() == expected, name


def test_fact_sqrt_inf_and_the_where_trap():
    x = torch.tensor([-1.0, 0.0, 4.0], requires_grad=True)
    torch.where(x > 0, torch.sqrt(x), 0.0).sum().backward()
    assert torch.isnan(x.grad[:2]).all() and x.grad[2] == 0.25
    x = torch.tensor([-1.0, 0.0], requires_grad=True)
    torch.sqrt(torch.clamp(x, min=0)).sum().backward()
    assert x.grad[0] == 0 and torch.isinf(x.grad[1])
    x = torch.zeros(2, requires_grad=True)
    torch.linalg.vector_norm(x).backward()
    assert torch.equal(x.grad, torch.zeros(2))


def test_fact_retain_grad_sees_the_hooked_gradient_whatever_the_order():
    for retain_first in (True, False):
        x = torch.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        if retain_first:
            y.retain_grad()
        y.register_hook(lambda grad: grad * 10)
        if not retain_first:
            y.retain_grad()
        y.sum().backward()
        assert torch.equal(y.grad, torch.full((2,), 10.0))


def test_fact_anomaly_detection_points_at_the_sqrt_line():
    x = torch.tensor([0.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
            with torch.autograd.detect_anomaly(check_nan=True):
                a = x ** 2
                b = torch.sqrt(a)
                c = torch.where(x > 0, b, 0.0)
                c.sum().backward()
    (report,) = [str(w.message).split(" (Triggered")[0] for w in caught if "Error detected in" in str(w.message)]
    exercise = EXERCISES["ch11.anomaly_line"]
    assert report.splitlines()[-1].strip() == exercise.options[exercise.correct]


def test_fact_saved_bytes():
    assert ch11.saved_sizes() == [4000, 4000, 4000]
    assert sum(ch11.saved_sizes()) == EXERCISES["ch11.saved_bytes"].expected


def test_fact_assign_engine_gives_minus_three():
    a, b = widgets12.Scalar(2.0, accumulate=False), widgets12.Scalar(-3.0, accumulate=False)
    (a * b + a).backward()
    assert a.grad == EXERCISES["ch12.assign_grad"].expected and b.grad == 2.0


def test_fact_sum_to_size_is_the_reference():
    grad = torch.randn(2, 3, 4, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(ch12.unbroadcast(grad, (3, 1)), grad.sum(dim=0).sum(dim=1, keepdim=True))


# --- widgets -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("version, x0, value, grad", [
    ("torch.sqrt(x)", 0.0, "ok", "inf"), ("torch.sqrt(x)", -1.0, "nan", "nan"),
    ("torch.sqrt(torch.clamp(x, min=0))", 0.0, "ok", "inf"), ("torch.sqrt(torch.clamp(x, min=0))", -1.0, "ok", "ok"),
    ("torch.where(x > 0, torch.sqrt(x), 0.0)", 0.0, "ok", "nan"),
    ("torch.where(x > 0, torch.sqrt(x), 0.0)", -0.5, "ok", "nan"),
    ("安全的 where（先换掉危险的输入）", 0.0, "ok", "ok"), ("安全的 where（先换掉危险的输入）", -1.0, "ok", "ok"),
])
def test_nan_gradient_state(version, x0, value, grad):
    state = widgets11.nan_gradient_state(version, x0)
    assert (state["value_status"], state["grad_status"]) == (value, grad)


@pytest.mark.parametrize("version", widgets11.VERSIONS)
def test_nan_gradient_state_agrees_with_calculus_for_positive_x(version):
    state = widgets11.nan_gradient_state(version, 2.25)
    assert math.isclose(state["value"], 1.5, rel_tol=1e-6) and math.isclose(state["grad"], 1 / 3, rel_tol=1e-5)


def test_nan_gradient_curve_contains_zero():
    x, values, grads = widgets11.nan_gradient_curve("torch.sqrt(x)")
    assert (x == 0).any() and torch.isinf(grads[x == 0]).all()


@pytest.mark.parametrize("expression", widgets12.EXPRESSIONS)
def test_engine_with_accumulation_matches_torch(expression):
    state = widgets12.engine_state(expression, True)
    assert state["matches"], state


@pytest.mark.parametrize("expression, matches", [
    ("a + a", False), ("a * b + a", False), ("(a + b) * (a + b)", False), ("a * b", True),
])
def test_engine_with_assignment_breaks_only_reused_nodes(expression, matches):
    assert widgets12.engine_state(expression, False)["matches"] == matches


def test_value_graph_drawing_lists_each_use():
    a = widgets12.Scalar(3.0)
    out = a + a
    out.backward()
    graph = widgets12.draw_value_graph(out, {"a": a})
    assert graph.describe("en").splitlines() == ["output (+): output, value 6, grad 1  -> a, a", "a: leaf, value 3, grad 2"]
    assert graph.png()[:4] == b"\x89PNG"


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


@pytest.mark.parametrize("build", [widgets11.nan_gradient_widget, widgets12.engine_widget])
def test_widget_has_one_main_control_whose_move_changes_the_output(build):
    shown = build()
    assert repr(shown).startswith("[交互：") and len(repr(shown)) < 110
    main = [w for w in _descendants(shown) if panel.MAIN in w._dom_classes]
    outputs = [w for w in _descendants(shown) if panel.OUTPUT in w._dom_classes]
    assert len(main) == 1 and len(outputs) == 1
    before = outputs[0].outputs
    assert before and before[0]["output_type"] == "stream"
    main[0].value = main[0].options[1]
    assert outputs[0].outputs != before
