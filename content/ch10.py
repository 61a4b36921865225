"""Exercises for chapter 10 (notebooks/10_training_loop): autograd inside a training loop."""
import torch

from content.kinds import FROM_AUTOGRAD, LeafFunctionExercise
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.checking.rules import dtype, forbid


# --- ch10.train_by_hand -----------------------------------------------------------------------------------------

def regression_cases(generator):
    """(w, b, X, y, lr, steps): a linear model's start, 8 samples of 3 features, learning rate, step count."""
    fixed = (torch.zeros(3), torch.tensor(0.0), torch.arange(24.0).reshape(8, 3) / 10 - 1, torch.linspace(-1, 2, 8),
             0.1, 5)
    randoms = [(torch.randn(3, generator=generator), torch.randn((), generator=generator),
                torch.randn(8, 3, generator=generator), torch.randn(8, generator=generator), lr, steps)
               for lr, steps in ((0.05, 4), (0.2, 3))]
    return [fixed] + randoms


def train_linear(w, b, X, y, lr, steps, zero=True, sign=1.0):
    w, b = w.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True)
    for _ in range(steps):
        loss = ((X @ w + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= sign * lr * w.grad
            b -= sign * lr * b.grad
        if zero:
            w.grad.zero_()
            b.grad.zero_()
    return w.detach(), b.detach()


STEP_IN_GRAPH = {
    "zh": "更新参数的那一步被记录进了计算图（没有放进 torch.no_grad()）：原地的 w -= lr * w.grad 对需要梯度的叶子报错；"
          "w = w - lr * w.grad 把 w 变成非叶子，下一步它的 .grad 是 None。把更新写进 with torch.no_grad(): 并用原地运算。",
    "en": "The update step was recorded in the graph (it is not inside torch.no_grad()): an in-place w -= lr * w.grad "
          "on a leaf that requires grad raises, and w = w - lr * w.grad turns w into a non-leaf whose .grad is None at "
          "the next step. Put the update inside with torch.no_grad(): and update in place.",
}
NEW_TENSOR_UNDER_NO_GRAD = {
    "zh": "在 torch.no_grad() 里写 w = w - lr * w.grad 造出了一个新张量，它不要求梯度，下一次 loss 就与参数无关了。"
          "在 no_grad 里要原地更新：w -= lr * w.grad。",
    "en": "Inside torch.no_grad(), w = w - lr * w.grad made a new tensor that does not require grad, so the next loss "
          "no longer depends on the parameters. Update in place inside no_grad: w -= lr * w.grad.",
}
FORGOT_ZERO = {
    "zh": "忘了清零梯度：每一步的 .grad 里都还留着前面所有步的梯度，更新用的是它们的和。每步更新之后 w.grad.zero_()"
          "（或 w.grad = None），用优化器时每步先 optimizer.zero_grad()。",
    "en": "You forgot to zero the gradients: each step's .grad still holds every earlier step's gradient, and the "
          "update uses their sum. Call w.grad.zero_() (or w.grad = None) after each update, or "
          "optimizer.zero_grad() at the start of each step with an optimizer.",
}

REBINDS = r"^\s*(\w+)\s*=\s*\1\s*-"  # w = w - lr * w.grad: a new tensor instead of an in-place update
NO_OPTIM = forbid(modules=["torch.optim"], says={
    "zh": "不许用 `torch.optim`，无论怎样写（用 `getattr`、`eval`、`importlib` 拼出来的名字也算）：更新和清零都自己写。",
    "en": "No `torch.optim`, however it is reached (names assembled at run time for `getattr`, `eval` or `importlib` "
          "count too): write the update and the zeroing yourself."})


# --- ch10.freeze ------------------------------------------------------------------------------------------------

def finetune_cases(generator):
    """(W1, W2, X, y, lr, steps): a frozen first layer (4, 3), a trainable head (4,), data, lr, step count."""
    fixed = (torch.arange(12.0).reshape(4, 3) / 6 - 1, torch.tensor([0.5, -0.5, 1.0, 0.0]),
             torch.arange(24.0).reshape(8, 3) / 12 - 1, torch.linspace(-1, 1, 8), 0.1, 4)
    randoms = [(torch.randn(4, 3, generator=generator), torch.randn(4, generator=generator),
                torch.randn(8, 3, generator=generator), torch.randn(8, generator=generator), lr, steps)
               for lr, steps in ((0.05, 5), (0.2, 3))]
    return [fixed] + randoms


def finetune_model(W1, W2, X, y, lr, steps, train_first=False, zero=True):
    W1 = W1.detach().clone().requires_grad_(train_first)
    W2 = W2.detach().clone().requires_grad_(True)
    optimizer = torch.optim.SGD([W1, W2] if train_first else [W2], lr=lr, momentum=0.9)
    for _ in range(steps):
        if zero:
            optimizer.zero_grad()
        loss = ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean()
        loss.backward()
        optimizer.step()
    return W1.detach(), W2.detach()


# --- ch10.leaf_grad ---------------------------------------------------------------------------------------------

def leaf_cases(generator):
    return [(torch.tensor([1.0, -2.0, 0.5]),), (torch.randn(5, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


FLOAT64 = dtype("float64", says={
    "zh": "参数 `w` 必须是 float64，所以返回的梯度 `w.grad` 也是 float64。",
    "en": "The parameter `w` must be float64, so the gradient `w.grad` you return is float64 too."})


def leaf_grad(values):
    w = values.detach().to(torch.float64).requires_grad_(True)
    (w ** 3).sum().backward()
    return w.grad


EXERCISES = [
    FunctionExercise(
        "ch10.train_by_hand", "train", cases=regression_cases, reference=train_linear,
        success={"zh": "每一步：前向、backward、在 torch.no_grad() 里原地更新、清零梯度。这正是 optim.SGD 做的事。",
                 "en": "Each step: forward, backward, an in-place update inside torch.no_grad(), zero the gradients. "
                       "That is exactly what optim.SGD does."},
        rules=[FROM_AUTOGRAD, NO_OPTIM],
        error_mistakes=[
            (r"leaf Variable that requires grad is being used in an in-place operation", STEP_IN_GRAPH),
            # a .grad that is None, or a tensor that lost its graph: the update's fault only where the answer
            # rebinds a parameter (w = w - ...); a missing requires_grad says the same
            (r"unsupported operand type\(s\) for \*: 'float' and 'NoneType'|'NoneType' object has no attribute",
             STEP_IN_GRAPH, {"source": REBINDS}),
            (r"does not require grad and does not have a grad_fn", NEW_TENSOR_UNDER_NO_GRAD,
             {"source": [REBINDS, r"no_grad"]}),
        ],
        mistakes=[
            (lambda w, b, X, y, lr, steps: train_linear(w, b, X, y, lr, steps, zero=False), FORGOT_ZERO),
            (lambda w, b, X, y, lr, steps: train_linear(w, b, X, y, lr, steps, sign=-1.0), {
                "zh": "更新的方向反了：梯度下降是 w ← w − lr · ∇L，你做的是梯度上升（加上了梯度），损失会越来越大。",
                "en": "The update goes the wrong way: gradient descent is w ← w − lr · ∇L; you did gradient ascent "
                      "(adding the gradient), and the loss grows."}),
            (lambda w, b, X, y, lr, steps: (w, b), {
                "zh": "返回的还是初始的 w 和 b：参数没有被更新。在 torch.no_grad() 里写 w -= lr * w.grad（b 同样），"
                      "并返回更新后的张量。",
                "en": "You returned the initial w and b: the parameters were never updated. Inside torch.no_grad() "
                      "write w -= lr * w.grad (and the same for b), and return the updated tensors."}),
        ]),
    FunctionExercise(
        "ch10.freeze", "finetune", cases=finetune_cases, reference=finetune_model,
        success={"zh": "W1 冻结（requires_grad=False，.grad 一直是 None，优化器不动它），只有 W2 被 SGD 训练。",
                 "en": "W1 is frozen (requires_grad=False, its .grad stays None and the optimizer leaves it alone); "
                       "only W2 is trained by SGD."},
        mistakes=[
            (lambda W1, W2, X, y, lr, steps: finetune_model(W1, W2, X, y, lr, steps, train_first=True), {
                "zh": "冻结的层仍被更新了：W1 变了。W1 不要 requires_grad（或 requires_grad_(False)），"
                      "只把 W2 交给优化器：torch.optim.SGD([W2], lr=lr, momentum=0.9)。",
                "en": "The frozen layer was still updated: W1 changed. Do not let W1 require grad (or call "
                      "requires_grad_(False)), and give the optimizer only W2: "
                      "torch.optim.SGD([W2], lr=lr, momentum=0.9)."}),
            (lambda W1, W2, X, y, lr, steps: finetune_model(W1, W2, X, y, lr, steps, zero=False), FORGOT_ZERO),
            (lambda W1, W2, X, y, lr, steps: (W1, W2), {
                "zh": "W2 也没有变：什么都没训练。每一步要 loss.backward() 再 optimizer.step()，而且 W2 要 requires_grad=True。",
                "en": "W2 did not change either: nothing was trained. Each step needs loss.backward() then "
                      "optimizer.step(), and W2 must require grad."}),
        ]),
    LeafFunctionExercise(
        "ch10.leaf_grad", "param_grad", cases=leaf_cases, reference=leaf_grad, rules=[FROM_AUTOGRAD, FLOAT64],
        success={"zh": "先转成 float64，最后才 requires_grad_()：w 是叶子，backward 把 3w² 放进了 w.grad。",
                 "en": "Convert to float64 first and call requires_grad_() last: w is a leaf, and backward puts 3w² "
                       "into w.grad."},
        none_mistake={
            "zh": "如果返回的是 w.grad，那么你的 w 不是叶子。先 requires_grad 再 .to(torch.float64) / .double() / * 1，"
                  "得到的是转换运算的结果（grad_fn=ToCopyBackward0 之类），梯度只留在转换之前的那个张量上。"
                  "最后一步再设 requires_grad：values.double().requires_grad_()。",
            "en": "If you returned w.grad, your w is not a leaf. requires_grad first and then .to(torch.float64) / "
                  ".double() / * 1 gives the result of a conversion (grad_fn=ToCopyBackward0 or similar); the gradient "
                  "stays on the tensor before the conversion. Set requires_grad last: values.double().requires_grad_()."}),
    ValueExercise(
        "ch10.clip", "g1_clipped", expected=torch.tensor([1.5, 2.0]),
        success={"zh": "总范数 √(3² + 4² + 12²) = 13 > 6.5，所有梯度都乘以 6.5 / 13 = 0.5：g1 = [1.5, 2]。",
                 "en": "The total norm √(3² + 4² + 12²) = 13 > 6.5, so every gradient is multiplied by 6.5 / 13 = "
                       "0.5: g1 = [1.5, 2]."},
        mistakes=[
            (torch.tensor([3.0, 4.0]), {
                "zh": "[3, 4] 是把每个参数单独裁剪（‖g1‖ = 5 < 6.5，不变）；clip_grad_norm_ 用的是所有参数合起来的总范数 13。",
                "en": "[3, 4] clips each parameter on its own (‖g1‖ = 5 < 6.5, unchanged); clip_grad_norm_ uses the "
                      "total norm of all parameters together, 13."}),
            (torch.tensor([0.6, 0.8]), {
                "zh": "[0.6, 0.8] 是把 g1 归一化成长度 1；裁剪是缩放到总范数 max_norm = 6.5，因子是 6.5 / 13。",
                "en": "[0.6, 0.8] normalizes g1 to length 1; clipping scales to a total norm of max_norm = 6.5, a "
                      "factor of 6.5 / 13."}),
            (torch.tensor([3.0, 4.0]) * 6.5 / 17, {
                "zh": "总范数不是各参数范数之和（5 + 12 = 17），而是把所有梯度看成一个长向量的长度：√(3² + 4² + 12²) = 13。",
                "en": "The total norm is not the sum of the parameters' norms (5 + 12 = 17) but the length of all "
                      "gradients seen as one long vector: √(3² + 4² + 12²) = 13."}),
        ]),
    ChoiceExercise(
        "ch10.eval_no_grad", "answer",
        options={"A": "model.eval() 就够了：它会关掉梯度记录，输出不再要求梯度。",
                 "B": "两个都要：eval() 让 Dropout 不再随机置零，no_grad() 让 autograd 不记录图。",
                 "C": "torch.no_grad() 就够了：它也会把 Dropout 切换成推理模式。",
                 "D": "两个都不需要：评估时不调用 backward()，所以 autograd 不会记录任何东西，Dropout 也不会起作用。"},
        correct="B",
        explanations={
            "A": {"zh": "eval() 只改变层的行为（Dropout、BatchNorm）；输出照样 requires_grad=True、带着 grad_fn，图照样被记录。",
                  "en": "eval() only changes how layers behave (Dropout, BatchNorm); the output still has "
                        "requires_grad=True and a grad_fn, and the graph is still recorded."},
            "B": {"zh": "两者管不同的事：eval() 管层的行为，no_grad() 管 autograd。评估时两个都用，结果确定，也不白白保存中间值。",
                  "en": "They govern different things: eval() the layers' behavior, no_grad() autograd. Use both for "
                        "evaluation: deterministic results and no intermediate values kept for nothing."},
            "C": {"zh": "no_grad() 只关掉记录；在 train() 模式下 Dropout 仍然随机置零，两次前向的结果不同（第 10 章 10.6 节）。",
                  "en": "no_grad() only stops recording; in train() mode Dropout still zeroes at random, and two "
                        "forward passes differ (chapter 10, section 10.6)."},
            "D": {"zh": "不调用 backward() 也会记录图、保存中间值（占内存）；train() 模式下 Dropout 照样随机置零。",
                  "en": "Without backward() the graph is still recorded and intermediate values kept (memory); in "
                        "train() mode Dropout still zeroes at random."},
        }),
]
