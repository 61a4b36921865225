"""Exercises for chapter 1 (notebooks/01_backward_basics): requires_grad, y = 2xᵀx, leaves and .grad."""
import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


def vectors(generator):
    """Fixed edge cases (the chapter's x, zeros, negatives) then seeded random vectors of fixed lengths."""
    return [(torch.arange(4.0),), (torch.zeros(3),), (torch.tensor([-1.5, 2.0, -0.25]),),
            (torch.randn(5, generator=generator),), (torch.randn(8, generator=generator) * 10,)]


def grad_of_2xtx(x):
    x = x.detach().clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return x.grad


# Each call of grad_of_2xtx builds a fresh leaf, so no earlier gradient can accumulate into its .grad: a multiple
# of 4x comes from inside the student's function. These are checked before the generic "forgot to zero" message.
TWICE_4X = {
    "zh": "结果是 8x，正确答案 4x 的 2 倍。函数每次都新建一个叶子张量，不会有旧梯度累加进来，多出的一倍来自函数内部："
          "要么对同一个 y 调用了两次 backward()（第一次加了 retain_graph=True，第二次的梯度又加进 x.grad），"
          "要么系数 2 算了两次，例如写成 ((2 * x) ** 2).sum()（那是 4xᵀx），或者 backward 之后又把 x.grad 乘了 2。",
    "en": "The result is 8x, twice the right answer 4x. Your function builds a fresh leaf each time, so no earlier "
          "gradient can accumulate into it; the extra factor comes from inside the function: either backward() ran "
          "twice on the same y (retain_graph=True the first time, so the second gradient was added to x.grad), or "
          "the factor 2 was counted twice, e.g. ((2 * x) ** 2).sum() (that is 4xᵀx), or x.grad multiplied by 2 "
          "after backward."}


def times_4x(k):
    """The message for k times the right answer 4x: k backward calls on one graph, or extra factors."""
    return {"zh": f"结果是 {4 * k}x，正确答案 4x 的 {k} 倍。函数每次都新建一个叶子张量，不会有旧梯度累加进来："
                  f"是不是对同一个 y 调用了 {k} 次 backward()（retain_graph=True），或者多乘了系数？"
                  "y = 2xᵀx 只要一次 backward()。",
            "en": f"The result is {4 * k}x, {k} times the right answer 4x. Your function builds a fresh leaf each "
                  f"time, so no earlier gradient can accumulate into it: did backward() run {k} times on the same "
                  "y (retain_graph=True), or did an extra factor slip in? y = 2xᵀx needs one backward()."}


