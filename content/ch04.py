"""Exercises for chapter 4: detach, no_grad, inference_mode and .data."""
import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


# --- ch04.detach_grad: z = u * x with u = (x * x).detach() ------------------------------------------------------

def detach_cases(generator):
    return [(torch.arange(4.0),), (torch.tensor(-1.5),), (torch.randn(5, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


def detach_grad(x):
    x = x.clone().requires_grad_(True)
    u = (x * x).detach()
    (u * x).sum().backward()
    return x.grad


def grad_without_detach(x):
    x = x.clone().requires_grad_(True)
    u = x * x
    (u * x).sum().backward()
    return x.grad


def grad_of_y(x):
    x = x.clone().requires_grad_(True)
    (x * x).sum().backward()
    return x.grad


# --- ch04.plain_cube: a result ready for .numpy() -----------------------------------------------------------

def plain_cube_cases(generator):
    return [(torch.linspace(-2, 2, 5, requires_grad=True),), (torch.tensor(3.0, requires_grad=True),),
            (torch.randn(6, generator=generator).requires_grad_(),),
            (torch.randn(2, 2, generator=generator).requires_grad_(),)]


def plain_cube(x):
    return (x ** 3).detach()


EXERCISES = [
    FunctionExercise(
        "ch04.detach_grad", "detach_grad", cases=detach_cases, reference=detach_grad, rules=[FROM_AUTOGRAD],
        success={"zh": "u 被 detach 成常数，z = u·x 对 x 的梯度就是 u = x²。",
                 "en": "u is detached into a constant, so the gradient of z = u·x is u = x²."},
        mistakes=[
            (grad_without_detach, {
                "zh": "x.grad 是 3x² 而不是 u = x²：u 没有被 detach，梯度经过 u 流回了 x（相当于对 z = x³ 求导）。"
                      "写 u = (x * x).detach()。",
                "en": "x.grad is 3x², not u = x²: u was not detached, so the gradient flowed back through u to x "
                      "(as if z = x³). Write u = (x * x).detach()."}),
            (grad_of_y, {
                "zh": "x.grad 是 2x：这是 y = x * x 的梯度。要对 z = u * x 求和后再 backward()。",
                "en": "x.grad is 2x: that is the gradient of y = x * x. Call backward() on (u * x).sum()."}),
        ],
        none_mistake={
            "zh": "u 是 detach 出来的常数，它没有 .grad；要返回叶子张量 x 的 .grad（先 backward()）。",
            "en": "u is a detached constant and has no .grad; return the .grad of the leaf x (after backward())."}),
    ValueExercise(
        "ch04.no_grad_value", "grad_at_3", expected=6.0,
        success={"zh": "y2 在 no_grad 中算出，对 autograd 是常数，所以只剩 x² 的导数 2x = 6。",
                 "en": "y2 was computed under no_grad, a constant for autograd, so only d(x²)/dx = 2x = 6 is left."},
        mistakes=[
            (33.0, {"zh": "33 是数学上 x² + x³ 在 x = 3 处的导数 2x + 3x²，但 y2 = x**3 是在 torch.no_grad() 中算出的："
                          "它没有 grad_fn，梯度不会经过 y2 流回 x，只剩 y1 = x² 的导数。",
                    "en": "33 is the derivative 2x + 3x² of x² + x³ at x = 3 on paper, but y2 = x**3 was computed under "
                          "torch.no_grad(): it has no grad_fn, so no gradient flows back through y2; only y1 = x² "
                          "counts."}),
            (27.0, {"zh": "27 是 x³ 的导数 3x²（在 x = 3 处恰好也是 y2 的值）：方向反了，被 no_grad 挡住的是 y2 = x³，"
                          "留在图里的是 y1 = x²。",
                    "en": "27 is the derivative 3x² of x³ (at x = 3 also the value of y2): the other way round, no_grad "
                          "blocks y2 = x³ and keeps y1 = x²."}),
            (36.0, {"zh": "36 是 y3 = y1 + y2 = 9 + 27 的值（前向计算的结果），不是梯度 x.grad。",
                    "en": "36 is the value y3 = y1 + y2 = 9 + 27 (the forward result), not the gradient x.grad."}),
            (9.0, {"zh": "9 是 y1 = x² 的值，不是它的导数：y1 对 x 的导数是 2x。",
                   "en": "9 is the value of y1 = x², not its derivative: the derivative of y1 is 2x."}),
            (0.0, {"zh": "不是 0：y3 = y1 + y2 仍然连着计算图（y1 在 no_grad 外算出），梯度会经过 y1 流回 x。",
                   "en": "Not 0: y3 = y1 + y2 is still attached to the graph (y1 was computed outside no_grad), "
                         "so the gradient flows back through y1."}),
        ]),
    ChoiceExercise(
        "ch04.data_vs_detach", "answer_data_vs_detach",
        options={"A": "x.data 返回副本，修改它不会影响 x；x.detach() 与 x 共享存储。",
                 "B": "x.detach() 返回的张量仍然 requires_grad=True，只是没有 grad_fn。",
                 "C": "调用 x.data 会把 x 从计算图中永久移除，之后 x 不再需要梯度。",
                 "D": "两者都与 x 共享存储；只有通过 .detach() 的原地修改会被 autograd 发现。"},
        correct="D",
        explanations={
            "A": {"zh": "x.data 也不复制：它和 x.detach() 一样与 x 共享同一块内存，改它就是改 x。",
                  "en": "x.data does not copy either: like x.detach() it shares memory with x, so changing it "
                        "changes x."},
            "B": {"zh": "x.detach() 的结果 requires_grad=False：它被当作常数，梯度不会经过它。",
                  "en": "x.detach() gives requires_grad=False: it acts as a constant and no gradient flows "
                        "through it."},
            "C": {"zh": "x 本身不受影响：读取 x.data 之后 x 仍然 requires_grad=True，仍在计算图里。",
                  "en": "x itself is unaffected: after reading x.data, x still requires grad and stays in "
                        "the graph."},
            "D": {"zh": "两者都共享存储、requires_grad=False。原地修改 detach 出来的张量会让版本号加一，"
                        "backward() 报 “modified by an inplace operation”；通过 .data 修改则不留痕迹，"
                        "反向传播用被改过的值，悄悄给出错误的梯度。所以用 .detach()，别用 .data。",
                  "en": "Both share storage and have requires_grad=False. An in-place change through the "
                        "detached tensor bumps the version counter and backward() raises 'modified by an inplace "
                        "operation'; a change through .data leaves no trace and backward silently uses the changed "
                        "values, giving a wrong gradient. Use .detach(), not .data."},
        }),
    FunctionExercise(
        "ch04.plain_cube", "plain_cube", cases=plain_cube_cases, reference=plain_cube, plain=True,
        success={"zh": "结果与计算图分离，可以直接 .numpy() 或画图。",
                 "en": "The result is cut off from the graph and ready for .numpy() or plotting."}),
    ChoiceExercise(
        "ch04.when_no_grad", "answer_when_no_grad",
        options={"A": "训练时计算损失 loss，随后要调用 loss.backward()。",
                 "B": "评估模型（只要前向结果），以及手动更新参数 w -= lr * w.grad。",
                 "C": "先在 torch.inference_mode() 中算出一批特征，之后拿它们去乘需要梯度的参数、继续训练。",
                 "D": "no_grad 会把参数的 requires_grad 改成 False，所以离开 with 块后要记得改回来。"},
        correct="B",
        explanations={
            "A": {"zh": "在 no_grad 中计算的 loss 没有 grad_fn，loss.backward() 会报 “does not require grad and "
                        "does not have a grad_fn”：要反向传播的计算不能放进 no_grad。",
                  "en": "A loss computed under no_grad has no grad_fn, and loss.backward() raises 'does not require "
                        "grad and does not have a grad_fn': computations you backpropagate through must stay outside."},
            "B": {"zh": "评估时不需要梯度，no_grad（或更快的 inference_mode）不记录计算图，省内存也省时间；"
                        "手动更新参数是对需要梯度的叶子做原地修改，必须放在 no_grad 中，否则报 "
                        "“a leaf Variable that requires grad is being used in an in-place operation”。",
                  "en": "Evaluation needs no gradients, and no_grad (or the faster inference_mode) records no "
                        "graph, saving memory and time; a manual update changes a leaf that requires grad in place, "
                        "which must happen under no_grad or PyTorch raises 'a leaf Variable that requires grad is "
                        "being used in an in-place operation'."},
            "C": {"zh": "inference_mode 中创建的是推理张量，之后不能被保存用于反向传播（“Inference tensors cannot be "
                        "saved for backward”）：这种情况用 no_grad，或先 .clone()。",
                  "en": "inference_mode creates inference tensors, which cannot be saved for backward later "
                        "('Inference tensors cannot be saved for backward'): use no_grad here, or .clone() first."},
            "D": {"zh": "no_grad 不改任何张量的 requires_grad：它只是暂时关掉“记录计算”的全局开关，"
                        "with 块里新算出的结果不需要梯度；离开后一切照旧。",
                  "en": "no_grad changes no tensor's requires_grad: it only switches off recording for a while, so "
                        "results computed inside need no gradient; afterwards everything is as before."},
        }),
]
