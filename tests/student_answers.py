"""Answers written as a class of students would write them, as answer cells (source text), for every exercise id.

Each is one of:

* ``right``: right, in another valid form than the solution's (another autograd call, a NumPy scalar, a full-width
  letter): it must pass;
* ``rule``: right values by a method a stated rule forbids; it must fail naming that rule alone (``expect``: the
  rule's mistake key, ``rule-<key>``);
* ``mistake``: a typical mistake; it must fail naming its cause (``expect``: the mistake key);
* ``odd``: an odd value or a hostile trick; it must get a verdict, never the checker's own failure.

``before`` is a cell run before the answer cell (in the notebook only: the grader runs each answer cell alone, so
an answer that leans on it breaks the rule that every answer cell stands on its own). No new exercise needs an
entry here: tests/test_exercises.py takes every exercise's right answer from its solution cell and its wrong answers
from its listed mistakes; these are extra cases. tests/test_student_answers.py checks each in a notebook's kernel
and with the grader, and that the two agree.
"""
from dataclasses import dataclass
from textwrap import dedent


@dataclass(frozen=True)
class Answer:
    kind: str
    source: str
    expect: str = None
    before: str = None


def right(source, before=None):
    return Answer("right", dedent(source).strip() + "\n", None, before)


def rule(key, source):
    return Answer("rule", dedent(source).strip() + "\n", f"rule-{key}")


def mistake(key, source, before=None):
    return Answer("mistake", dedent(source).strip() + "\n", key, before)


def odd(source):
    return Answer("odd", dedent(source).strip() + "\n")


def choice(name, right_letter, wrong_letter):
    """A multiple choice as students type it: the letter in other forms (lower case, brackets, full-width from a
    Chinese input method, with a full stop), a wrong letter, and answers that are no letter."""
    forms = [right_letter.lower(), f"（{right_letter}）", chr(ord(right_letter) - ord("A") + ord("Ａ")),
             f" {right_letter}。", f"({right_letter.lower()})"]
    return ([right(f"{name} = {form!r}") for form in forms]
            + [mistake(f"option-{wrong_letter}", f"{name} = {wrong_letter!r}")]
            + [mistake("bad_choice", f"{name} = {value}") for value in ("''", f"'{right_letter}{wrong_letter}'", "3")]
            + [odd(f"{name} = None"), odd(f"{name} = [{right_letter!r}]")])


def function(name, params, body):
    """An answer cell defining ``def name(params)`` with ``body`` (indented here)."""
    return f"def {name}({params}):\n" + "".join(f"    {line}\n" for line in dedent(body).strip().splitlines())


def odd_functions(name, params):
    """Functions returning what no exercise asks for: a string, a huge integer, a list with one, a dict, a set."""
    return [odd(function(name, params, "return 'done'")),
            odd(function(name, params, "return [0, 2 ** 1001]")),
            odd(function(name, params, "return {'grad': 1}")),
            odd(function(name, params, "return 10 ** 400"))]


NO_RETURN = "no_return"
F_DEF = function("f", "a", """
    b = a * 2
    while b.norm() < 1000:
        b = b * 2
    if b.sum() > 0:
        c = b
    else:
        c = 100 * b
    return c""") + "\n\n"
