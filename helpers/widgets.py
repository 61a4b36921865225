"""One interactive widget per chapter, each a thin ipywidgets layer over a plain function that tests check.

The plain functions (``backward_basics_state``, ``zeroing_history``, ``vjp_state``, ``detach_state``,
``control_flow_state``, ``derivative_curve``, ``higher_order_state``, ``error_explorer_state``) compute
everything a widget shows and return plain data.
The builders (``*_widget()``) only wire controls to them. They write into their output area by setting
``Output.outputs`` directly rather than printing inside ``with output:``: nbclient (``jupyter execute``)
and nbval route printed output differently, so printing would make the stored notebook disagree with
nbval. A widget cell's only compared output is the panel's fixed one-line ``repr``.

The browser test finds each widget's main control by the CSS class ``agc-main-control`` and its output
area by ``agc-output``.
"""
import base64
import contextlib
import io
import math
import textwrap
import warnings

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from helpers.graph import draw_graph

MAIN, OUTPUT = "agc-main-control", "agc-output"


class Panel(widgets.VBox):
    """A widget whose text form is one fixed line (what nbval compares), not its children's state."""

    def __init__(self, title, children):
        super().__init__(children=children)
        self.title = title

    def __repr__(self):
        return f"[{self.title}]"


def _png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _show(output, text, *figures):
    """Replace what ``output`` shows with ``text`` and images, atomically (no flicker, no print routing)."""
    shown = [{"output_type": "stream", "name": "stdout", "text": text + "\n"}]
    shown += [{"output_type": "display_data", "metadata": {}, "data": {"image/png": _png(figure)}}
              for figure in figures]
    output.outputs = tuple(shown)


def _output():
    return widgets.Output(layout=widgets.Layout(min_height="120px")).add_class(OUTPUT)


def _fmt(t):
    values = [f"{v + 0.0:.4g}" for v in torch.as_tensor(t).detach().flatten().tolist()]
    return values[0] if torch.as_tensor(t).dim() == 0 else "[" + ", ".join(values) + "]"


# Chapter 1 ---------------------------------------------------------------------------------------------

EXPRESSIONS = {  # label: (code, x, function, expected gradient as text, expected gradient)
    "2·xᵀx": ("y = 2 * torch.dot(x, x)", lambda: torch.arange(4.0), lambda x: 2 * torch.dot(x, x),
              "4x", lambda x: 4 * x),
    "x.sum()": ("y = x.sum()", lambda: torch.arange(4.0), lambda x: x.sum(), "1", torch.ones_like),
    "(x*x).sum()": ("y = (x * x).sum()", lambda: torch.arange(4.0), lambda x: (x * x).sum(), "2x",
                    lambda x: 2 * x),
    "mean(3(x+2)²)": ("y = (3 * (x + 2) ** 2).mean()", lambda: torch.ones(2, 2),
                      lambda x: (3 * (x + 2) ** 2).mean(), "1.5(x+2)", lambda x: 1.5 * (x + 2)),
}


def backward_basics_state(expression):
    """Build ``expression`` on a fresh x, run backward; return code, x, y, x.grad, the expected gradient, graph."""
    code, make_x, function, expected_text, expected = EXPRESSIONS[expression]
    x = make_x().requires_grad_()
    y = function(x)
    y.backward(retain_graph=True)  # keep saved values so the drawing can still name constants
    return {"code": code, "x": x.detach(), "y": y.detach(), "grad": x.grad, "expected_text": expected_text,
            "matches": torch.allclose(x.grad, expected(x.detach())), "graph": draw_graph(y, {"x": x, "y": y})}


def backward_basics_widget():
    choice = widgets.ToggleButtons(options=list(EXPRESSIONS), description="y =").add_class(MAIN)
    output = _output()

    def update(_=None):
        state = backward_basics_state(choice.value)
        _show(output, f"{state['code']}\ny.backward()\n\nx      = {_fmt(state['x'])}\ny      = {_fmt(state['y'])}\n"
                      f"x.grad = {_fmt(state['grad'])}   (= {state['expected_text']}: {state['matches']})",
              state["graph"].figure())

    choice.observe(update, "value")
    update()
    return Panel("交互：选择表达式，查看计算图、y 和 x.grad", [choice, output])


# Chapter 2 ---------------------------------------------------------------------------------------------

