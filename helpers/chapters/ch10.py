"""The widget of chapter 10 and the plain function behind it: a small training loop, with and without zero_grad."""
import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show

TRUE_WEIGHT, TRUE_BIAS = (2.0, -3.0, 0.5), 1.0


def regression_data(n=64, seed=0):
    """The chapter's seeded data: y = 2x₁ − 3x₂ + 0.5x₃ + 1 plus a little noise; X is (n, 3), y is (n, 1)."""
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 3, generator=generator)
    y = X @ torch.tensor([TRUE_WEIGHT]).T + TRUE_BIAS + 0.1 * torch.randn(n, 1, generator=generator)
    return X, y


def make_model(seed=1):
    """The chapter's model: nn.Linear(3, 1) with seeded initial parameters."""
    torch.manual_seed(seed)
    return torch.nn.Linear(3, 1)


def training_curve(lr, zero_grad=True, steps=40):
    """Train the chapter's model with optim.SGD(lr) for ``steps`` full-batch steps; losses and final parameters.

    ``zero_grad=False`` leaves out ``optimizer.zero_grad()``, so every step uses the sum of all gradients so far.
    """
    X, y = regression_data()
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        if zero_grad:
            optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(model(X), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return {"losses": losses, "weight": model.weight.detach().reshape(-1).clone(), "bias": model.bias.detach().clone()}


def training_widget():
    slider = widgets.FloatLogSlider(value=0.1, base=10, min=-2.5, max=-0.3, step=0.1, description="lr",
                                    readout_format=".3g", layout=widgets.Layout(width="480px")).add_class(MAIN)
    forget = widgets.Checkbox(value=False, description="忘记 optimizer.zero_grad()")
    output = output_area()

    def update(_=None):
        lr = float(f"{slider.value:.3g}")
        right = training_curve(lr)
        chosen = training_curve(lr, zero_grad=not forget.value)
        fig = Figure(figsize=(7, 3.4))
        ax = fig.add_subplot()
        ax.plot(right["losses"], lw=2, label="with zero_grad()")
        if forget.value:
            ax.plot(chosen["losses"], lw=2, ls="--", label="without zero_grad()")
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("MSE loss")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        show(output, f"lr = {lr:.3g}，{'没有' if forget.value else '每步都'}清零梯度，40 步\n\n"
                     f"最后的 loss：{chosen['losses'][-1]:.4g}\n"
                     f"weight = {fmt(chosen['weight'])}（真实值 {list(TRUE_WEIGHT)}）\n"
                     f"bias   = {fmt(chosen['bias'])}（真实值 {TRUE_BIAS}）", fig)

    slider.observe(update, "value")
    forget.observe(update, "value")
    update()
    return Panel("交互：调学习率，勾选“忘记 zero_grad”，比较训练的 loss 曲线", [widgets.HBox([slider, forget]), output])
