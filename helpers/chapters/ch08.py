"""The widget of chapter 8 and the plain function behind it."""
import contextlib
import io
import textwrap
import warnings

import ipywidgets as widgets
import numpy as np
import torch

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import text


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
LABELS_EN = {  # the English edition's name of each error in ERRORS
    "8.1 非标量直接 backward()": "8.1 backward() on a non-scalar",
    "8.2 同一张图反向传播两次": "8.2 Backward through the same graph twice",
    "8.3 整数张量：工厂函数 requires_grad=True": "8.3 Integer tensor: requires_grad=True in a factory function",
    "8.3 整数张量：.requires_grad = True": "8.3 Integer tensor: .requires_grad = True",
    "8.3 整数张量：.requires_grad_()": "8.3 Integer tensor: .requires_grad_()",
    "8.4 原地修改需要梯度的叶子": "8.4 In-place change to a leaf that requires grad",
    "8.5 反向要用的张量被原地修改": "8.5 In-place change to a tensor backward needs",
    "8.6 对需要梯度的张量调用 numpy()": "8.6 numpy() on a tensor that requires grad",
    "8.7 结果不在计算图里": "8.7 The result is not in the graph",
    "8.8 读取非叶子张量的 .grad（警告）": "8.8 Reading .grad of a non-leaf tensor (warning)",
    "8.9 grad() 的输入没被用到": "8.9 An input of grad() was not used",
}
TEXTS = {  # what the widget says, in each edition's language
    "title": {"zh": "交互：选择一条报错，看出错的代码、现场报出的信息和修正",
              "en": "Interactive: pick an error and see the failing code, its message raised live, and the fix"},
    "choice": {"zh": "报错", "en": "Error"},
    "shown": {"zh": "第{section}节 · 出错的代码：\n{broken}\n\n实际报出的信息（现场运行）：\n{error}\n\n"
                    "修正后的代码：\n{fixed}\n\n修正后的输出：\n{fixed_output}",
              "en": "Section {section} · the failing code:\n{broken}\n\nThe message actually raised (run live):\n{error}"
                    "\n\nThe fixed code:\n{fixed}\n\nOutput of the fix:\n{fixed_output}"},
    "no_error": {"zh": "（没有报错）", "en": "(no error)"},
    "no_output": {"zh": "（没有输出）", "en": "(no output)"},
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
    names = {text({"zh": name, "en": LABELS_EN[name]}, None): name for name in ERRORS}  # shown label: ERRORS key
    choice = widgets.Dropdown(options=list(names), description=text(TEXTS["choice"], None),
                              layout=widgets.Layout(width="520px")).add_class(MAIN)
    output = output_area()

    def update(_=None):
        state = error_explorer_state(names[choice.value])
        fixed = state["fixed_output"].rstrip() + ("\n" + state["fixed_error"] if state["fixed_error"] else "")
        show(output, text(TEXTS["shown"], None).format(
            section=state["section"], broken=textwrap.indent(state["broken"], "    "),
            error=textwrap.indent(_wrap(state["error"] or text(TEXTS["no_error"], None)), "    "),
            fixed=textwrap.indent(state["fixed"], "    "),
            fixed_output=textwrap.indent(fixed or text(TEXTS["no_output"], None), "    ")))

    choice.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [choice, output])