ANSWERS = {
    # ---- chapter 1 -------------------------------------------------------------------------------------------------
    "ch01.leaf": [
        right("x = torch.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)"),
        right("x = torch.arange(4, dtype=torch.float64).requires_grad_()"),
        right("x = torch.linspace(0, 3, 4)\nx.requires_grad = True"),
        right('x = torch.arange(4.0, requires_grad=True)\ncheck("ch01.leaf", x)'),  # harmless in the grader
        mistake("needs_grad", "x = torch.arange(4.0)"),
        mistake("not_leaf", "x = torch.arange(4.0, requires_grad=True) * 1"),
        mistake("int_dtype", "x = torch.arange(4)"),
        odd("x = [0.0, 1.0, 2.0, 3.0]"),
        odd("import numpy as np\nx = np.arange(4.0)"),
    ],
    "ch01.grad_2xtx": [
        right(function("grad_of_2xtx", "x", """
            x = x.clone().requires_grad_()
            (g,) = torch.autograd.grad(2 * (x * x).sum(), x)
            return g""")),
        right(function("grad_of_2xtx", "x", """
            from torch.func import grad
            return grad(lambda t: 2 * torch.dot(t, t))(x)""")),
        rule("autograd", function("grad_of_2xtx", "x", "return 4 * x")),
        mistake(NO_RETURN, function("grad_of_2xtx", "x", """
            leaf = x.clone().requires_grad_(True)
            (2 * torch.dot(leaf, leaf)).backward()
            leaf.grad""")),
        mistake("mistake-1", function("grad_of_2xtx", "x", """
            leaf = x.clone().requires_grad_(True)
            torch.dot(leaf, leaf).backward()
            return leaf.grad""")),
        mistake("mistake-4", function("grad_of_2xtx", "x", """
            leaf = x.clone().requires_grad_(True)
            y = 2 * torch.dot(leaf, leaf)
            y.backward(retain_graph=True)
            y.backward()
            return leaf.grad""")),
        mistake("raised-no_grad_fn", function("grad_of_2xtx", "x", """
            (2 * torch.dot(x, x)).backward()
            return x.grad""")),
        *odd_functions("grad_of_2xtx", "x"),
    ],
    "ch01.mean_grad": [
        right("grad_value = 9 / 2"),
        right("import numpy as np\ngrad_value = np.float64(4.5)"),
        right("grad_value = torch.tensor(4.5)"),
        right("""
            x = torch.ones(2, 2, requires_grad=True)
            out = (3 * (x + 2) ** 2).mean()
            out.backward()
            grad_value = x.grad[0, 0].item()"""),
        mistake("value-27", """
            x = torch.ones(2, 2, requires_grad=True)
            y = x + 2
            out = (y * y * 3).mean()
            grad_value = out"""),
        mistake("value-18", "grad_value = 18"),
        mistake("value-1.5", "grad_value = 1.5"),
        odd("grad_value = '4.5'"),
        odd("grad_value = float('nan')"),
        odd("grad_value = 10 ** 400"),
    ],
    "ch01.nonleaf_grad": choice("answer", "C", "A"),
    "ch01.int_arange": choice("answer", "D", "B"),
    # ---- chapter 2 -------------------------------------------------------------------------------------------------
    "ch02.backward_twice": choice("answer", "A", "B"),
    "ch02.no_zero": [
        right("grad_without_zero = torch.tensor([1, 5, 9, 13], dtype=torch.float64)"),
        right("""
            x = torch.arange(4.0, requires_grad=True)
            (2 * torch.dot(x, x)).backward()
            x.sum().backward()
            grad_without_zero = x.grad"""),
        mistake("mistake-1", "grad_without_zero = torch.ones(4)"),
        mistake("mistake-2", "grad_without_zero = torch.tensor([0, 4, 8, 12])"),
        odd("grad_without_zero = [1.0, 5.0, 9.0, 13.0]"),
        odd("grad_without_zero = torch.tensor([1.0, 5.0, 9.0, float('inf')])"),
    ],
    "ch02.three_grads": [
        right(function("three_grads", "x", """
            x = x.clone().requires_grad_()
            losses = [(x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()]
            return tuple(torch.autograd.grad(loss, x)[0] for loss in losses)""")),
        right(function("three_grads", "x", """
            x = x.detach().clone().requires_grad_(True)
            grads = []
            for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
                loss.backward()
                grads.append(x.grad.clone())
                x.grad.zero_()
            return grads[0], grads[1], grads[2]""")),
        rule("autograd", function("three_grads", "x", "return 2 * x, torch.full_like(x, 3.0), torch.cos(x)")),
        mistake("mistake-1", function("three_grads", "x", """
            x = x.clone().requires_grad_()
            grads = []
            for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
                loss.backward()
                grads.append(x.grad.clone())
            return tuple(grads)""")),
        mistake("mistake-2", function("three_grads", "x", """
            x = x.clone().requires_grad_()
            grads = []
            for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
                if x.grad is not None:
                    x.grad.zero_()
                loss.backward()
                grads.append(x.grad)
            return tuple(grads)""")),
        mistake(NO_RETURN, function("three_grads", "x", """
            x = x.clone().requires_grad_()
            for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):
                x.grad = None
                loss.backward()""")),
        *odd_functions("three_grads", "x"),
    ],
    "ch02.retain_graph": choice("answer", "C", "A"),
    "ch02.sequence": [
        right("grad_after_three = torch.tensor([[10.8, 27], [27, 27]], dtype=torch.float64)"),
        right("""
            x = torch.ones(2, 2, requires_grad=True)
            z = 3 * (x + 2) ** 2
            out = z.mean()
            out.backward(retain_graph=True)
            z.backward(torch.tensor([[0.1, 1.0], [1.0, 1.0]]), retain_graph=True)
            out.backward()
            grad_after_three = x.grad"""),
        mistake("mistake-1", "grad_after_three = torch.full((2, 2), 4.5)"),
        mistake("mistake-4", "grad_after_three = 9 * torch.ones(2, 2)"),
        odd("grad_after_three = torch.tensor([10.8, 27.0, 27.0, 27.0])"),
        odd("grad_after_three = torch.tensor([[10.8, 27.0], [27.0, 27.0]], dtype=torch.complex64)"),
    ],
    "ch02.micro_batch": [
        right(function("accumulated_grad", "w, X, y, k", """
            for part_X, part_y in zip(X.chunk(k), y.chunk(k)):
                loss = ((part_X @ w - part_y) ** 2).sum() / len(y)
                loss.backward()
            return w.grad""")),
        rule("autograd", function("accumulated_grad", "w, X, y, k", """
            with torch.no_grad():
                return 2 * X.T @ (X @ w - y) / len(y)""")),
        mistake("mistake-1", function("accumulated_grad", "w, X, y, k", """
            for part_X, part_y in zip(X.chunk(k), y.chunk(k)):
                ((part_X @ w - part_y) ** 2).mean().backward()
            return w.grad""")),
        mistake("mistake-2", function("accumulated_grad", "w, X, y, k", """
            for part_X, part_y in zip(X.chunk(k), y.chunk(k)):
                w.grad = None
                (((part_X @ w - part_y) ** 2).mean() / k).backward()
            return w.grad""")),
        mistake("raised-inplace", function("accumulated_grad", "w, X, y, k", """
            for part_X, part_y in zip(X.chunk(k), y.chunk(k)):
                (((part_X @ w - part_y) ** 2).mean() / k).backward()
                w -= 0.1 * w.grad
            return w.grad""")),
        *odd_functions("accumulated_grad", "w, X, y, k"),
    ],
    # ---- chapter 3 -------------------------------------------------------------------------------------------------
    "ch03.backward_w": choice("answer", "B", "A"),
    "ch03.weighted_grad": [
        right(function("weighted_grad", "x, w", """
            x = x.clone().requires_grad_()
            ((x * x) * w).sum().backward()
            return x.grad""")),
        right(function("weighted_grad", "x, w", """
            x = x.clone().requires_grad_()
            (g,) = torch.autograd.grad(x * x, x, grad_outputs=w)
            return g""")),
        rule("autograd", function("weighted_grad", "x, w", "return 2 * x * w")),
        mistake("mistake-1", function("weighted_grad", "x, w", """
            x = x.clone().requires_grad_()
            (x * x).sum().backward()
            return x.grad""")),
        mistake("raised-nonscalar", function("weighted_grad", "x, w", """
            x = x.clone().requires_grad_()
            (x * x).backward()
            return x.grad""")),
        *odd_functions("weighted_grad", "x, w"),
    ],
    "ch03.vjp_numbers": [
        right("grads = torch.tensor([5, 18, 34]).float()"),
        right("""
            x1, x2, x3 = (torch.tensor(v, requires_grad=True) for v in (1.0, 2.0, 3.0))
            y = torch.stack([x1 ** 2 + 2 * x2 + x3, x1 + x2 ** 3 + x3 ** 2, 2 * x1 + x2 ** 2 + x3 ** 3])
            y.backward(torch.ones(3))
            grads = torch.stack([x1.grad, x2.grad, x3.grad])"""),
        mistake("mistake-1", "grads = torch.tensor([2.0, 12.0, 27.0])"),
        mistake("mistake-2", "grads = torch.tensor([5.0, 19.0, 33.0])"),
        mistake("shape", "grads = torch.tensor([[5.0, 18.0, 34.0]])"),
        odd("grads = (5.0, 18.0, 34.0)"),
    ],
    "ch03.jacobian": [
        right(function("jacobian_of_cube", "x", """
            rows = []
            for i in range(len(x)):
                leaf = x.clone().requires_grad_()
                (leaf ** 3)[i].backward()
                rows.append(leaf.grad)
            return torch.stack(rows)""")),
        right(function("jacobian_of_cube", "x", "return torch.func.jacrev(lambda t: t ** 3)(x)")),
        rule("autograd", function("jacobian_of_cube", "x", "return torch.diag(3 * x ** 2)")),
        mistake("mistake-1", function("jacobian_of_cube", "x", """
            x = x.clone().requires_grad_()
            (x ** 3).sum().backward()
            return x.grad""")),
        mistake("mistake-2", function("jacobian_of_cube", "x", "return torch.diag(x ** 3)")),
        *odd_functions("jacobian_of_cube", "x"),
    ],
    # ---- chapter 4 -------------------------------------------------------------------------------------------------
    "ch04.detach_grad": [
        right(function("detach_grad", "x", """
            x = x.clone().requires_grad_()
            u = x.detach() * x.detach()
            (g,) = torch.autograd.grad((u * x).sum(), x)
            return g""")),
        rule("autograd", function("detach_grad", "x", "return x * x")),
        mistake("mistake-1", function("detach_grad", "x", """
            x = x.clone().requires_grad_()
            u = x * x
            (u * x).sum().backward()
            return x.grad""")),
        mistake("none", function("detach_grad", "x", """
            x = x.clone().requires_grad_()
            u = (x * x).detach()
            (u * x).sum().backward()
            return u.grad""")),
        mistake(NO_RETURN, function("detach_grad", "x", """
            x = x.clone().requires_grad_()
            u = (x * x).detach()
            (u * x).sum().backward()""")),
        *odd_functions("detach_grad", "x"),
    ],
    "ch04.no_grad_value": [
        right("grad_at_3 = 6"),
        right("""
            x = torch.tensor(3.0, requires_grad=True)
            y1 = x ** 2
            with torch.no_grad():
                y2 = x ** 3
            y3 = y1 + y2
            y3.backward()
            grad_at_3 = x.grad.item()"""),
        mistake("value-33", "grad_at_3 = 33.0"),
        mistake("value-27", "grad_at_3 = 27.0"),
        mistake("value-36", """
            x = torch.tensor(3.0, requires_grad=True)
            y1 = x ** 2
            with torch.no_grad():
                y2 = x ** 3
            y3 = y1 + y2
            y3.backward()
            grad_at_3 = y3.item()"""),
        mistake("value-0", "grad_at_3 = 0"),
        odd("grad_at_3 = None"),
    ],
    "ch04.data_vs_detach": choice("answer_data_vs_detach", "D", "A"),
    "ch04.plain_cube": [
        right(function("plain_cube", "x", """
            with torch.no_grad():
                return x ** 3""")),
        right(function("plain_cube", "x", "return x.detach() ** 3")),
        mistake("still_attached", function("plain_cube", "x", "return x ** 3")),
        mistake("not_tensor", function("plain_cube", "x", "return (x ** 3).detach().numpy()")),
        mistake(NO_RETURN, function("plain_cube", "x", "(x ** 3).detach()")),
        *odd_functions("plain_cube", "x"),
    ],
    "ch04.when_no_grad": choice("answer_when_no_grad", "B", "D"),
    # ---- chapter 5 -------------------------------------------------------------------------------------------------
    "ch05.why_d_over_a": choice("answer_why_d_over_a", "C", "A"),
    "ch05.vector_backward": choice("answer_vector_backward", "A", "B"),
    "ch05.grad_of_f": [
        right(F_DEF + function("grad_of_f", "a", """
            a = a.clone().requires_grad_()
            d = f(a)
            d.backward(torch.ones_like(d))
            return a.grad""")),
        rule("autograd", F_DEF + function("grad_of_f", "a", """
            with torch.no_grad():
                return (f(a) / a).mean() * torch.ones_like(a)""")),
        mistake("mistake-2", F_DEF + function("grad_of_f", "a", """
            a = a.clone().requires_grad_()
            f(a).mean().backward()
            return a.grad""")),
        mistake("outside_name", function("grad_of_f", "a", """
            a = a.clone().requires_grad_()
            f(a).sum().backward()
            return a.grad"""), before=F_DEF),
        *odd_functions("grad_of_f", "a"),
    ],
    "ch05.norm_squared_grad": [
        right(function("grad_norm_squared", "a", """
            a = a.clone().requires_grad_()
            (a * a).sum().backward()
            return a.grad""")),
        right(function("grad_norm_squared", "a", "return torch.func.grad(lambda t: (t ** 2).sum())(a)")),
        rule("autograd", function("grad_norm_squared", "a", "return 2 * a")),
        mistake("mistake-2", function("grad_norm_squared", "a", """
            a = a.clone().requires_grad_()
            torch.norm(a).backward()
            return a.grad""")),
        mistake("nonleaf_grad", function("grad_norm_squared", "a", """
            a = a.clone().requires_grad_()
            d = torch.norm(a) ** 2
            d.backward()
            return d.grad""")),
        *odd_functions("grad_norm_squared", "a"),
    ],
    "ch05.redesigned_flow": [
        right(function("grad_of_g", "a", """
            leaf = a.clone().requires_grad_()
            b = leaf
            while b.norm() < 10:
                b = b ** 2 + 1
            (b if b.sum() > 0 else -b).sum().backward()
            return leaf.grad""")),
        rule("autograd", function("grad_of_g", "a", """
            b, slope = a, torch.ones_like(a)
            while b.norm() < 10:
                slope = slope * 2 * b
                b = b * b + 1
            return slope if b.sum() > 0 else -slope""")),
        mistake("mistake-1", function("grad_of_g", "a", """
            b = a
            while b.norm() < 10:
                b = b * b + 1
            return (b if b.sum() > 0 else -b) / a""")),
        mistake(NO_RETURN, function("grad_of_g", "a", """
            leaf = a.clone().requires_grad_()
            b = leaf
            while b.norm() < 10:
                b = b * b + 1
            (b if b.sum() > 0 else -b).sum().backward()""")),
        *odd_functions("grad_of_g", "a"),
    ],
    # ---- chapter 6 -------------------------------------------------------------------------------------------------
    "ch06.sin_and_derivative": [
        right(function("sin_and_derivative", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            (slopes,) = torch.autograd.grad(y.sum(), x)
            return y.detach(), slopes""")),
        right("""
            def values_and_slopes(t):
                t = t.clone().requires_grad_()
                y = t.sin()
                y.backward(torch.ones_like(y))
                return y.detach(), t.grad


            def sin_and_derivative(x):
                return values_and_slopes(x)
            """),
        rule("autograd", """
            import math


            def sin_and_derivative(x):
                return torch.sin(x), torch.sin(x + math.pi / 2)
            """),
        rule("forbid", function("sin_and_derivative", "x", """
            x = x.clone().requires_grad_()
            torch.sin(x).sum().backward()
            return torch.sin(x).detach(), x.cos().detach()""")),
        rule("forbid", """
            import numpy as np


            def slope(t):
                return torch.from_numpy(np.cos(t.numpy()))


            def sin_and_derivative(x):
                leaf = x.clone().requires_grad_()
                torch.sin(leaf).sum().backward()
                return torch.sin(x), slope(x)
            """),
        rule("forbid", """
            import math


            def sin_and_derivative(x):
                leaf = x.clone().requires_grad_()
                torch.sin(leaf).sum().backward()
                derivative = getattr(torch, "co" + "s")
                return torch.sin(x), derivative(x)
            """),
        mistake("mistake-1", function("sin_and_derivative", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            y.sum().backward()
            return x.grad, y.detach()""")),
        mistake("result1-still_attached", function("sin_and_derivative", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            y.sum().backward()
            return y, x.grad""")),
        mistake("outside_name", """
            def sin_and_derivative(x):
                x = x.clone().requires_grad_()
                y = np.sin(x.detach().numpy())
                torch.sin(x).sum().backward()
                return torch.from_numpy(y), x.grad
            """, before="import numpy as np"),
        *odd_functions("sin_and_derivative", "x"),
    ],
    "ch06.plot_error": choice("answer_plot_error", "D", "C"),
    "ch06.derivative_of": [
        right(function("derivative", "f, x", """
            x = x.clone().requires_grad_()
            y = f(x)
            y.backward(torch.ones_like(y))
            return x.grad""")),
        right(function("derivative", "f, x", """
            _, slope = torch.func.jvp(f, (x,), (torch.ones_like(x),))
            return slope""")),
        rule("autograd", function("derivative", "f, x", """
            h = 1e-5
            x = x.double()
            return ((f(x + h) - f(x - h)) / (2 * h)).float()""")),
        mistake("mistake-1", function("derivative", "f, x", "return f(x)")),
        mistake("none", function("derivative", "f, x", """
            x = x.clone()
            f(x).sum()
            return x.grad""")),
        *odd_functions("derivative", "f, x"),
    ],
    "ch06.weighted_backward": [
        right("grad_at_pi = -2"),
        right("""
            import math
            x = torch.tensor([0.0, math.pi / 2, math.pi], requires_grad=True)
            torch.sin(x).backward(torch.tensor([1.0, 1.0, 2.0]))
            grad_at_pi = x.grad[2].item()"""),
        mistake("value--1", "grad_at_pi = -1.0"),
        mistake("value-2", "grad_at_pi = 2.0"),
        odd("grad_at_pi = torch.tensor([-2.0, -2.0])"),
    ],
    # ---- chapter 7 -------------------------------------------------------------------------------------------------
    "ch07.second_derivative": [
        right(function("second_derivative", "f, x", """
            x = x.clone().requires_grad_()
            y = f(x)
            y.backward(torch.ones_like(y), create_graph=True)
            first = x.grad
            x.grad = None
            first.sum().backward()
            return x.grad.detach()""")),
        right(function("second_derivative", "f, x", """
            first = torch.func.grad(lambda t: f(t).sum())
            return torch.func.grad(lambda t: first(t).sum())(x)""")),
        rule("autograd", function("second_derivative", "f, x", """
            h = 1e-4
            x = x.double()
            return ((f(x + h) - 2 * f(x) + f(x - h)) / h ** 2).float()""")),
        mistake("error-1", function("second_derivative", "f, x", """
            x = x.clone().requires_grad_()
            (dy,) = torch.autograd.grad(f(x).sum(), x)
            (d2y,) = torch.autograd.grad(dy.sum(), x)
            return d2y""")),
        mistake("raised-no_grad_fn", function("second_derivative", "f, x", """
            (dy,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
            (d2y,) = torch.autograd.grad(dy.sum(), x)
            return d2y""")),
        mistake("mistake-1", function("second_derivative", "f, x", """
            x = x.clone().requires_grad_()
            (dy,) = torch.autograd.grad(f(x).sum(), x, create_graph=True)
            return dy.detach()""")),
        *odd_functions("second_derivative", "f, x"),
    ],
    "ch07.grad_after_create_graph": [
        right("x_grad_value = 48"),
        right("""
            x = torch.tensor(2.0, requires_grad=True)
            (g,) = torch.autograd.grad(x ** 4, x, create_graph=True)
            g.backward()
            x_grad_value = x.grad"""),
        mistake("value-32", "x_grad_value = 32.0"),
        mistake("value-80", "x_grad_value = 80.0"),
        odd("x_grad_value = '48'"),
    ],
    "ch07.hessian": [
        right(function("hessian_at", "x", """
            return torch.func.hessian(lambda v: v[0] ** 2 * v[1] + v[1] ** 3)(x)""")),
        rule("autograd", function("hessian_at", "x", """
            return torch.stack([torch.stack([2 * x[1], 2 * x[0]]), torch.stack([2 * x[0], 6 * x[1]])])""")),
        mistake("mistake-2", function("hessian_at", "x", """
            x = x.clone().requires_grad_()
            (g,) = torch.autograd.grad(x[0] ** 2 * x[1] + x[1] ** 3, x, create_graph=True)
            (h,) = torch.autograd.grad(g.sum(), x)
            return h""")),
        mistake("mistake-4", function("hessian_at", "x", """
            return torch.autograd.functional.hessian(lambda v: v[0] ** 2 * v[1] + v[1] ** 3 + torch.sin(v[0]), x)""")),
        *odd_functions("hessian_at", "x"),
    ],
    "ch07.why_expensive": choice("answer_why_expensive", "C", "A"),
    "ch07.f_prime": [
        right(function("f_prime", "x", """
            return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) - 1 / x ** 2""")),
        right(function("f_prime", "x", """
            x = x.clone().requires_grad_()
            (torch.log(x ** 2) * torch.sin(x) + 1 / x).sum().backward()
            return x.grad""")),
        mistake("mistake-1", function("f_prime", "x", """
            return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x) + 1 / x ** 2""")),
        mistake("mistake-4", function("f_prime", "x", """
            return 2 / x * torch.sin(x) + torch.log(x ** 2) * torch.cos(x)""")),
        *odd_functions("f_prime", "x"),
    ],
    "ch07.jac_mode": choice("answer_jac_mode", "A", "B"),
    # ---- chapter 8 -------------------------------------------------------------------------------------------------
    "ch08.fixed_nonscalar": [
        right(function("fixed_nonscalar", "x", """
            x = x.clone().requires_grad_()
            y = x * x
            y.backward(torch.ones_like(y))
            return x.grad""")),
        rule("autograd", function("fixed_nonscalar", "x", "return 2 * x")),
        mistake("mistake-1", function("fixed_nonscalar", "x", """
            x = x.clone().requires_grad_()
            (x * x).mean().backward()
            return x.grad""")),
        mistake("nonleaf_grad", function("fixed_nonscalar", "x", """
            x = x.clone().requires_grad_()
            y = x * x
            y.sum().backward()
            return y.grad""")),
        *odd_functions("fixed_nonscalar", "x"),
    ],
    "ch08.fixed_backward_twice": [
        right(function("fixed_backward_twice", "x", """
            x = x.clone().requires_grad_()
            (x ** 3).sum().backward()
            (x ** 3).sum().backward()
            return x.grad""")),
        rule("autograd", function("fixed_backward_twice", "x", "return 6 * x ** 2")),
        mistake("mistake-1", function("fixed_backward_twice", "x", """
            x = x.clone().requires_grad_()
            y = (x ** 3).sum()
            y.backward()
            return x.grad""")),
        mistake("raised-second_backward", function("fixed_backward_twice", "x", """
            x = x.clone().requires_grad_()
            y = (x ** 3).sum()
            y.backward()
            y.backward()
            return x.grad""")),
        *odd_functions("fixed_backward_twice", "x"),
    ],
    "ch08.fixed_inplace_leaf": [
        right(function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            with torch.no_grad():
                w -= lr * w.grad
            w.grad = None
            return w""")),
        right(function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            w.data -= lr * w.grad
            w.grad.zero_()
            return w""")),
        rule("same_object", function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            with torch.no_grad():
                new_w = (w - lr * w.grad).clone()
            return new_w.requires_grad_()""")),
        rule("autograd", function("fixed_inplace_leaf", "w, lr", """
            with torch.no_grad():
                w -= lr * 2 * w
            return w""")),
        mistake("error-1", function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            w -= lr * w.grad
            return w""")),
        mistake("leaf_problems.not_leaf", function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            w = w - lr * w.grad
            return w""")),
        mistake("leaf_problems.grad_not_cleared", function("fixed_inplace_leaf", "w, lr", """
            (w ** 2).sum().backward()
            with torch.no_grad():
                w -= lr * w.grad
            return w""")),
        *odd_functions("fixed_inplace_leaf", "w, lr"),
    ],
    "ch08.fixed_numpy": [
        right(function("fixed_numpy", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            y.sum().backward()
            return torch.from_numpy(y.detach().numpy()), x.grad""")),
        rule("autograd", function("fixed_numpy", "x", "return torch.sin(x), torch.cos(x)")),
        mistake("mistake-1", function("fixed_numpy", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            y.sum().backward()
            return x.grad, y.detach()""")),
        mistake("raised-numpy", function("fixed_numpy", "x", """
            x = x.clone().requires_grad_()
            y = torch.sin(x)
            values = y.numpy()
            y.sum().backward()
            return values, x.grad""")),
        *odd_functions("fixed_numpy", "x"),
    ],
    "ch08.retain_grad_value": [
        right("h_grad_value = 12"),
        right("""
            x = torch.tensor(2.0, requires_grad=True)
            h = 3 * x
            h.retain_grad()
            (h ** 2).backward()
            h_grad_value = h.grad"""),
        mistake("value-36", "h_grad_value = 36.0"),
        mistake("value-6", "h_grad_value = 6.0"),
        odd("h_grad_value = None"),
    ],
    "ch08.which_message": choice("answer_which_message", "B", "C"),
    # ---- chapter 9 -------------------------------------------------------------------------------------------------
    "ch09.cos2x": [
        right("""
            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return torch.cos(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    return -2 * grad_output * torch.sin(2 * x)
            """),
        mistake("mistake-1", """
            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return torch.cos(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    return -2 * torch.sin(2 * x)
            """),
        mistake("raised", """
            LAST = []


            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    LAST.append(x)
                    return torch.cos(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    return grad_output * -2 * torch.sin(2 * LAST[-1])
            """),
        mistake("forward_changed", """
            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return torch.sin(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    return grad_output * -2 * torch.sin(2 * x)
            """),
        mistake(NO_RETURN, """
            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    ctx.save_for_backward(x)
                    return torch.cos(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    grad_output * -2 * torch.sin(2 * x)
            """),
        odd("Cos2x = 'class'"),
        odd("""
            class Cos2x(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    return torch.cos(2 * x)

                @staticmethod
                def backward(ctx, grad_output):
                    return [0, 2 ** 1001]
            """),
    ],
    "ch09.scaled_matmul": [
        right("""
            class ScaledMatMul(torch.autograd.Function):
                @staticmethod
                def forward(ctx, X, W, alpha):
                    ctx.save_for_backward(X, W)
                    ctx.alpha = alpha
                    return alpha * X @ W

                @staticmethod
                def backward(ctx, grad_output):
                    X, W = ctx.saved_tensors
                    grad_X = grad_W = None
                    if ctx.needs_input_grad[0]:
                        grad_X = ctx.alpha * grad_output @ W.t()
                    if ctx.needs_input_grad[1]:
                        grad_W = ctx.alpha * X.t() @ grad_output
                    return grad_X, grad_W, None
            """),
        mistake("error-1", """
            class ScaledMatMul(torch.autograd.Function):
                @staticmethod
                def forward(ctx, X, W, alpha):
                    ctx.save_for_backward(X, W)
                    ctx.alpha = alpha
                    return alpha * X @ W

                @staticmethod
                def backward(ctx, grad_output):
                    X, W = ctx.saved_tensors
                    return ctx.alpha * grad_output @ W.T, ctx.alpha * X.T @ grad_output
            """),
        mistake("mistake-1", """
            class ScaledMatMul(torch.autograd.Function):
                @staticmethod
                def forward(ctx, X, W, alpha):
                    ctx.save_for_backward(X, W)
                    ctx.alpha = alpha
                    return alpha * X @ W

                @staticmethod
                def backward(ctx, grad_output):
                    X, W = ctx.saved_tensors
                    return grad_output @ W.T, X.T @ grad_output, None
            """),
        odd("ScaledMatMul = None"),
    ],
    "ch09.softplus_saved_output": [
        right("""
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    (y,) = ctx.saved_tensors
                    return grad_output * (1 - torch.exp(-y))
            """),
        rule("ctx", """
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    ctx.x = x
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    return grad_output * torch.sigmoid(ctx.x)
            """),
        rule("ctx", """
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(x)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    (x,) = ctx.saved_tensors
                    return grad_output * torch.sigmoid(x)
            """),
        mistake("error-1", """
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    return grad_output * torch.sigmoid(x)
            """),
        mistake("raised-name", """
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    (y,) = ctx.saved_tensors
                    return grad_output * torch.from_numpy(1 - np.exp(-y.detach().numpy()))
            """),
        mistake("mistake-1", """
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    (y,) = ctx.saved_tensors
                    return grad_output * torch.sigmoid(y)
            """),
        odd("SoftplusFromOutput = 3"),
        odd("""
            class SoftplusFromOutput(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    y = torch.clamp(x, min=0) + torch.log1p(torch.exp(-x.abs()))
                    ctx.save_for_backward(y)
                    return y

                @staticmethod
                def backward(ctx, grad_output):
                    return 10 ** 400
            """),
    ],
    "ch09.ste_grad": [
        right("ste_grad = torch.tensor([3, 6, 9], dtype=torch.float32)"),
        right("""
            class RoundSTE(torch.autograd.Function):
                @staticmethod
                def forward(ctx, x):
                    return torch.round(x)

                @staticmethod
                def backward(ctx, grad_output):
                    return grad_output


            x = torch.tensor([0.2, 0.7, 1.4], requires_grad=True)
            (RoundSTE.apply(3 * x) * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
            ste_grad = x.grad"""),
        mistake("mistake-1", "ste_grad = torch.zeros(3)"),
        mistake("mistake-3", "ste_grad = torch.tensor([3.0, 3.0, 3.0])"),
        odd("ste_grad = torch.tensor([3.0, 6.0, 9.0]).numpy()"),
    ],
    "ch09.float32_gradcheck": choice("answer", "D", "A"),
    # ---- chapter 10 ------------------------------------------------------------------------------------------------
    "ch10.train_by_hand": [
        right(function("train", "w, b, X, y, lr, steps", """
            w = w.clone().requires_grad_()
            b = b.clone().requires_grad_()
            for _ in range(steps):
                loss = ((X @ w + b - y) ** 2).mean()
                grad_w, grad_b = torch.autograd.grad(loss, [w, b])
                with torch.no_grad():
                    w -= lr * grad_w
                    b -= lr * grad_b
            return w.detach(), b.detach()""")),
        rule("forbid", function("train", "w, b, X, y, lr, steps", """
            w = w.clone().requires_grad_()
            b = b.clone().requires_grad_()
            optimizer = torch.optim.SGD([w, b], lr=lr)
            for _ in range(steps):
                optimizer.zero_grad()
                ((X @ w + b - y) ** 2).mean().backward()
                optimizer.step()
            return w.detach(), b.detach()""")),
        rule("autograd", function("train", "w, b, X, y, lr, steps", """
            for _ in range(steps):
                error = X @ w + b - y
                w = w - lr * 2 * X.T @ error / len(y)
                b = b - lr * 2 * error.mean()
            return w, b""")),
        mistake("mistake-1", function("train", "w, b, X, y, lr, steps", """
            w = w.clone().requires_grad_()
            b = b.clone().requires_grad_()
            for _ in range(steps):
                ((X @ w + b - y) ** 2).mean().backward()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
            return w.detach(), b.detach()""")),
        mistake("error-1", function("train", "w, b, X, y, lr, steps", """
            w = w.clone().requires_grad_()
            b = b.clone().requires_grad_()
            for _ in range(steps):
                ((X @ w + b - y) ** 2).mean().backward()
                w -= lr * w.grad
                b -= lr * b.grad
                w.grad.zero_()
                b.grad.zero_()
            return w.detach(), b.detach()""")),
        mistake("raised-none", function("train", "w, b, X, y, lr, steps", """
            for _ in range(steps):
                loss = ((X @ w + b - y) ** 2).mean()
                with torch.no_grad():
                    w -= lr * w.grad
                    b -= lr * b.grad
            return w, b""")),
        mistake("raised-no_grad_fn", function("train", "w, b, X, y, lr, steps", """
            for _ in range(steps):
                loss = ((X @ w + b - y) ** 2).mean()
                loss.backward()
            return w, b""")),
        *odd_functions("train", "w, b, X, y, lr, steps"),
    ],
    "ch10.freeze": [
        right(function("finetune", "W1, W2, X, y, lr, steps", """
            W2 = W2.clone().requires_grad_()
            optimizer = torch.optim.SGD([W2], lr=lr, momentum=0.9)
            features = torch.tanh(X @ W1.T)
            for _ in range(steps):
                optimizer.zero_grad(set_to_none=True)
                ((features @ W2 - y) ** 2).mean().backward()
                optimizer.step()
            return W1, W2.detach()""")),
        mistake("mistake-2", function("finetune", "W1, W2, X, y, lr, steps", """
            W2 = W2.clone().requires_grad_()
            optimizer = torch.optim.SGD([W2], lr=lr, momentum=0.9)
            for _ in range(steps):
                ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
                optimizer.step()
            return W1, W2.detach()""")),
        mistake("mistake-1", function("finetune", "W1, W2, X, y, lr, steps", """
            W1 = W1.clone().requires_grad_()
            W2 = W2.clone().requires_grad_()
            optimizer = torch.optim.SGD([W1, W2], lr=lr, momentum=0.9)
            for _ in range(steps):
                optimizer.zero_grad()
                ((torch.tanh(X @ W1.T) @ W2 - y) ** 2).mean().backward()
                optimizer.step()
            return W1.detach(), W2.detach()""")),
        mistake("timeout", function("finetune", "W1, W2, X, y, lr, steps", """
            step = 0
            while step < steps:
                W2 = W2 * 1
            return W1, W2""")),
        *odd_functions("finetune", "W1, W2, X, y, lr, steps"),
    ],
    "ch10.leaf_grad": [
        right(function("param_grad", "values", """
            w = torch.tensor(values.tolist(), dtype=torch.float64, requires_grad=True)
            (w ** 3).sum().backward()
            return w.grad""")),
        rule("dtype", function("param_grad", "values", """
            w = values.clone().requires_grad_()
            (w ** 3).sum().backward()
            return w.grad""")),
        rule("autograd", function("param_grad", "values", "return 3 * values.double() ** 2")),
        mistake("none", function("param_grad", "values", """
            w = values.clone().requires_grad_().double()
            (w ** 3).sum().backward()
            return w.grad""")),
        mistake(NO_RETURN, function("param_grad", "values", """
            w = values.double().requires_grad_()
            (w ** 3).sum().backward()""")),
        *odd_functions("param_grad", "values"),
    ],
    "ch10.clip": [
        right("g1_clipped = torch.tensor([3.0, 4.0]) * 0.5"),
        right("""
            g1, g2 = torch.tensor([3.0, 4.0]), torch.tensor([12.0])
            total = torch.cat([g1, g2]).norm()
            g1_clipped = g1 * min(1.0, 6.5 / total.item())"""),
        mistake("mistake-1", "g1_clipped = torch.tensor([3.0, 4.0])"),
        mistake("mistake-2", "g1_clipped = torch.tensor([0.6, 0.8])"),
        odd("g1_clipped = torch.tensor([1.5, 2.0], dtype=torch.float16).view(torch.int16)"),
    ],
    "ch10.eval_no_grad": choice("answer", "B", "C"),
    # ---- chapter 11 ------------------------------------------------------------------------------------------------
    "ch11.clipped_grad": [
        right(function("clipped_grad", "x, w, limit", """
            x = x.clone().requires_grad_()
            y = x * w
            y.register_hook(lambda g: torch.clamp(g, min=-limit, max=limit))
            (y * y).sum().backward()
            return x.grad""")),
        rule("autograd", function("clipped_grad", "x, w, limit", "return (2 * x * w).clamp(-limit, limit) * w")),
        mistake("mistake-1", function("clipped_grad", "x, w, limit", """
            x = x.clone().requires_grad_()
            x.register_hook(lambda g: g.clamp(-limit, limit))
            ((x * w) ** 2).sum().backward()
            return x.grad""")),
        mistake("mistake-2", function("clipped_grad", "x, w, limit", """
            x = x.clone().requires_grad_()
            y = x * w
            y.register_hook(lambda g: print(g.clamp(-limit, limit)))
            (y ** 2).sum().backward()
            return x.grad""")),
        *odd_functions("clipped_grad", "x, w, limit"),
    ],
    "ch11.safe_sqrt": [
        right(function("safe_sqrt", "x", """
            x = x.clone().requires_grad_()
            inside = x > 0
            y = torch.where(inside, x.clamp(min=1e-30).sqrt(), 0.0)
            y.sum().backward()
            return y.detach(), x.grad""")),
        rule("autograd", function("safe_sqrt", "x", """
            inside = x > 0
            safe = torch.where(inside, x, torch.ones_like(x))
            return torch.where(inside, safe.sqrt(), 0.0), torch.where(inside, 0.5 / safe.sqrt(), 0.0)""")),
        mistake("nonfinite.where_trap", function("safe_sqrt", "x", """
            x = x.clone().requires_grad_()
            y = torch.where(x > 0, torch.sqrt(x), torch.zeros_like(x))
            y.sum().backward()
            return y.detach(), x.grad""")),
        mistake("nonfinite.inf", function("safe_sqrt", "x", """
            x = x.clone().requires_grad_()
            y = torch.sqrt(torch.clamp(x, min=0))
            y.sum().backward()
            return y.detach(), x.grad""")),
        mistake("nonfinite.nan_value", function("safe_sqrt", "x", """
            x = x.clone().requires_grad_()
            y = torch.sqrt(x)
            y.sum().backward()
            return y.detach(), x.grad""")),
        *odd_functions("safe_sqrt", "x"),
    ],
    "ch11.anomaly_line": choice("answer_anomaly_line", "D", "B"),
    "ch11.saved_bytes": [
        right("saved_bytes = 12000"),
        right("saved_bytes = torch.tensor(12000)"),
        right("""
            sizes = []
            x = torch.zeros(1000, requires_grad=True)
            with torch.autograd.graph.saved_tensors_hooks(lambda t: sizes.append(t.numel() * t.element_size()) or t,
                                                          lambda t: t):
                y = torch.sigmoid(x)
                (y * y).sum()
            saved_bytes = sum(sizes)"""),
        mistake("value-4000", "saved_bytes = 4000"),
        mistake("value-16000", "saved_bytes = torch.tensor(16000)"),
        odd("saved_bytes = '12000 bytes'"),
    ],
    # ---- chapter 12 ------------------------------------------------------------------------------------------------
    "ch12.mul_backward": [
        right(function("mul_backward", "a, b, a_grad, b_grad, out_grad", """
            a_grad = a_grad.clone()
            b_grad = b_grad.clone()
            a_grad += b * out_grad
            b_grad += a * out_grad
            return a_grad, b_grad""")),
        mistake("mistake-1", function("mul_backward", "a, b, a_grad, b_grad, out_grad", """
            return b * out_grad, a * out_grad""")),
        mistake("mistake-3", function("mul_backward", "a, b, a_grad, b_grad, out_grad", """
            return a_grad + a * out_grad, b_grad + b * out_grad""")),
        mistake(NO_RETURN, function("mul_backward", "a, b, a_grad, b_grad, out_grad", """
            a_grad += b * out_grad
            b_grad += a * out_grad""")),
        *odd_functions("mul_backward", "a, b, a_grad, b_grad, out_grad"),
    ],
    "ch12.tanh_backward": [
        right(function("tanh_backward", "x, x_grad, out_grad", """
            return x_grad + out_grad / torch.cosh(x) ** 2""")),
        mistake("mistake-1", function("tanh_backward", "x, x_grad, out_grad", """
            t = torch.tanh(x)
            return (1 - t * t) * out_grad""")),
        mistake("mistake-3", function("tanh_backward", "x, x_grad, out_grad", """
            return x_grad + (1 - x ** 2) * out_grad""")),
        *odd_functions("tanh_backward", "x, x_grad, out_grad"),
    ],
    "ch12.pow_backward": [
        right(function("pow_backward", "x, n, x_grad, out_grad", """
            x = x.clone().requires_grad_()
            (g,) = torch.autograd.grad((x ** n * out_grad).sum(), x)
            return x_grad + g""")),
        mistake("mistake-3", function("pow_backward", "x, n, x_grad, out_grad", """
            return x_grad + n * x ** n * out_grad""")),
        mistake("mistake-4", function("pow_backward", "x, n, x_grad, out_grad", """
            return x_grad + x ** (n - 1) * out_grad""")),
        *odd_functions("pow_backward", "x, n, x_grad, out_grad"),
    ],
    "ch12.topological_order": [
        right(function("topological_order", "inputs", """
            order, done = [], set()
            stack = [(0, False)]
            while stack:
                node, expanded = stack.pop()
                if expanded:
                    order.append(node)
                elif node not in done:
                    done.add(node)
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(inputs[node]))
            return order""")),
        mistake("mistake-2", function("topological_order", "inputs", """
            order, seen = [], set()

            def visit(v):
                if v not in seen:
                    seen.add(v)
                    for u in inputs[v]:
                        visit(u)
                    order.append(v)

            visit(0)
            return order[::-1]""")),
        mistake("mistake-3", function("topological_order", "inputs", """
            order = []

            def visit(v):
                for u in inputs[v]:
                    visit(u)
                order.append(v)

            visit(0)
            return order""")),
        mistake("messages.nodes", function("topological_order", "inputs", "return [0]")),
        *odd_functions("topological_order", "inputs"),
        odd(function("topological_order", "inputs", "return [0, -1]")),
        odd(function("topological_order", "inputs", "return [0.0, 1.5]")),
    ],
    "ch12.unbroadcast": [
        right(function("unbroadcast", "grad, shape", """
            return grad.sum_to_size(shape)""")),
        right(function("unbroadcast", "grad, shape", """
            extra = grad.dim() - len(shape)
            axes = list(range(extra)) + [extra + i for i, n in enumerate(shape) if n == 1]
            return grad.sum(dim=axes, keepdim=True).reshape(shape) if axes else grad""")),
        mistake("mistake-1", function("unbroadcast", "grad, shape", "return grad")),
        mistake("mistake-4", function("unbroadcast", "grad, shape", """
            return grad.sum_to_size(shape) * torch.Size(shape).numel() / grad.numel()""")),
        *odd_functions("unbroadcast", "grad, shape"),
    ],
    "ch12.assign_grad": [
        right("a_grad_with_assign = -3"),
        mistake("value--2", "a_grad_with_assign = -2.0"),
        mistake("value-1", "a_grad_with_assign = 1.0"),
        odd("a_grad_with_assign = torch.tensor([-3.0, -3.0])"),
    ],
}

