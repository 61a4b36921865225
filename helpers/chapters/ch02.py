"""The widget of chapter 2 and the plain function behind it."""
import ipywidgets as widgets
import torch

from helpers.chapters.panel import MAIN, Panel, fmt, output_area, show
from helpers.messages import text


ACTIONS = {"backward": "y = 2 * torch.dot(x, x); y.backward()", "zero": "x.grad.zero_()", "none": "x.grad = None"}
TEXTS = {
    "title": {"zh": "交互：backward()、x.grad.zero_()、x.grad = None 与 x.grad 的历史",
              "en": "Interactive: backward(), x.grad.zero_(), x.grad = None and the history of x.grad"},
    "setup": {"zh": "x = [0, 1, 2, 3]，每次 backward() 都重新计算 y = 2xᵀx",
              "en": "x = [0, 1, 2, 3]; each backward() recomputes y = 2xᵀx"},
    "empty": {"zh": "（还没有操作：点一个按钮）", "en": "(nothing done yet: click a button)"},
    "reset": {"zh": "重新开始", "en": "Start over"},
}


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
            (2 * torch.dot(x, x)).backward()  # a fresh graph each time, like re-running the cell
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
            result = f"x.grad = {fmt(entry['grad'])} = {entry['multiple']}x"
        lines.append(f"{step:>2}. {entry['code']:<40} {result}")
    return "\n".join(lines) or text(TEXTS["empty"], None)


def zeroing_widget():
    actions = []
    buttons = {name: widgets.Button(description=label, layout=widgets.Layout(width="auto"))
               for name, label in (("backward", "backward()"), ("zero", "x.grad.zero_()"), ("none", "x.grad = None"))}
    buttons["backward"].add_class(MAIN)
    reset = widgets.Button(description=text(TEXTS["reset"], None), button_style="warning")
    output = output_area()

    def update():
        show(output, text(TEXTS["setup"], None) + "\n\n" + _history_text(zeroing_history(actions)))

    for name, button in buttons.items():
        button.on_click(lambda _, name=name: (actions.append(name), update()))
    reset.on_click(lambda _: (actions.clear(), update()))
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([*buttons.values(), reset]), output])
