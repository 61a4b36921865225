"""Exercises for chapter 6: plotting sin and its derivative computed by autograd."""
import math

import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.checking.rules import forbid


def derivative(f, x):
    """d f(x) / dx for an elementwise ``f``, by autograd, detached from the graph."""
    x = x.clone().requires_grad_(True)
    f(x).sum().backward()
    return x.grad


def cube(t):
    return t ** 3


# --- ch06.sin_and_derivative ------------------------------------------------------------------------------------

def sin_cases(generator):
    return [(torch.linspace(0, 2 * math.pi, 9),), (torch.tensor(0.5),), (3 * torch.randn(7, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


def sin_and_derivative(x):
    return torch.sin(x), derivative(torch.sin, x)


# --- ch06.derivative_of -----------------------------------------------------------------------------------------

def derivative_cases(generator):
    return [(torch.sin, torch.linspace(-3, 3, 7)), (torch.tanh, torch.randn(6, generator=generator)),
            (torch.exp, torch.randn(2, 3, generator=generator)), (cube, torch.tensor(-1.5)),
            (cube, torch.randn(5, generator=generator))]


NO_COSINE = forbid(names=["cos"], says={
    "zh": "不许用余弦函数，无论怎样写：`torch.cos`、`x.cos()`、`np.cos`、`math.cos` 都不行，也不要用 `getattr`、`eval` "
          "这类按拼出来的名字查找的写法。",
    "en": "No cosine, however it is written: not `torch.cos`, `x.cos()`, `np.cos` or `math.cos`, and no looking the "
          "name up from pieces, e.g. with `getattr` or `eval`."})

EXERCISES = [
    FunctionExercise(
        "ch06.sin_and_derivative", "sin_and_derivative", cases=sin_cases, reference=sin_and_derivative, plain=True,
        rules=[FROM_AUTOGRAD, NO_COSINE],
        success={"zh": "两个结果都已与计算图分离，可以直接交给 plt.plot；导数曲线正是 autograd 算出来的。",
                 "en": "Both results are detached and ready for plt.plot; the derivative curve comes from autograd."},
        mistakes=[
            (lambda x: (derivative(torch.sin, x), torch.sin(x)), {
                "zh": "两个结果的顺序反了：先返回 sin x，再返回导数。",
                "en": "The two results are swapped: return sin x first, then the derivative."}),
            (lambda x: (torch.sin(x), torch.sin(x)), {
                "zh": "第二个结果等于 sin x 本身：你返回的是函数值 y，不是导数 x.grad。",
                "en": "The second result equals sin x itself: you returned the value y, not the derivative x.grad."}),
        ]),
    ChoiceExercise(
        "ch06.plot_error", "answer_plot_error",
        options={"A": "matplotlib 不认识 torch 张量，必须先转成 Python 列表。",
                 "B": "torch.sin(x) 带有 grad_fn，plt.plot 会触发一次反向传播，而 backward 只能用于标量。",
                 "C": "只要对 torch.sin(x) 调用 .detach() 就够了，x 是叶子张量，可以直接画。",
                 "D": "需要梯度的张量不能 .numpy()：把 x 和 torch.sin(x) 都 .detach() 再画。"},
        correct="D",
        explanations={
            "A": {"zh": "matplotlib 能画普通的 torch 张量（它会调用 .numpy()）；问题只出在需要梯度的张量上。",
                  "en": "matplotlib plots ordinary torch tensors fine (it calls .numpy()); the trouble is only with "
                        "tensors that require grad."},
            "B": {"zh": "画图不会触发反向传播：plt.plot 只读取数值，报错来自 .numpy()，与 backward 无关。",
                  "en": "Plotting never triggers backward: plt.plot only reads values; the error comes from .numpy(), "
                        "not from backward."},
            "C": {"zh": "x 本身 requires_grad=True，同样不能 .numpy()：叶子张量也要 .detach() 之后才能画。",
                  "en": "x itself requires grad and cannot call .numpy() either: a leaf needs .detach() too before "
                        "plotting."},
            "D": {"zh": "plt.plot 要把张量转成 NumPy 数组，报错是 “Can't call numpy() on Tensor that requires grad”。"
                        "x.detach() 和 torch.sin(x).detach() 得到不需要梯度、与原张量共享数据的张量，可以直接画；"
                        "也可以在 torch.no_grad() 中计算 torch.sin(x)（x 本身仍要 .detach()）。",
                  "en": "plt.plot turns the tensors into NumPy arrays, and the error is 'Can't call numpy() on Tensor "
                        "that requires grad'. x.detach() and torch.sin(x).detach() share the data but need no "
                        "gradient, so they can be plotted; or compute torch.sin(x) under torch.no_grad() (x itself "
                        "still needs .detach())."},
        }),
    FunctionExercise(
        "ch06.derivative_of", "derivative", cases=derivative_cases, reference=derivative, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "同一段 autograd 代码适用于任何逐元素函数：对 f(x).sum() 反向传播，x.grad 就是每个点的导数。",
                 "en": "The same autograd code works for any elementwise function: backpropagate from f(x).sum() "
                       "and x.grad holds the derivative at every point."},
        mistakes=[
            (lambda f, x: f(x).detach(), {
                "zh": "你返回的是 f(x) 的值，不是导数：对 f(x).sum() 调用 backward()，再返回 x.grad。",
                "en": "You returned the value f(x), not the derivative: call backward() on f(x).sum() and return "
                      "x.grad."}),
            (lambda f, x: torch.cos(x), {
                "zh": "结果与 f 无关，像是写死了 sin 的导数：要对传入的 f 求导，例如 tanh、exp、x³ 的导数各不相同。",
                "en": "The result ignores f, as if the derivative of sin were hard-coded: differentiate the f you "
                      "are given; tanh, exp and x³ have different derivatives."}),
        ],
        none_mistake={
            "zh": "x.grad 要在 backward() 之后才有值；先 x.requires_grad_()，再对 f(x).sum() 调用 backward()。",
            "en": "x.grad is only filled in by backward(); call x.requires_grad_(), then backward() on f(x).sum()."}),
    ValueExercise(
        "ch06.weighted_backward", "grad_at_pi", expected=-2.0,
        success={"zh": "backward(v) 求的是 vᵀJ：sin 逐元素作用，J 是对角阵，第 3 个分量是 v₃·sin′(π) = 2·(−1) = −2。",
                 "en": "backward(v) computes vᵀJ: sin acts elementwise, J is diagonal, and the third entry is "
                       "v₃·sin′(π) = 2·(−1) = −2."},
        mistakes=[
            (-1.0, {"zh": "−1 是 sin 在 π 处的导数，但忘了权重：backward(v) 求的是 vᵀJ，第 3 个分量要乘 v₃ = 2。",
                    "en": "−1 is the derivative of sin at π, but the weight is missing: backward(v) computes vᵀJ, so "
                          "the third entry is multiplied by v₃ = 2."}),
            (0.0, {"zh": "0 是 sin π 的值，不是导数。",
                   "en": "0 is the value sin π, not the derivative."}),
            (2.0, {"zh": "符号反了：sin 在 π 处的导数是 −1（曲线在那里向下），所以是 2·(−1) = −2。",
                   "en": "Wrong sign: the derivative of sin at π is −1 (the curve goes down there), so 2·(−1) = −2."}),
        ]),
]
