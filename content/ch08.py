"""Exercises for chapter 8: each gives a snippet that raises one of the chapter's errors; the student fixes it."""
import torch

from content.kinds import FROM_AUTOGRAD, LeafUpdateExercise
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.checking.rules import returns_argument


def fresh_leaf(x):
    return x.detach().clone().requires_grad_(True)


# --- ch08.fixed_nonscalar ---------------------------------------------------------------------------------------

def several_entries_cases(generator):
    # Never a single entry: there the gradients of the sum and of the mean coincide.
    return [(torch.arange(4.0),), (torch.tensor([[1.0, -2.0], [0.5, 3.0]]),), (torch.randn(5, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


def gradient_of(reduce, x):
    x = fresh_leaf(x)
    reduce(x * x).backward()
    return x.grad


# --- ch08.fixed_backward_twice ------------------------------------------------------------------------------------

def cube_cases(generator):
    return [(torch.tensor([1.0, 2.0]),), (torch.tensor(-1.5),), (torch.randn(4, generator=generator),),
            (torch.randn(2, 2, generator=generator),)]


def backward_twice(x):
    x = fresh_leaf(x)
    y = (x ** 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    return x.grad


# --- ch08.fixed_inplace_leaf --------------------------------------------------------------------------------------

def sgd_cases(generator):
    # Never lr = 0.5: there w - lr·2w = 0 and w + lr·2w = 2w, the gradient itself.
    return [(torch.tensor([1.0, -2.0], requires_grad=True), 0.1), (torch.tensor(3.0, requires_grad=True), 0.25),
            (torch.randn(5, generator=generator).requires_grad_(), 0.05),
            (torch.randn(2, 3, generator=generator).requires_grad_(), 0.3)]


def sgd_step(w, lr):
    loss = (w ** 2).sum()
    loss.backward()
    with torch.no_grad():
        w -= lr * w.grad
    w.grad.zero_()
    return w


# --- ch08.fixed_numpy -----------------------------------------------------------------------------------------------

def sin_cases(generator):
    return [(torch.linspace(0, 3, 4),), (torch.tensor(0.5),), (3 * torch.randn(6, generator=generator),),
            (torch.randn(2, 3, generator=generator),)]


def values_and_grad(x):
    x = fresh_leaf(x)
    y = torch.sin(x)
    values = y.detach()
    y.sum().backward()
    return values, x.grad


NONE_BEFORE_BACKWARD = {
    "zh": "x.grad 要在 backward() 之后才有值（y 不是叶子张量，它没有 .grad）。"
          "让 x 需要梯度，对标量 y.sum() 调用 backward()，再返回 x.grad。",
    "en": "x.grad is only filled in by backward() (y is not a leaf, it has no .grad). Make x require grad, call "
          "backward() on the scalar y.sum(), then return x.grad."}
SAME_W = returns_argument(0, says={
    "zh": "返回的必须是传进来的那个 `w` 本身（原地更新），不能是新建的张量，哪怕它也是叶子。",
    "en": "Return the very `w` you were given, updated in place, not a new tensor, even if that is a leaf too."})

EXERCISES = [
    FunctionExercise(
        "ch08.fixed_nonscalar", "fixed_nonscalar", cases=several_entries_cases,
        reference=lambda x: gradient_of(torch.sum, x), rules=[FROM_AUTOGRAD],
        success={"zh": "先求和得到标量（或传入 gradient=torch.ones_like(y)），backward() 就能运行：Σxᵢ² 的梯度是 2x。",
                 "en": "Summing first gives a scalar (or pass gradient=torch.ones_like(y)), so backward() runs: "
                       "the gradient of Σxᵢ² is 2x."},
        mistakes=[
            (lambda x: gradient_of(torch.mean, x), {
                "zh": "结果是正确梯度的 1/n：你对 y.mean() 反向传播了；题目要的是 y.sum() 的梯度。",
                "en": "The result is 1/n of the right gradient: you backpropagated from y.mean(); the exercise asks "
                      "for the gradient of y.sum()."}),
            (lambda x: x * x, {
                "zh": "你返回的是 y = x * x 的值，不是梯度：对 y.sum() 调用 backward()，再返回 x.grad。",
                "en": "You returned the value y = x * x, not the gradient: call backward() on y.sum(), then return "
                      "x.grad."}),
        ],
        none_mistake=NONE_BEFORE_BACKWARD),
    FunctionExercise(
        "ch08.fixed_backward_twice", "fixed_backward_twice", cases=cube_cases, reference=backward_twice,
        rules=[FROM_AUTOGRAD],
        success={"zh": "第一次 backward(retain_graph=True) 保留了保存的中间值，第二次才能运行；两次的梯度累加：2·3x² = 6x²。",
                 "en": "backward(retain_graph=True) keeps the saved values, so the second pass can run; the two "
                       "gradients accumulate: 2·3x² = 6x²."},
        mistakes=[
            (lambda x: 3 * x ** 2, {
                "zh": "结果是 3x²，只有一次反向传播的梯度：题目要的是两次反向传播之后的 x.grad，梯度会累加成 6x²。"
                      "别删掉第二次 backward()，也别在两次之间清零，而是第一次加 retain_graph=True。",
                "en": "The result is 3x², the gradient of a single pass: the exercise asks for x.grad after both "
                      "passes, which accumulate to 6x². Keep the second backward(), do not zero in between; pass "
                      "retain_graph=True the first time."}),
            (lambda x: x ** 3, {
                "zh": "你返回的是 y = x³ 的值，不是梯度 x.grad。",
                "en": "You returned the value y = x³, not the gradient x.grad."}),
        ],
        none_mistake=NONE_BEFORE_BACKWARD),
    LeafUpdateExercise(
        "ch08.fixed_inplace_leaf", "fixed_inplace_leaf", cases=sgd_cases, reference=sgd_step,
        rules=[FROM_AUTOGRAD, SAME_W],
        success={"zh": "在 torch.no_grad() 中原地更新：w 仍是同一个需要梯度的叶子张量，梯度清零后可以进行下一步训练；"
                       "∇Σw² = 2w，所以新的 w 是 (1 − 2·lr)·w。",
                 "en": "Updating in place under torch.no_grad() keeps w the same leaf that requires grad, and with "
                       "its gradient cleared the next training step can run; ∇Σw² = 2w, so the new w is "
                       "(1 − 2·lr)·w."},
        mistakes=[
            (lambda w, lr: 2 * w.detach(), {
                "zh": "你返回的是梯度 w.grad = 2w，不是更新后的 w：在 torch.no_grad() 中执行 w -= lr * w.grad，再返回 w。",
                "en": "You returned the gradient w.grad = 2w, not the updated w: run w -= lr * w.grad under "
                      "torch.no_grad(), then return w."}),
            (lambda w, lr: (1 + 2 * lr) * w.detach(), {
                "zh": "w 朝梯度的方向走了（w + lr·∇）：梯度下降要减去 lr * w.grad。",
                "en": "w moved along the gradient (w + lr·∇): gradient descent subtracts lr * w.grad."}),
            (lambda w, lr: -w.detach(), {
                "zh": "结果是 w − 2w = −w：忘了乘学习率 lr，应该是 w -= lr * w.grad。",
                "en": "The result is w − 2w = −w: the learning rate is missing; it should be w -= lr * w.grad."}),
            (lambda w, lr: w.detach().clone(), {
                "zh": "w 没有变：更新作用在了副本上（例如 w.clone()），或者根本没有执行。要原地修改 w 本身。",
                "en": "w did not change: the update went to a copy (such as w.clone()) or never ran. Change w "
                      "itself, in place."}),
        ],
        leaf_problems={
            "no_grad": {
                "zh": "数值对了，但返回的 w 不再需要梯度（或者不是张量）：detach() 或 .item() 之后的结果不能继续训练；"
                      "在 torch.no_grad() 中原地更新 w 本身，再返回 w。",
                "en": "The values are right, but the returned w no longer requires grad (or is not a tensor): a "
                      "detached result cannot be trained further; update w itself in place under "
                      "torch.no_grad() and return w."},
            "not_leaf": {
                "zh": "数值对了，但返回的是一个新的非叶子张量（像 w = w - lr * w.grad 那样算出来的）：下一次 backward() "
                      "不会填充它的 .grad。在 torch.no_grad() 中写 w -= lr * w.grad，w 才仍是原来的叶子张量。",
                "en": "The values are right, but you returned a new, non-leaf tensor (computed like "
                      "w = w - lr * w.grad): the next backward() will not fill its .grad. Write w -= lr * w.grad "
                      "under torch.no_grad(), so that w stays the original leaf."},
            "grad_not_cleared": {
                "zh": "w 更新对了，但 w.grad 没有清零：下一次 backward() 会把新梯度累加到旧梯度上。"
                      "更新后调用 w.grad.zero_()（或令 w.grad = None）。",
                "en": "w is updated correctly, but w.grad was not cleared: the next backward() would add the new "
                      "gradient to the old one. Call w.grad.zero_() (or set w.grad = None) after the update."},
        },
        error_mistakes=[
            (r"a leaf Variable that requires grad is being used in an in-place operation", {
                "zh": "还是那条报错：更新 w -= lr * w.grad 仍在自动求导记录时执行。把这一行放进 with torch.no_grad(): 块里。",
                "en": "Still the same error: the update w -= lr * w.grad runs while autograd is recording. Put that "
                      "line inside a with torch.no_grad(): block."}),
        ]),
    FunctionExercise(
        "ch08.fixed_numpy", "fixed_numpy", cases=sin_cases, reference=values_and_grad, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "y.detach() 只取数值、不带计算图（之后可以 .numpy() 画图），而 y 本身还在图里，backward() 照常得到 cos x。",
                 "en": "y.detach() takes the values without the graph (ready for .numpy() and plotting), while y "
                       "itself stays in the graph and backward() still gives cos x."},
        mistakes=[
            (lambda x: values_and_grad(x)[::-1], {
                "zh": "两个结果的顺序反了：先返回 sin x 的数值，再返回 x.grad。",
                "en": "The two results are swapped: return the values of sin x first, then x.grad."}),
            (lambda x: (torch.sin(x), torch.sin(x)), {
                "zh": "第二个结果等于 sin x 本身：要返回的是 backward() 之后的 x.grad（也就是 cos x），不是函数值。",
                "en": "The second result equals sin x itself: return x.grad after backward() (that is cos x), not "
                      "the values."}),
        ]),
    ValueExercise(
        "ch08.retain_grad_value", "h_grad_value", expected=12.0,
        success={"zh": "retain_grad() 让非叶子张量 h 也保存梯度：∂y/∂h = 2h = 12（x.grad 则是 2h·3 = 36）。",
                 "en": "retain_grad() makes the non-leaf h keep its gradient: ∂y/∂h = 2h = 12 (x.grad is "
                       "2h·3 = 36)."},
        mistakes=[
            (36.0, {"zh": "36 是 x.grad（dy/dx = 2h·3）；h.grad 是 y 对 h 的导数 2h，不再乘 dh/dx = 3。",
                    "en": "36 is x.grad (dy/dx = 2h·3); h.grad is the derivative of y with respect to h, 2h, "
                          "without the factor dh/dx = 3."}),
            (6.0, {"zh": "6 是 h 本身的值（h = 3x），不是梯度。",
                   "en": "6 is the value of h itself (h = 3x), not a gradient."}),
            (3.0, {"zh": "3 是 dh/dx，是 h 对 x 的导数；h.grad 存的是 y 对 h 的导数 ∂y/∂h。",
                   "en": "3 is dh/dx, the derivative of h with respect to x; h.grad holds ∂y/∂h, the derivative of "
                         "y with respect to h."}),
        ]),
    ChoiceExercise(
        "ch08.which_message", "answer_which_message",
        options={"A": "grad can be implicitly created only for scalar outputs",
                 "B": "element 0 of tensors does not require grad and does not have a grad_fn",
                 "C": "a leaf Variable that requires grad is being used in an in-place operation.",
                 "D": "Trying to backward through the graph a second time"},
        correct="B",
        explanations={
            "A": {"zh": "loss 是 mean() 的结果，已经是标量；这条信息只在对非标量调用不带参数的 backward() 时出现。",
                  "en": "loss comes from mean(), so it is already a scalar; this message appears only when "
                        "backward() without an argument is called on a non-scalar."},
            "B": {"zh": "torch.no_grad() 中什么都不记录：loss 不需要梯度、没有 grad_fn，反向传播无从开始。"
                        "把要反向传播的计算移到 no_grad 外面。",
                  "en": "Nothing is recorded under torch.no_grad(): loss neither requires grad nor has a grad_fn, "
                        "so backward has nowhere to start. Move the computation you backpropagate through outside "
                        "no_grad."},
            "C": {"zh": "这段代码没有原地修改 w；这条信息来自在 no_grad 之外执行 w -= lr * w.grad 这类更新。",
                  "en": "This code changes w nowhere in place; that message comes from updates like "
                        "w -= lr * w.grad outside no_grad."},
            "D": {"zh": "backward() 只调用了一次；而且这条信息需要一张已被释放的计算图，这里根本没有记录计算图。",
                  "en": "backward() is called only once; and that message needs a graph whose saved values were "
                        "freed, while here no graph was recorded at all."},
        }),
]
