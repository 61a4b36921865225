"""Exercises for chapter 12: the local _backward of *, tanh and **, the topological order, and unbroadcast.

Each _backward is asked as a function of plain tensors: the inputs' data, their gradients so far and out.grad
in, the inputs' gradients after ``_backward()`` out (elementwise, so one call checks many values at once).
The gradients so far are never zero, so ``=`` instead of ``+=`` shows.
"""
import torch

from content.kinds import OrderExercise
from helpers.checking.kinds import FunctionExercise, ValueExercise

ASSIGN = {"zh": "用了 = 而不是 +=：结果里没有原来的梯度。一个节点被用了几次，就有几份梯度传回来，每个 _backward 都要"
                "把自己那一份加到 .grad 上（self.grad += ...），不能覆盖。",
          "en": "= instead of +=: the gradient already there is lost. A node used several times receives one share "
                "per use, so each _backward must add its share to .grad (self.grad += ...), not overwrite it."}
NO_OUT_GRAD = {"zh": "漏了链式法则里的因子 out.grad：局部导数要乘以传到 out 的梯度（self.grad += 局部导数 * out.grad）。",
               "en": "The chain rule's factor out.grad is missing: the local derivative must be multiplied by the "
                     "gradient that reached out (self.grad += local derivative * out.grad)."}


def grads(generator, n=5):
    return torch.randn(n, generator=generator) + 0.5


# --- ch12.mul_backward ----------------------------------------------------------------------------------------------

def mul_cases(generator):
    fixed = (torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 4.0, 2.0]), torch.tensor([1.0, 0.5, -1.0]),
             torch.tensor([0.25, -2.0, 3.0]), torch.tensor([2.0, -1.0, 0.5]))
    return [fixed] + [tuple(torch.randn(5, generator=generator) * 2 for _ in range(5)) for _ in range(3)]


def mul_backward(a, b, a_grad, b_grad, out_grad):
    return a_grad + b * out_grad, b_grad + a * out_grad


def mul_assign(a, b, a_grad, b_grad, out_grad):
    return b * out_grad, a * out_grad


def mul_no_out_grad(a, b, a_grad, b_grad, out_grad):
    return a_grad + b, b_grad + a


def mul_swapped(a, b, a_grad, b_grad, out_grad):
    return a_grad + a * out_grad, b_grad + b * out_grad


# --- ch12.tanh_backward ---------------------------------------------------------------------------------------------

def tanh_cases(generator):
    fixed = (torch.tensor([0.5, -1.0, 2.0, 0.0]), torch.tensor([1.0, -0.5, 0.25, 2.0]), torch.tensor([2.0, 3.0, -1.0, 0.5]))
    return [fixed] + [tuple(torch.randn(6, generator=generator) * 1.5 for _ in range(3)) for _ in range(3)]


def tanh_backward(x, x_grad, out_grad):
    t = torch.tanh(x)
    return x_grad + (1 - t ** 2) * out_grad


def tanh_assign(x, x_grad, out_grad):
    return (1 - torch.tanh(x) ** 2) * out_grad


def tanh_no_out_grad(x, x_grad, out_grad):
    return x_grad + (1 - torch.tanh(x) ** 2)


def tanh_of_input(x, x_grad, out_grad):
    return x_grad + (1 - x ** 2) * out_grad


def tanh_one_minus_t(x, x_grad, out_grad):
    return x_grad + (1 - torch.tanh(x)) * out_grad


# --- ch12.pow_backward ----------------------------------------------------------------------------------------------

def pow_cases(generator):
    fixed = (torch.tensor([2.0, -1.0, 0.5, 3.0]), 3, torch.tensor([1.0, 0.5, -1.0, 2.0]),
             torch.tensor([2.0, -1.0, 0.5, 1.5]))
    positive = (torch.rand(5, generator=generator) * 2 + 0.5, 0.5, grads(generator), grads(generator))
    return [fixed, positive] + [(torch.randn(5, generator=generator), n, grads(generator), grads(generator))
                                for n in (2, -1)]


def pow_backward(x, n, x_grad, out_grad):
    return x_grad + n * x ** (n - 1) * out_grad


def pow_assign(x, n, x_grad, out_grad):
    return n * x ** (n - 1) * out_grad


def pow_no_out_grad(x, n, x_grad, out_grad):
    return x_grad + n * x ** (n - 1)


