"""Exercises for chapter 2 (notebooks/02_zeroing_gradients): accumulation, zeroing, backward twice, micro-batches."""
import torch

from content.kinds import FROM_AUTOGRAD
from helpers.checking.kinds import ChoiceExercise, FunctionExercise, ValueExercise
from helpers.checking.parts import declare as declare_parts


def vectors(generator):
    """Fixed edge cases then seeded random vectors of fixed lengths."""
    return [(torch.arange(4.0),), (torch.zeros(3),), (torch.tensor([-1.5, 2.0, -0.25]),),
            (torch.randn(5, generator=generator),), (torch.randn(8, generator=generator) * 3,)]


def three_grads(x):
    x = x.detach().clone().requires_grad_(True)
    grads = []
    for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
        x.grad = None
        loss.backward()
        grads.append(x.grad)
    return tuple(grads)


def batches(generator):
    """(w, X, y, k): w a leaf that requires grad, 8 samples of 3 features, k micro-batches."""
    fixed = (torch.tensor([1.0, -1.0, 0.5], requires_grad=True), torch.arange(24.0).reshape(8, 3) / 10,
             torch.ones(8), 2)
    randoms = [(torch.randn(3, generator=generator).requires_grad_(True), torch.randn(8, 3, generator=generator),
                torch.randn(8, generator=generator), k) for k in (4, 8, 1)]
    return [fixed] + randoms


def full_batch_grad(w, X, y, k):
    w = w.detach().clone().requires_grad_(True)
    ((X @ w - y) ** 2).mean().backward()
    return w.grad


def last_batch_grad(w, X, y, k, scale):
    """The gradient left after zeroing between micro-batches: only the last one counts."""
    w = w.detach().clone().requires_grad_(True)
    X_last, y_last = X.chunk(k)[-1], y.chunk(k)[-1]
    (((X_last @ w - y_last) ** 2).mean() * scale(k)).backward()
    return w.grad