ACTIONS = {"backward": "y = 2 * torch.dot(x, x); y.backward()", "zero": "x.grad.zero_()", "none": "x.grad = None"}


def zeroing_history(actions):
    """Replay ``actions`` ("backward", "zero", "none") on x = [0, 1, 2, 3]; one entry per action.

    Each entry: the code run, x.grad afterwards (None or a tensor), ``multiple`` k when x.grad == k·x, and the
    error message when the action failed (``x.grad.zero_()`` while x.grad is None).
    """
    x = torch.arange(4.0, requires_grad=True)
    history = []
    for action in actions:
        error = None
        if action == "backward":
            (2 * torch.dot(x, x)).backward()  # a fresh graph each time, as the notes do by re-running the cell
        elif action == "zero":
            try:
                x.grad.zero_()
            except AttributeError as exc:
                error = f"AttributeError: {exc}"
        elif action == "none":
            x.grad = None
        else:
            raise ValueError(f"unknown action {action!r}; expected one of {list(ACTIONS)}")
        grad = None if x.grad is None else x.grad.clone()
        multiple = None if grad is None else round(grad[1].item())
        history.append({"code": ACTIONS[action], "grad": grad, "multiple": multiple, "error": error})
    return history


def _history_text(history):
    lines = []
    for step, entry in enumerate(history, 1):
        if entry["error"]:
            result = entry["error"]
        elif entry["grad"] is None:
            result = "x.grad = None"
        else:
            result = f"x.grad = {_fmt(entry['grad'])} = {entry['multiple']}x"
        lines.append(f"{step:>2}. {entry['code']:<40} {result}")
    return "\n".join(lines) or "（还没有操作：点一个按钮）"


def zeroing_widget():
    actions = []
    buttons = {name: widgets.Button(description=label, layout=widgets.Layout(width="auto"))
               for name, label in (("backward", "backward()"), ("zero", "x.grad.zero_()"), ("none", "x.grad = None"))}
    buttons["backward"].add_class(MAIN)
    reset = widgets.Button(description="重新开始", button_style="warning")
    output = _output()

    def update():
        _show(output, "x = [0, 1, 2, 3]，每次 backward() 都重新计算 y = 2xᵀx\n\n" + _history_text(zeroing_history(actions)))

    for name, button in buttons.items():
        button.on_click(lambda _, name=name: (actions.append(name), update()))
    reset.on_click(lambda _: (actions.clear(), update()))
    update()
    return Panel("交互：backward()、x.grad.zero_()、x.grad = None 与 x.grad 的历史",
                 [widgets.HBox([*buttons.values(), reset]), output])


# Chapter 3 ---------------------------------------------------------------------------------------------

def vjp_function(x):
    """The chapter's example: y = (x1² + 2x2 + x3, x1 + x2³ + x3², 2x1 + x2² + x3³)."""
    x1, x2, x3 = x
    return torch.stack([x1 ** 2 + 2 * x2 + x3, x1 + x2 ** 3 + x3 ** 2, 2 * x1 + x2 ** 2 + x3 ** 3])


def vjp_state(w1, w2, w3):
    """At x = (1, 2, 3): the Jacobian J, wᵀJ computed by hand, and x.grad after y.backward(w)."""
    w = torch.tensor([w1, w2, w3], dtype=torch.float32)
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = vjp_function(x)
    y.backward(w)
    jacobian = torch.autograd.functional.jacobian(vjp_function, x.detach())
    return {"w": w, "y": y.detach(), "jacobian": jacobian, "wTJ": w @ jacobian, "grad": x.grad}


def vjp_widget():
    sliders = [widgets.FloatSlider(value=1.0, min=-2.0, max=2.0, step=0.1, description=f"w{i}") for i in (1, 2, 3)]
    sliders[0].add_class(MAIN)
    output = _output()

    def update(_=None):
        state = vjp_state(*(slider.value for slider in sliders))
        rows = [f"  [{', '.join(f'{v:>4g}' for v in row.tolist())}]" for row in state["jacobian"]]
        _show(output, "x = [1, 2, 3]，y = f(x)，y.backward(w)\n\nJ =\n" + "\n".join(rows)
              + f"\n\nw      = {_fmt(state['w'])}\nwᵀJ    = {_fmt(state['wTJ'])}\nx.grad = {_fmt(state['grad'])}"
              f"\n相等：{torch.allclose(state['wTJ'], state['grad'])}")

    for slider in sliders:
        slider.observe(update, "value")
    update()
    return Panel("交互：拖动权重 w，比较雅可比矩阵 J、wᵀJ 与 x.grad", [widgets.HBox(sliders[:2]), sliders[2], output])


