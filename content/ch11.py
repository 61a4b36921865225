"""Exercises for chapter 11: gradient hooks, NaN and inf gradients at non-differentiable points, saved tensors."""
import torch

from content.kinds import FROM_AUTOGRAD, NanSafeExercise
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


# --- ch11.clipped_grad --------------------------------------------------------------------------------------------

def clip_cases(generator):
    """(x, w, limit): y = x * w, L = sum(y²); some of dL/dy = 2y beyond ±limit on both sides, w never ±1."""
    fixed = (torch.tensor([0.1, 1.0, -2.0, 0.5]), torch.tensor([2.0, 3.0, 0.5, -4.0]), 1.0)
    randoms = [(torch.randn(6, generator=generator) * 2, torch.rand(6, generator=generator) * 3 + 0.2, limit)
               for limit in (0.5, 2.0)]
    negative_w = (torch.tensor([1.5, -1.5, 0.2]), torch.tensor([-2.0, 2.0, -0.5]), 1.0)
    return [fixed, *randoms, negative_w]


def clipped_grad(x, w, limit):
    return (2 * x * w).clamp(-limit, limit) * w


def clipped_on_x(x, w, limit):
    return (2 * x * w * w).clamp(-limit, limit)


def unclipped(x, w, limit):
    return 2 * x * w * w


def clipped_above_only(x, w, limit):
    return (2 * x * w).clamp(max=limit) * w


# --- ch11.safe_sqrt -----------------------------------------------------------------------------------------------

def sqrt_cases(generator):
    """-1 and 0 first (NaN and inf show there), then more edge values, then random ones."""
    return [(torch.tensor([-1.0, 0.0]),), (torch.tensor([-1.0, 0.0, 1e-8, 4.0]),), (torch.tensor([-0.0, -1e-6, 9.0]),),
            ((torch.rand(6, generator=generator) * 4 - 2),), ((torch.rand(2, 3, generator=generator) * 3 - 1),)]


def safe_sqrt_reference(x):
    """(value, gradient) of sqrt(x) for x > 0 and 0 for x <= 0, with gradient 0 there."""
    positive = x > 0
    value = torch.where(positive, torch.sqrt(torch.where(positive, x, torch.ones_like(x))), torch.zeros_like(x))
    grad = torch.where(positive, 0.5 / torch.sqrt(torch.where(positive, x, torch.ones_like(x))), torch.zeros_like(x))
    return value, grad


def zero_grad(x):
    return safe_sqrt_reference(x)[0], torch.zeros_like(x)


def swapped(x):
    value, grad = safe_sqrt_reference(x)
    return grad, value


# --- the facts behind ch11.saved_bytes ------------------------------------------------------------------------------

def saved_sizes():
    """The bytes pack receives for sigmoid(x) then (y * y).sum(), x of 1000 float32 numbers."""
    sizes = []
    x = torch.zeros(1000, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: sizes.append(t.numel() * t.element_size()) or t,
                                                  lambda t: t):
        y = torch.sigmoid(x)
        (y * y).sum()
    return sizes


