"""The widget of chapter 3 and the plain function behind it."""
import ipywidgets as widgets
import torch

from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show
from helpers.messages import text


TEXTS = {
    "title": {"zh": "交互：拖动权重 w，比较雅可比矩阵 J、wᵀJ 与 x.grad",
              "en": "Interactive: drag the weights w, compare the Jacobian J, wᵀJ and x.grad"},
    "setup": {"zh": "x = [1, 2, 3]，y = f(x)，y.backward(w)", "en": "x = [1, 2, 3], y = f(x), y.backward(w)"},
    "equal": {"zh": "相等：", "en": "equal: "},
}


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
    output = output_area()

    def update(_=None):
        state = vjp_state(*(slider.value for slider in sliders))
        rows = [f"  [{', '.join(f'{v:>4g}' for v in row.tolist())}]" for row in state["jacobian"]]
        show(output, text(TEXTS["setup"], None) + "\n\nJ =\n" + "\n".join(rows)
              + f"\n\nw      = {fmt(state['w'])}\nwᵀJ    = {fmt(state['wTJ'])}\nx.grad = {fmt(state['grad'])}"
              f"\n{text(TEXTS['equal'], None)}{torch.allclose(state['wTJ'], state['grad'])}")

    for slider in sliders:
        slider.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox(sliders[:2]), sliders[2], output])
