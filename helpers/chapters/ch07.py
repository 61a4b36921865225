"""The widget of chapter 7, the plain function behind it, and the timer that chapters 7 and 11 measure with."""
import statistics
import time

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import text


HIGHER_ORDER = {  # name: (f, f' and f'' by formula, LaTeX of f, f', f'')
    "sin": (torch.sin, torch.cos, lambda x: -torch.sin(x), (r"\sin x", r"\cos x", r"-\sin x")),
    "x³": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x, ("x^3", "3x^2", "6x")),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2,
             lambda x: -2 * torch.tanh(x) * (1 - torch.tanh(x) ** 2),
             (r"\tanh x", r"1-\tanh^2 x", r"-2\tanh x\,(1-\tanh^2 x)")),
    "exp": (torch.exp, torch.exp, torch.exp, ("e^x", "e^x", "e^x")),
}
TEXTS = {  # what the widget says, in each edition's language
    "title": {"zh": "交互：选择 f，拖动 x₀，用 create_graph=True 求 f′ 和 f″，比较计算图大小",
              "en": "Interactive: pick f, drag x₀, get f′ and f″ with create_graph=True, compare the graph sizes"},
    "formula": {"zh": "公式：", "en": "formula: "},
    "nodes": {"zh": "计算图节点数：f {f}，f' {d1}，f'' {d2}（create_graph=True 把每次反向传播也记成了图）",
              "en": "graph nodes: f {f}, f' {d1}, f'' {d2} (create_graph=True records each backward pass as a graph "
                    "too)"},
}


def median_ms(*functions, repeats=9):
    """Median milliseconds of each function's work, timed in turns on one thread.

    The clock is the calling thread's CPU time (``time.thread_time``): with torch on one thread, that is the
    time the work took, not counting the time spent waiting while other programs hold the CPU (they still
    share its caches, so a busy machine measures somewhat slower). Each function is called twice
    first (warm-up). The ratios of the figures are what a chapter concludes from: they hold from machine to
    machine far better than the milliseconds themselves.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for function in functions:
            function(), function()
        samples = [[] for _ in functions]
        for _ in range(repeats):
            for function, times in zip(functions, samples):
                start = time.thread_time()
                function()
                times.append(time.thread_time() - start)
    finally:
        torch.set_num_threads(threads)
    return [1000 * statistics.median(times) for times in samples]


def count_nodes(t):
    """Autograd nodes reachable from ``t.grad_fn`` (AccumulateGrad included), as chapter 7 counts them."""
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            stack.extend(next_node for next_node, _ in node.next_functions)
    return len(seen)


def _derivatives(function, x):
    """f(x), f'(x), f''(x) by torch.autograd.grad with create_graph=True (each element depends on its own x_i)."""
    y = function(x)
    (d1,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (d2,) = torch.autograd.grad(d1.sum(), x, create_graph=True)  # recorded too, so its graph can be counted
    return y, d1, d2


def higher_order_state(name, x0):
    """f, f', f'' at x0 by autograd and by formula, and the size of the graphs behind f, f' and f''."""
    function, first, second, _ = HIGHER_ORDER[name]
    x = torch.tensor(float(x0), requires_grad=True)
    y, d1, d2 = _derivatives(function, x)
    at = x.detach()
    return {"x0": float(x0), "f": y.item(), "d1": d1.item(), "d2": d2.item(),
            "d1_formula": first(at).item(), "d2_formula": second(at).item(),
            "nodes": {"f": count_nodes(y), "d1": count_nodes(d1), "d2": count_nodes(d2)}}


def higher_order_curves(name, low=-3.0, high=3.0, points=121):
    """x on [low, high] and f, f', f'' there, all three by autograd."""
    x = torch.linspace(low, high, points, requires_grad=True)
    return (x.detach(), *(t.detach() for t in _derivatives(HIGHER_ORDER[name][0], x)))


def higher_order_widget():
    choice = widgets.Dropdown(options=list(HIGHER_ORDER), value="sin", description="f")
    slider = widgets.FloatSlider(value=0.5, min=-2.5, max=2.5, step=0.1, description="x₀",
                                 layout=widgets.Layout(width="500px")).add_class(MAIN)
    output = output_area()

    def update(_=None):
        state = higher_order_state(choice.value, round(slider.value, 4))
        latex = HIGHER_ORDER[choice.value][3]
        x, *curves = higher_order_curves(choice.value)
        fig = Figure(figsize=(7, 3.6))
        ax = fig.add_subplot()
        for curve, label, value, style in zip(curves, ("f", "f'", "f''"), (state["f"], state["d1"], state["d2"]),
                                              ("-", "--", ":")):
            line, = ax.plot(x, curve, lw=2, ls=style, label=f"${label}(x) = {latex[len(label) - 1]}$")
            ax.plot([state["x0"]], [value], "o", color=line.get_color())
        ax.axvline(state["x0"], color="#9e9e9e", lw=1)
        ax.set_ylim(max(-12.0, min(c.min().item() for c in curves) - 0.5), min(12.0, max(c.max().item() for c in curves) + 0.5))
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
        fig.tight_layout()
        formula = text(TEXTS["formula"], None)
        show(output, f"f = {choice.value}   x₀ = {state['x0']:.4g}\n\n"
                      f"f(x₀)   = {state['f']:.6g}\n"
                      f"f'(x₀)  = {state['d1']:.6g}   {formula}{state['d1_formula']:.6g}\n"
                      f"f''(x₀) = {state['d2']:.6g}   {formula}{state['d2_formula']:.6g}\n\n"
                      + text(TEXTS["nodes"], None).format(**state["nodes"]), fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([choice, slider]), output])
