"""Exercises for chapter 9 (notebooks/09_custom_function): a custom torch.autograd.Function's backward, gradcheck.

The student writes the ``backward`` of a given Function class. The class itself is the answer: the
"autograd_function" probe (``helpers.checking.autograd_function``) applies it to seeded float64 inputs,
differentiates with a random ``grad_output`` and runs ``gradcheck``; its judge (``content.kinds``) compares the
gradients with the reference and names the mistake.
"""
import torch

from content.kinds import AutogradFunctionExercise
from helpers.checking.kinds import ChoiceExercise, ValueExercise
from helpers.checking.rules import ctx_reads

def _float64(generator, *shape):
    return torch.randn(*shape, generator=generator, dtype=torch.float64)


# --- ch09.cos2x -------------------------------------------------------------------------------------------------

def cos2x_cases(generator):
    # grad_output is never all ones: with ones, forgetting to multiply by it would go unnoticed.
    fixed = ((torch.tensor([0.3, -1.2, 2.0, 0.7], dtype=torch.float64),),
             torch.tensor([1.5, -0.5, 2.0, 3.0], dtype=torch.float64))
    return [fixed] + [((_float64(generator, *shape),), _float64(generator, *shape) + 2.5) for shape in ((5,), (2, 3))]


def cos2x_grad(args, grad_output):
    (x,) = args
    return (grad_output * -2 * torch.sin(2 * x),)


# --- ch09.scaled_matmul -----------------------------------------------------------------------------------------

def scaled_matmul_cases(generator):
    # Never square: a transposed gradient then has the wrong shape, which PyTorch itself refuses.
    fixed = ((torch.tensor([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0]], dtype=torch.float64),
              torch.tensor([[0.5, -1.0, 2.0, 1.0], [1.0, 0.0, -0.5, 2.0], [-2.0, 1.5, 1.0, 0.0]], dtype=torch.float64),
              0.5), torch.tensor([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5]], dtype=torch.float64))
    randoms = [((_float64(generator, n, k), _float64(generator, k, m), alpha), _float64(generator, n, m))
               for n, k, m, alpha in ((3, 2, 5, 2.0), (4, 3, 2, -1.5))]
    return [fixed] + randoms


def scaled_matmul_grads(args, grad_output):
    X, W, alpha = args
    return alpha * grad_output @ W.T, alpha * X.T @ grad_output


# --- ch09.softplus_saved_output ---------------------------------------------------------------------------------

def softplus_cases(generator):
    fixed = ((torch.tensor([-3.0, -0.5, 0.0, 1.0, 4.0], dtype=torch.float64),),
             torch.tensor([2.0, -1.0, 0.5, 1.5, 3.0], dtype=torch.float64))
    return [fixed] + [((2 * _float64(generator, *shape),), _float64(generator, *shape) - 2.0) for shape in ((6,), (3, 2))]


def softplus_grad(args, grad_output):
    (x,) = args
    return (grad_output * torch.sigmoid(x),)


def softplus_of(x):
    return torch.nn.functional.softplus(x)


UNSAVED = {"zh": "backward 用了一个 forward 没有保存的张量：forward 只用 ctx.save_for_backward 存了输出 y，"
                 "forward 里的局部变量 x 到了 backward 已经不在，ctx 上也没有别的属性。用 (y,) = ctx.saved_tensors "
                 "取回 y，再用 σ(x) = 1 − e^(−y) 表示导数。",
           "en": "backward used a tensor that forward did not save: forward saved only the output y with "
                 "ctx.save_for_backward; forward's local x is gone by the time backward runs, and ctx has no other "
                 "attribute. Get y back with (y,) = ctx.saved_tensors and write the derivative as σ(x) = 1 − e^(−y)."}

ONLY_SAVED_OUTPUT = ctx_reads(["saved_tensors", "needs_input_grad"], saved=["output"], says={
    "zh": "`backward` 只能用 `ctx.saved_tensors` 取回 forward 保存的输出 $y$：不要改 forward，不要保存 $x$，"
          "也不要在 `ctx` 上另存东西（如 `ctx.x = x`）。",
    "en": "`backward` may get only the output $y$ that forward saved, and only through `ctx.saved_tensors`: do not change "
          "forward, do not save $x$, and store nothing else on `ctx` (such as `ctx.x = x`)."})


