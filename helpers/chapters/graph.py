"""Draw the graph autograd builds behind a tensor, by walking ``grad_fn`` / ``next_functions``.

Pure Python and matplotlib: no graphviz binary. ``draw_graph(t)`` returns a ``Graph`` that Jupyter shows as
a PNG drawing, while its text form (``describe()``, also its ``repr``) is a deterministic listing that nbval
compares and tests assert on. Arrows point the way ``backward()`` travels: from the output down to the
leaves, whose ``.grad`` is shown once backward has run.

An input that needs no gradient is a ``None`` in its node's ``next_functions``: autograd keeps no edge to
it. The drawing shows it by what the node saved of it (``_saved_self`` / ``_saved_other`` for inputs 0 and 1;
otherwise the one saved floating-point tensor that needs no gradient, when exactly one input is untracked):

- *constant* (grey, dotted, titled by its value): a saved 0-d tensor not in ``names``. That is how PyTorch
  keeps a Python number (the ``2`` in ``2 * x``, the ``3`` in ``y * y * 3``); a 0-d tensor you made yourself
  looks the same unless you name it.
- *cut* (red cross, dashed, titled by its name in ``names``, else "tensor"): any other saved tensor
  that needs no gradient: a ``detach()`` result, a result computed under ``torch.no_grad()``, plain data.
- *input* (dashed, titled "unsaved input"): the node saved nothing of it (``x + 2``, ``y1 + y2``);
  autograd then keeps neither its value nor whether it was a number or a tensor.
- *freed* (dashed, titled "freed input"): the node saved it, but ``backward()`` freed the saved values
  before any drawing read them. What a drawing learns about a node is kept in the node's ``metadata``, so a
  graph drawn before backward is drawn the same after it.
"""
import io
import weakref
from dataclasses import dataclass, field

import torch
from matplotlib.figure import Figure

from helpers.messages import language

MAX_SHOWN = 6  # tensors with more elements are summarised by their shape only

WORDS = {
    "zh": {"output": "输出", "leaf": "叶子", "shape": "形状", "value": "值", "grad": "grad",
           "constant": "常数", "cut": "切断，梯度不流向这里", "input": "不需要梯度，运算没有保存它",
           "freed": "不需要梯度，保存的值已被 backward() 释放"},
    "en": {"output": "output", "leaf": "leaf", "shape": "shape", "value": "value", "grad": "grad",
           "constant": "constant", "cut": "cut off, no gradient flows here",
           "input": "needs no gradient, the operation saved nothing of it",
           "freed": "needs no gradient, backward() freed what was saved of it"},
}
# Titles of nodes without a name from ``names``; ASCII like the rest of the drawing (its font has no CJK glyphs)
TITLES = {"cut": "tensor", "input": "unsaved input", "freed": "freed input"}
STYLE = {  # kind: face colour, edge colour, line style
    "output": ("#c8e6c9", "#2e7d32", "-"),
    "op": ("#e3f2fd", "#1565c0", "-"),
    "leaf": ("#fff3c4", "#b8860b", "-"),
    "constant": ("#eeeeee", "#9e9e9e", ":"),
    "cut": ("#f5f5f5", "#c62828", "--"),
    "input": ("#fafafa", "#757575", "--"),
    "freed": ("#fafafa", "#757575", "--"),
}
UNTRACKED = ("cut", "input", "freed")  # kinds of an input that needs no gradient, drawn with a dashed arrow
MEMO = "autograd_course_inputs"  # key in a node's metadata: what a drawing saw of its untracked inputs


@dataclass
class Node:
    kind: str  # one of STYLE's keys
    title: str  # unique within its graph
    facts: dict = field(default_factory=dict)  # plain values: shape, value, grad
    layer: int = 0


