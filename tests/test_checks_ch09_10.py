"""The checkers of chapters 9-10: right answers pass, every listed mistake is named, nothing crashes.

The wrong answers below are written the way a student would write them; each one must get the message the
exercise lists for that mistake. test_exercises.py runs the generic tests on the tables FUNCTIONS, CORE_NAMED,
HINTED and OTHER_WRONGS. Chapter 9's answers are torch.autograd.Function classes (the "autograd_function"
probe); the last tests assert the PyTorch facts the explanations rely on and the chapters' widgets.
"""
import warnings

import pytest
import torch

from exercise_support import none_message, verdict
from helpers import check
from content.ch09 import UNSAVED
from content.ch10 import FORGOT_ZERO, NEW_TENSOR_UNDER_NO_GRAD, STEP_IN_GRAPH
from content.kinds import COMMON_ERRORS, FORWARD_CHANGED, backward_is_placeholder
from helpers.chapters import ch09 as widget09
from helpers.chapters import ch10 as widget10
from helpers.checking.autograd_function import observe_autograd_function
from helpers.exercises import EXERCISES
from helpers.messages import text

CHAPTERS = ("ch09", "ch10")


# --- ch09.cos2x -------------------------------------------------------------------------------------------------

class Cos2x(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.cos(2 * x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * -2 * torch.sin(2 * x)


class Cos2xSetupContext(torch.autograd.Function):
    @staticmethod
    def forward(x):
        return torch.cos(2 * x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(inputs[0])

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -2 * torch.sin(2 * x) * grad_output if ctx.needs_input_grad[0] else None


class Cos2xNoChain(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -2 * torch.sin(2 * x)


class Cos2xSign(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 2 * torch.sin(2 * x)


class Cos2xNoInner(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return -grad_output * torch.sin(2 * x)


class Cos2xDouble(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * -4 * torch.sin(2 * x)


class Cos2xTwoGrads(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * -2 * torch.sin(2 * x), grad_output


class Cos2xSummed(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return (grad_output * -2 * torch.sin(2 * x)).reshape(-1, 1)


class Cos2xOther(Cos2x):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * torch.cos(2 * x)


class Cos2xChangedForward(Cos2x):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.sin(2 * x)


# --- ch09.scaled_matmul -----------------------------------------------------------------------------------------

class ScaledMatMul(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, W, alpha):
        ctx.save_for_backward(X, W)
        ctx.alpha = alpha
        return alpha * X @ W

    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        return ctx.alpha * grad_output @ W.T, ctx.alpha * X.T @ grad_output, None


class ScaledMatMulNeeds(ScaledMatMul):
    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        grad_X = ctx.alpha * grad_output @ W.T if ctx.needs_input_grad[0] else None
        grad_W = ctx.alpha * X.T @ grad_output if ctx.needs_input_grad[1] else None
        return grad_X, grad_W, None


class ScaledMatMulNoAlpha(ScaledMatMul):
    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        return grad_output @ W.T, X.T @ grad_output, None


class ScaledMatMulNegated(ScaledMatMul):
    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        return -ctx.alpha * grad_output @ W.T, -ctx.alpha * X.T @ grad_output, None


class ScaledMatMulTwoGrads(ScaledMatMul):
    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        return ctx.alpha * grad_output @ W.T, ctx.alpha * X.T @ grad_output


class ScaledMatMulTransposed(ScaledMatMul):
    @staticmethod
    def backward(ctx, grad_output):
        X, W = ctx.saved_tensors
        return ctx.alpha * grad_output @ W.T, ctx.alpha * grad_output.T @ X, None


# --- ch09.softplus_saved_output ---------------------------------------------------------------------------------

class SoftplusFromOutput(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * -torch.expm1(-y)


class SoftplusOneMinusExp(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * (1 - torch.exp(-y))


class SoftplusSigmoidOfY(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * torch.sigmoid(y)


class SoftplusNoChain(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return -torch.expm1(-y)


class SoftplusMissingOneMinus(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * torch.exp(-y)


class SoftplusCtxAttribute(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * torch.sigmoid(ctx.x)


class SoftplusUnpacksTwo(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        x, y = ctx.saved_tensors
        return grad_output * torch.sigmoid(x)


class SoftplusForwardLocal(SoftplusFromOutput):
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * torch.sigmoid(x)  # noqa: F821 -- forward's parameter is not in scope


# --- ch10.train_by_hand -----------------------------------------------------------------------------------------

def train(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w.detach(), b.detach()


def train_with_sgd(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([w, b], lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        ((X @ w + b - y) ** 2).mean().backward()
        optimizer.step()
    return w, b


def train_set_to_none(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            for p in (w, b):
                p.add_(p.grad, alpha=-lr)
                p.grad = None
    return w, b


def train_without_zero(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
    return w, b


def train_ascent(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w += lr * w.grad
            b += lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def train_nothing(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
    return w, b


def train_in_place_in_graph(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        w -= lr * w.grad
        b -= lr * b.grad
    return w, b


def train_rebinding_in_graph(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        w = w - lr * w.grad
        b = b - lr * b.grad
    return w, b


def train_rebinding_in_graph_then_zero(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        w = w - lr * w.grad
        b = b - lr * b.grad
        w.grad.zero_()
        b.grad.zero_()
    return w, b


def train_rebinding_under_no_grad(w, b, X, y, lr, steps):
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    for _ in range(steps):
        ((X @ w + b - y) ** 2).mean().backward()
        with torch.no_grad():
            w = w - lr * w.grad
            b = b - lr * b.grad
    return w, b


# --- ch10.freeze ------------------------------------------------------------------------------------------------

def finetune(W1, W2, X, y, lr, steps):
    W2 = W2.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([W2], lr=lr, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
        optimizer.step()
    return W1, W2.detach()


def finetune_requires_grad_false(W1, W2, X, y, lr, steps):
    W1 = W1.clone().requires_grad_(True)
    W1.requires_grad_(False)
    W2 = W2.clone().requires_grad_(True)
    params = [p for p in (W1, W2) if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=lr, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
        optimizer.step()
    return W1, W2.detach()


def finetune_everything(W1, W2, X, y, lr, steps):
    W1, W2 = W1.clone().requires_grad_(True), W2.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([W1, W2], lr=lr, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
        optimizer.step()
    return W1.detach(), W2.detach()


def finetune_without_zero(W1, W2, X, y, lr, steps):
    W2 = W2.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([W2], lr=lr, momentum=0.9)
    for _ in range(steps):
        ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
        optimizer.step()
    return W1, W2.detach()


def finetune_no_step(W1, W2, X, y, lr, steps):
    W2 = W2.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([W2], lr=lr, momentum=0.9)
    for _ in range(steps):
        optimizer.zero_grad()
        ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
    return W1, W2.detach()


# --- ch10.leaf_grad ---------------------------------------------------------------------------------------------

def param_grad(values):
    w = values.double().requires_grad_()
    (w ** 3).sum().backward()
    return w.grad


def param_grad_factory(values):
    w = torch.tensor(values.tolist(), dtype=torch.float64, requires_grad=True)
    (w ** 3).sum().backward()
    return w.grad


def param_grad_non_leaf(values):
    w = values.clone().requires_grad_().to(torch.float64)
    (w ** 3).sum().backward()
    return w.grad


def param_grad_double_last(values):
    w = values.clone().requires_grad_().double()
    (w ** 3).sum().backward()
    return w.grad


FUNCTIONS = {
    "ch09.cos2x": ([Cos2x, Cos2xSetupContext], [Cos2xNoChain, Cos2xSign, Cos2xNoInner, Cos2xDouble], None),
    "ch09.scaled_matmul": ([ScaledMatMul, ScaledMatMulNeeds], [ScaledMatMulNoAlpha, ScaledMatMulNegated], None),
    "ch09.softplus_saved_output": ([SoftplusFromOutput, SoftplusOneMinusExp],
                                   [SoftplusSigmoidOfY, SoftplusNoChain, SoftplusMissingOneMinus], None),
    "ch10.train_by_hand": ([train, train_set_to_none],
                           [train_without_zero, train_ascent, train_nothing], None),
    "ch10.freeze": ([finetune, finetune_requires_grad_false],
                    [finetune_everything, finetune_without_zero, finetune_no_step], None),
    "ch10.leaf_grad": ([param_grad, param_grad_factory], [], param_grad_non_leaf),
}
OTHER_WRONGS = [("ch09.cos2x", Cos2xTwoGrads), ("ch09.cos2x", Cos2xOther), ("ch09.cos2x", Cos2xChangedForward),
                ("ch09.scaled_matmul", ScaledMatMulTwoGrads), ("ch09.scaled_matmul", ScaledMatMulTransposed),
                ("ch09.softplus_saved_output", SoftplusCtxAttribute),
                ("ch09.softplus_saved_output", SoftplusUnpacksTwo),
                ("ch10.train_by_hand", train_in_place_in_graph), ("ch10.train_by_hand", train_rebinding_in_graph),
                ("ch10.train_by_hand", train_rebinding_under_no_grad), ("ch10.leaf_grad", param_grad_double_last),
                ("ch10.train_by_hand", train_with_sgd)]
CORE_NAMED = []
HINTED = []


# --- the named errors -------------------------------------------------------------------------------------------

ERROR_NAMED = [
    ("ch09.cos2x", Cos2xTwoGrads, COMMON_ERRORS[0][1]),
    ("ch09.cos2x", Cos2xSummed, COMMON_ERRORS[1][1]),
    ("ch09.scaled_matmul", ScaledMatMulTwoGrads, EXERCISES["ch09.scaled_matmul"].error_mistakes[0][1]),
    ("ch09.scaled_matmul", ScaledMatMulTransposed, EXERCISES["ch09.scaled_matmul"].error_mistakes[1][1]),
    ("ch09.softplus_saved_output", SoftplusCtxAttribute, UNSAVED),
    ("ch09.softplus_saved_output", SoftplusUnpacksTwo, UNSAVED),
    ("ch09.softplus_saved_output", SoftplusForwardLocal, UNSAVED),
    ("ch10.train_by_hand", train_in_place_in_graph, STEP_IN_GRAPH),
    ("ch10.train_by_hand", train_rebinding_in_graph, STEP_IN_GRAPH),
    ("ch10.train_by_hand", train_rebinding_in_graph_then_zero, STEP_IN_GRAPH),
    ("ch10.train_by_hand", train_rebinding_under_no_grad, NEW_TENSOR_UNDER_NO_GRAD),
    ("ch10.leaf_grad", param_grad_double_last, none_message(EXERCISES["ch10.leaf_grad"])),
]


@pytest.mark.parametrize("exercise_id, wrong, message", ERROR_NAMED, ids=[w.__name__ for _, w, _ in ERROR_NAMED])
def test_each_named_error_gets_its_message_in_both_languages(exercise_id, wrong, message):
    for lang in ("zh", "en"):
        for seed in (0, 1, 2):
            result = verdict(exercise_id, wrong, seed, lang)
            assert result.status == "fail" and result.detail == text(message, lang), result


def test_the_shared_messages_are_distinct():
    messages = [FORGOT_ZERO, STEP_IN_GRAPH, NEW_TENSOR_UNDER_NO_GRAD, UNSAVED, *(m for _, m in COMMON_ERRORS)]
    for lang in ("zh", "en"):
        assert len({text(m, lang) for m in messages}) == len(messages)


def test_right_functions_pass_on_more_seeds():
    for exercise_id, (rights, _, _) in FUNCTIONS.items():
        for right in rights:
            for seed in (7, 123, 2**30):
                assert verdict(exercise_id, right, seed).passed, (exercise_id, right.__name__, seed)


# --- the autograd_function probe and kind ------------------------------------------------------------------------

def test_the_probe_runs_gradcheck_and_reports_plain_data():
    exercise = EXERCISES["ch09.cos2x"]
    observation = exercise.observe(Cos2x, 0)
    assert observation["gradcheck"] == {"passed": True, "message": ""}
    assert observation["placeholder"] is False and len(observation["results"]) == 3
    assert all(result["kind"] == "sequence" and result["length"] == 1 for result in observation["results"])
    wrong = exercise.observe(Cos2xNoChain, 0)["gradcheck"]
    assert wrong == {"passed": False, "message": "GradcheckError: Jacobian mismatch for output 0 with respect to input 0"}


def test_forward_is_judged_and_gradcheck_can_only_add_a_failure():
    for lang in ("zh", "en"):
        result = verdict("ch09.cos2x", Cos2xChangedForward, 0, lang)
        assert result.status == "fail" and result.detail == text(FORWARD_CHANGED, lang)
    exercise = EXERCISES["ch09.cos2x"]
    observation = exercise.observe(Cos2xChangedForward, 0)
    observation["gradcheck"] = {"passed": True, "message": ""}  # a forged pass grants nothing
    assert exercise.judge(observation, 0).detail == text(FORWARD_CHANGED, "zh")
    observation = exercise.observe(Cos2x, 0)
    observation["gradcheck"] = {"passed": False, "message": "GradcheckError: Jacobian mismatch"}
    result = exercise.judge(observation, 0)
    assert result.status == "fail" and "Jacobian mismatch" in result.detail
    result = verdict("ch09.cos2x", Cos2xOther, 0)
    assert result.status == "fail" and result.detail.endswith("gradcheck 的报告：GradcheckError: Jacobian mismatch "
                                                              "for output 0 with respect to input 0。")


def test_the_class_is_the_answer_not_apply_or_a_function():
    for answer in (Cos2x.apply, lambda x: x, torch.tensor(1.0), torch.autograd.Function, 3):
        for lang in ("zh", "en"):
            result = check("ch09.cos2x", answer, lang=lang)
            assert result.status == "fail" and "torch.autograd.Function" in result.detail, result


def test_an_unfilled_backward_is_todo():
    class Unfilled(Cos2x):
        @staticmethod
        def backward(ctx, grad_output):
            ...  # 在这里写你的代码

    assert check("ch09.cos2x", Unfilled).status == "todo"
    assert observe_autograd_function(Unfilled, [])["placeholder"] is True
    source = ("class Cos2x(torch.autograd.Function):\n    @staticmethod\n    def forward(ctx, x):\n"
              "        return x\n\n    @staticmethod\n    def backward(ctx, grad_output):\n        ...  # 写\n")
    assert backward_is_placeholder(source, "Cos2x")
    assert not backward_is_placeholder(source.replace("...  # 写", "return grad_output"), "Cos2x")
    assert not backward_is_placeholder(source, "Other") and not backward_is_placeholder("def (", "Cos2x")
    exercise = EXERCISES["ch09.cos2x"]
    assert exercise.judge({"results": [], "source": source}, 0).status == "todo"


def test_the_first_case_of_each_function_class_exercise_is_fixed():
    """gradcheck runs on the first case, and its message can reach the verdict, which must not vary."""
    for exercise_id in ("ch09.cos2x", "ch09.scaled_matmul", "ch09.softplus_saved_output"):
        exercise = EXERCISES[exercise_id]
        first = [exercise.inputs(seed)[0] for seed in (0, 1)]
        assert all(torch.equal(a, b) for a, b in zip(first[0][0][:2], first[1][0][:2]))
        assert all(t.dtype == torch.float64 for case in exercise.inputs(0) for t in (*case[0][:2], case[1])
                   if isinstance(t, torch.Tensor))


def test_grad_output_is_never_all_ones():
    for exercise_id in ("ch09.cos2x", "ch09.scaled_matmul", "ch09.softplus_saved_output"):
        for _, grad_output in EXERCISES[exercise_id].inputs(0):
            assert not torch.equal(grad_output, torch.ones_like(grad_output))


def test_scaled_matmul_cases_are_never_square():
    for (X, W, _), _ in EXERCISES["ch09.scaled_matmul"].inputs(3):
        assert W.shape[0] != W.shape[1]


# --- PyTorch facts the explanations rely on ------------------------------------------------------------------------

def test_pytorch_messages_for_a_wrong_backward():
    X = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    W = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"ScaledMatMulTwoGradsBackward returned an incorrect number of "
                                           r"gradients \(expected 3, got 2\)"):
        ScaledMatMulTwoGrads.apply(X, W, 0.5).sum().backward()
    with pytest.raises(RuntimeError, match=r"returned an invalid gradient at index 1 - got \[4, 3\] but expected "
                                           r"shape compatible with \[3, 4\]"):
        ScaledMatMulTransposed.apply(X, W, 0.5).sum().backward()
    with pytest.raises(AttributeError, match=r"'SoftplusCtxAttributeBackward' object has no attribute 'x'"):
        SoftplusCtxAttribute.apply(torch.ones(2, requires_grad=True)).sum().backward()


def test_extra_none_gradients_are_accepted():
    """Why the count exercise needs a missing gradient, not an extra None: trailing Nones are allowed."""
    class ExtraNone(Cos2x):
        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * -2 * torch.sin(2 * x), None

    x = torch.ones(2, requires_grad=True)
    ExtraNone.apply(x).sum().backward()
    assert torch.allclose(x.grad, -2 * torch.sin(torch.full((2,), 2.0)))


def test_a_broadcastable_gradient_is_summed_not_refused():
    """Why the shape exercise uses a transposed gradient: a gradient that broadcasts to the input is reduced."""
    class Broadcast(Cos2x):
        @staticmethod
        def backward(ctx, grad_output):
            return grad_output.expand(2, *grad_output.shape)

    x = torch.ones(3, requires_grad=True)
    Broadcast.apply(x).sum().backward()
    assert torch.equal(x.grad, torch.full((3,), 2.0))


def test_softplus_derivative_from_its_output():
    x = torch.linspace(-5, 5, 11, dtype=torch.float64)
    y = torch.nn.functional.softplus(x)
    assert torch.allclose(-torch.expm1(-y), torch.sigmoid(x))
    assert torch.allclose(torch.exp(-y), torch.sigmoid(-x))


def test_gradcheck_float32_false_alarm_and_float64_pass():
    x = torch.tensor([1.0, 2.0, -0.5], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert not torch.autograd.gradcheck(Cos2x.apply, (x,), raise_exception=False)
    assert torch.autograd.gradcheck(Cos2x.apply, (x.detach().double().requires_grad_(),))


def test_the_ste_value():
    class RoundSTE(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return torch.round(x)

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output

    x = torch.tensor([0.2, 1.7, -0.6], requires_grad=True)
    (RoundSTE.apply(3 * x) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert torch.equal(x.grad, EXERCISES["ch09.ste_grad"].expected)


def test_the_clip_value():
    p1, p2 = torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)
    p1.grad, p2.grad = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
    total = torch.nn.utils.clip_grad_norm_([p1, p2], max_norm=6.5)
    assert torch.allclose(total, torch.tensor(13.0))
    assert torch.allclose(p1.grad, EXERCISES["ch10.clip"].expected)


def test_a_frozen_parameter_with_a_zero_grad_still_moves_under_momentum():
    w = torch.ones(2, requires_grad=True)
    optimizer = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    w.sum().backward()
    optimizer.step()
    w.requires_grad_(False)
    before = w.clone()
    optimizer.zero_grad(set_to_none=False)
    optimizer.step()
    assert not torch.equal(w, before)
    w.grad = None
    moved = w.clone()
    optimizer.step()
    assert torch.equal(w, moved)


def test_eval_records_the_graph_and_no_grad_keeps_dropout():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.Dropout(0.5)).eval()
    out = net(torch.ones(2, 4))
    assert out.requires_grad and out.grad_fn is not None
    net.train()
    with torch.no_grad():
        a, b = net(torch.ones(2, 4)), net(torch.ones(2, 4))
    assert not a.requires_grad and not torch.equal(a, b)


def test_non_leaf_conversions_and_the_optimizer_refusal():
    for make in (lambda t: t.to(torch.float64), lambda t: t.double(), lambda t: t * 1):
        assert not make(torch.randn(3, requires_grad=True)).is_leaf
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        torch.optim.SGD([torch.randn(3, requires_grad=True).double()], lr=0.1)


# --- the widgets ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(widget09.BACKWARDS))
def test_gradcheck_widget_state(variant):
    right = variant == next(iter(widget09.BACKWARDS))
    state = widget09.gradcheck_state(variant)
    assert state["passed"] == right and (state["error"] < 1e-6) == right
    assert state["message"] == ("" if right else "Jacobian mismatch for output 0 with respect to input 0")
    assert torch.allclose(state["numerical"], torch.diag(3 * torch.tensor(widget09.POINT, dtype=torch.float64) ** 2))
    float32 = widget09.gradcheck_state(variant, "float32")
    assert not float32["passed"]


def test_gradcheck_widget_analytical_layout_matches_gradcheck():
    state = widget09.gradcheck_state("忘了乘 grad_output：3x²")
    column = 3 * torch.tensor(widget09.POINT, dtype=torch.float64) ** 2
    assert torch.allclose(state["analytical"], column[:, None].expand(3, 3))


def test_training_curve_matches_the_chapter():
    right, forgot = widget10.training_curve(0.1), widget10.training_curve(0.1, zero_grad=False)
    assert len(right["losses"]) == 40 and right["losses"][-1] < 0.01 < forgot["losses"][-1]
    assert torch.allclose(right["weight"], torch.tensor(widget10.TRUE_WEIGHT), atol=0.05)
    assert abs(right["bias"].item() - widget10.TRUE_BIAS) < 0.05


def test_training_data_is_the_chapters():
    X, y = widget10.regression_data()
    torch.manual_seed(0)
    X_chapter = torch.randn(64, 3)
    y_chapter = X_chapter @ torch.tensor([[2.0, -3.0, 0.5]]).T + 1.0 + 0.1 * torch.randn(64, 1)
    assert torch.equal(X, X_chapter) and torch.equal(y, y_chapter)


@pytest.mark.parametrize("builder", [widget09.gradcheck_widget, widget10.training_widget])
def test_widgets_build_with_one_main_control_and_a_short_repr(builder):
    panel = builder()
    assert repr(panel).startswith("[交互：") and len(repr(panel)) < 110
    controls = [w for box in panel.children for w in getattr(box, "children", [box])]
    assert sum("agc-main-control" in w._dom_classes for w in controls) == 1
    assert sum("agc-output" in w._dom_classes for w in panel.children) == 1
    assert panel.children[-1].outputs and "stdout" in panel.children[-1].outputs[0]["name"]