EXERCISES = [
    ValueExercise(
        "ch01.leaf", "x", leaf=True,
        expected=torch.tensor([0.0, 1.0, 2.0, 3.0]),
        success={"zh": "x 是浮点类型的叶子张量，requires_grad=True：backward 之后梯度会存进 x.grad。",
                 "en": "x is a floating-point leaf tensor with requires_grad=True: backward will store its "
                       "gradient in x.grad."},
    ),
    FunctionExercise(
        "ch01.grad_2xtx", "grad_of_2xtx", cases=vectors, reference=grad_of_2xtx, plain=True, rules=[FROM_AUTOGRAD],
        success={"zh": "y = 2xᵀx = 2Σxᵢ²，∂y/∂xᵢ = 4xᵢ：backward 把梯度 4x 存进了 x.grad。",
                 "en": "y = 2xᵀx = 2Σxᵢ², so ∂y/∂xᵢ = 4xᵢ: backward stored the gradient 4x in x.grad."},
        mistakes=[
            (lambda x: 2 * x, {"zh": "你返回的是 2x：那是 xᵀx 的梯度，漏掉了前面的系数 2（y = 2xᵀx 的梯度是 4x）。",
                               "en": "You returned 2x: that is the gradient of xᵀx; the factor 2 in y = 2xᵀx is "
                                     "missing (the gradient is 4x)."}),
            (lambda x: 2 * x * x, {"zh": "你返回的是 2x²（逐元素）：那是函数值的各项，不是梯度；梯度要用 backward() 求。",
                                   "en": "You returned 2x² (elementwise): those are the terms of the value, not the "
                                         "gradient; get the gradient with backward()."}),
            (lambda x: (2 * torch.dot(x, x)).expand(x.shape),
             {"zh": "你返回的是 y 的值 2xᵀx，而不是梯度 x.grad。",
              "en": "You returned the value y = 2xᵀx, not the gradient x.grad."}),
            (lambda x: 8 * x, TWICE_4X),
            *[(lambda x, k=k: 4 * k * x, times_4x(k)) for k in (3, 4, 5)],
        ],
    ),
    ValueExercise(
        "ch01.mean_grad", "grad_value", expected=4.5,
        success={"zh": "o = ¼Σ3(xᵢ+2)²，∂o/∂xᵢ = ¼·6(xᵢ+2) = 6·3/4 = 4.5。",
                 "en": "o = ¼Σ3(xᵢ+2)², so ∂o/∂xᵢ = ¼·6(xᵢ+2) = 6·3/4 = 4.5."},
        mistakes=[
            (18.0, {"zh": "18 = 6(xᵢ+2) 是 zᵢ 对 xᵢ 的导数：别忘了 mean() 的 1/4。",
                    "en": "18 = 6(xᵢ+2) is the derivative of zᵢ; do not forget the 1/4 of mean()."}),
            (27.0, {"zh": "27 是 out 的值（前向计算的结果），不是梯度。",
                    "en": "27 is the value of out (the forward result), not the gradient."}),
            (1.5, {"zh": "1.5 = 6/4：链式法则里漏掉了 (xᵢ+2) = 3 这个因子。",
                   "en": "1.5 = 6/4: the chain rule's factor (xᵢ+2) = 3 is missing."}),
        ],
    ),
    ChoiceExercise(
        "ch01.nonleaf_grad", "answer",
        options={"A": "tensor([[4.5, 4.5], [4.5, 4.5]])", "B": "tensor([[18., 18.], [18., 18.]])",
                 "C": "None", "D": "RuntimeError"},
        correct="C",
        explanations={
            "A": {"zh": "∂out/∂y 确实是 6y/4 = 4.5，但 y 是计算出来的非叶子张量：没有事先调用 y.retain_grad()，"
                        "backward 不会把这个梯度存进 y.grad。",
                  "en": "∂out/∂y is indeed 6y/4 = 4.5, but y is a computed non-leaf tensor: unless y.retain_grad() "
                        "was called first, backward does not store that gradient in y.grad."},
            "B": {"zh": "18 = 6y 是 z 对 y 的导数，漏掉了 mean() 的 1/4；而且 y 不是叶子张量，y.grad 根本不会被填充。",
                  "en": "18 = 6y is the derivative of z with respect to y, without mean()'s 1/4; besides, y is not a "
                        "leaf, so y.grad is not filled at all."},
            "C": {"zh": "y = x + 2 是计算出来的非叶子张量（有 grad_fn）：backward 只给叶子张量填充 .grad，读 y.grad "
                        "得到 None 并发出警告；想保留它，就在 backward 之前调用 y.retain_grad()。",
                  "en": "y = x + 2 is a computed non-leaf tensor (it has a grad_fn): backward fills .grad only for "
                        "leaves, so y.grad is None (with a warning); call y.retain_grad() before backward to keep it."},
            "D": {"zh": "读取非叶子张量的 .grad 不会报错，只会返回 None 并发出 UserWarning。",
                  "en": "Reading .grad of a non-leaf tensor does not raise: it returns None with a UserWarning."},
        },
    ),
    ChoiceExercise(
        "ch01.int_arange", "answer",
        options={"A": "arange(4) 只有 4 个元素，太少", "B": "requires_grad 只能在创建后用 requires_grad_() 设置",
                 "C": "arange 不接受 requires_grad 参数", "D": "arange(4) 是 int64 整数张量"},
        correct="D",
        explanations={
            "A": {"zh": "元素个数无关紧要：torch.arange(4.0, requires_grad=True) 同样只有 4 个元素，却没有问题。",
                  "en": "The number of elements does not matter: torch.arange(4.0, requires_grad=True) has 4 "
                        "elements too and works."},
            "B": {"zh": "对整数张量调用 requires_grad_() 一样会报错（only Tensors of floating point dtype can "
                        "require gradients）：问题在数据类型，不在设置的时机。",
                  "en": "requires_grad_() on an integer tensor raises too (only Tensors of floating point dtype can "
                        "require gradients): the problem is the dtype, not when the flag is set."},
            "C": {"zh": "arange 接受 requires_grad：torch.arange(4.0, requires_grad=True) 就能正常运行。",
                  "en": "arange does accept requires_grad: torch.arange(4.0, requires_grad=True) works."},
            "D": {"zh": "arange(4) 的元素是整数（int64）。梯度描述连续的变化，而且 .grad 与张量的类型相同：int64 的 "
                        ".grad 存不下 4.5 这样的梯度。所以只有浮点（和复数）张量才能 requires_grad；写成 arange(4.0) "
                        "就得到 float32。",
                  "en": "arange(4) holds integers (int64). Gradients describe continuous change, and .grad has the "
                        "tensor's dtype: an int64 .grad could not hold a gradient such as 4.5. So only "
                        "floating-point (and complex) tensors can require grad; arange(4.0) gives float32."},
        },
    ),
]
