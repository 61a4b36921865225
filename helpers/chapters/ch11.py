"""Chapter 11's helpers: the meter of saved tensors, and the widget (four ways to write sqrt, and their gradients)."""
import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from helpers.chapters.panel import MAIN, Panel, output_area, show
from helpers.messages import language, text


class SavedTensorMeter:
    """The memory autograd keeps for backward, counted while a ``with`` block records a graph.

    ``saved_tensors_hooks`` calls pack once for every tensor an operation saves. One tensor is often saved by
    several operations (tanh's output by TanhBackward0 and by the next matrix product), and a saved view shares
    its base's memory, so bytes are counted once per storage, for as long as one of its saves is alive.
    Tensors whose storage is in ``exclude`` (parameters: in memory anyway) are not counted.

    ``packs``: pack calls counted; ``tensors``: distinct storages saved now; ``alive``: their bytes;
    ``peak``: the most ``alive`` has been.
    """

    def __init__(self, exclude=()):
        self._excluded = {t.untyped_storage().data_ptr() for t in exclude}
        self._saves = {}  # storage address: [live saves, bytes]
        self._hooks = torch.autograd.graph.saved_tensors_hooks(self._pack, _unpack)
        self.packs = self.alive = self.peak = 0

    @property
    def tensors(self):
        return len(self._saves)

    def __enter__(self):
        self._hooks.__enter__()
        return self

    def __exit__(self, *error):
        return self._hooks.__exit__(*error)

    def _pack(self, t):
        address = t.untyped_storage().data_ptr()
        if address in self._excluded:
            return t
        self.packs += 1
        return _Save(self, t, address)

    def _add(self, address, nbytes):
        saves = self._saves.setdefault(address, [0, nbytes])
        if saves[0] == 0:
            self.alive += nbytes
            self.peak = max(self.peak, self.alive)
        saves[0] += 1

    def _remove(self, address):
        saves = self._saves[address]
        saves[0] -= 1
        if saves[0] == 0:
            self.alive -= saves[1]
            del self._saves[address]


class _Save:
    """One save of a tensor; the graph drops it when it frees its saved tensors, and the meter counts that."""

    def __init__(self, meter, t, address):
        # Keep t.detach(), not t: an operation's output holds its grad_fn, which holds this object, and that
        # reference cycle would delay freeing until the garbage collector runs.
        self.meter, self.tensor, self.address = meter, t.detach(), address
        meter._add(address, t.untyped_storage().nbytes())

    def __del__(self):
        self.meter._remove(self.address)


def _unpack(packed):
    return packed.tensor if isinstance(packed, _Save) else packed


def _safe_where(x):
    positive = x > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, x, 1.0)), 0.0)


VERSIONS = {  # name: function
    "torch.sqrt(x)": torch.sqrt,
    "torch.sqrt(torch.clamp(x, min=0))": lambda x: torch.sqrt(torch.clamp(x, min=0)),
    "torch.where(x > 0, torch.sqrt(x), 0.0)": lambda x: torch.where(x > 0, torch.sqrt(x), 0.0),
    "安全的 where（先换掉危险的输入）": _safe_where,
}
LABELS_EN = {"安全的 where（先换掉危险的输入）": "safe where (replace the dangerous inputs first)"}
TEXTS = {
    "version": {"zh": "写法", "en": "version"},
    "report": {"zh": "{version}\n\nx = {x0:.4g}\n值   = {value:.4g}{value_note}\n梯度 = {grad:.4g}{grad_note}",
               "en": "{version}\n\nx = {x0:.4g}\nvalue    = {value:.4g}{value_note}\ngradient = {grad:.4g}{grad_note}"},
    "title": {"zh": "交互：sqrt 的四种写法在 x ≤ 0 处的值和梯度（inf、NaN 与 where 陷阱）",
              "en": "Interactive: four ways to write sqrt: values and gradients at x ≤ 0 (inf, NaN and the where trap)"},
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
    # the dropdown shows each version in the reader's language; VERSIONS keeps its names
    versions = {name if language() == "zh" else LABELS_EN.get(name, name): name for name in VERSIONS}
    choice = widgets.Dropdown(options=list(versions), value="torch.sqrt(x)", description=text(TEXTS["version"], None),
                              layout=widgets.Layout(width="520px")).add_class(MAIN)
    slider = widgets.FloatSlider(value=0.0, min=-1.0, max=2.0, step=0.25, description="x",
                                 layout=widgets.Layout(width="420px"))
    output = output_area()
    notes = {"ok": "", "inf": "  ← inf", "nan": "  ← NaN"}

    def update(_=None):
        state = nan_gradient_state(versions[choice.value], round(slider.value, 4))
        x, values, grads = nan_gradient_curve(versions[choice.value])
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
        show(output, text(TEXTS["report"], None).format(
            version=choice.value, x0=state["x0"], value=state["value"], value_note=notes[state["value_status"]],
            grad=state["grad"], grad_note=notes[state["grad_status"]]), fig)

    choice.observe(update, "value")
    slider.observe(update, "value")
    update()
    return Panel(text(TEXTS["title"], None), [widgets.VBox([choice, slider]), output])