EXERCISES = [
    AutogradFunctionExercise(
        "ch09.cos2x", "Cos2x", cases=cos2x_cases, reference=cos2x_grad,
        forward=lambda args, grad_output: torch.cos(2 * args[0]),
        success={"zh": "backward 返回 grad_output · (−2 sin 2x)：链式法则、符号和内层的 2 都对，gradcheck 也通过。",
                 "en": "backward returns grad_output · (−2 sin 2x): chain rule, sign and the inner 2 all right, "
                       "and gradcheck passes."},
        mistakes=[
            (lambda args, g: (-2 * torch.sin(2 * args[0]),), {
                "zh": "你返回的是局部导数 −2 sin 2x 本身，忘了乘 grad_output（链式法则）：backward 收到的是 ∂L/∂y，"
                      "要返回 ∂L/∂x = grad_output · dy/dx。用 y.sum().backward() 测试时 grad_output 全是 1，看不出这个错；"
                      "gradcheck 会报 Jacobian mismatch。",
                "en": "You returned the local derivative −2 sin 2x itself and forgot to multiply by grad_output (the "
                      "chain rule): backward receives ∂L/∂y and must return ∂L/∂x = grad_output · dy/dx. Testing with "
                      "y.sum().backward() hides this, since grad_output is all ones there; gradcheck reports a "
                      "Jacobian mismatch."}),
            (lambda args, g: (2 * g * torch.sin(2 * args[0]),), {
                "zh": "符号反了：cos 的导数是 −sin，所以 (cos 2x)′ = −2 sin 2x。",
                "en": "The sign is flipped: the derivative of cos is −sin, so (cos 2x)′ = −2 sin 2x."}),
            (lambda args, g: (-g * torch.sin(2 * args[0]),), {
                "zh": "差了一个因子 2：cos 2x 的导数还要乘内层 2x 的导数 2，即 −2 sin 2x。",
                "en": "Off by a factor of 2: the derivative of cos 2x also takes the inner derivative of 2x, which is "
                      "2: −2 sin 2x."}),
            (lambda args, g: (-4 * g * torch.sin(2 * args[0]),), {
                "zh": "多乘了一个 2：结果是正确梯度的 2 倍。(cos 2x)′ = −2 sin 2x，内层的 2 只乘一次。",
                "en": "One factor of 2 too many: the result is twice the right gradient. (cos 2x)′ = −2 sin 2x; the "
                      "inner 2 counts once."}),
        ]),
    AutogradFunctionExercise(
        "ch09.scaled_matmul", "ScaledMatMul", cases=scaled_matmul_cases, reference=scaled_matmul_grads,
        forward=lambda args, grad_output: args[2] * args[0] @ args[1],
        success={"zh": "三个输入，三个返回值：α·grad_output·Wᵀ、α·Xᵀ·grad_output，以及 alpha 对应的 None；形状与 X、W 相同。",
                 "en": "Three inputs, three return values: α·grad_output·Wᵀ, α·Xᵀ·grad_output, and None for alpha; "
                       "the shapes match X and W."},
        error_mistakes=[
            (r"returned an incorrect number of gradients", {
                "zh": "返回的梯度个数不对：forward 有 3 个输入（X、W、alpha），backward 就要按顺序返回 3 个值；"
                      "alpha 只是一个数，对应位置返回 None。",
                "en": "Wrong number of gradients returned: forward has 3 inputs (X, W, alpha), so backward returns 3 "
                      "values in that order; alpha is a plain number and gets None."}),
            (r"returned an invalid gradient at index", {
                "zh": "梯度的形状不对：每个梯度要与对应的输入同形。Y = αXW 时 ∂L/∂X = α·grad_output·Wᵀ（形状同 X），"
                      "∂L/∂W = α·Xᵀ·grad_output（形状同 W）；grad_outputᵀ·X 是它的转置。",
                "en": "A gradient has the wrong shape: each gradient has its input's shape. For Y = αXW, "
                      "∂L/∂X = α·grad_output·Wᵀ (shaped like X) and ∂L/∂W = α·Xᵀ·grad_output (shaped like W); "
                      "grad_outputᵀ·X is its transpose."}),
        ],
        mistakes=[
            (lambda args, g: (g @ args[1].T, args[0].T @ g), {
                "zh": "漏了因子 alpha：Y = αXW，两个梯度都要乘 α（存在 ctx.alpha 里）。",
                "en": "The factor alpha is missing: Y = αXW, so both gradients are multiplied by α (kept in "
                      "ctx.alpha)."}),
            (lambda args, g: (-args[2] * g @ args[1].T, -args[2] * args[0].T @ g), {
                "zh": "两个梯度的符号都反了：Y = αXW 对 X、W 是线性的，梯度就是 α·grad_output·Wᵀ 和 α·Xᵀ·grad_output，没有负号。",
                "en": "Both gradients have the wrong sign: Y = αXW is linear in X and W, and the gradients are "
                      "α·grad_output·Wᵀ and α·Xᵀ·grad_output, with no minus sign."}),
        ]),
    AutogradFunctionExercise(
        "ch09.softplus_saved_output", "SoftplusFromOutput", cases=softplus_cases, reference=softplus_grad,
        forward=lambda args, grad_output: softplus_of(args[0]), rules=[ONLY_SAVED_OUTPUT],
        success={"zh": "只靠保存的输出 y 就写出了导数：σ(x) = 1 − e^(−y)，乘上 grad_output。",
                 "en": "You wrote the derivative from the saved output y alone: σ(x) = 1 − e^(−y), times "
                       "grad_output."},
        error_mistakes=[  # each only where the source shows it means "backward used what forward did not save"
            (r"Backward' object has no attribute|saved_tensors", UNSAVED),
            (r"not enough values to unpack|too many values to unpack", UNSAVED, {"source": r"saved_tensors"}),
            # an undefined name that is a parameter or a variable of forward (not a missing import)
            (r"name '(\w+)' is not defined", UNSAVED, {"source": r"def forward\([^)]*\b<name>\b|^\s+<name>\s*="}),
        ],
        mistakes=[
            (lambda args, g: (g * torch.sigmoid(softplus_of(args[0])),), {
                "zh": "你把保存的 y 当成了 x：σ(y) 不是 σ(x)。forward 只存了输出 y = softplus(x)，"
                      "导数要用 y 表示：σ(x) = 1 − e^(−y)。",
                "en": "You treated the saved y as x: σ(y) is not σ(x). forward saved only the output "
                      "y = softplus(x); write the derivative in terms of y: σ(x) = 1 − e^(−y)."}),
            (lambda args, g: (torch.sigmoid(args[0]),), {
                "zh": "导数对了，但忘了乘 grad_output（链式法则）：要返回 grad_output · σ(x)。",
                "en": "The derivative is right, but you forgot to multiply by grad_output (the chain rule): return "
                      "grad_output · σ(x)."}),
            (lambda args, g: (g * torch.exp(-softplus_of(args[0])),), {
                "zh": "你返回的是 e^(−y) = 1 − σ(x)，也就是 σ(−x)：少了“1 −”。σ(x) = 1 − e^(−y)。",
                "en": "You returned e^(−y) = 1 − σ(x), which is σ(−x): the \"1 −\" is missing. "
                      "σ(x) = 1 − e^(−y)."}),
        ]),
    ValueExercise(
        "ch09.ste_grad", "ste_grad", expected=torch.tensor([3.0, 6.0, 9.0]),
        success={"zh": "直通估计器把 grad_output 原样传回：∂L/∂(3x) = w，再乘内层的 3，得到 3w = [3, 6, 9]。",
                 "en": "The straight-through estimator passes grad_output back unchanged: ∂L/∂(3x) = w, times the "
                       "inner 3, gives 3w = [3, 6, 9]."},
        mistakes=[
            (torch.zeros(3), {"zh": "全是 0 是 torch.round 自己的梯度；RoundSTE 的 backward 把 grad_output 原样传回，不是 0。",
                              "en": "All zeros is torch.round's own gradient; RoundSTE's backward passes grad_output "
                                    "back unchanged, not 0."}),
            (torch.tensor([1.0, 2.0, 3.0]), {
                "zh": "[1, 2, 3] 只是传到 RoundSTE 输出的 grad_output（w）；输入是 3 * x，还要乘内层的 3。",
                "en": "[1, 2, 3] is only the grad_output reaching RoundSTE's output (w); the input is 3 * x, so "
                      "multiply by the inner 3."}),
            (torch.full((3,), 3.0), {
                "zh": "[3, 3, 3] 忘了权重 w：损失是 (RoundSTE.apply(3 * x) * w).sum()，grad_output 是 w，不是全 1。",
                "en": "[3, 3, 3] forgets the weights w: the loss is (RoundSTE.apply(3 * x) * w).sum(), so "
                      "grad_output is w, not all ones."}),
        ]),
    ChoiceExercise(
        "ch09.float32_gradcheck", "answer",
        options={"A": "backward 写错了：换成 float64 也会报同样的错。",
                 "B": "gradcheck 只支持 float64，float32 的输入它根本不算。",
                 "C": "float32 的梯度本来就不准，gradcheck 只是提醒你：训练时也应该全部改用 float64。",
                 "D": "float32 约 7 位有效数字，ε = 1e-6 的差分被舍入误差淹没，是误报。"},
        correct="D",
        explanations={
            "A": {"zh": "同一个 backward 用 float64 输入时 gradcheck 通过（第 9 章 9.4 节）；失败来自 float32 的差分，不是 backward。",
                  "en": "The same backward passes gradcheck with float64 inputs (chapter 9, section 9.4); the failure "
                        "comes from float32 finite differences, not from backward."},
            "B": {"zh": "gradcheck 会算 float32 的输入，只是先发出警告（not a double precision floating point），"
                        "然后通常报 Jacobian mismatch。",
                  "en": "gradcheck does run on float32 inputs; it first warns (not a double precision floating "
                        "point) and then usually reports a Jacobian mismatch."},
            "C": {"zh": "autograd 的 float32 梯度与 float32 的前向一样准；不准的是 gradcheck 用来对照的有限差分。"
                        "训练照常用 float32，只有梯度检验用 float64。",
                  "en": "autograd's float32 gradients are as accurate as the float32 forward pass; what is inaccurate "
                        "is gradcheck's finite-difference reference. Train in float32 as usual; only gradient checks "
                        "need float64."},
            "D": {"zh": "中心差分 (f(x+ε) − f(x−ε)) / 2ε 在 ε = 1e-6 时，float32 的舍入误差约 1e-7 · |f| / 1e-6，"
                        "与导数本身同一量级；float64 约有 16 位有效数字，才够用。",
                  "en": "With ε = 1e-6, the central difference (f(x+ε) − f(x−ε)) / 2ε carries a float32 rounding "
                        "error of about 1e-7 · |f| / 1e-6, the size of the derivative itself; float64, with about 16 "
                        "significant digits, is precise enough."},
        }),
]