# Chapter 4 ---------------------------------------------------------------------------------------------

DETACH_EXAMPLES = {  # name: (code with the cut, code without it)
    "detach": ("y = x * x\nu = y.detach()\nz = u * x\nz.sum().backward()",
               "y = x * x\nu = y\nz = u * x\nz.sum().backward()"),
    "no_grad": ("y1 = x ** 2\nwith torch.no_grad():\n    y2 = x ** 3\ny3 = y1 + y2\ny3.backward()",
                "y1 = x ** 2\ny2 = x ** 3\ny3 = y1 + y2\ny3.backward()"),
    ".data": ("y = 2 * x\nx.data *= 100\ny.backward()", "y = 2 * x\nx *= 100\ny.backward()"),
}


def detach_state(example, cut=True):
    """Run one of the notes' examples with or without its cut: code, x before and after, x.grad or the error, graph."""
    code = DETACH_EXAMPLES[example][0 if cut else 1]
    x = torch.arange(4.0, requires_grad=True) if example == "detach" else torch.ones(1 if example == ".data" else (),
                                                                                    requires_grad=True)
    start, error = x.detach().clone(), None
    if example == "detach":
        y = x * x
        u = y.detach() if cut else y
        out = (u * x).sum()
        names = {"x": x, "u": u}
    elif example == "no_grad":
        y1 = x ** 2
        with torch.set_grad_enabled(not cut):
            y2 = x ** 3
        out = y1 + y2
        names = {"x": x, "y1": y1, "y2": y2, "y3": out}
    else:
        out = 2 * x
        names = {"x": x, "y": out}
        try:
            if cut:
                x.data *= 100
            else:
                x *= 100
        except RuntimeError as exc:
            error = f"RuntimeError: {exc}"
    if error is None:
        out.backward(retain_graph=True)  # keep saved values so the drawing can name the cut input
    return {"code": code, "x_start": start, "x": x.detach(), "grad": x.grad, "error": error,
            "graph": draw_graph(out, names)}


def detach_widget():
    example = widgets.ToggleButtons(options=list(DETACH_EXAMPLES), description="例子").add_class(MAIN)
    cut = widgets.Checkbox(value=True, description="切断（detach / no_grad / .data）",
                           style={"description_width": "initial"})
    output = _output()

    def update(_=None):
        state = detach_state(example.value, cut.value)
        result = state["error"] or f"x      = {_fmt(state['x'])}\nx.grad = {_fmt(state['grad'])}"
        _show(output, f"x = {_fmt(state['x_start'])}\n{state['code']}\n\n{result}",
              state["graph"].figure())

    example.observe(update, "value")
    cut.observe(update, "value")
    update()
    return Panel("交互：打开或关闭 detach / no_grad / .data，观察计算图和梯度", [example, cut, output])


# Chapter 5 ---------------------------------------------------------------------------------------------

def control_flow_f(a):
    """The notes' f, also returning how often the loop doubled b and which branch ran."""
    b = a * 2
    doublings = 0
    while b.norm() < 1000:
        b = b * 2
        doublings += 1
    if b.sum() > 0:
        return b, doublings, "if"
    return 100 * b, doublings, "else"


def control_flow_state(a):
    """f at the scalar ``a``: doublings, branch, d, a.grad and d / a (None values for a = 0, where f never ends)."""
    if a == 0:
        return {"a": 0.0, "doublings": None, "branch": None, "d": None, "grad": None, "ratio": None}
    a = torch.tensor(float(a), requires_grad=True)
    d, doublings, branch = control_flow_f(a)
    d.backward()
    return {"a": a.item(), "doublings": doublings, "branch": branch, "d": d.item(), "grad": a.grad.item(),
            "ratio": (d / a).item()}


def control_flow_curve(low=-2.0, high=2.0, points=401):
    """Points (a, f(a)) of the piecewise-linear f, leaving out a = 0."""
    with torch.no_grad():
        grid = [low + (high - low) * i / (points - 1) for i in range(points)]
        return [(a, control_flow_f(torch.tensor(a))[0].item()) for a in grid if abs(a) > 1e-9]


