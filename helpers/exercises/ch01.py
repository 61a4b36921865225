"""Exercises for chapter 1 (notebooks/01_backward_basics): requires_grad, y = 2xᵀx, leaves, second derivatives."""
import torch

from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


def vectors(generator):
    """Fixed edge cases (the notes' x, zeros, negatives) then seeded random vectors of fixed lengths."""
    return [(torch.arange(4.0),), (torch.zeros(3),), (torch.tensor([-1.5, 2.0, -0.25]),),
            (torch.randn(5, generator=generator),), (torch.randn(8, generator=generator) * 10,)]


def grad_of_2xtx(x):
    x = x.detach().clone().requires_grad_(True)
    (2 * torch.dot(x, x)).backward()
    return x.grad


EXERCISES = [
    ValueExercise(
        "ch01.leaf", "x", leaf=True,
        expected=torch.tensor([0.0, 1.0, 2.0, 3.0]),
        success={"zh": "x 是浮点类型的叶子张量，requires_grad=True：backward 之后梯度会存进 x.grad。",
                 "en": "x is a floating-point leaf tensor with requires_grad=True: backward will store its "
                       "gradient in x.grad."},
    ),
    FunctionExercise(
        "ch01.grad_2xtx", "grad_of_2xtx", cases=vectors, reference=grad_of_2xtx, plain=True,
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
        options={"A": "arange(4) 只有 4 个元素，太少", "B": "arange(4) 是 int64 整数张量",
                 "C": "requires_grad 只能在创建后用 requires_grad_() 设置", "D": "arange 不接受 requires_grad 参数"},
        correct="B",
        explanations={
            "A": {"zh": "元素个数无关紧要：torch.arange(4.0, requires_grad=True) 同样只有 4 个元素，却没有问题。",
                  "en": "The number of elements does not matter: torch.arange(4.0, requires_grad=True) has 4 "
                        "elements too and works."},
            "B": {"zh": "arange(4) 的元素是整数（int64）。梯度描述连续的变化，只有浮点（和复数）张量才能 requires_grad；"
                        "写成 arange(4.0) 就得到 float32。",
                  "en": "arange(4) holds integers (int64). Gradients describe continuous change, so only "
                        "floating-point (and complex) tensors can require grad; arange(4.0) gives float32."},
            "C": {"zh": "对整数张量调用 requires_grad_() 一样会报错（only Tensors of floating point dtype can "
                        "require gradients）：问题在数据类型，不在设置的时机。",
                  "en": "requires_grad_() on an integer tensor raises too (only Tensors of floating point dtype can "
                        "require gradients): the problem is the dtype, not when the flag is set."},
            "D": {"zh": "arange 接受 requires_grad：torch.arange(4.0, requires_grad=True) 正是笔记里的写法。",
                  "en": "arange does accept requires_grad: torch.arange(4.0, requires_grad=True) is what the notes "
                        "write."},
        },
    ),
    ChoiceExercise(
        "ch01.second_derivative", "answer",
        options={"A": "PyTorch 要对二阶导数做符号推导，公式更复杂",
                 "B": "要先把一阶反向传播本身记录成一张新的计算图，再对这张更大的图反向传播一次",
                 "C": "PyTorch 用有限差分近似二阶导数，要多做几次前向计算",
                 "D": "开销其实一样，只是要调用两次 backward()"},
        correct="B",
        explanations={
            "A": {"zh": "autograd 不做符号推导：它只记录实际执行过的运算，并按链式法则逐个求数值导数。",
                  "en": "autograd does no symbolic algebra: it records the operations that actually ran and applies "
                        "the chain rule to their numbers."},
            "B": {"zh": "求二阶导时，一阶的反向传播必须用 create_graph=True 运行：它的每一步运算也被记录成计算图并保存"
                        "中间值。第二次求导要对这张“反向传播的图”（比原图更大）再做一次反向传播，所以时间和内存都更多。",
                  "en": "For a second derivative the first backward pass must run with create_graph=True: its own "
                        "operations are recorded as a graph, with their saved values. The second derivative "
                        "backpropagates through this larger graph of the backward pass, costing more time and "
                        "memory."},
            "C": {"zh": "autograd 给出的是精确导数（到浮点精度），不是有限差分近似；二阶导也一样。",
                  "en": "autograd gives exact derivatives (to floating-point precision), not finite differences; "
                        "second derivatives too."},
            "D": {"zh": "第二次求导遍历的不是原来的图，而是一阶反向传播生成的更大的图，而且第一次还必须保留整张图"
                        "（create_graph=True），所以并不是“同样的开销做两次”。",
                  "en": "The second derivative does not traverse the original graph but the larger graph made by "
                        "the first backward pass, which must also be kept (create_graph=True): it is not the same "
                        "cost twice."},
        },
    ),
]
