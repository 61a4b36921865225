"""The widget of chapter 10 and the plain function behind it: a small training loop, with and without zero_grad."""
import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show
from helpers.messages import text

TRUE_WEIGHT, TRUE_BIAS = (2.0, -3.0, 0.5), 1.0
TEXTS = {
    "forget": {"zh": "忘记 optimizer.zero_grad()", "en": "forget optimizer.zero_grad()"},
    "zeroed": {"zh": "每步都清零梯度", "en": "zeroing the gradients every step"},
    "not_zeroed": {"zh": "没有清零梯度", "en": "never zeroing the gradients"},
    "report": {"zh": "lr = {lr:.3g}，{zeroing}，40 步\n\n最后的 loss：{loss:.4g}\n"
                     "weight = {weight}（真实值 {true_weight}）\nbias   = {bias}（真实值 {true_bias}）",
               "en": "lr = {lr:.3g}, {zeroing}, 40 steps\n\nfinal loss: {loss:.4g}\n"
                     "weight = {weight} (true value {true_weight})\nbias   = {bias} (true value {true_bias})"},
    "title": {"zh": "交互：调学习率，勾选“忘记 zero_grad”，比较训练的 loss 曲线",
              "en": "Interactive: tune the learning rate, tick \"forget zero_grad\", compare the loss curves"},
}


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
    forget = widgets.Checkbox(value=False, description=text(TEXTS["forget"], None))
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
        zeroing = text(TEXTS["not_zeroed" if forget.value else "zeroed"], None)
        show(output, text(TEXTS["report"], None).format(
            lr=lr, zeroing=zeroing, loss=chosen["losses"][-1], weight=fmt(chosen["weight"]),
            true_weight=list(TRUE_WEIGHT), bias=fmt(chosen["bias"]), true_bias=TRUE_BIAS), fig)

    slider.observe(update, "value")
    forget.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([slider, forget]), output])