EXERCISES = [
    ChoiceExercise(
        "ch02.backward_twice", "answer",
        options={"A": "第二次 backward 抛出 RuntimeError", "B": "x.grad 变成 [0, 8, 16, 24]（两次的梯度累加）",
                 "C": "x.grad 仍是 [0, 4, 8, 12]（第二次不起作用）", "D": "x.grad 被清零"},
        correct="A",
        explanations={
            "A": {"zh": "报错是 “Trying to backward through the graph a second time”：torch.dot 为反向传播保存了 x，"
                        "第一次 backward 之后这些中间值被释放，再对同一张图 backward 就报这个错误。要么 "
                        "retain_graph=True，要么重新前向计算 y。（像 x.sum() 这种不保存张量的图，反向传播两次不报错，"
                        "梯度直接累加。）",
                  "en": "The error is 'Trying to backward through the graph a second time': torch.dot saved x for the "
                        "backward pass; after the first backward those values are freed and a second backward "
                        "through the same graph raises. Use retain_graph=True or recompute y. (A graph that saves "
                        "nothing, such as x.sum(), can be backpropagated twice: the gradients just add up.)"},
            "B": {"zh": "如果第一次用了 backward(retain_graph=True)，第二次确实会累加成 [0, 8, 16, 24]；但这里没有保留"
                        "计算图：dot 保存的 x 在第一次反向传播后就被释放了，第二次直接报错。",
                  "en": "With backward(retain_graph=True) the first time, the second call would indeed accumulate to "
                        "[0, 8, 16, 24]; but the graph was not retained: the x saved by dot was freed after the first "
                        "backward, so the second call raises."},
            "C": {"zh": "backward 从不覆盖 .grad，只会往上加；而且这里第二次调用根本没有成功，它报错了。",
                  "en": "backward never overwrites .grad, it adds to it; and here the second call does not even "
                        "succeed: it raises."},
            "D": {"zh": "backward 不会清零任何东西，清零要自己做（x.grad.zero_() 或 x.grad = None）；这里第二次调用报错。",
                  "en": "backward zeroes nothing; zeroing is up to you (x.grad.zero_() or x.grad = None); here the "
                        "second call raises."},
        },
    ),
    ValueExercise(
        "ch02.no_zero", "grad_without_zero", expected=torch.tensor([1.0, 5.0, 9.0, 13.0]),
        success={"zh": "没有清零，第二次的梯度 [1, 1, 1, 1] 加到了第一次的 4x = [0, 4, 8, 12] 上。",
                 "en": "Without zeroing, the second gradient [1, 1, 1, 1] was added to the first one, "
                       "4x = [0, 4, 8, 12]."},
        mistakes=[
            (torch.ones(4), {"zh": "[1, 1, 1, 1] 是清零之后 x.sum() 的梯度；没有 x.grad.zero_() 时，它会加到之前的梯度上。",
                             "en": "[1, 1, 1, 1] is the gradient of x.sum() after zeroing; without x.grad.zero_() it "
                                   "is added to the earlier gradient."}),
            (torch.tensor([0.0, 4.0, 8.0, 12.0]),
             {"zh": "[0, 4, 8, 12] 只是第一次 backward 的梯度：第二次 backward 的结果会加上去，而不是被忽略。",
              "en": "[0, 4, 8, 12] is only the first backward's gradient: the second backward adds to it rather "
                    "than being ignored."}),
            (torch.tensor([0.0, 8.0, 16.0, 24.0]),
             {"zh": "[0, 8, 16, 24] 是 2xᵀx 的梯度加了两次；第二次反向传播的是 x.sum()，它的梯度是全 1。",
              "en": "[0, 8, 16, 24] is the gradient of 2xᵀx added twice; the second backward is of x.sum(), whose "
                    "gradient is all ones."}),
        ],
    ),
    FunctionExercise(
        "ch02.three_grads", "three_grads", cases=vectors, reference=three_grads, plain=True, rules=[FROM_AUTOGRAD],
        success={"zh": "每次 backward 之前都清零了，三个梯度互不干扰：2x、3、cos x。",
                 "en": "You cleared the gradient before each backward, so the three gradients do not mix: 2x, 3, "
                       "cos x."},
        mistakes=[
            (lambda x: (2 * x, 2 * x + 3, 2 * x + 3 + torch.cos(x)),
             {"zh": "第 2、3 个结果里还含着前面损失的梯度：两次 backward 之间没有清零，梯度累加了。",
              "en": "Results 2 and 3 still contain the earlier losses' gradients: you did not clear x.grad between "
                    "backward calls, so the gradients accumulated."}),
            (lambda x: (torch.cos(x),) * 3,
             {"zh": "三个结果都等于最后一个梯度 cos x：x.grad.zero_() 是原地操作，你保存的三次 x.grad 是同一个张量。"
                    "保存前用 .clone()，或者改用 x.grad = None 清零。",
              "en": "All three results equal the last gradient, cos x: x.grad.zero_() works in place, so the three "
                    "x.grad you kept are one and the same tensor. .clone() before keeping it, or clear with "
                    "x.grad = None."}),
            (lambda x: (2 * x + 3 + torch.cos(x),) * 3,
             {"zh": "三个结果都等于三个梯度之和：两次 backward 之间没有清零，而且你保存的三次 x.grad 是同一个张量"
                    "（backward 原地累加到它上面）。每次 backward 之前用 x.grad = None 清零。",
              "en": "All three results equal the sum of all three gradients: you did not clear x.grad between "
                    "backward calls, and the three x.grad you kept are one and the same tensor (backward adds to "
                    "it in place). Clear it with x.grad = None before each backward."}),
        ],
    ),
    ChoiceExercise(
        "ch02.retain_graph", "answer",
        options={"A": "retain_graph=True 让梯度累加；不加它，新的梯度会覆盖旧的",
                 "B": "retain_graph=True 保留上一次的梯度；不加它，backward 会先把 .grad 清零",
                 "C": "retain_graph=True 让图里保存的中间值不被释放，同一张图可以再 backward",
                 "D": "retain_graph=True 就是 create_graph=True，用来求高阶导数"},
        correct="C",
        explanations={
            "A": {"zh": "累加与 retain_graph 无关：x.sum().backward() 连续调用两次（不加 retain_graph）梯度同样相加。"
                        "backward 从不覆盖 .grad。",
                  "en": "Accumulation has nothing to do with retain_graph: x.sum().backward() called twice (without "
                        "retain_graph) adds up too. backward never overwrites .grad."},
            "B": {"zh": "backward 从不清零 .grad：清零只能自己做（x.grad.zero_() 或 x.grad = None）。",
                  "en": "backward never zeroes .grad: only you do that (x.grad.zero_() or x.grad = None)."},
            "C": {"zh": "retain_graph=True 让 backward 之后不释放图中保存的中间值，所以同一张图还能再反向传播；"
                        "每次 backward 都把梯度加到 .grad 上，这是 .grad 的默认行为，不管有没有 retain_graph 都一样。",
                  "en": "retain_graph=True keeps the graph's saved values after backward, so the same graph can be "
                        "backpropagated again; every backward adds to .grad, by default, with or without "
                        "retain_graph."},
            "D": {"zh": "create_graph=True 会把反向传播本身记录成计算图（用于高阶导数）；retain_graph=True 只保留"
                        "原图的中间值，不记录新的图。",
                  "en": "create_graph=True records the backward pass itself as a graph (for higher derivatives); "
                        "retain_graph=True only keeps the original graph's saved values and records nothing new."},
        },
    ),
    ValueExercise(
        "ch02.sequence", "grad_after_three", expected=torch.tensor([[10.8, 27.0], [27.0, 27.0]]),
        success={"zh": "三次反向传播的梯度依次相加：4.5 + 1.8 + 4.5 = 10.8，4.5 + 18 + 4.5 = 27。",
                 "en": "The three backward passes add up: 4.5 + 1.8 + 4.5 = 10.8 and 4.5 + 18 + 4.5 = 27."},
        mistakes=[
            (torch.full((2, 2), 4.5), {"zh": "全是 4.5：那只是一次 out.backward() 的梯度；三次 backward 的梯度会累加。",
                                       "en": "All 4.5: that is one out.backward(); the three backward calls add up."}),
            (torch.tensor([[6.3, 22.5], [22.5, 22.5]]),
             {"zh": "这是前两次 backward 之后的值，漏掉了最后一次 out.backward() 加上的 4.5。",
              "en": "That is the value after the first two backward calls; the last out.backward() adds 4.5 more."}),
            (torch.tensor([[1.8, 18.0], [18.0, 18.0]]),
             {"zh": "这只是 z.backward(w) 那一次的贡献 w·6(x+2)；前后两次 out.backward() 各加 4.5。",
              "en": "That is only z.backward(w)'s share, w·6(x+2); the two out.backward() calls add 4.5 each."}),
            (torch.full((2, 2), 9.0), {"zh": "9 = 4.5 + 4.5：漏掉了 z.backward(w) 那一次的贡献 w·6(x+2)。",
                                       "en": "9 = 4.5 + 4.5: z.backward(w)'s share, w·6(x+2), is missing."}),
        ],
    ),
    FunctionExercise(
        "ch02.micro_batch", "accumulated_grad", cases=batches, reference=full_batch_grad, plain=True,
        rules=[FROM_AUTOGRAD],
        success={"zh": "每个小批次的平均损失除以 k，梯度累加 k 次，正好等于整批平均损失的梯度。",
                 "en": "Each micro-batch's mean loss divided by k, accumulated k times, is exactly the gradient of "
                       "the full batch's mean loss."},
        mistakes=[
            (lambda w, X, y, k: k * full_batch_grad(w, X, y, k),
             {"zh": "结果是整批梯度的 k 倍：每个小批次的平均损失要先除以小批次个数 k，再 backward。",
              "en": "The result is k times the full-batch gradient: divide each micro-batch's mean loss by the "
                    "number of micro-batches k before backward."}),
            (lambda w, X, y, k: last_batch_grad(w, X, y, k, lambda k: 1 / k),
             {"zh": "只剩最后一个小批次的梯度：你在小批次之间清零了。梯度累加正是要跨小批次保留 .grad，直到整批结束。",
              "en": "Only the last micro-batch's gradient is left: you cleared it between micro-batches. Gradient "
                    "accumulation keeps .grad across micro-batches until the whole batch is done."}),
            (lambda w, X, y, k: last_batch_grad(w, X, y, k, lambda k: 1),
             {"zh": "只剩最后一个小批次（而且没有除以 k）的梯度：你在小批次之间清零了，梯度应该跨小批次累加。",
              "en": "Only the last micro-batch's gradient (not divided by k) is left: you cleared it between "
                    "micro-batches; the gradient should accumulate across them."}),
        ],
    ),
]

# Partial credit (helpers/checking/parts.py): each of the three gradients is a third of the points.
declare_parts(EXERCISES, "ch02.three_grads", [
    ({"zh": "第 1 个梯度：(x²).sum() 的梯度 2x", "en": "gradient 1: of (x²).sum(), 2x"}, 1 / 3, 0),
    ({"zh": "第 2 个梯度：(3x).sum() 的梯度 3", "en": "gradient 2: of (3x).sum(), 3"}, 1 / 3, 1),
    ({"zh": "第 3 个梯度：sin(x).sum() 的梯度 cos x", "en": "gradient 3: of sin(x).sum(), cos x"}, 1 / 3, 2),
])
