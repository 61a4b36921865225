"""Exercises for chapter 3 (notebooks/03_scalar_backward): backward(w) as a vector-Jacobian product, Jacobians."""
import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


def weighted_pairs(generator):
    """(x, w) of the same shape: the weights (1, 0.1, 0.01, 0.001) first, then seeded random ones (a matrix among them)."""
    return [(torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([1.0, 0.1, 0.01, 0.001])),
            (torch.tensor([-1.0, 0.5, 2.0]), torch.tensor([2.0, -1.0, 0.0])),
            (torch.randn(5, generator=generator), torch.randn(5, generator=generator)),
            (torch.randn(2, 3, generator=generator), torch.randn(2, 3, generator=generator))]


def weighted_grad(x, w):
    x = x.detach().clone().requires_grad_(True)
    (x * x).backward(w)
    return x.grad


def vectors(generator):
    return [(torch.tensor([1.0, 2.0, 3.0]),), (torch.tensor([0.0, -1.0]),),
            (torch.randn(4, generator=generator),), (torch.randn(6, generator=generator),)]


def jacobian_of_cube(x):
    return torch.autograd.functional.jacobian(lambda t: t ** 3, x)


EXERCISES = [
    ChoiceExercise(
        "ch03.backward_w", "answer",
        options={"A": "Jw：雅可比矩阵乘向量 w，与 y 同形",
                 "B": "wᵀJ，即 l = (y * w).sum() 对 x 的梯度",
                 "C": "完整的雅可比矩阵 J，每一行乘上 w 中对应的权重",
                 "D": "y 对 w 的梯度，存进 w.grad"},
        correct="B",
        explanations={
            "A": {"zh": "Jw 是前向模式（jvp）算的东西，形状和 y 相同；backward 是反向模式，算的是 wᵀJ，形状和 x 相同。",
                  "en": "Jw is what forward mode (jvp) computes, shaped like y; backward is reverse mode and computes "
                        "wᵀJ, shaped like x."},
            "B": {"zh": "y.backward(w) 把 w 当作 ∂l/∂y，其中 l = Σⱼ wⱼyⱼ；反向传播得到 ∂l/∂xᵢ = Σⱼ wⱼ ∂yⱼ/∂xᵢ，"
                        "也就是向量–雅可比积 wᵀJ，形状和 x 相同。",
                  "en": "y.backward(w) takes w as ∂l/∂y with l = Σⱼ wⱼyⱼ; backpropagation gives "
                        "∂l/∂xᵢ = Σⱼ wⱼ ∂yⱼ/∂xᵢ, the vector-Jacobian product wᵀJ, of the same shape as x."},
            "C": {"zh": "backward 从不构造完整的雅可比矩阵：每个运算只把与张量同形的梯度往回传。"
                        "要完整的 J 得用 torch.autograd.functional.jacobian（相当于对每个输出分量各做一次反向传播）。",
                  "en": "backward never builds the full Jacobian: each operation passes back a gradient shaped like "
                        "its tensor. The full J needs torch.autograd.functional.jacobian (one backward per output "
                        "component)."},
            "D": {"zh": "w 只是一个常数权重（不需要 requires_grad），w.grad 仍是 None；梯度存进的是 x.grad。",
                  "en": "w is only a constant weight (it need not require grad) and w.grad stays None; the gradient "
                        "goes to x.grad."},
        },
    ),
    FunctionExercise(
        "ch03.weighted_grad", "weighted_grad", cases=weighted_pairs, reference=weighted_grad, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "y = x⊙x 的雅可比矩阵是对角阵 diag(2x)，所以 wᵀJ = 2x⊙w。",
                 "en": "The Jacobian of y = x⊙x is diagonal, diag(2x), so wᵀJ = 2x⊙w."},
        mistakes=[
            (lambda x, w: 2 * x, {"zh": "结果是 2x：这是 y.sum().backward()（相当于 w 全为 1）的结果，你没有用上 w。",
                                  "en": "You got 2x: that is y.sum().backward() (w all ones); w was not used."}),
            (lambda x, w: w, {"zh": "结果是 w 本身：那只是 l 对 y 的导数 ∂l/∂y，还要沿图乘上 ∂y/∂x = 2x。",
                              "en": "You got w itself: that is only ∂l/∂y; backpropagation multiplies it by "
                                    "∂y/∂x = 2x."}),
            (lambda x, w: x * x * w, {"zh": "结果是 w⊙x²：那是 l = Σwⱼyⱼ 的各项，不是梯度。",
                                      "en": "You got w⊙x²: those are the terms of l = Σwⱼyⱼ, not the gradient."}),
        ],
    ),
    ValueExercise(
        "ch03.vjp_numbers", "grads", expected=torch.tensor([5.0, 18.0, 34.0]),
        success={"zh": "vᵀJ 把雅可比矩阵每一列相加：(2+1+2, 2+12+4, 1+6+27) = (5, 18, 34)。",
                 "en": "vᵀJ adds up each column of the Jacobian: (2+1+2, 2+12+4, 1+6+27) = (5, 18, 34)."},
        mistakes=[
            (torch.tensor([2.0, 12.0, 27.0]), {"zh": "这只是雅可比矩阵的对角线 ∂yᵢ/∂xᵢ：x₁ 也影响 y₂ 和 y₃，vᵀJ 要把每一列加起来。",
                                               "en": "That is only the Jacobian's diagonal ∂yᵢ/∂xᵢ: x₁ affects y₂ and "
                                                     "y₃ too; vᵀJ adds up each column."}),
            (torch.tensor([5.0, 19.0, 33.0]), {"zh": "这是 Jv（每一行相加），不是 vᵀJ（每一列相加）。",
                                               "en": "That is Jv (rows added up), not vᵀJ (columns added up)."}),
            (torch.tensor([8.0, 18.0, 33.0]), {"zh": "这是 y 的值 (y₁, y₂, y₃)，不是梯度。",
                                               "en": "Those are the values (y₁, y₂, y₃), not the gradient."}),
        ],
    ),
    FunctionExercise(
        "ch03.jacobian", "jacobian_of_cube", cases=vectors, reference=jacobian_of_cube, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "逐元素函数的雅可比矩阵是对角阵：∂yᵢ/∂xⱼ = 3xᵢ²（i = j），其余为 0。",
                 "en": "An elementwise function has a diagonal Jacobian: ∂yᵢ/∂xⱼ = 3xᵢ² when i = j, 0 otherwise."},
        mistakes=[
            (lambda x: 3 * x ** 2, {"zh": "你返回的是向量 3x²（backward(torch.ones_like(y)) 的结果，即 vᵀJ）：这里要完整的 "
                                          "n×n 雅可比矩阵。",
                                    "en": "You returned the vector 3x² (what backward(torch.ones_like(y)) gives, vᵀJ): "
                                          "the full n×n Jacobian is wanted."}),
            (lambda x: torch.diag(x ** 3), {"zh": "对角线上是函数值 x³，不是导数 3x²。",
                                            "en": "The diagonal holds the values x³, not the derivatives 3x²."}),
            (lambda x: (3 * x ** 2).expand(len(x), len(x)),
             {"zh": "每一行都一样：你把同一个梯度向量复制成了矩阵。yᵢ 只依赖 xᵢ，所以非对角元素应该是 0。",
              "en": "Every row is the same: you copied one gradient vector into a matrix. yᵢ depends only on xᵢ, "
                    "so the off-diagonal entries are 0."}),
        ],
    ),
]