EXERCISES = [
    FunctionExercise(
        "ch11.clipped_grad", "clipped_grad", cases=clip_cases, reference=clipped_grad, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "钩子注册在 y 上：流经 y 的梯度 2y 被裁剪到 [−limit, limit]，再乘以 ∂y/∂x = w 传给 x。",
                 "en": "The hook sits on y: the gradient 2y flowing through y is clipped to [−limit, limit], then "
                       "multiplied by ∂y/∂x = w on its way to x."},
        mistakes=[
            (clipped_on_x, {
                "zh": "你裁剪的是 x 的最终梯度 2y·w：钩子注册在了 x 上。题目要裁剪流经 y 的梯度，钩子要注册在 y 上，"
                      "裁剪之后还要再乘以 w。",
                "en": "You clipped x's final gradient 2y·w: the hook is on x. The exercise clips the gradient flowing "
                      "through y, so register the hook on y; it is multiplied by w after clipping."}),
            (unclipped, {
                "zh": "梯度没有被裁剪：钩子要返回新的梯度（return grad.clamp(...)），而且要在 backward() 之前注册。"
                      "返回 None 的钩子只读不改。",
                "en": "The gradient was not clipped: the hook must return the new gradient (return grad.clamp(...)) "
                      "and be registered before backward(). A hook that returns None only reads."}),
            (clipped_above_only, {
                "zh": "只裁剪了上界：grad.clamp(max=limit) 不管负的一边，要 grad.clamp(-limit, limit)。",
                "en": "Only the upper bound is clipped: grad.clamp(max=limit) leaves the negative side alone; use "
                      "grad.clamp(-limit, limit)."}),
        ]),
    NanSafeExercise(
        "ch11.safe_sqrt", "safe_sqrt", cases=sqrt_cases, reference=safe_sqrt_reference, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "先把 x ≤ 0 的位置换成安全的 1，再开方，最后再用一次 where：两个分支都被求导，但没有一个会产生 inf 或 NaN。",
                 "en": "Replace x ≤ 0 by a harmless 1 first, take the square root, then apply where once more: both "
                       "branches are differentiated, and neither produces inf or NaN."},
        mistakes=[
            (zero_grad, {
                "zh": "梯度全是 0：梯度没有流到 x。对需要梯度的 x（x.detach().clone().requires_grad_(True)）计算，"
                      "不要在 torch.no_grad() 下或对 detach 之后的张量计算，再对 y.sum() 反向传播、返回 x.grad。",
                "en": "The gradient is all zeros: no gradient reached x. Compute on an x that requires grad "
                      "(x.detach().clone().requires_grad_(True)), not under torch.no_grad() or on a detached tensor, "
                      "then backpropagate y.sum() and return x.grad."}),
            (swapped, {
                "zh": "值和梯度的顺序反了：返回 (值, 梯度)。",
                "en": "Value and gradient are swapped: return (value, gradient)."}),
        ],
        nonfinite={
            "where_trap": {
                "zh": "torch.where 陷阱：值是对的，梯度却有 NaN（乘以掩码也一样）。torch.sqrt(x) 对所有元素都算了；没选中的元素反向时得到梯度 0，"
                      "乘以 sqrt 的局部导数（x = 0 处是 inf，x < 0 处是 NaN）就是 NaN。先用 where 把 x ≤ 0 的输入换成 1，"
                      "再开方。",
                "en": "The torch.where trap: the value is right but the gradient holds NaN (multiplying by a mask does the "
                      "same). torch.sqrt(x) ran on every "
                      "element; the elements not chosen get gradient 0 in backward, and 0 times sqrt's local "
                      "derivative (inf at x = 0, NaN for x < 0) is NaN. Replace the inputs x ≤ 0 by 1 with where first, "
                      "then take the square root."},
            "inf": {
                "zh": "梯度里有 inf：sqrt 在 0 处的导数 1/(2√x) 是无穷大（clamp(x, min=0) 在 0 处的梯度是 1，把它原样传了回来）。"
                      "题目要求 x ≤ 0 处梯度为 0：不要让 sqrt 的输入恰好是 0。",
                "en": "The gradient holds inf: sqrt's derivative 1/(2√x) is infinite at 0 (clamp(x, min=0) has gradient "
                      "1 at 0 and passes it straight back). The exercise wants gradient 0 for x ≤ 0: never feed sqrt an exact 0."},
            "nan_value": {
                "zh": "值里有 NaN：负数开平方是 NaN。x ≤ 0 时函数值应是 0，要用 torch.where 选出来。",
                "en": "The value holds NaN: the square root of a negative number is NaN. For x ≤ 0 the value must be "
                      "0; choose it with torch.where."},
        }),
    ChoiceExercise(
        "ch11.anomaly_line", "answer_anomaly_line",
        options={"A": "a = x ** 2",
                 "B": "c = torch.where(x > 0, b, 0.0)",
                 "C": "c.sum().backward()",
                 "D": "b = torch.sqrt(a)"},
        correct="D",
        explanations={
            "A": {"zh": "PowBackward0 收到的梯度已经是 NaN，但 detect_anomaly 在第一个输出 NaN 的反向节点就停下：那是更早运行的 "
                        "SqrtBackward0，它由 b = torch.sqrt(a) 创建。",
                  "en": "PowBackward0 would receive a NaN gradient, but detect_anomaly stops at the first backward node "
                        "whose output is NaN: SqrtBackward0, which runs earlier and was created by b = torch.sqrt(a)."},
            "B": {"zh": "陷阱是在这一行写下的，但 WhereBackward0 输出的梯度是 1 和 0，没有 NaN；NaN 出现在下一步："
                        "SqrtBackward0 计算 0 · 1/(2√0)。",
                  "en": "The trap is written on this line, but WhereBackward0 outputs gradients 1 and 0, no NaN; the NaN "
                        "appears one step later, when SqrtBackward0 computes 0 · 1/(2√0)."},
            "C": {"zh": "异常是在这一行抛出的，但附带的调用栈指向创建出问题的反向节点的那一行前向代码，不是调用 backward 的地方。",
                  "en": "The error is raised on this line, but the attached traceback points at the forward line that "
                        "created the failing backward node, not at the backward call."},
            "D": {"zh": "反向时 where 给 x = 0 的元素传去梯度 0，SqrtBackward0 计算 0 · 1/(2√0) = 0 · inf = NaN，"
                        "检测到 NaN 后报告创建这个节点的前向代码：b = torch.sqrt(a)。",
                  "en": "In backward, where sends gradient 0 to the element x = 0, and SqrtBackward0 computes "
                        "0 · 1/(2√0) = 0 · inf = NaN; anomaly detection reports the forward line that created that "
                        "node: b = torch.sqrt(a)."},
        }),
    ValueExercise(
        "ch11.saved_bytes", "saved_bytes", expected=12000.0, integer=True,
        success={"zh": "sigmoid 保存它的输出 y（4000 字节）；y * y 保存两个因子，都是 y（2 × 4000 字节）；sum 不保存张量，"
                       "只记形状。pack 一共收到 12000 字节。",
                 "en": "sigmoid saves its output y (4000 bytes); y * y saves both factors, y each time (2 × 4000 "
                       "bytes); sum saves no tensor, only the shape. pack receives 12000 bytes in all."},
        mistakes=[
            (4000.0, {"zh": "4000 字节是 y 实际占的内存（三次保存的都是同一个 y，按存储只算一次），但题目问的是 sum(sizes)："
                            "pack 每次都记下一份，sigmoid 保存输出 y，乘法 y * y 又把两个因子各保存一次，一共 3 次。",
                      "en": "4000 bytes is the memory y really takes (all three saves are the same y, one storage), but the "
                            "question asks for sum(sizes): pack records every save, and sigmoid saves its output y while "
                            "y * y saves each of its two factors, 3 times in all."}),
            (8000.0, {"zh": "少数了一个：sigmoid 保存输出 y（反向要用 y(1−y)），乘法又把两个因子各保存一次，一共 3 次。",
                      "en": "One is missing: sigmoid saves its output y (its backward needs y(1−y)), and the product "
                            "saves each of its two factors, 3 times in all."}),
            (16000.0, {"zh": "多数了一个：sum 的反向只需要输入的形状，不保存张量。",
                       "en": "One too many: sum's backward only needs the input's shape; it saves no tensor."}),
            (0.0, {"zh": "前向计算时需要梯度的运算都会保存反向要用的张量：这里 pack 被调用了 3 次。",
                   "en": "Every operation that needs gradients saves what its backward will use: pack is called 3 "
                         "times here."}),
        ]),
]
