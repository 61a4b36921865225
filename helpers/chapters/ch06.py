"""The widget of chapter 6 and the plain function behind it."""
import math

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import text


FUNCTIONS = {  # name: (function, LaTeX for the plot legend)
    "sin": (torch.sin, r"\sin x"), "cos": (torch.cos, r"\cos x"), "tanh": (torch.tanh, r"\tanh x"),
    "exp": (torch.exp, r"e^x"), "x³": (lambda x: x ** 3, r"x^3"), "ReLU": (torch.relu, r"\mathrm{ReLU}(x)"),
    "sigmoid": (torch.sigmoid, r"\sigma(x)"),
}
TEXTS = {  # what the widget says, in each edition's language
    "title": {"zh": "交互：选择 f，拖动 x₀，观察 f、autograd 求出的导数和切线",
              "en": "Interactive: pick f, drag x₀, and watch f, its derivative by autograd and the tangent"},
    "by_autograd": {"zh": "（autograd）", "en": " (autograd)"},
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
    output = output_area()

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
        show(output, f"f = {choice.value}   x₀ = {state['x0']:.4g}   f(x₀) = {state['y0']:.4g}   "
                      f"f'(x₀) = {state['slope']:.4g}" + text(TEXTS["by_autograd"], None), fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([choice, slider]), output])
