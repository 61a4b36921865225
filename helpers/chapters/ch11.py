"""The widget of chapter 11 and the plain function behind it: four ways to write sqrt, and their gradients."""
import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, output_area, show


def _safe_where(x):
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, 1.0)), 0.0)


VERSIONS = {  # name: function
    "torch.sqrt(x)": torch.sqrt,
    "torch.sqrt(torch.clamp(x, min=0))": lambda x: torch.sqrt(torch.clamp(x, min=0)),
    "torch.where(x > 0, torch.sqrt(x), 0.0)": lambda x: torch.where(x > 0, torch.sqrt(x), 0.0),
    "安全的 where（先换掉危险的输入）": _safe_where,
}


def value_and_grad(version, x):
    """The value of ``version`` at ``x`` (a tensor) and its gradient by autograd, both detached."""
    x = torch.as_tensor(x, dtype=torch.float32).detach().clone().requires_grad_(True)
    y = VERSIONS[version](x)
    y.sum().backward()
    return y.detach(), x.grad


def nan_gradient_state(version, x0):
    """Value and gradient at x0, and what is wrong with them: "ok", "inf" or "nan" for each."""
    value, grad = value_and_grad(version, torch.tensor(float(x0)))

    def verdict(t):
        return "nan" if torch.isnan(t) else "inf" if torch.isinf(t) else "ok"

    return {"x0": float(x0), "value": value.item(), "grad": grad.item(),
            "value_status": verdict(value), "grad_status": verdict(grad)}


def nan_gradient_curve(version):
    """x from −1 to 2 in steps of 0.05 (exactly 0 among them) with the value and gradient of ``version`` there."""
    x = torch.arange(-20, 41) / 20
    return (x, *value_and_grad(version, x))


def nan_gradient_widget():
    choice = widgets.Dropdown(options=list(VERSIONS), value="torch.sqrt(x)", description="写法",
                              layout=widgets.Layout(width="520px")).add_class(MAIN)
    slider = widgets.FloatSlider(value=0.0, min=-1.0, max=2.0, step=0.25, description="x",
                                 layout=widgets.Layout(width="420px"))
    output = output_area()
    notes = {"ok": "", "inf": "  ← inf", "nan": "  ← NaN"}

    def update(_=None):
        state = nan_gradient_state(choice.value, round(slider.value, 4))
        x, values, grads = nan_gradient_curve(choice.value)
        fig = Figure(figsize=(7, 3.2))
        ax = fig.add_subplot()
        ax.plot(x, values, lw=2, label="value")
        finite = torch.isfinite(grads)
        ax.plot(x[finite], grads[finite], "--", lw=2, label="gradient (finite points)")
        bad = ~finite
        if bad.any():
            ax.plot(x[bad], torch.zeros(int(bad.sum())), "rx", ms=8, label="gradient inf / NaN")
        ax.axvline(state["x0"], color="#9e9e9e", lw=1)
        ax.set_ylim(-1.0, 3.0)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
        ax.legend(loc="upper left", fontsize=9)
        fig.tight_layout()
        show(output, f"{choice.value}\n\nx = {state['x0']:.4g}\n"
                      f"值   = {state['value']:.4g}{notes[state['value_status']]}\n"
                      f"梯度 = {state['grad']:.4g}{notes[state['grad_status']]}", fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel("交互：sqrt 的四种写法在 x ≤ 0 处的值和梯度（inf、NaN 与 where 陷阱）",
                 [widgets.VBox([choice, slider]), output])
