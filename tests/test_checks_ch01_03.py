"""The checkers of exercises ch01-ch03: right answers pass, each typical mistake gets its own message (zh and en).

The generic properties (placeholders, hostile answers, options, seeds, notebook format) are in test_exercises.py,
which reads FUNCTIONS and OTHER_WRONGS below.
"""
import pytest
import torch

from exercise_support import ids_of
from helpers import check
from helpers.checking.kinds import FunctionExercise
from helpers.messages import say

CHAPTERS = ("ch01", "ch02", "ch03")


# ---- answers a student might write -------------------------------------------------------------------------

def grad_2xtx(x):
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return x.grad


def grad_xtx(x):  # forgot the factor 2
    x = x.clone().requires_grad_(True)
    torch.dot(x, x).backward()
    return x.grad


def value_terms(x):  # the terms 2xᵢ² of the value
    return 2 * x * x


def value_y(x):
    return (2 * torch.dot(x, x)).expand(x.shape)


def no_backward(x):
    x = x.clone().requires_grad_(True)
    2 * torch.dot(x, x)
    return x.grad


def nonleaf_grad(x):
    y = x.clone().requires_grad_(True) * 1
    (2 * torch.dot(y, y)).backward()
    return y.grad


def backward_twice(x):
    x = x.clone().requires_grad_(True)
    y = 2 * torch.dot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


def backward_k_times(k):
    """backward() k times on one graph (retain_graph=True): the gradient adds up to k·4x."""
    def grad(x):
        x = x.clone().requires_grad_(True)
        y = 2 * torch.dot(x, x)
        for _ in range(k):
            y.backward(retain_graph=True)
        return x.grad
    grad.__name__ = f"backward_{k}_times"
    return grad


def factor_inside_the_square(x):  # ((2x)²).sum() = 4xᵀx: the factor 2 counted twice
    x = x.clone().requires_grad_(True)
    ((2 * x) ** 2).sum().backward()
    return x.grad


def grad_times_two(x):  # the factor 2 applied again after backward
    x = x.clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return 2 * x.grad


def no_requires_grad(x):
    (2 * torch.dot(x, x)).backward()
    return x.grad


def analytic_attached(x):
    x = x.clone().requires_grad_(True)
    return 4 * x


def three_grads(x, zero="none"):
    x = x.clone().requires_grad_(True)
    grads = []
    for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
        if zero == "none":
            x.grad = None
        elif zero.startswith("zero_") and x.grad is not None:
            x.grad.zero_()
        loss.backward()
        grads.append(x.grad.clone() if zero.endswith("clone") else x.grad)
    return tuple(grads)


def three_grads_cloned(x):
    return three_grads(x, zero="zero_clone")


def three_grads_not_zeroed(x):
    return three_grads(x, zero="never_clone")


def three_grads_same_tensor(x):
    return three_grads(x, zero="zero_")


def three_grads_summed(x):
    return three_grads(x, zero="never")


def micro_batches(w, X, y, k, divide=True, clear=False):
    for X_part, y_part in zip(X.chunk(k), y.chunk(k)):
        if clear:
            w.grad = None
        loss = ((X_part @ w - y_part) ** 2).mean()
        (loss / k if divide else loss).backward()
    return w.grad


def micro_batches_not_divided(w, X, y, k):
    return micro_batches(w, X, y, k, divide=False)


def micro_batches_cleared(w, X, y, k):
    return micro_batches(w, X, y, k, clear=True)


def micro_batches_cleared_not_divided(w, X, y, k):
    return micro_batches(w, X, y, k, divide=False, clear=True)


def weighted(x, w, how="w"):
    x = x.clone().requires_grad_(True)
    y = x * x
    if how == "w":
        y.backward(w)
    elif how == "sum":
        y.sum().backward()
    else:
        y.backward()
    return x.grad


def weighted_without_w(x, w):
    return weighted(x, w, how="sum")


def weighted_returns_w(x, w):
    return w


def weighted_terms(x, w):
    return x * x * w


def jacobian_by_rows(x):
    rows = []
    for i in range(len(x)):
        leaf = x.clone().requires_grad_(True)
        (leaf ** 3)[i].backward()
        rows.append(leaf.grad)
    return torch.stack(rows)


