"""The plain functions behind each chapter's widget, and the widgets' wiring (headless, no browser)."""
import math
import re
from pathlib import Path

import nbformat
import pytest
import torch

from helpers.chapters import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10, ch11, ch12, panel


@pytest.mark.parametrize("expression, expected", [
    ("2·xᵀx", lambda x: 4 * x), ("x.sum()", torch.ones_like), ("(x*x).sum()", lambda x: 2 * x),
    ("mean(3(x+2)²)", lambda x: torch.full((2, 2), 4.5)),
])
def test_backward_basics_state(expression, expected):
    state = ch01.backward_basics_state(expression)
    assert torch.allclose(state["grad"], expected(state["x"])) and state["matches"]
    leaf = next(node for node in state["graph"].nodes if node.kind == "leaf")
    assert leaf.title == "x" and leaf.facts["grad"] == panel.fmt(state["grad"])


def test_backward_basics_values_from_the_notes():
    assert ch01.backward_basics_state("2·xᵀx")["y"].item() == 28.0
    assert ch01.backward_basics_state("mean(3(x+2)²)")["y"].item() == 27.0


def test_zeroing_history_accumulates_and_resets():
    history = ch02.zeroing_history(["zero", "backward", "backward", "zero", "backward", "none", "backward"])
    assert [entry["multiple"] for entry in history] == [None, 4, 8, 0, 4, None, 4]
    assert history[0]["error"] == "AttributeError: 'NoneType' object has no attribute 'zero_'"
    assert history[5]["grad"] is None and history[5]["error"] is None
    assert torch.equal(history[2]["grad"], 8 * torch.arange(4.0))
    text = ch02._history_text(history)
    assert " 3. y = 2 * torch.dot(x, x); y.backward()" in text and "x.grad = [0, 8, 16, 24] = 8x" in text
    with pytest.raises(ValueError):
        ch02.zeroing_history(["backwards"])


@pytest.mark.parametrize("w", [(1.0, 1.0, 1.0), (1.0, 0.5, -1.0), (0.0, 0.0, 2.0)])
def test_vjp_state_is_w_transpose_jacobian(w):
    state = ch03.vjp_state(*w)
    assert torch.equal(state["jacobian"], torch.tensor([[2.0, 2, 1], [1, 12, 6], [2, 4, 27]]))
    assert torch.allclose(state["grad"], torch.tensor(w) @ state["jacobian"])
    assert torch.allclose(state["wTJ"], state["grad"])


def test_vjp_state_with_ones_is_the_chapter_value():
    assert ch03.vjp_state(1, 1, 1)["grad"].tolist() == [5.0, 18.0, 34.0]


@pytest.mark.parametrize("example, cut, grad", [
    ("detach", True, [0.0, 1, 4, 9]), ("detach", False, [0.0, 3, 12, 27]),
    ("no_grad", True, 2.0), ("no_grad", False, 5.0), (".data", True, [2.0]),
])
def test_detach_state_gradients(example, cut, grad):
    state = ch04.detach_state(example, cut)
    assert state["error"] is None and state["grad"].tolist() == grad
    kinds = [node.kind for node in state["graph"].nodes]
    assert bool({"cut", "input"} & set(kinds)) == (cut and example != ".data")  # .data leaves the graph itself untouched


def test_detach_state_data_changes_the_value_and_plain_inplace_fails():
    state = ch04.detach_state(".data", True)
    assert state["x_start"].tolist() == [1.0] and state["x"].tolist() == [100.0]
    state = ch04.detach_state(".data", False)
    assert state["grad"] is None and state["x"].tolist() == [1.0]
    assert state["error"].startswith("RuntimeError: a leaf Variable that requires grad is being used in an in-place")


@pytest.mark.parametrize("a, doublings, branch, factor", [
    (1.2, 9, "if", 1024), (0.97, 10, "if", 2048), (0.98, 9, "if", 1024), (-0.3, 11, "else", 409600),
])
def test_control_flow_state(a, doublings, branch, factor):
    state = ch05.control_flow_state(a)
    assert (state["doublings"], state["branch"], state["grad"]) == (doublings, branch, factor)
    assert state["grad"] == (2 ** (doublings + 1)) * (100 if branch == "else" else 1)
    assert math.isclose(state["ratio"], state["grad"], rel_tol=1e-6)
    assert math.isclose(state["d"], factor * state["a"], rel_tol=1e-6)


