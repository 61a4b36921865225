"""The widget of chapter 1 and the plain function behind it."""
import ipywidgets as widgets
import torch

from helpers.chapters.graph import draw_graph
from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show
from helpers.messages import text


EXPRESSIONS = {  # label: (code, x, function, expected gradient as text, expected gradient)
    "2·xᵀx": ("y = 2 * torch.dot(x, x)", lambda: torch.arange(4.0), lambda x: 2 * torch.dot(x, x),
              "4x", lambda x: 4 * x),
    "x.sum()": ("y = x.sum()", lambda: torch.arange(4.0), lambda x: x.sum(), "1", torch.ones_like),
    "(x*x).sum()": ("y = (x * x).sum()", lambda: torch.arange(4.0), lambda x: (x * x).sum(), "2x",
                    lambda x: 2 * x),
    "mean(3(x+2)²)": ("y = (3 * (x + 2) ** 2).mean()", lambda: torch.ones(2, 2),
                      lambda x: (3 * (x + 2) ** 2).mean(), "1.5(x+2)", lambda x: 1.5 * (x + 2)),
}

TEXTS = {"title": {"zh": "交互：选择表达式，查看计算图、y 和 x.grad",
                   "en": "Interactive: pick an expression, see its graph, y and x.grad"}}


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
    output = output_area()

    def update(_=None):
        state = backward_basics_state(choice.value)
        show(output, f"{state['code']}\ny.backward()\n\nx      = {fmt(state['x'])}\ny      = {fmt(state['y'])}\n"
                      f"x.grad = {fmt(state['grad'])}   (= {state['expected_text']}: {state['matches']})",
              state["graph"].figure())

    choice.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [choice, output])
