"""The widget of chapter 5 and the plain function behind it."""
import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import text

TEXTS = {  # what the widget says, in each edition's language
    "title": {"zh": "交互：拖动 a，观察倍增次数、分支、d 与 a.grad",
              "en": "Interactive: drag a and watch the doublings, the branch, d and a.grad"},
    "undefined": {"zh": "a = 0：b 永远是 0，while 循环不会结束，f(0) 没有定义。",
                  "en": "a = 0: b stays 0, so the while loop never ends and f(0) is undefined."},
    "state": {"zh": "a = {a:.4g}\n倍增次数（while 循环）= {doublings}\n分支 = {branch}"
                    "\nd = {d:.6g}\na.grad = {grad:.6g}\nd / a  = {ratio:.6g}",
              "en": "a = {a:.4g}\ndoublings (while loop) = {doublings}\nbranch = {branch}"
                    "\nd = {d:.6g}\na.grad = {grad:.6g}\nd / a  = {ratio:.6g}"},
}


def control_flow_f(a):
    """Chapter 5's f, also returning how often the loop doubled b and which branch ran."""
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
    output = output_area()
    curve = control_flow_curve()

    def update(_=None):
        state = control_flow_state(round(slider.value, 4))
        if state["d"] is None:
            show(output, text(TEXTS["undefined"], None))
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
        show(output, text(TEXTS["state"], None).format(**state), fig)

    slider.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [slider, output])