def test_control_flow_state_at_zero_does_not_loop_forever():
    assert ch05.control_flow_state(0.0)["d"] is None


def test_control_flow_curve_is_piecewise_linear():
    curve = ch05.control_flow_curve()
    assert all(a != 0 for a, _ in curve)
    assert all(1000 <= d < 2000 for a, d in curve if a > 0)
    assert all(-200000 < d <= -100000 for a, d in curve if a < 0)


@pytest.mark.parametrize("name, derivative", [
    ("sin", torch.cos), ("cos", lambda x: -torch.sin(x)), ("tanh", lambda x: 1 - torch.tanh(x) ** 2),
    ("exp", torch.exp), ("x³", lambda x: 3 * x ** 2), ("ReLU", lambda x: (x > 0).float()),
    ("sigmoid", lambda x: torch.sigmoid(x) * (1 - torch.sigmoid(x))),
])
def test_derivative_curve(name, derivative):
    state = ch06.derivative_curve(name, 0.5)
    assert torch.allclose(state["dy"], derivative(state["x"]), atol=1e-5)
    assert math.isclose(state["slope"], derivative(torch.tensor(0.5)).item(), rel_tol=1e-5)
    tangent_x, tangent_y = state["tangent"]
    assert torch.allclose(tangent_y, state["y0"] + state["slope"] * (tangent_x - 0.5))


HIGHER_ORDER = {"sin": (torch.cos, lambda x: -torch.sin(x)), "x³": (lambda x: 3 * x ** 2, lambda x: 6 * x),
                "tanh": (lambda x: 1 - torch.tanh(x) ** 2, lambda x: -2 * torch.tanh(x) / torch.cosh(x) ** 2),
                "exp": (torch.exp, torch.exp)}


@pytest.mark.parametrize("name", HIGHER_ORDER)
@pytest.mark.parametrize("x0", [-2.0, 0.5, 1.3])
def test_higher_order_state_matches_calculus(name, x0):
    first, second = HIGHER_ORDER[name]
    state = ch07.higher_order_state(name, x0)
    at = torch.tensor(x0)
    assert math.isclose(state["d1"], first(at).item(), rel_tol=1e-5, abs_tol=1e-6)
    assert math.isclose(state["d2"], second(at).item(), rel_tol=1e-5, abs_tol=1e-6)
    assert math.isclose(state["d2"], state["d2_formula"], rel_tol=1e-5, abs_tol=1e-6)


def test_higher_order_state_sin_second_derivative_is_minus_sin():
    state = ch07.higher_order_state("sin", 0.7)
    assert math.isclose(state["d2"], -math.sin(0.7), rel_tol=1e-6)
    assert math.isclose(state["f"], math.sin(0.7), rel_tol=1e-6)


def test_higher_order_graphs_grow_with_each_derivative():
    nodes = ch07.higher_order_state("tanh", 0.5)["nodes"]
    assert nodes["f"] == 2  # TanhBackward0 and x's AccumulateGrad
    assert nodes["f"] < nodes["d1"] < nodes["d2"]
    assert ch07.count_nodes((torch.ones(2, requires_grad=True) * 3).sum()) == 3


@pytest.mark.parametrize("name", HIGHER_ORDER)
def test_higher_order_curves_by_autograd(name):
    x, f, d1, d2 = ch07.higher_order_curves(name)
    first, second = HIGHER_ORDER[name]
    assert torch.allclose(d1, first(x), atol=1e-4) and torch.allclose(d2, second(x), atol=1e-4)


CHAPTER_8 = Path(__file__).resolve().parent.parent / "notebooks" / "08_autograd_errors.ipynb"


def _quoted_in_headings():
    """The messages chapter 8 puts in its section headings, e.g. ## 8.1 `grad can be implicitly ...`."""
    markdown = "\n".join(c.source for c in nbformat.read(CHAPTER_8, as_version=4).cells if c.cell_type == "markdown")
    return set(re.findall(r"^##+ (?:8\.\d+ )?`([^`]+)`\s*$", markdown, re.M))


