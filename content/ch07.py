"""Exercises for chapter 7: higher-order derivatives, Hessians, their cost, forward and reverse mode."""

import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise


# Module-level test functions travel to the grading child by their source: only torch may appear in them.
def cube(t):
    return t ** 3


def quartic(t):
    return t ** 4


def nth_derivative(f, x, n):
    """The n-th derivative of an elementwise ``f`` at ``x`` (n = 0 is f itself), detached."""
    x = x.detach().clone().requires_grad_(True)
    result = f(x)
    for _ in range(n):
        (result,) = torch.autograd.grad(result.sum(), x, create_graph=True)
    return result.detach()


# --- ch07.second_derivative -------------------------------------------------------------------------------------

def second_derivative_cases(generator):
    # cube first: there x³, 3x², 6x and 3x² + 6x all differ, so each mistake is recognised at once.
    return [(cube, torch.linspace(-2, 2, 5)), (torch.sin, torch.linspace(-3, 3, 7)),
            (torch.tanh, torch.randn(6, generator=generator)), (quartic, torch.randn(2, 3, generator=generator)),
            (torch.exp, torch.randn(4, generator=generator))]


def second_derivative(f, x):
    return nth_derivative(f, x, 2)


def first_plus_second(f, x):
    """What y.backward(create_graph=True) followed by x.grad.sum().backward() leaves in x.grad."""
    return nth_derivative(f, x, 1) + nth_derivative(f, x, 2)


# --- ch07.hessian -------------------------------------------------------------------------------------------------

def hessian_cases(generator):
    return [(torch.tensor([1.0, 2.0]),), (torch.tensor([-1.5, 0.5]),), (torch.randn(2, generator=generator),),
            (torch.randn(2, generator=generator),)]


def cubic_f(x):
    return x[0] ** 2 * x[1] + x[1] ** 3


def hessian_at(x):
    return torch.autograd.functional.hessian(cubic_f, x)


def gradient_at(x):
    return torch.stack([2 * x[0] * x[1], x[0] ** 2 + 3 * x[1] ** 2])


def hessian_row_sums(x):
    """What torch.autograd.grad(g.sum(), x) gives for the gradient g: H·1, one number per variable."""
    return hessian_at(x).sum(dim=1)


def hessian_diagonal(x):
    return torch.diag(torch.diagonal(hessian_at(x)))


def chapter_hessian(x):
    """The Hessian of section 7.2's function, which has an extra sin x₁."""
    return torch.autograd.functional.hessian(lambda v: cubic_f(v) + torch.sin(v[0]), x)


# --- ch07.f_prime -------------------------------------------------------------------------------------------------

def f_prime_cases(generator):
    # Away from 0, where 1/x and log(x²) blow up. The first case is positive, so that "log x instead of log x²"
    # is recognised there (log x is NaN for negative x).
    size = torch.rand(6, generator=generator) * 2.5 + 0.3
    sign = torch.randint(0, 2, (6,), generator=generator) * 2 - 1
    return [(torch.tensor([0.5, 1.0, 2.0, 3.0]),), (torch.tensor(-1.5),), (size * sign,),
            (-(torch.rand(2, 3, generator=generator) * 2 + 0.5),)]


def f(x):
    return torch.log(x ** 2) * torch.sin(x) + 1 / x


def f_prime(x):
    return nth_derivative(f, x, 1)