def pow_without_minus_one(x, n, x_grad, out_grad):
    return x_grad + n * x ** n * out_grad


def pow_without_n(x, n, x_grad, out_grad):
    return x_grad + x ** (n - 1) * out_grad


# --- ch12.topological_order -------------------------------------------------------------------------------------------

def graph_cases(generator):
    """Graphs as plain data: ``inputs[i]`` lists the inputs of node i (its _prev); node 0 is the root.

    The first is c = a + a * b with b = d + d (shared nodes, a diamond; a is the root's first input, so a
    pre-order is no order either way round), numbered so that counting down from the root is no order;
    random DAGs follow, each with a node the root does not reach.
    """
    first = ((3, 2), (4, 4), (3, 1), (), ())  # 0 = n3 + n2, n2 = n3 * n1, n1 = n4 + n4; n3, n4 leaves
    return [(first,)] + [(random_graph(generator, size),) for size in (7, 9, 11)]


def random_graph(generator, size):
    """A random DAG: nodes made in order (each may use earlier ones), then renumbered at random, root as 0."""
    inputs = []
    for k in range(size - 1):
        if k < 3 or torch.rand((), generator=generator) < 0.25:
            inputs.append(())
        else:
            arity = 1 + int(torch.randint(0, 2, (), generator=generator))
            inputs.append(tuple(int(torch.randint(0, k, (), generator=generator)) for _ in range(arity)))
    inputs[-1] = (size - 3, int(torch.randint(0, size - 3, (), generator=generator)))  # the root
    inputs.append(())  # a leaf nobody uses: the root does not reach it
    root = size - 2
    others = [k for k in range(size) if k != root]
    label = {root: 0, **{old: new + 1 for old, new in zip(others, torch.randperm(size - 1, generator=generator).tolist())}}
    graph = [()] * size
    for old, node in enumerate(inputs):
        graph[label[old]] = tuple(label[i] for i in node)
    return tuple(graph)


def topological_order(inputs):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            for child in inputs[v]:
                visit(child)
            order.append(v)

    visit(0)
    return order


def preorder(inputs):
    order, visited = [], set()

    def visit(v):
        if v not in visited:
            visited.add(v)
            order.append(v)
            for child in inputs[v]:
                visit(child)

    visit(0)
    return order


def reversed_order(inputs):
    return topological_order(inputs)[::-1]


def without_visited(inputs):
    order = []

    def visit(v):
        for child in inputs[v]:
            visit(child)
        order.append(v)

    visit(0)
    return order


ORDER_MESSAGES = {
    "wrong_order": {"zh": "访问顺序不对：有节点排在了它的输入前面。要先递归访问完所有输入（v 的 _prev），再把 v 放进列表；"
                          "先放 v 再访问输入，得到的顺序里输出在输入前面。",
                    "en": "Wrong visiting order: a node comes before one of its inputs. Visit all of v's inputs (its "
                          "_prev) recursively first, then append v; appending v before visiting its inputs puts "
                          "outputs ahead of their inputs."},
    "reversed": {"zh": "顺序正好反了：你返回的是 backward 的访问顺序（根在最前）。topological_order 要让每个节点排在它的"
                       "输入之后，根在最后；backward 再用 reversed(...) 倒着走。",
                 "en": "The order is reversed: you returned the order backward walks (the root first). "
                       "topological_order lists every node after its inputs, the root last; backward then walks it "
                       "with reversed(...)."},
    "duplicates": {"zh": "有节点出现了不止一次：少了 visited 集合。被用了两次的节点（a + a、a * b + a）会被排两次，"
                         "它的 _backward 就会运行两次，梯度被重复累加。",
                   "en": "A node appears more than once: the visited set is missing. A node used twice (a + a, "
                         "a * b + a) is listed twice, so its _backward runs twice and its gradient is added twice."},
    "nodes": {"zh": "列表里的节点不对：应该正好包含从根（节点 0）出发、沿输入能到达的每个节点，各一次；根到不了的节点不算。",
              "en": "The list holds the wrong nodes: exactly the nodes reachable from the root (node 0) through "
                    "inputs, each once; nodes the root cannot reach do not belong."},
    "not_list": {"zh": "应该返回节点编号（整数）组成的列表，你返回的是 {got}。",
                 "en": "A list of node numbers (integers) is expected; you returned {got}."},
}