def test_error_explorer_covers_every_error_chapter_8_quotes():
    quoted = _quoted_in_headings()
    assert len(quoted) == 11
    assert {quote for _, quote, _, _ in ch08.ERRORS.values()} == quoted


@pytest.mark.parametrize("name", ch08.ERRORS)
def test_error_explorer_runs_the_real_error_and_a_working_fix(name):
    state = ch08.error_explorer_state(name)
    assert state["quote"] in state["error"]  # the live message is the one the chapter quotes
    kind = "UserWarning" if state["section"] == "8.8" else "RuntimeError"
    assert state["error"].startswith(f"{kind}: ")
    assert state["fixed_error"] is None and state["fixed_output"].strip()


def test_run_snippet_reports_errors_then_warnings_and_keeps_prints():
    assert ch08.run_snippet("print(1 + 1)") == ("2\n", None)
    assert ch08.run_snippet("import warnings; warnings.warn('careful')") == ("", "UserWarning: careful")
    assert ch08.run_snippet("print('a'); 1 / 0") == ("a\n", "ZeroDivisionError: division by zero")


BUILDERS = [ch01.backward_basics_widget, ch02.zeroing_widget, ch03.vjp_widget, ch04.detach_widget, ch05.control_flow_widget,
            ch06.derivative_widget, ch07.higher_order_widget, ch08.error_explorer_widget]


def _descendants(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _descendants(child)


def _move(control):
    """What a student does to the main control: click a button, pick another option, nudge a slider."""
    if hasattr(control, "click"):
        control.click()
    elif hasattr(control, "options"):
        control.value = control.options[1]
    else:
        control.value = control.value + control.step


@pytest.mark.parametrize("build", BUILDERS)
def test_widget_has_one_main_control_whose_move_changes_the_output(build):
    shown = build()
    assert repr(shown).startswith("[交互：") and len(repr(shown)) < 110  # the text nbval compares
    main = [w for w in _descendants(shown) if panel.MAIN in w._dom_classes]
    outputs = [w for w in _descendants(shown) if panel.OUTPUT in w._dom_classes]
    assert len(main) == 1 and len(outputs) == 1
    before = outputs[0].outputs
    assert before and before[0]["output_type"] == "stream"
    _move(main[0])
    assert outputs[0].outputs != before


ENGLISH = [ch01.backward_basics_widget, ch02.zeroing_widget, ch03.vjp_widget, ch04.detach_widget,
           ch05.control_flow_widget, ch06.derivative_widget, ch07.higher_order_widget, ch08.error_explorer_widget,
           ch09.gradcheck_widget, ch10.training_widget, ch11.nan_gradient_widget, ch12.engine_widget]
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")  # Chinese characters and punctuation
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def _shown_texts(widget):
    """What a student reads in a widget: its repr, labels, options and the text in its output area."""
    texts = [repr(widget)]
    for w in _descendants(widget):
        texts += [getattr(w, "description", ""), *getattr(w, "_options_labels", ())]
        texts += [shown["text"] for shown in getattr(w, "outputs", ()) if "text" in shown]
    return texts


def _moved_output(build):
    shown = build()
    main = next(w for w in _descendants(shown) if panel.MAIN in w._dom_classes)
    output = next(w for w in _descendants(shown) if panel.OUTPUT in w._dom_classes)
    before = output.outputs[0]["text"]
    _move(main)
    return shown, before, output.outputs[0]["text"]


@pytest.mark.parametrize("build", ENGLISH)
def test_widget_speaks_english_with_the_same_numbers(build, monkeypatch):
    _, _, chinese = _moved_output(build)
    monkeypatch.setenv("AUTOGRAD_COURSE_LANG", "en")
    shown, before, english = _moved_output(build)
    assert repr(shown).startswith("[Interactive: ") and len(repr(shown)) < 110
    assert english != before and not [t for t in _shown_texts(shown) if CJK.search(t)]
    assert NUMBER.findall(english) == NUMBER.findall(chinese)  # the same state, in other words


def test_zeroing_history_text_before_any_click_in_both_languages(monkeypatch):
    assert ch02._history_text([]) == "（还没有操作：点一个按钮）"
    monkeypatch.setenv("AUTOGRAD_COURSE_LANG", "en")
    assert ch02._history_text([]) == "(nothing done yet: click a button)"