def control_flow_widget():
    slider = widgets.FloatSlider(value=1.2, min=-2.0, max=2.0, step=0.05, description="a",
                                 layout=widgets.Layout(width="500px")).add_class(MAIN)
    output = _output()
    curve = control_flow_curve()

    def update(_=None):
        state = control_flow_state(round(slider.value, 4))
        if state["d"] is None:
            _show(output, "a = 0：b 永远是 0，while 循环不会结束，f(0) 没有定义。")
            return
        fig = Figure(figsize=(8, 3))
        # Two panels: the branches differ by a factor of 100, and each is piecewise linear on its own scale.
        for ax, side, title in zip(fig.subplots(1, 2), (-1, 1), ("a < 0: c = 100 b", "a > 0: c = b")):
            ax.plot(*zip(*[p for p in curve if p[0] * side > 0]), color="#1565c0", lw=1.2)
            if state["a"] * side > 0:
                ax.plot([state["a"]], [state["d"]], "o", color="#c62828", ms=8)
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("a")
            ax.grid(alpha=0.3)
        fig.axes[0].set_ylabel("d = f(a)")
        fig.tight_layout()
        _show(output, f"a = {state['a']:.4g}\n倍增次数（while 循环）= {state['doublings']}\n分支 = {state['branch']}"
                      f"\nd = {state['d']:.6g}\na.grad = {state['grad']:.6g}\nd / a  = {state['ratio']:.6g}", fig)

    slider.observe(update, "value")
    update()
    return Panel("交互：拖动 a，观察倍增次数、分支、d 与 a.grad", [slider, output])


# Chapter 6 ---------------------------------------------------------------------------------------------

FUNCTIONS = {  # name: (function, LaTeX for the plot legend)
    "sin": (torch.sin, r"\sin x"), "cos": (torch.cos, r"\cos x"), "tanh": (torch.tanh, r"\tanh x"),
    "exp": (torch.exp, r"e^x"), "x³": (lambda x: x ** 3, r"x^3"), "ReLU": (torch.relu, r"\mathrm{ReLU}(x)"),
    "sigmoid": (torch.sigmoid, r"\sigma(x)"),
}


def derivative_curve(name, x0, points=201):
    """f and its autograd derivative on [-π, π], and the tangent line at x0 (drawn on [x0 - 1, x0 + 1])."""
    function = FUNCTIONS[name][0]
    x = torch.linspace(-math.pi, math.pi, points, requires_grad=True)
    function(x).sum().backward()  # each f(x_i) depends on x_i only, so x.grad[i] = f'(x_i)
    at = torch.tensor(float(x0), requires_grad=True)
    y0 = function(at)
    y0.backward()
    tangent_x = torch.tensor([x0 - 1.0, x0 + 1.0])
    return {"x": x.detach(), "y": function(x.detach()), "dy": x.grad, "x0": float(x0), "y0": y0.item(),
            "slope": at.grad.item(), "tangent": (tangent_x, y0.detach() + at.grad * (tangent_x - x0))}