def cube_grad_vector(x):
    x = x.clone().requires_grad_(True)
    (x ** 3).backward(torch.ones_like(x))
    return x.grad


def jacobian_by_functional(x):
    return torch.autograd.functional.jacobian(lambda t: t ** 3, x)


def jacobian_of_values(x):
    return torch.diag(x ** 3)


def jacobian_rows_repeated(x):
    return cube_grad_vector(x).expand(len(x), len(x))


# Per function exercise: the right answers, one wrong function per listed mistake (in the exercise's order),
# and the function behind its none_mistake (None when it has none).
FUNCTIONS = {
    "ch01.grad_2xtx": ([grad_2xtx], [grad_xtx, value_terms, value_y, backward_twice, backward_k_times(3),
                                     backward_k_times(4), backward_k_times(5)], None),
    "ch02.three_grads": ([three_grads, three_grads_cloned],
                         [three_grads_not_zeroed, three_grads_same_tensor, three_grads_summed], None),
    "ch02.micro_batch": ([micro_batches],
                         [micro_batches_not_divided, micro_batches_cleared, micro_batches_cleared_not_divided], None),
    "ch03.weighted_grad": ([weighted], [weighted_without_w, weighted_returns_w, weighted_terms], None),
    "ch03.jacobian": ([jacobian_by_rows, jacobian_by_functional],
                      [cube_grad_vector, jacobian_of_values, jacobian_rows_repeated], None),
}


# ---- right answers ---------------------------------------------------------------------------------------------

PASSES = [
    ("ch01.leaf", torch.arange(4.0, requires_grad=True)),
    ("ch01.leaf", torch.arange(4.0).requires_grad_()),
    ("ch01.mean_grad", 4.5),
    ("ch01.mean_grad", torch.tensor(4.5)),
    ("ch01.nonleaf_grad", "C"),
    ("ch01.int_arange", " (d) "),
    ("ch02.backward_twice", "A"),
    ("ch02.no_zero", torch.tensor([1.0, 5.0, 9.0, 13.0])),
    ("ch02.retain_graph", "c"),
    ("ch02.sequence", torch.tensor([[10.8, 27.0], [27.0, 27.0]])),
    ("ch03.backward_w", "B"),
    ("ch03.vjp_numbers", torch.tensor([5.0, 18.0, 34.0])),
] + [(exercise_id, right) for exercise_id, (rights, _, _) in FUNCTIONS.items() for right in rights]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("exercise_id, answer", PASSES, ids=[f"{i}-{n}" for n, (i, _) in enumerate(PASSES)])
def test_right_answers_pass(exercise_id, answer, lang):
    verdict = check(exercise_id, answer, lang=lang)
    assert verdict.passed, str(verdict)
    assert str(verdict).startswith("✅")


def test_the_answers_here_are_for_exercises_of_chapters_1_to_3():
    """Every answer here names a registered exercise of these chapters (test_exercises.py checks every exercise,
    these tables included, from its definition and its solution, so a new exercise needs no entry here)."""
    assert {exercise_id for exercise_id, _ in PASSES} <= set(ids_of(chapters=CHAPTERS))
    assert set(FUNCTIONS) <= set(ids_of(FunctionExercise, chapters=CHAPTERS))


# ---- mistakes and the message that names each ---------------------------------------------------------------

