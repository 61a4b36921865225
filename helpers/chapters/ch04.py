"""The widget of chapter 4 and the plain function behind it."""
import ipywidgets as widgets
import torch

from helpers.chapters.graph import draw_graph
from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show
from helpers.messages import text


DETACH_EXAMPLES = {  # name: (code with the cut, code without it)
    "detach": ("y = x * x\nu = y.detach()\nz = u * x\nz.sum().backward()",
               "y = x * x\nu = y\nz = u * x\nz.sum().backward()"),
    "no_grad": ("y1 = x ** 2\nwith torch.no_grad():\n    y2 = x ** 3\ny3 = y1 + y2\ny3.backward()",
                "y1 = x ** 2\ny2 = x ** 3\ny3 = y1 + y2\ny3.backward()"),
    ".data": ("y = 2 * x\nx.data *= 100\ny.backward()", "y = 2 * x\nx *= 100\ny.backward()"),
}
TEXTS = {
    "title": {"zh": "交互：打开或关闭 detach / no_grad / .data，观察计算图和梯度",
              "en": "Interactive: turn detach / no_grad / .data on or off, watch the graph and the gradient"},
    "example": {"zh": "例子", "en": "Example"},
    "cut": {"zh": "切断（detach / no_grad / .data）", "en": "Cut (detach / no_grad / .data)"},
}


def detach_state(example, cut=True):
    """Run one of the chapter's examples with or without its cut: code, x before and after, x.grad or the error, graph."""
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
    graph = draw_graph(out, names)  # before backward frees the saved values that name the cut input
    if error is None:
        out.backward()
    return {"code": code, "x_start": start, "x": x.detach(), "grad": x.grad, "error": error, "graph": graph}


def detach_widget():
    example = widgets.ToggleButtons(options=list(DETACH_EXAMPLES),
                                    description=text(TEXTS["example"], None)).add_class(MAIN)
    cut = widgets.Checkbox(value=True, description=text(TEXTS["cut"], None),
                           style={"description_width": "initial"})
    output = output_area()

    def update(_=None):
        state = detach_state(example.value, cut.value)
        result = state["error"] or f"x      = {fmt(state['x'])}\nx.grad = {fmt(state['grad'])}"
        show(output, f"x = {fmt(state['x_start'])}\n{state['code']}\n\n{result}",
              state["graph"].figure())

    example.observe(update, "value")
    cut.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [example, cut, output])