# --- ch12.unbroadcast -------------------------------------------------------------------------------------------------

def unbroadcast_cases(generator):
    fixed = [((2, 3, 4), (3, 1)), ((5, 4), (4,)), ((5, 4), (5, 1)), ((3, 4), (1, 4)), ((2, 3), (2, 3)),
             ((4,), (1,)), ((2, 1, 3), (2, 1, 3)), ((2, 3, 4), (1, 1, 4))]
    return [(torch.randn(*grad_shape, generator=generator), shape) for grad_shape, shape in fixed]


def unbroadcast(grad, shape):
    return grad.sum_to_size(shape)


def not_summed(grad, shape):
    return grad


def leading_axes_only(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    return grad


def without_keepdim(grad, shape):
    while grad.dim() > len(shape):
        grad = grad.sum(dim=0)
    axes = [axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1]
    return grad.sum(dim=axes) if axes else grad


def averaged(grad, shape):
    return unbroadcast(grad, shape) * (torch.Size(shape).numel() / grad.numel())


def summed_to_scalar(grad, shape):
    return grad.sum()


EXERCISES = [
    FunctionExercise(
        "ch12.mul_backward", "mul_backward", cases=mul_cases, reference=mul_backward,
        success={"zh": "∂(ab)/∂a = b、∂(ab)/∂b = a，各乘以 out.grad，再加到原来的梯度上。",
                 "en": "∂(ab)/∂a = b and ∂(ab)/∂b = a, each times out.grad, added to the gradients already there."},
        mistakes=[
            (mul_assign, ASSIGN),
            (mul_no_out_grad, NO_OUT_GRAD),
            (mul_swapped, {"zh": "局部导数不对：∂(ab)/∂a 是 b（另一个因子），不是 a。a 的梯度加 b * out.grad，b 的梯度加 a * out.grad。",
                           "en": "Wrong local derivative: ∂(ab)/∂a is b (the other factor), not a. Add b * out.grad to "
                                 "a's gradient and a * out.grad to b's."}),
        ]),
    FunctionExercise(
        "ch12.tanh_backward", "tanh_backward", cases=tanh_cases, reference=tanh_backward,
        success={"zh": "tanh 的局部导数是 1 − t²（t 是前向的输出 tanh x），乘以 out.grad 再累加。",
                 "en": "tanh's local derivative is 1 − t² (t the forward output tanh x), times out.grad, accumulated."},
        mistakes=[
            (tanh_assign, ASSIGN),
            (tanh_no_out_grad, NO_OUT_GRAD),
            (tanh_of_input, {"zh": "局部导数不对：你用了 1 − x²，x 是输入。tanh 的导数是 1 − tanh²x = 1 − t²，t 是输出。",
                             "en": "Wrong local derivative: you used 1 − x² with x the input. tanh's derivative is "
                                   "1 − tanh²x = 1 − t², t the output."}),
            (tanh_one_minus_t, {"zh": "局部导数不对：是 1 − t²，不是 1 − t（t = tanh x）。",
                                "en": "Wrong local derivative: it is 1 − t², not 1 − t (t = tanh x)."}),
        ]),
    FunctionExercise(
        "ch12.pow_backward", "pow_backward", cases=pow_cases, reference=pow_backward,
        success={"zh": "(xⁿ)′ = n·xⁿ⁻¹，乘以 out.grad 再累加；n 是普通的数，不需要梯度。",
                 "en": "(xⁿ)′ = n·xⁿ⁻¹, times out.grad, accumulated; n is a plain number and needs no gradient."},
        mistakes=[
            (pow_assign, ASSIGN),
            (pow_no_out_grad, NO_OUT_GRAD),
            (pow_without_minus_one, {"zh": "局部导数不对：(xⁿ)′ = n·xⁿ⁻¹，指数要减 1，不是 n·xⁿ。",
                                     "en": "Wrong local derivative: (xⁿ)′ = n·xⁿ⁻¹; the exponent drops by 1, it is not "
                                           "n·xⁿ."}),
            (pow_without_n, {"zh": "局部导数不对：漏了系数 n，(xⁿ)′ = n·xⁿ⁻¹，不是 xⁿ⁻¹。",
                             "en": "Wrong local derivative: the factor n is missing; (xⁿ)′ = n·xⁿ⁻¹, not xⁿ⁻¹."}),
        ]),
    OrderExercise(
        "ch12.topological_order", "topological_order", cases=graph_cases, reference=topological_order,
        success={"zh": "每个节点都排在它的所有输入之后，每个能到达的节点正好一次：backward 倒着走这个列表，"
                       "节点的 _backward 运行时，用到它的节点都已经把梯度传给它了。",
                 "en": "Every node comes after all of its inputs and every reachable node appears once: walking the "
                       "list backwards, a node's _backward runs only after every node that uses it has passed on "
                       "its gradient."},
        mistakes=[(preorder, ORDER_MESSAGES["wrong_order"]), (reversed_order, ORDER_MESSAGES["reversed"]),
                  (without_visited, ORDER_MESSAGES["duplicates"])],
        messages=ORDER_MESSAGES),
    FunctionExercise(
        "ch12.unbroadcast", "unbroadcast", cases=unbroadcast_cases, reference=unbroadcast,
        success={"zh": "前面补出来的轴求和去掉，长度 1 被复制的轴求和并保留（keepdim=True）：梯度回到输入原来的形状。",
                 "en": "Axes added in front are summed away, and axes of length 1 that were copied are summed with "
                       "keepdim=True: the gradient is back in the input's shape."},
        mistakes=[
            (not_summed, {"zh": "广播没有求和收回：你原样返回了 out.grad，形状是广播后的形状。被广播的输入在每个复制出的位置都被"
                                "用了一次，这些梯度要沿广播轴求和。",
                          "en": "Broadcasting not summed back: you returned out.grad as it is, in the broadcast shape. "
                                "The broadcast input was used once at every copied position, and those gradients must "
                                "be summed over the broadcast axes."}),
            (leading_axes_only, {"zh": "只收回了前面补出来的轴：形状里长度为 1 的轴也被广播（复制）了，也要求和"
                                       "（sum(dim=axis, keepdim=True)）。",
                                 "en": "Only the axes added in front were summed: axes of length 1 in the shape were "
                                       "broadcast (copied) as well and need summing too (sum(dim=axis, keepdim=True))."}),
            (without_keepdim, {"zh": "数值对了，形状不对：对长度为 1 的轴求和时要 keepdim=True，保留这个轴。",
                               "en": "Right values, wrong shape: when summing an axis of length 1, pass keepdim=True "
                                     "to keep the axis."}),
            (averaged, {"zh": "你求的是平均值：广播的每个副本都把完整的梯度传回来，要求和（sum），不是 mean。",
                        "en": "You averaged: every broadcast copy passes back its full gradient, so sum them, don't "
                              "take the mean."}),
            (summed_to_scalar, {"zh": "你把所有轴都加成了一个数：只对广播出来的轴求和，结果的形状应与 shape 相同。",
                                "en": "You summed every axis into one number: sum only the broadcast axes; the result "
                                      "must have the given shape."}),
        ]),
    ValueExercise(
        "ch12.assign_grad", "a_grad_with_assign", expected=-3.0,
        success={"zh": "倒序访问是 c（+）、a*b（*）、b、a：+ 先写 a.grad = 1，* 随后用 a.grad = b·1 = −3 覆盖了它。"
                       "正确的梯度是 b + 1 = −2。",
                 "en": "Backward visits c (+), a*b (*), b, a: + writes a.grad = 1 first, then * overwrites it with "
                       "a.grad = b·1 = −3. The right gradient is b + 1 = −2."},
        mistakes=[
            (-2.0, {"zh": "−2 是正确的梯度 b + 1（用 += 时）；题目问的是 = 版本：后运行的 * 覆盖了 + 写下的 1。",
                    "en": "−2 is the right gradient b + 1 (with +=); the question asks about the = version, where "
                          "the later * overwrites the 1 that + wrote."}),
            (1.0, {"zh": "1 是 + 写下的值，但 * 的 _backward 在它之后运行（倒序：c、a*b、b、a），用 = 把它覆盖了。",
                   "en": "1 is what + wrote, but *'s _backward runs after it (reverse order: c, a*b, b, a) and "
                         "overwrites it with =."}),
            (2.0, {"zh": "2 是 b.grad（= a 的值）；问的是 a.grad。",
                   "en": "2 is b.grad (a's value); the question asks for a.grad."}),
        ]),
]