MISTAKES = [
    # ch01.leaf
    ("ch01.leaf", torch.arange(4), "int64", "dtype int64"),
    ("ch01.leaf", torch.arange(4.0), "requires_grad=True", "requires_grad=True"),
    ("ch01.leaf", torch.arange(4.0, requires_grad=True) * 1, "不是叶子张量", "not a leaf"),
    ("ch01.leaf", [0.0, 1.0, 2.0, 3.0], "应该是一个张量", "A tensor"),
    ("ch01.leaf", torch.arange(1.0, 5.0, requires_grad=True), "数值不对", "Wrong values"),
    # ch01.grad_2xtx
    ("ch01.grad_2xtx", grad_xtx, "漏掉了前面的系数 2", "factor 2"),
    ("ch01.grad_2xtx", value_terms, "函数值的各项", "terms of the value"),
    ("ch01.grad_2xtx", value_y, "y 的值", "the value y"),
    ("ch01.grad_2xtx", no_backward, "返回了 None", "Got None"),
    ("ch01.grad_2xtx", nonleaf_grad, "非叶子张量的 .grad", "non-leaf tensor"),
    ("ch01.grad_2xtx", backward_twice, "对同一个 y 调用了两次 backward()", "backward() ran twice on the same y"),
    ("ch01.grad_2xtx", factor_inside_the_square, "系数 2 算了两次", "factor 2 was counted twice"),
    ("ch01.grad_2xtx", grad_times_two, "又把 x.grad 乘了 2", "x.grad multiplied by 2"),
    ("ch01.grad_2xtx", backward_k_times(3), "调用了 3 次 backward()", "backward() run 3 times"),
    ("ch01.grad_2xtx", no_requires_grad, "不在计算图里", "not part of a graph"),
    ("ch01.grad_2xtx", lambda x: (4 * x).long(), "int64", "int64"),
    ("ch01.grad_2xtx", analytic_attached, "还连着计算图", "still attached"),
    ("ch01.grad_2xtx", lambda x: grad_2xtx(x).sum(), "形状不对", "Wrong shape"),
    ("ch01.grad_2xtx", lambda x: grad_2xtx(x) / 0, "NaN", "NaN"),
    ("ch01.grad_2xtx", 4.0, "这里要的是一个函数", "A function"),
    # ch01.mean_grad
    ("ch01.mean_grad", 18, "mean() 的 1/4", "1/4 of mean()"),
    ("ch01.mean_grad", 27.0, "out 的值", "value of out"),
    ("ch01.mean_grad", 1.5, "(xᵢ+2) = 3", "(xᵢ+2) = 3 is missing"),
    ("ch01.mean_grad", torch.full((2, 2), 4.5), "形状不对", "Wrong shape"),
    ("ch01.mean_grad", torch.tensor(4.5, requires_grad=True) * 1, "还连着计算图", "still attached"),
    ("ch01.mean_grad", float("nan"), "NaN", "NaN"),
    ("ch01.mean_grad", "4.5", "应该是一个数", "A number"),
    # ch02.no_zero
    ("ch02.no_zero", torch.ones(4), "清零之后", "after zeroing"),
    ("ch02.no_zero", torch.tensor([0.0, 4.0, 8.0, 12.0]), "第一次 backward", "first backward"),
    ("ch02.no_zero", torch.tensor([0.0, 8.0, 16.0, 24.0]), "加了两次", "added twice"),
    ("ch02.no_zero", torch.tensor([1, 5, 9, 13]), "int64", "int64"),
    # ch02.three_grads
    ("ch02.three_grads", three_grads_not_zeroed, "没有清零，梯度累加了", "accumulated"),
    ("ch02.three_grads", three_grads_summed, "三个梯度之和", "sum of all three"),
    ("ch02.three_grads", three_grads_same_tensor, "同一个张量", "one and the same tensor"),
    ("ch02.three_grads", lambda x: three_grads(x)[:2], "3 个结果", "3 results"),
    ("ch02.three_grads", lambda x: three_grads(x)[:2] + (torch.cos(x) * 2,), "第 3 个结果", "Result 3"),
    # ch02.sequence
    ("ch02.sequence", torch.full((2, 2), 4.5), "三次 backward 的梯度会累加", "add up"),
    ("ch02.sequence", torch.tensor([[6.3, 22.5], [22.5, 22.5]]), "最后一次 out.backward()", "last out.backward()"),
    ("ch02.sequence", torch.tensor([[1.8, 18.0], [18.0, 18.0]]), "z.backward(w) 那一次的贡献", "z.backward(w)'s share"),
    ("ch02.sequence", torch.full((2, 2), 9.0), "9 = 4.5 + 4.5", "9 = 4.5 + 4.5"),
    # ch02.micro_batch
    ("ch02.micro_batch", micro_batches_not_divided, "k 倍", "k times"),
    ("ch02.micro_batch", micro_batches_cleared, "小批次之间清零了", "cleared it between"),
    ("ch02.micro_batch", micro_batches_cleared_not_divided, "没有除以 k", "not divided by k"),
    # ch03.weighted_grad
    ("ch03.weighted_grad", weighted_without_w, "没有用上 w", "w was not used"),
    ("ch03.weighted_grad", lambda x, w: weighted(x, w, how="none"), "只能隐式地用于标量", "needs a scalar"),
    ("ch03.weighted_grad", weighted_returns_w, "∂l/∂y", "∂l/∂y"),
    ("ch03.weighted_grad", weighted_terms, "不是梯度", "not the gradient"),
    # ch03.vjp_numbers
    ("ch03.vjp_numbers", torch.tensor([2.0, 12.0, 27.0]), "对角线", "diagonal"),
    ("ch03.vjp_numbers", torch.tensor([5.0, 19.0, 33.0]), "Jv", "Jv"),
    ("ch03.vjp_numbers", torch.tensor([8.0, 18.0, 33.0]), "y 的值", "values (y₁, y₂, y₃)"),
    # ch03.jacobian
    ("ch03.jacobian", cube_grad_vector, "n×n 雅可比矩阵", "full n×n Jacobian"),
    ("ch03.jacobian", jacobian_of_values, "函数值 x³", "values x³"),
    ("ch03.jacobian", jacobian_rows_repeated, "每一行都一样", "Every row is the same"),
    ("ch03.jacobian", lambda x: torch.eye(len(x)), "数值不对", "values are wrong"),
]
# Every wrong answer above, for the generic test that the verdict reads the same for every seed.
OTHER_WRONGS = [(exercise_id, answer) for exercise_id, answer, *_ in MISTAKES]