# The attacks of issue 20 (section 1), each an answer cell that would pass a wrong answer if the verdict took
# the student's process at its word: (exercise id, answer cell, the status it must get). Tampering with the checker
# is "tampered"; cos called from a helper breaks the rule, whatever the call record says.
ATTACKS = {
    "replace_call_record": ("ch06.sin_and_derivative", "tampered", """
        import helpers.checking.observe as observe
        observe._Calls.names = lambda self: ["backward", "sin"]
        def sin_and_derivative(x):
            return torch.sin(x), getattr(torch, "c" + "os")(x)
        """),
    "replace_tensor_reader": ("ch04.plain_cube", "tampered", """
        from helpers.checking import observe
        reader = observe._read_tensor
        def lying_reader(tensor, depth):
            info = reader(tensor, depth)
            info.update(grad_fn=None, requires_grad=False, is_leaf=True)
            return info
        observe._read_tensor = lying_reader
        def plain_cube(x):
            return x ** 3
        """),
    "replace_gradcheck": ("ch09.cos2x", "tampered", """
        torch.autograd.gradcheck = lambda *args, **kwargs: True
        class Cos2x(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return torch.sin(2 * x)

            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * -2 * torch.sin(2 * x)
        """),
    "lying_tensor_subclass": ("ch04.plain_cube", "tampered", """
        class Plain(torch.Tensor):
            grad_fn = property(lambda self: None)
            requires_grad = property(lambda self: False)
        def plain_cube(x):
            return (x ** 3).as_subclass(Plain)
        """),
    "cos_in_a_helper": ("ch06.sin_and_derivative", "fail", """
        import numpy as np
        def slope(t):
            return torch.from_numpy(np.cos(t.detach().numpy()))
        def sin_and_derivative(x):
            leaf = x.clone().requires_grad_()
            torch.sin(leaf).sum().backward()
            return torch.sin(x), slope(x)
        """),
}