def derivative_widget():
    choice = widgets.Dropdown(options=list(FUNCTIONS), value="sin", description="f")
    slider = widgets.FloatSlider(value=0.0, min=-3.0, max=3.0, step=0.1, description="x₀",
                                 layout=widgets.Layout(width="500px")).add_class(MAIN)
    output = _output()

    def update(_=None):
        state = derivative_curve(choice.value, round(slider.value, 4))
        latex = FUNCTIONS[choice.value][1]
        fig = Figure(figsize=(7, 3.6))
        ax = fig.add_subplot()
        ax.plot(state["x"], state["y"], lw=2, label=f"$f(x) = {latex}$")
        ax.plot(state["x"], state["dy"], lw=2, ls="--", label="$f'(x)$ by autograd")
        ax.plot(*state["tangent"], color="#c62828", lw=1.5, label="tangent at $x_0$")
        ax.plot([state["x0"]], [state["y0"]], "o", color="#c62828")
        low = min(state["y"].min().item(), state["dy"].min().item())
        high = max(state["y"].max().item(), state["dy"].max().item())
        ax.set_ylim(low - 0.1 * (high - low) - 0.1, high + 0.1 * (high - low) + 0.1)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
        fig.tight_layout()
        _show(output, f"f = {choice.value}   x₀ = {state['x0']:.4g}   f(x₀) = {state['y0']:.4g}   "
                      f"f'(x₀) = {state['slope']:.4g}（autograd）", fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel("交互：选择 f，拖动 x₀，观察 f、autograd 求出的导数和切线", [widgets.HBox([choice, slider]), output])


# Chapter 7 ---------------------------------------------------------------------------------------------

HIGHER_ORDER = {  # name: (f, f' and f'' by formula, LaTeX of f, f', f'')
    "sin": (torch.sin, torch.cos, lambda x: -torch.sin(x), (r"\sin x", r"\cos x", r"-\sin x")),
    "x³": (lambda x: x ** 3, lambda x: 3 * x ** 2, lambda x: 6 * x, ("x^3", "3x^2", "6x")),
    "tanh": (torch.tanh, lambda x: 1 - torch.tanh(x) ** 2,
             lambda x: -2 * torch.tanh(x) * (1 - torch.tanh(x) ** 2),
             (r"\tanh x", r"1-\tanh^2 x", r"-2\tanh x\,(1-\tanh^2 x)")),
    "exp": (torch.exp, torch.exp, torch.exp, ("e^x", "e^x", "e^x")),
}


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
    output = _output()

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
        nodes = state["nodes"]
        _show(output, f"f = {choice.value}   x₀ = {state['x0']:.4g}\n\n"
                      f"f(x₀)   = {state['f']:.6g}\n"
                      f"f'(x₀)  = {state['d1']:.6g}   公式：{state['d1_formula']:.6g}\n"
                      f"f''(x₀) = {state['d2']:.6g}   公式：{state['d2_formula']:.6g}\n\n"
                      f"计算图节点数：f {nodes['f']}，f' {nodes['d1']}，f'' {nodes['d2']}"
                      f"（create_graph=True 把每次反向传播也记成了图）", fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel("交互：选择 f，拖动 x₀，用 create_graph=True 求 f′ 和 f″，比较计算图大小",
                 [widgets.HBox([choice, slider]), output])


# Chapter 8 ---------------------------------------------------------------------------------------------

ERRORS = {  # label: (section, the message chapter 8 quotes, broken code, fixed code)
    "8.1 非标量直接 backward()": (
        "8.1", "grad can be implicitly created only for scalar outputs",
        "x = torch.arange(4.0, requires_grad=True)\ny = x * x\ny.backward()",
        "x = torch.arange(4.0, requires_grad=True)\ny = x * x\ny.sum().backward()\nprint(x.grad)\n"
        "assert torch.allclose(x.grad, 2 * x)"),
    "8.2 同一张图反向传播两次": (
        "8.2", "Trying to backward through the graph a second time",
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 3\ny.backward()\ny.backward()",
        "x = torch.tensor(2.0, requires_grad=True)\ny = x ** 3\ny.backward(retain_graph=True)\ny.backward()\n"
        "print(x.grad)\nassert torch.allclose(x.grad, 2 * 3 * x.detach() ** 2)"),
    "8.3 整数张量：工厂函数 requires_grad=True": (
        "8.3", "Only Tensors of floating point and complex dtype can require gradients",
        "torch.arange(4, requires_grad=True)",
        "x = torch.arange(4.0, requires_grad=True)\nprint(x)"),
    "8.3 整数张量：.requires_grad = True": (
        "8.3", "only Tensors of floating point and complex dtype can require gradients",
        "t = torch.arange(4)\nt.requires_grad = True",
        "t = torch.arange(4).float()\nt.requires_grad = True\nprint(t)"),
    "8.3 整数张量：.requires_grad_()": (
        "8.3", "only Tensors of floating point dtype can require gradients",
        "t = torch.arange(4)\nt.requires_grad_()",
        "t = torch.arange(4).float().requires_grad_()\nprint(t)"),
    "8.4 原地修改需要梯度的叶子": (
        "8.4", "a leaf Variable that requires grad is being used in an in-place operation.",
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\n"
        "w -= 0.1 * w.grad",
        "w = torch.tensor([1.0, -2.0], requires_grad=True)\nloss = (w ** 2).sum()\nloss.backward()\n"
        "with torch.no_grad():\n    w -= 0.1 * w.grad\nw.grad.zero_()\nprint(w)\n"
        "assert torch.allclose(w, torch.tensor([0.8, -1.6]))"),
    "8.5 反向要用的张量被原地修改": (
        "8.5", "one of the variables needed for gradient computation has been modified by an inplace operation",
        "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\nh = x * 2\ny = h ** 2\nh += 1\ny.sum().backward()",
        "x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\nh = x * 2\ny = h ** 2\nh = h + 1\n"
        "y.sum().backward()\nprint(x.grad)\nassert torch.allclose(x.grad, 8 * x)"),
    "8.6 对需要梯度的张量调用 numpy()": (
        "8.6", "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
        "x = torch.linspace(0, 3, 4, requires_grad=True)\ny = torch.sin(x)\ny.numpy()",
        "x = torch.linspace(0, 3, 4, requires_grad=True)\ny = torch.sin(x)\nvalues = y.detach().numpy()\n"
        "print(values)\nassert np.allclose(values, np.sin(np.linspace(0, 3, 4)))"),
    "8.7 结果不在计算图里": (
        "8.7", "element 0 of tensors does not require grad and does not have a grad_fn",
        "x = torch.arange(4.0)\ny = (x * x).sum()\ny.backward()",
        "x = torch.arange(4.0, requires_grad=True)\ny = (x * x).sum()\ny.backward()\nprint(x.grad)\n"
        "assert torch.allclose(x.grad, 2 * x)"),
    "8.8 读取非叶子张量的 .grad（警告）": (
        "8.8", "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed.",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\nh = x * 3\ny = (h ** 2).sum()\ny.backward()\n"
        "print(\"h.grad:\", h.grad)",
        "x = torch.tensor([1.0, 2.0], requires_grad=True)\nh = x * 3\nh.retain_grad()\ny = (h ** 2).sum()\n"
        "y.backward()\nprint(\"h.grad:\", h.grad)\nassert torch.allclose(h.grad, 2 * h.detach())"),
    "8.9 grad() 的输入没被用到": (
        "8.9", "The differentiated Tensor at index 1 appears to not have been used in the graph.",
        "a = torch.tensor(2.0, requires_grad=True)\nb = torch.tensor(5.0, requires_grad=True)\ny = a ** 2\n"
        "torch.autograd.grad(y, [a, b])",
        "a = torch.tensor(2.0, requires_grad=True)\nb = torch.tensor(5.0, requires_grad=True)\ny = a ** 2\n"
        "grad_a, grad_b = torch.autograd.grad(y, [a, b], allow_unused=True)\nprint(grad_a, grad_b)\n"
        "assert grad_b is None"),
}


def run_snippet(code):
    """Run ``code`` with torch and np; return (what it printed, the first error or else warning as "Type: message")."""
    printed = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed):
        warnings.simplefilter("always")
        try:
            exec(code, {"torch": torch, "np": np})  # the very code the widget shows
            problem = None
        except Exception as exc:  # any error is the result to show
            problem = f"{type(exc).__name__}: {exc}"
    if problem is None and caught:
        problem = f"{caught[0].category.__name__}: {caught[0].message}"
    return printed.getvalue(), problem


def error_explorer_state(name):
    """One of chapter 8's errors, run live: its broken code and real message, the fix and what the fix printed."""
    section, quote, broken, fixed = ERRORS[name]
    _, error = run_snippet(broken)
    fixed_output, fixed_error = run_snippet(fixed)
    return {"section": section, "quote": quote, "broken": broken, "error": error, "fixed": fixed,
            "fixed_output": fixed_output, "fixed_error": fixed_error}


def _wrap(message, width=96):
    return "\n".join(textwrap.fill(line, width, subsequent_indent="    ") for line in message.splitlines())


def error_explorer_widget():
    choice = widgets.Dropdown(options=list(ERRORS), description="报错",
                              layout=widgets.Layout(width="520px")).add_class(MAIN)
    output = _output()

    def update(_=None):
        state = error_explorer_state(choice.value)
        fixed = state["fixed_output"].rstrip() + ("\n" + state["fixed_error"] if state["fixed_error"] else "")
        _show(output, f"第{state['section']}节 · 出错的代码：\n{textwrap.indent(state['broken'], '    ')}\n\n"
                      f"实际报出的信息（现场运行）：\n{textwrap.indent(_wrap(state['error'] or '（没有报错）'), '    ')}\n\n"
                      f"修正后的代码：\n{textwrap.indent(state['fixed'], '    ')}\n\n"
                      f"修正后的输出：\n{textwrap.indent(fixed or '（没有输出）', '    ')}")

    choice.observe(update, "value")
    update()
    return Panel("交互：选择一条报错，看出错的代码、现场报出的信息和修正", [choice, output])