@dataclass
class Graph:
    nodes: list  # top-down: layer by layer, left to right
    edges: list  # (parent index, child index)

    def describe(self, lang=None):
        """One line per node, top-down: what it is, then where backward goes next."""
        words = WORDS[language(lang)]
        children = {i: [] for i in range(len(self.nodes))}
        for parent, child in self.edges:
            children[parent].append(self.nodes[child].title)
        lines = []
        for i, node in enumerate(self.nodes):
            facts = [words[node.kind] if node.kind != "op" else None]
            facts += [f"{words[key]} {value}" for key, value in node.facts.items()]
            line = f"{node.title}: " + ", ".join(fact for fact in facts if fact) if facts != [None] else node.title
            if children[i]:
                line += f"  -> {', '.join(children[i])}"
            lines.append(line)
        return "\n".join(lines)

    __repr__ = describe

    def figure(self):
        """A matplotlib Figure of the graph (not registered with pyplot, so nothing leaks between cells)."""
        rows = [[i for i, n in enumerate(self.nodes) if n.layer == layer] for layer in range(self.depth)]
        width = max(len(row) for row in rows)
        fig = Figure(figsize=(max(3.2, 2.5 * width), 0.4 + 1.15 * self.depth))
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(-width / 2, width / 2)
        ax.set_ylim(-self.depth + 0.35, 0.65)
        ax.axis("off")
        boxes = {}
        for row in rows:
            for column, i in enumerate(row):
                node = self.nodes[i]
                face, edge, style = STYLE[node.kind]
                boxes[i] = ax.text(column - (len(row) - 1) / 2, -node.layer, self._label(node), ha="center",
                                   va="center", fontsize=9, family="DejaVu Sans",
                                   bbox=dict(boxstyle="round,pad=0.4", fc=face, ec=edge, ls=style, lw=1.4))
        drawn = []
        for parent, child in self.edges:
            kind = self.nodes[child].kind
            colour = STYLE[kind][1] if kind in ("constant", *UNTRACKED) else "#424242"
            twin = self.edges.count((parent, child)) > 1  # x * x: two arrows to the same leaf, bent apart
            bend = (0.25 if drawn.count((parent, child)) else -0.25) if twin else 0.0
            drawn.append((parent, child))
            ax.annotate("", xy=(0.5, 1), xycoords=boxes[child], xytext=(0.5, 0), textcoords=boxes[parent],
                        arrowprops=dict(arrowstyle="-|>", color=colour, shrinkA=7, shrinkB=7, lw=1.3,
                                        ls="--" if kind in UNTRACKED else "-", connectionstyle=f"arc3,rad={bend}"))
            if kind == "cut":
                start, end = boxes[parent].get_position(), boxes[child].get_position()
                ax.plot((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, marker="X", ms=11, color="#c62828",
                        zorder=3)
        return fig

    def png(self):
        buffer = io.BytesIO()
        self.figure().savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    _repr_png_ = png

    @property
    def depth(self):
        return 1 + max(node.layer for node in self.nodes)

    @staticmethod
    def _label(node):
        lines = [node.title]
        for key, value in node.facts.items():
            lines.append(f"{key} {value}" if key != "shape" else f"shape {value}")
        if node.kind in UNTRACKED and not node.facts:
            lines.append("no grad")
        return "\n".join(lines)


def draw_graph(t, names=None):
    """The graph behind tensor ``t``; ``names`` maps display names to tensors (leaves, results, detached ones)."""
    names = dict(names or {})
    tensor_names = {id(tensor): name for name, tensor in names.items()}
    result_names = {id(tensor.grad_fn): name for name, tensor in names.items() if tensor.grad_fn is not None}
    nodes, edges, seen = [], [], {}

    def add(kind, title, facts):
        repeats = sum(1 for node in nodes if node.title.split(" #")[0] == title)
        nodes.append(Node(kind, f"{title} #{repeats + 1}" if repeats else title, facts))
        return len(nodes) - 1

    if t.grad_fn is None:
        title = tensor_names.get(id(t), TITLES["cut"])
        if t.requires_grad:
            add("leaf", title, _tensor_facts(t, grad=True))
        else:
            add("cut", title, {"shape": str(tuple(t.shape))})
        return Graph(nodes, edges)

    add("output", tensor_names.get(id(t), "output"), _tensor_facts(t, grad=False))
    walked = []  # keeps every node alive, so that ids stay unique during the walk

    def visit(parent, fn):
        """Add the edge parent -> fn (creating fn's node if new); return fn when it still needs expanding."""
        if id(fn) in seen:
            edges.append((parent, seen[id(fn)]))
            return None
        walked.append(fn)
        if type(fn).__name__ == "AccumulateGrad":
            child = add("leaf", tensor_names.get(id(fn.variable), "leaf"), _tensor_facts(fn.variable, grad=True))
        else:
            result = result_names.get(id(fn))
            child = add("op", type(fn).__name__ + (f" ({result})" if result else ""), {})
        seen[id(fn)] = child
        edges.append((parent, child))
        return child, fn

    pending = [visit(0, t.grad_fn)]
    while pending:
        parent, fn = pending.pop(0)
        for index, (next_fn, _) in enumerate(fn.next_functions):
            if next_fn is None:
                edges.append((parent, add(*_untracked_input(fn, index, tensor_names))))
            elif (expand := visit(parent, next_fn)) is not None:
                pending.append(expand)
    return _layered(Graph(nodes, edges))


def describe_graph(t, names=None, lang=None):
    """The deterministic text form of ``draw_graph(t, names)``."""
    return draw_graph(t, names).describe(lang)


def _untracked_input(fn, index, names):
    """Kind, title and facts of input ``index`` of ``fn``, an input that needs no gradient.

    What the node saved is remembered in its metadata (a weak reference and the facts), so a drawing made before
    backward() frees it comes out the same after.
    """
    memo = fn.metadata.setdefault(MEMO, {})
    if index not in memo:
        try:
            saved = _saved_for(fn, index)
        except RuntimeError:  # backward() freed the saved tensors before any drawing read them
            return "freed", TITLES["freed"], {}
        memo[index] = None if saved is None else (weakref.ref(saved), _tensor_facts(saved, grad=False),
                                                  saved.dim() == 0)
    if memo[index] is None:
        return "input", TITLES["input"], {}
    reference, facts, is_scalar = memo[index]
    saved = reference()
    if saved is not None and id(saved) in names:
        return "cut", names[id(saved)], facts
    if is_scalar:
        return "constant", facts["value"], {}  # how PyTorch keeps a Python number
    return "cut", TITLES["cut"], facts


def _saved_for(fn, index):
    """The tensor ``fn`` saved for its untracked input ``index``, or None; RuntimeError once backward freed it."""
    untracked_saved = {}
    for attribute in dir(fn):
        if attribute.startswith("_saved_") and not attribute.startswith("_saved_result"):  # results are outputs
            value = getattr(fn, attribute)
            if isinstance(value, torch.Tensor) and not value.requires_grad:
                untracked_saved[attribute] = value
    by_position = ("_saved_self", "_saved_other")[index] if index < 2 else None
    if by_position in untracked_saved:
        return untracked_saved[by_position]
    # Other argument names (addmm's mat1, mse_loss's target): pair the one untracked input with the one
    # untracked floating-point tensor saved (integer ones are indices, never inputs that could need a gradient).
    untracked_inputs = sum(1 for next_fn, _ in fn.next_functions if next_fn is None)
    candidates = [value for value in untracked_saved.values() if value.is_floating_point() or value.is_complex()]
    return candidates[0] if untracked_inputs == 1 and len(candidates) == 1 else None


def _tensor_facts(t, grad):
    facts = {"shape": str(tuple(t.shape))}
    if t.numel() <= MAX_SHOWN:
        facts["value"] = _values(t)
    if grad and t.grad is not None:
        facts["grad"] = _values(t.grad) if t.grad.numel() <= MAX_SHOWN else f"shape {tuple(t.grad.shape)}"
    return facts


def _values(t):
    values = [f"{v + 0.0:.4g}" for v in t.detach().flatten().tolist()]  # + 0.0 turns -0.0 into 0.0
    return values[0] if t.dim() == 0 else "[" + ", ".join(values) + "]"


def _layered(graph):
    """Assign layers (longest path from the output; leaves on the bottom row) and order each row."""
    n = len(graph.nodes)
    parents = {i: [] for i in range(n)}
    for parent, child in graph.edges:
        parents[child].append(parent)
    layer = [0] * n
    changed = True
    while changed:  # longest path; the graph is a small DAG
        changed = False
        for parent, child in graph.edges:
            if layer[child] < layer[parent] + 1:
                layer[child], changed = layer[parent] + 1, True
    bottom = max(layer)
    for i, node in enumerate(graph.nodes):
        node.layer = bottom if node.kind == "leaf" and i != 0 else layer[i]
    # Order rows by the mean position of their parents (one top-down sweep of the barycentre heuristic).
    position = {}
    order = []
    for row in range(bottom + 1):
        members = [i for i in range(n) if graph.nodes[i].layer == row]
        members.sort(key=lambda i: sum(position[p] for p in parents[i]) / len(parents[i]) if parents[i] else 0)
        for column, i in enumerate(members):
            position[i] = column - (len(members) - 1) / 2
        order += members
    renumber = {old: new for new, old in enumerate(order)}
    return Graph([graph.nodes[i] for i in order],
                 [(renumber[p], renumber[c]) for p, c in graph.edges])
