"""Chapter 12's helpers: a drawing adapter for the chapter's ``Value`` graphs, and the widget with its engine.

``draw_value_graph`` reads any object with ``data``, ``grad``, ``_prev`` (a tuple of inputs) and ``_op`` (the
chapter's ``Value``) and returns the same ``Graph`` that ``draw_graph`` returns for tensors: a PNG in Jupyter,
a deterministic text listing as its repr. The widget replays a few expressions on a tiny engine whose ``+``
and ``*`` accumulate with ``+=`` or overwrite with ``=``, next to PyTorch's gradients.
"""
import math

import ipywidgets as widgets
import torch

from helpers.chapters.graph import Graph, Node, _layered
from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import text


def _number(value):
    return f"{value + 0.0:.4g}"


def draw_value_graph(root, names=None):
    """The graph behind a scalar ``Value`` ``root``: arrows go from each result to its inputs, as backward does."""
    labels = {id(value): name for name, value in (names or {}).items()}
    nodes, edges, index = [], [], {}
    pending = [root]
    while pending:  # breadth first from the root, every Value once
        value = pending.pop(0)
        if id(value) in index:
            continue
        index[id(value)] = len(nodes)
        name = labels.get(id(value))
        if value is root:
            kind, title = "output", name or f"output ({value._op})"
        elif not value._prev:
            kind, title = "leaf", name or "leaf"
        else:
            kind, title = "op", value._op + (f" ({name})" if name else "")
        repeats = sum(1 for node in nodes if node.title.split(" #")[0] == title)
        facts = {"value": _number(value.data), "grad": _number(value.grad)}
        nodes.append(Node(kind, f"{title} #{repeats + 1}" if repeats else title, facts))
        pending.extend(value._prev)
    pending = [root]
    done = set()
    while pending:
        value = pending.pop(0)
        if id(value) in done:
            continue
        done.add(id(value))
        for child in value._prev:  # one edge per use: a + a gets two arrows to a
            edges.append((index[id(value)], index[id(child)]))
            pending.append(child)
    return _layered(Graph(nodes, edges))


class Scalar:
    """The chapter's Value, cut down to + * tanh, with a switch between ``+=`` and ``=`` in _backward."""

    def __init__(self, data, prev=(), op="", accumulate=True):
        self.data, self.grad, self._prev, self._op = float(data), 0.0, prev, op
        self._backward, self.accumulate = (lambda: None), accumulate

    def _give(self, amount):
        self.grad = self.grad + amount if self.accumulate else amount

    def _lift(self, other):
        return other if isinstance(other, Scalar) else Scalar(other, accumulate=self.accumulate)

    def __add__(self, other):
        other = self._lift(other)
        out = Scalar(self.data + other.data, (self, other), "+", self.accumulate)

        def _backward():
            self._give(out.grad)
            other._give(out.grad)
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._lift(other)
        out = Scalar(self.data * other.data, (self, other), "*", self.accumulate)

        def _backward():
            self._give(other.data * out.grad)
            other._give(self.data * out.grad)
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Scalar(t, (self,), "tanh", self.accumulate)

        def _backward():
            self._give((1 - t ** 2) * out.grad)
        out._backward = _backward
        return out

    def backward(self):
        order, visited = [], set()

        def visit(value):
            if value not in visited:
                visited.add(value)
                for child in value._prev:
                    visit(child)
                order.append(value)
        visit(self)
        self.grad = 1.0
        for value in reversed(order):
            value._backward()


EXPRESSIONS = {  # name: the expression of a, b (works for Scalar and for torch tensors alike)
    "a + a": lambda a, b: a + a,
    "a * b + a": lambda a, b: a * b + a,
    "tanh(a * b) * a": lambda a, b: (a * b).tanh() * a,
    "(a + b) * (a + b)": lambda a, b: (a + b) * (a + b),
    "a * b": lambda a, b: a * b,
}
START = {"a": 2.0, "b": -3.0}
TEXTS = {
    "rule": {"zh": "_backward 用", "en": "_backward uses"},
    "expression": {"zh": "表达式", "en": "expression"},
    "heading": {"zh": "{expression}，a = 2，b = −3，值 {value:.4g}",
                "en": "{expression}, a = 2, b = −3, value {value:.4g}"},
    "columns": {"zh": "        自己的引擎    PyTorch", "en": "        our engine    PyTorch"},
    "differs": {"zh": "   ← 不同", "en": "   ← differs"},
    "match": {"zh": "一致", "en": "They agree"},
    "mismatch": {"zh": "不一致：被用了不止一次的节点，后一次 _backward 覆盖了前一次的梯度",
                 "en": "They differ: for a node used more than once, a later _backward overwrote the earlier gradient"},
    "title": {"zh": "交互：_backward 用 += 还是 =，与 PyTorch 的梯度对照",
              "en": "Interactive: += or = in _backward, checked against PyTorch's gradients"},
}


def engine_state(expression, accumulate):
    """Run ``expression`` at a = 2, b = −3 on the small engine (``+=`` or ``=``) and on PyTorch (float64)."""
    a, b = (Scalar(START[name], accumulate=accumulate) for name in "ab")
    out = EXPRESSIONS[expression](a, b)
    out.backward()
    ta, tb = (torch.tensor(START[name], dtype=torch.float64, requires_grad=True) for name in "ab")
    EXPRESSIONS[expression](ta, tb).backward()
    engine = {"a": a.grad, "b": b.grad}
    reference = {name: 0.0 if t.grad is None else t.grad.item() for name, t in (("a", ta), ("b", tb))}
    return {"value": out.data, "engine": engine, "torch": reference,
            "matches": all(math.isclose(engine[k], reference[k], rel_tol=1e-9, abs_tol=1e-12) for k in "ab"),
            "graph": draw_value_graph(out, {"a": a, "b": b})}


def engine_widget():
    rule = widgets.ToggleButtons(options=["+=", "="], value="+=",
                                 description=text(TEXTS["rule"], None)).add_class(MAIN)
    choice = widgets.Dropdown(options=list(EXPRESSIONS), value="a * b + a", description=text(TEXTS["expression"], None))
    output = output_area()

    def update(_=None):
        state = engine_state(choice.value, rule.value == "+=")
        lines = [text(TEXTS["heading"], None).format(expression=choice.value, value=state["value"]), "",
                 text(TEXTS["columns"], None)]
        for name in "ab":
            same = math.isclose(state["engine"][name], state["torch"][name], abs_tol=1e-12)
            mark = "" if same else text(TEXTS["differs"], None)
            lines.append(f"{name}.grad  {state['engine'][name]:>10.4g}  {state['torch'][name]:>9.4g}{mark}")
        lines.append("")
        lines.append(text(TEXTS["match" if state["matches"] else "mismatch"], None))
        show(output, "\n".join(lines), state["graph"].figure())

    rule.observe(update, "value")
    choice.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.HBox([rule, choice]), output])