EXERCISES = [
    FunctionExercise(
        "ch07.second_derivative", "second_derivative", cases=second_derivative_cases, reference=second_derivative,
        rules=[FROM_AUTOGRAD],
        success={"zh": "第一次求导加 create_graph=True，导数本身进了计算图，对它的和再求一次导就是逐元素的二阶导数。",
                 "en": "With create_graph=True the first derivative joins the graph, and differentiating its sum "
                       "once more gives the elementwise second derivative."},
        mistakes=[
            (lambda f, x: nth_derivative(f, x, 1), {
                "zh": "你返回的是一阶导数 f′(x)：还要对它再求一次导。第一次调用 torch.autograd.grad 时加 "
                      "create_graph=True，再对 dy.sum() 求导。",
                "en": "You returned the first derivative f′(x): differentiate it once more. Pass create_graph=True "
                      "to the first torch.autograd.grad call, then differentiate dy.sum()."}),
            (lambda f, x: nth_derivative(f, x, 0), {
                "zh": "你返回的是函数值 f(x)，不是导数：用 torch.autograd.grad 求两次导。",
                "en": "You returned the value f(x), not a derivative: differentiate twice with "
                      "torch.autograd.grad."}),
            (first_plus_second, {
                "zh": "结果是 f′(x) + f″(x)：你用了两次 backward()，第二次的结果累加到了已经存着一阶导数的 x.grad 上。"
                      "用 torch.autograd.grad（它返回导数，不碰 .grad），或者在第二次反向传播前把 x.grad 取出并清零。",
                "en": "The result is f′(x) + f″(x): you called backward() twice, and the second pass accumulated "
                      "into x.grad, which already held the first derivative. Use torch.autograd.grad (it returns "
                      "the derivative and leaves .grad alone), or take x.grad out and clear it before the second "
                      "pass."}),
        ],
        error_mistakes=[
            (r"does not require grad and does not have a grad_fn", {
                "zh": "第二次求导时报错 “element 0 of tensors does not require grad and does not have a grad_fn”："
                      "第一次求导没有加 create_graph=True，得到的一阶导数不在计算图里，不能再求导。",
                "en": "The second differentiation raised 'element 0 of tensors does not require grad and does not "
                      "have a grad_fn': the first one lacked create_graph=True, so the first derivative is not "
                      "part of a graph and cannot be differentiated again."},
             # the same text when x never required grad: then it is not about create_graph
             {"source": r"requires_grad", "not_source": r"create_graph\s*=\s*True"}),
        ]),
    ValueExercise(
        "ch07.grad_after_create_graph", "x_grad_value", expected=48.0,
        success={"zh": "torch.autograd.grad 只返回 g = 4x³ = 32，不写 x.grad；create_graph=True 让 g 带着计算图，"
                       "g.backward() 把 g′ = 12x² = 48 写进 x.grad。",
                 "en": "torch.autograd.grad only returns g = 4x³ = 32 and leaves x.grad alone; create_graph=True "
                       "keeps g in a graph, and g.backward() writes g′ = 12x² = 48 into x.grad."},
        mistakes=[
            (32.0, {"zh": "32 是一阶导数 4x³，也就是 g 的值；但 x.grad 是 g.backward() 写进去的，它是 g 对 x 的导数 12x²。",
                    "en": "32 is the first derivative 4x³, the value of g; but x.grad is written by g.backward(), "
                          "so it holds g's derivative 12x²."}),
            (80.0, {"zh": "80 = 32 + 48：torch.autograd.grad 不会把一阶导数累加进 x.grad，它只把导数作为返回值；"
                          "x.grad 里只有 g.backward() 写进去的 48。",
                    "en": "80 = 32 + 48: torch.autograd.grad does not accumulate the first derivative into x.grad, "
                          "it only returns it; x.grad holds just the 48 from g.backward()."}),
            (16.0, {"zh": "16 是 y = x⁴ 本身的值，不是导数。",
                    "en": "16 is the value of y = x⁴ itself, not a derivative."}),
        ]),
    FunctionExercise(
        "ch07.hessian", "hessian_at", cases=hessian_cases, reference=hessian_at, rules=[FROM_AUTOGRAD],
        success={"zh": "f = x₁²x₂ + x₂³ 的海森矩阵是 [[2x₂, 2x₁], [2x₁, 6x₂]]，对称，与手算公式一致。",
                 "en": "The Hessian of f = x₁²x₂ + x₂³ is [[2x₂, 2x₁], [2x₁, 6x₂]], symmetric and equal to the "
                       "formula."},
        mistakes=[
            (gradient_at, {
                "zh": "你返回的是梯度 ∇f（2 个数），不是海森矩阵：海森矩阵是 2×2 的，要对梯度的每个分量再求一次导。",
                "en": "You returned the gradient ∇f (2 numbers), not the Hessian: the Hessian is 2×2; "
                      "differentiate each entry of the gradient once more."}),
            (hessian_row_sums, {
                "zh": "你得到的是海森矩阵每行的和 H·1：对梯度的和 g.sum() 求导会把各行加在一起。"
                      "要逐个分量求导：对 g[0]、g[1] 分别求导（retain_graph=True），再用 torch.stack 拼成矩阵；"
                      "或者直接用 torch.autograd.functional.hessian / torch.func.hessian。",
                "en": "You got the row sums H·1: differentiating the sum g.sum() of the gradient adds the rows "
                      "together. Differentiate entry by entry, g[0] and g[1] (retain_graph=True), and torch.stack "
                      "the rows; or use torch.autograd.functional.hessian / torch.func.hessian."}),
            (hessian_diagonal, {
                "zh": "对角线对了，但非对角线是 0：漏了混合偏导数 ∂²f/∂x₁∂x₂ = 2x₁。",
                "en": "The diagonal is right but the off-diagonal entries are 0: the mixed partial derivative "
                      "∂²f/∂x₁∂x₂ = 2x₁ is missing."}),
            (chapter_hessian, {
                "zh": "这是 7.2 节那个函数（多了 sin x₁）的海森矩阵：这道题的 f 是 x₁²x₂ + x₂³，没有 sin x₁。",
                "en": "That is the Hessian of section 7.2's function (with sin x₁): this exercise's f is "
                      "x₁²x₂ + x₂³, without sin x₁."}),
        ]),
    ChoiceExercise(
        "ch07.why_expensive", "answer_why_expensive",
        options={"A": "二阶导数就是做两次反向传播，所以开销正好是一阶导数的两倍。",
                 "B": "autograd 用数值差分算二阶导数，要做很多次前向计算，而一阶导数是精确的。",
                 "C": "一阶反向传播本身要被记录成一张更大的图，二阶导数要在这张图上再反向传播。",
                 "D": "create_graph=True 会把所有张量转换成 float64 以保证二阶导数的精度，所以慢。"},
        correct="C",
        explanations={
            "A": {"zh": "不是简单的两倍：第一次反向传播要被记录（更慢、保存更多中间值），第二次走的是节点数约为原图 3 倍的新图；"
                        "7.3 节测得海森–向量积约是梯度的 2～3 倍，完整的海森矩阵更是随 n 迅速变贵。",
                  "en": "Not simply twice: the first backward pass is recorded (slower, more saved values) and the "
                        "second one walks a new graph about 3 times the original's size; Section 7.3 measures a "
                        "Hessian-vector product at about 2-3 times a gradient, and a full Hessian grows quickly more "
                        "expensive with n."},
            "B": {"zh": "autograd 从不做数值差分：二阶导数同样是对（被记录下来的）反向传播计算图按链式法则精确求导。",
                  "en": "autograd never uses finite differences: the second derivative is also exact, the chain rule "
                        "applied to the recorded backward graph."},
            "C": {"zh": "create_graph=True 把反向传播本身记录成一张新图（节点数约是原图的 3 倍，还包含原来的前向图）。"
                        "7.3 节数过节点：每加一层，损失的图多 4 个节点，create_graph=True 得到的梯度的图多 14 个。"
                        "一次二阶导数（海森–向量积）是一阶导数的几倍；完整海森矩阵要 n 次、占 n² 的内存，随 n 迅速变贵（7.3 节）。",
                  "en": "create_graph=True records the backward pass itself as a new graph (about 3 times the "
                        "original's nodes, and it contains the original forward graph). Section 7.3 counted the "
                        "nodes: each layer adds 4 nodes to the loss's graph and 14 to the graph of the gradient taken "
                        "with create_graph=True. One second "
                        "derivative (a Hessian-vector product) costs a few gradients; a full Hessian needs n of them "
                        "and n² memory, and grows quickly more expensive with n (Section 7.3)."},
            "D": {"zh": "create_graph=True 不改变数据类型：float32 的输入得到的二阶导数仍是 float32；慢是因为图更大、还要再反向传播一次。",
                  "en": "create_graph=True does not change dtypes: float32 inputs give a float32 second derivative; "
                        "it is slower because the graph is bigger and must be backpropagated once more."},
        }),
    FunctionExercise(
        "ch07.f_prime", "f_prime", cases=f_prime_cases, reference=f_prime,
        success={"zh": "f′(x) = (2/x)·sin x + log(x²)·cos x − 1/x²：三条路径的贡献相加。",
                 "en": "f′(x) = (2/x)·sin x + log(x²)·cos x − 1/x²: the three paths' contributions add up."},
        mistakes=[
            (lambda x: 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) + 1 / x ** 2, {
                "zh": "1/x 那一项的导数符号反了：(1/x)′ = −1/x²。",
                "en": "The derivative of the 1/x term has the wrong sign: (1/x)′ = −1/x²."}),
            (lambda x: torch.sin(x) / x + torch.log(x) * torch.cos(x) - 1 / x ** 2, {
                "zh": "你用的是 log x，不是 log(x²)：log(x²) 的导数是 2/x，而且对负数 x 也有定义（log x 在那里是 NaN）。",
                "en": "You used log x instead of log(x²): the derivative of log(x²) is 2/x, and log(x²) is defined "
                      "for negative x too (log x is NaN there)."}),
            (lambda x: 2 / x * torch.cos(x) - 1 / x ** 2, {
                "zh": "乘积的导数不是导数的乘积：(uv)′ = u′v + uv′，所以是 (2/x)·sin x + log(x²)·cos x，不是 (2/x)·cos x。",
                "en": "The derivative of a product is not the product of derivatives: (uv)′ = u′v + uv′, so "
                      "(2/x)·sin x + log(x²)·cos x, not (2/x)·cos x."}),
            (lambda x: 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x), {
                "zh": "漏了 1/x 这一项的导数 −1/x²：x 经三条路径影响 f，三条的贡献都要加上。",
                "en": "The derivative −1/x² of the 1/x term is missing: x reaches f along three paths, and all "
                      "three contributions add up."}),
            (lambda x: f(x).detach(), {
                "zh": "你返回的是 f(x) 的值，不是导数：对 f(x).sum() 反向传播后返回 x.grad，或者用 torch.func.jvp。",
                "en": "You returned the value f(x), not the derivative: backpropagate from f(x).sum() and return "
                      "x.grad, or use torch.func.jvp."}),
        ]),
    ChoiceExercise(
        "ch07.jac_mode", "answer_jac_mode",
        options={"A": "jacrev：只要 m = 8 次 vjp（每次得到一行），而 jacfwd 要 n = 2048 次 jvp（每次一列）。",
                 "B": "jacfwd：正向模式不用保存中间值，也不用反向遍历计算图，所以总是更快。",
                 "C": "两者一样快：它们算出的是同一个 8×2048 的雅可比矩阵。",
                 "D": "都不行：torch.func 只能对标量输出求导，只能对 8 个输出分别调用 backward()。"},
        correct="A",
        explanations={
            "A": {"zh": "J 是 8×2048 的“矮胖”矩阵：按行拼（反向模式，每次 vjp 得到一行）只要 8 次，按列拼"
                        "（正向模式，每次 jvp 得到一列）要 2048 次。深度学习的损失是标量（m = 1），所以训练一律用反向模式。",
                  "en": "J is a short, wide 8×2048 matrix: building it row by row (reverse mode, one row per vjp) "
                        "takes 8 passes, column by column (forward mode, one column per jvp) 2048. A training loss "
                        "is a scalar (m = 1), which is why training always uses reverse mode."},
            "B": {"zh": "不保存中间值省的是内存，不是次数：jacfwd 每次 jvp 只得到 J 的一列，2048 个输入就要 2048 次"
                        "（7.5 节量过：n = 2048、m = 8 时 jacfwd 比 jacrev 慢 4 倍以上）。",
                  "en": "Not saving intermediates saves memory, not passes: each jvp gives one column of J, so "
                        "2048 inputs need 2048 of them (section 7.5 measured it: at n = 2048, m = 8 jacfwd is over 4 "
                        "times slower than jacrev)."},
            "C": {"zh": "结果相同，开销不同：jacfwd 的次数是输入个数 n，jacrev 的次数是输出个数 m。",
                  "en": "Same result, different cost: jacfwd takes as many passes as there are inputs (n), jacrev as "
                        "many as there are outputs (m)."},
            "D": {"zh": "jacrev 和 jacfwd 都能直接对向量输出的函数求出整个雅可比矩阵（7.5 节的 tanh(Wx) 就是 4 个输出）。",
                  "en": "Both jacrev and jacfwd build the whole Jacobian of a vector-valued function directly "
                        "(section 7.5's tanh(Wx) has 4 outputs)."},
        }),
]