@pytest.mark.parametrize("exercise_id, answer, zh, en", MISTAKES,
                         ids=[f"{i}-{n}" for n, (i, *_rest) in enumerate(MISTAKES)])
def test_each_mistake_is_named_in_both_languages(exercise_id, answer, zh, en):
    verdict = check(exercise_id, answer)
    assert verdict.status == "fail" and verdict.lang == "zh"
    assert zh in verdict.detail
    english = check(exercise_id, answer, lang="en")
    assert english.status == "fail" and en in english.detail
    assert str(verdict) == str(check(exercise_id, answer)), "the verdict must not depend on the random inputs"


def test_english_from_the_environment(monkeypatch):
    monkeypatch.setenv("AUTOGRAD_COURSE_LANG", "en")
    verdict = check("ch01.mean_grad", 18)
    assert verdict.lang == "en" and "1/4 of mean()" in str(verdict) and "Not yet right" in str(verdict)
    assert "mean() 的 1/4" in check("ch01.mean_grad", 18, lang="zh").detail


def test_a_verdict_shows_as_a_coloured_box_in_jupyter_and_plain_text_in_a_terminal():
    good, bad = check("ch01.mean_grad", 4.5), check("ch01.mean_grad", 27)
    assert "#1e8e3e" in good._repr_html_() and "✅" in good._repr_html_()
    assert "#d93025" in bad._repr_html_() and "out 的值" in bad._repr_html_()
    assert str(bad).startswith("❌ ch01.mean_grad 还不对：") and "<" not in str(bad)


def test_verdicts_do_not_reveal_the_hidden_inputs():
    text = str(check("ch01.grad_2xtx", lambda x: x)) + str(check("ch01.grad_2xtx", lambda x: x, lang="en"))
    assert "tensor(" not in text and "[" not in text


@pytest.mark.parametrize("k", [2, 3, 4, 5])
def test_a_multiple_of_4x_is_never_blamed_on_zeroing(k):
    """grad_of_2xtx builds a fresh leaf on every call, so "forgot to zero the gradient" cannot be the cause."""
    for lang in ("zh", "en"):
        verdict = check("ch01.grad_2xtx", backward_k_times(k), lang=lang)
        assert verdict.status == "fail" and f"{4 * k}x" in verdict.detail, verdict
        assert "清零梯度" not in verdict.detail and "forget to zero" not in verdict.detail, verdict


def test_a_function_that_returns_none_is_diagnosed_not_called_unfinished():
    def grad_of_2xtx(x):
        return None

    result = check("ch01.grad_2xtx", grad_of_2xtx)
    assert result.status == "fail" and result.detail == say("no_return", "zh", name="grad_of_2xtx")
    assert result.mistake == "ch01.grad_2xtx/no_return"
