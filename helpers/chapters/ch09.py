"""The widget of chapter 9 and the plain function behind it: gradcheck on a custom Function's backward."""
import warnings

import ipywidgets as widgets
import torch

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import language, text


# name: (what backward returns for y = x³, given the saved x and grad_output g)
BACKWARDS = {
    "正确：g·3x²": lambda x, g: g * 3 * x ** 2,
    "忘了乘 grad_output：3x²": lambda x, g: 3 * x ** 2 + 0 * g,
    "符号反了：−g·3x²": lambda x, g: -g * 3 * x ** 2,
    "系数错了：g·x²": lambda x, g: g * x ** 2,
}
LABELS_EN = {"正确：g·3x²": "right: g·3x²", "忘了乘 grad_output：3x²": "forgot grad_output: 3x²",
             "符号反了：−g·3x²": "wrong sign: −g·3x²", "系数错了：g·x²": "wrong factor: g·x²"}
TEXTS = {
    "passed": {"zh": "通过 ✅", "en": "passed ✅"},
    "failed": {"zh": "失败 ❌  {message}", "en": "failed ❌  {message}"},
    "report": {"zh": "y = x³，x = {point}，{dtype}\n\ngradcheck：{verdict}\n\n"
                     "数值雅可比（中心差分，ε = 1e-6）：\n{numerical}\n"
                     "解析雅可比（backward 逐个传入单位向量）：\n{analytical}\n\n最大差异：{error:.3g}",
               "en": "y = x³, x = {point}, {dtype}\n\ngradcheck: {verdict}\n\n"
                     "numerical Jacobian (central differences, ε = 1e-6):\n{numerical}\n"
                     "analytical Jacobian (backward fed each unit vector):\n{analytical}\n\n"
                     "largest difference: {error:.3g}"},
    "title": {"zh": "交互：选一个 backward 和 dtype，看 gradcheck 比较数值与解析雅可比",
              "en": "Interactive: pick a backward and a dtype; watch gradcheck compare numerical and analytical "
                    "Jacobians"},
}
POINT = (1.0, 2.0, -0.5)
EPS = 1e-6


def cube_function(backward):
    """A torch.autograd.Function computing x³ whose backward is ``backward(x, grad_output)``."""

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return backward(x, grad_output)

    return Cube


def gradcheck_state(variant, dtype="float64"):
    """Run gradcheck on the Cube whose backward is ``variant``, at x = POINT in ``dtype``.

    Returns the verdict (``passed``, the first line of gradcheck's message), the numerical Jacobian by central
    differences with gradcheck's step 1e-6, the analytical Jacobian (backward called with each unit vector as
    grad_output, as gradcheck does) and their largest difference.
    """
    cube = cube_function(BACKWARDS[variant])
    x = torch.tensor(POINT, dtype=getattr(torch, dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float32 inputs warn; the state reports the outcome instead
        try:
            passed, message = torch.autograd.gradcheck(cube.apply, (x,), eps=EPS), ""
        except RuntimeError as error:
            passed, message = False, str(error).splitlines()[0].rstrip(",")
    n = x.numel()
    # backward with grad_output = e_j gives row j of J, i.e. column j of the layout below
    analytical = torch.stack([torch.autograd.grad(cube.apply(x), x, grad_outputs=e)[0]
                              for e in torch.eye(n, dtype=x.dtype)]).T
    with torch.no_grad():
        # row i: d(output)/d(x_i), the layout gradcheck prints (inputs down, outputs across)
        numerical = torch.stack([(cube.apply(x + EPS * e) - cube.apply(x - EPS * e)) / (2 * EPS)
                                 for e in torch.eye(n, dtype=x.dtype)])
    return {"passed": passed, "message": message, "numerical": numerical, "analytical": analytical,
            "error": (numerical - analytical).abs().max().item(), "dtype": dtype}


def _matrix(t):
    return "\n".join("    [" + ", ".join(f"{v:9.4f}" for v in row) + "]" for row in t.tolist())


def gradcheck_widget():
    # the dropdown shows each variant in the reader's language; BACKWARDS keeps its names
    variants = {name if language() == "zh" else LABELS_EN[name]: name for name in BACKWARDS}
    choice = widgets.Dropdown(options=list(variants), value=next(iter(variants)), description="backward",
                              layout=widgets.Layout(width="360px")).add_class(MAIN)
    dtype = widgets.ToggleButtons(options=["float64", "float32"], value="float64", description="dtype")
    output = output_area()

    def update(_=None):
        state = gradcheck_state(variants[choice.value], dtype.value)
        verdict = text(TEXTS["passed"], None) if state["passed"] else \
            text(TEXTS["failed"], None).format(message=state["message"])
        show(output, text(TEXTS["report"], None).format(
            point=list(POINT), dtype=state["dtype"], verdict=verdict, numerical=_matrix(state["numerical"]),
            analytical=_matrix(state["analytical"]), error=state["error"]))

    choice.observe(update, "value")
    dtype.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([choice, dtype]), output])
