"""Exercises for chapter 5: gradients through Python control flow."""
import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise


def f(a):
    """The chapter's example: double until the norm reaches 1000, then multiply by 100 if the sum is not positive."""
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c


def g(a):
    """The redesigned example: square and add one until the norm reaches 10, then flip the sign if needed."""
    b = a
    while b.norm() < 10:
        b = b * b + 1
    if b.sum() > 0:
        c = b
    else:
        c = -b
    return c


def gradient(function, a, reduce=torch.sum):
    """The gradient of ``reduce(function(a))`` with respect to a fresh copy of ``a``."""
    a = a.clone().requires_grad_(True)
    reduce(function(a)).backward()
    return a.grad


# --- ch05.grad_of_f and ch05.redesigned_flow --------------------------------------------------------------------

def f_cases(generator):
    # Never a zero tensor: its norm stays 0 and the while loop would never end.
    return [(torch.tensor(0.7),), (torch.tensor([0.5, -0.2, 0.1]),), (torch.tensor([[-1.0, 0.3], [0.2, -0.4]]),),
            (torch.randn((), generator=generator),), (torch.randn(4, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


def g_cases(generator):
    # No zero entries, so that the shortcut d / a is finite and can be recognised.
    return [(torch.tensor(0.5),), (torch.tensor([0.5, -1.0, 0.25]),), (torch.tensor([[2.0, -1.0], [0.5, 3.0]]),),
            (torch.tensor([-8.0, 6.0, -3.0]),), (torch.randn(4, generator=generator),),
            (torch.randn(2, 2, generator=generator),)]


def d_over_a(function):
    return lambda a: (function(a) / a).detach()


# --- ch05.norm_squared_grad -------------------------------------------------------------------------------------

def norm_cases(generator):
    return [(torch.tensor([3.0, 4.0]),), (torch.arange(4.0),), (torch.tensor([[1.0, -2.0], [0.5, 0.0]]),),
            (torch.randn(5, generator=generator),), (torch.randn(3, 2, generator=generator),)]


def norm_squared(a):
    return torch.norm(a) ** 2


NONE_BEFORE_BACKWARD = {
    "zh": "a.grad 要在 backward() 之后才有值（d 不是叶子张量，它没有 .grad）。"
          "先让 a 需要梯度，对标量调用 backward()，再返回 a.grad。",
    "en": "a.grad is only filled in by backward() (d is not a leaf, it has no .grad). Make a require grad, call "
          "backward() on a scalar, then return a.grad."}

EXERCISES = [
    ChoiceExercise(
        "ch05.why_d_over_a", "answer_why_d_over_a",
        options={"A": "autograd 遇到 while 循环时改用数值差分，差分的结果恰好是 d / a。",
                 "B": "对任何函数都有 f′(a) = f(a) / a，这是 autograd 的基本公式。",
                 "C": "每一步都乘以常数，所以 f(a) = k·a，导数就是斜率 k = d / a。",
                 "D": "因为 a 是标量；把 a 换成向量，a.grad 与 d / a 就不再相等了。"},
        correct="C",
        explanations={
            "A": {"zh": "autograd 不做数值差分：它记录前向时真正执行过的每一次乘法，再按链式法则精确地反向相乘。",
                  "en": "autograd does no finite differences: it records every multiplication actually executed and "
                        "multiplies the exact local derivatives backwards (chain rule)."},
            "B": {"zh": "f′(a) = f(a) / a 只对 f(a) = k·a 这样的函数成立；例如 a² 的导数是 2a，而 a²/a = a。",
                  "en": "f′(a) = f(a) / a only holds for functions like f(a) = k·a; the derivative of a² is 2a, "
                        "while a²/a = a."},
            "C": {"zh": "无论循环几次、走哪个分支，每一步都是乘以常数（2 或 100），所以这一次走过的路径上 d = k·a："
                        "f 是分段线性函数，k 在 a 附近不变，导数就是 k = d / a。"
                        "不过 == 是精确比较，else 分支的 100 * b 会舍入，验证时用 torch.allclose。",
                  "en": "Whatever the loop count and the branch, every step multiplies by a constant (2 or 100), so "
                        "along the path taken d = k·a: f is piecewise linear, k does not change near a, and the "
                        "derivative is k = d / a. == is exact, though, and 100 * b rounds in the else branch: "
                        "check with torch.allclose."},
            "D": {"zh": "向量 a 时循环次数和分支由整个向量决定，所有分量共用同一个 k，所以 f(a).sum() 的梯度"
                        "逐元素仍等于 d / a；会出错的只是不带参数的 d.backward()。",
                  "en": "For a vector a the loop count and the branch depend on the whole vector, so all entries "
                        "share one k and the gradient of f(a).sum() still equals d / a entry by entry; only "
                        "d.backward() without an argument fails."},
        }),
    ChoiceExercise(
        "ch05.vector_backward", "answer_vector_backward",
        options={"A": "d.backward() 报错，因为 d 不是标量；改成 d.sum().backward() 即可。",
                 "B": "正常运行，a.grad 是一个标量：所有分量共用同一个 k。",
                 "C": "while b.norm() < 1000 对向量无法判断真假，f(a) 在循环处就报错。",
                 "D": "a 是向量时 f 不可导，只能对 a 的每个分量分别调用 f。"},
        correct="A",
        explanations={
            "A": {"zh": "d.backward() 报 “grad can be implicitly created only for scalar outputs”：backward() 只能隐式地"
                        "从标量出发。d.sum().backward() 求的是 Σd 的梯度，d.backward(v) 求的是 vᵀJ；"
                        "取 v = torch.ones_like(d) 两者相同，每个分量都是 k。",
                  "en": "d.backward() raises 'grad can be implicitly created only for scalar outputs': backward() "
                        "starts implicitly only from a scalar. d.sum().backward() gives the gradient of Σd, "
                        "d.backward(v) gives vᵀJ; with v = torch.ones_like(d) they agree, k in every entry."},
            "B": {"zh": "d = f(a) 与 a 同形，不是标量，不带参数的 d.backward() 会报错；即使求出来，a.grad 也与 a 同形。",
                  "en": "d = f(a) has a's shape, not a scalar, so d.backward() without an argument fails; and a.grad "
                        "always has a's shape."},
            "C": {"zh": "b.norm() 和 b.sum() 对向量、矩阵都是标量，while 和 if 照常工作；出错的是后面的 d.backward()。",
                  "en": "b.norm() and b.sum() are scalars for vectors and matrices too, so while and if work; it is "
                        "d.backward() that fails."},
            "D": {"zh": "f 仍然可导（分段线性，每个分量都乘同一个 k），不需要逐个分量调用：对 d.sum() 反向传播就行。",
                  "en": "f is still differentiable (piecewise linear, every entry times the same k); no need to call "
                        "it per entry: backpropagate from d.sum()."},
        }),
    FunctionExercise(
        "ch05.grad_of_f", "grad_of_f", cases=f_cases, reference=lambda a: gradient(f, a), rules=[FROM_AUTOGRAD],
        success={"zh": "f(a).sum() 的梯度每个分量都是同一个 k：循环次数和分支由整个张量决定。",
                 "en": "Every entry of the gradient of f(a).sum() is the same k: the loop count and the branch "
                       "depend on the whole tensor."},
        mistakes=[
            (lambda a: f(a).detach(), {
                "zh": "你返回的是 f(a) 的值 d，不是梯度：对 d.sum() 调用 backward()，再返回 a.grad。",
                "en": "You returned the value d = f(a), not the gradient: call backward() on d.sum() and return "
                      "a.grad."}),
            (lambda a: gradient(f, a, torch.mean), {
                "zh": "结果是正确梯度的 1/n：你对 d.mean() 反向传播了，题目要的是 d.sum() 的梯度。",
                "en": "The result is 1/n of the right gradient: you backpropagated from d.mean(); the exercise asks "
                      "for the gradient of d.sum()."}),
        ],
        none_mistake=NONE_BEFORE_BACKWARD),
    FunctionExercise(
        "ch05.norm_squared_grad", "grad_norm_squared", cases=norm_cases, reference=lambda a: gradient(norm_squared, a),
        rules=[FROM_AUTOGRAD],
        success={"zh": "‖a‖² = Σxᵢ² 是向量的标量函数，它的梯度是 2a，不需要给 backward() 传参数。",
                 "en": "‖a‖² = Σxᵢ² is a scalar function of a vector; its gradient is 2a, and backward() needs no "
                       "argument."},
        mistakes=[
            (lambda a: a.clone(), {
                "zh": "结果是 a 而不是 2a：xᵢ² 的导数是 2xᵢ，别忘了因子 2。",
                "en": "The result is a, not 2a: the derivative of xᵢ² is 2xᵢ; do not drop the factor 2."}),
            (lambda a: gradient(torch.norm, a), {
                "zh": "结果是 a / ‖a‖：这是 ‖a‖ 的梯度，题目要的是 ‖a‖²，别忘了平方。",
                "en": "The result is a / ‖a‖: that is the gradient of ‖a‖; the exercise asks for ‖a‖², "
                      "do not forget the square."}),
        ],
        none_mistake=NONE_BEFORE_BACKWARD),
    FunctionExercise(
        "ch05.redesigned_flow", "grad_of_g", cases=g_cases, reference=lambda a: gradient(g, a), rules=[FROM_AUTOGRAD],
        success={"zh": "每一步 b ← b² + 1 都把梯度乘上 2b，所以 g 的梯度不是 d / a：autograd 求的是这一次执行路径上的导数。",
                 "en": "Each step b ← b² + 1 multiplies the gradient by 2b, so g's gradient is not d / a: autograd "
                       "differentiates the path actually executed."},
        mistakes=[
            (d_over_a(g), {
                "zh": "你返回的是 d / a：这个捷径只对 f 这种“乘以常数”的分段线性函数成立；b ← b² + 1 不是线性的，"
                      "要让 autograd 求 g(a).sum() 的梯度。",
                "en": "You returned d / a: that shortcut only holds for piecewise linear functions like f that "
                      "multiply by constants; b ← b² + 1 is not linear, let autograd differentiate g(a).sum()."}),
            (lambda a: gradient(f, a), {
                "zh": "这是本练习开头那个 f 的梯度（每步乘 2、阈值 1000）：g 的循环体是 b ← b² + 1，阈值是 10，"
                      "分支里取的是 −b。",
                "en": "That is the gradient of f from the top of this exercise sheet (doubling, threshold 1000): g's loop body is "
                      "b ← b² + 1, its threshold 10, and its branch takes −b."}),
            (lambda a: g(a).detach(), {
                "zh": "你返回的是 g(a) 的值，不是梯度：对 g(a).sum() 调用 backward()，再返回 a.grad。",
                "en": "You returned the value g(a), not the gradient: call backward() on g(a).sum() and return "
                      "a.grad."}),
        ],
        none_mistake=NONE_BEFORE_BACKWARD),
]
