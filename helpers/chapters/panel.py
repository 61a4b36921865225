"""What every chapter's widget shares: a panel with a fixed one-line text form, and an output area.

Each chapter's widget (``helpers.chapters.chNN``) is a thin ipywidgets layer over a plain function that tests
check: the plain function computes everything the widget shows and returns plain data; the builder only
wires controls to it. Builders write into their output area by setting ``Output.outputs`` directly rather
than printing inside ``with output:``: nbclient and nbval route printed output differently, so printing
would make the stored notebook disagree with nbval. A widget cell's only compared output is the panel's
fixed one-line ``repr``.

The browser test finds each widget's main control by the CSS class ``agc-main-control`` and its output
area by ``agc-output``.
"""
import base64
import io

import ipywidgets as widgets
import torch

MAIN, OUTPUT = "agc-main-control", "agc-output"


class Panel(widgets.VBox):
    """A widget whose text form is one fixed line (what nbval compares), not its children's state."""

    def __init__(self, title, children):
        super().__init__(children=children)
        self.title = title

    def __repr__(self):
        return f"[{self.title}]"


def png(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def show(output, text, *figures):
    """Replace what ``output`` shows with ``text`` and images, atomically (no flicker, no print routing)."""
    shown = [{"output_type": "stream", "name": "stdout", "text": text + "\n"}]
    shown += [{"output_type": "display_data", "metadata": {}, "data": {"image/png": png(figure)}}
              for figure in figures]
    output.outputs = tuple(shown)


def output_area():
    return widgets.Output(layout=widgets.Layout(min_height="120px")).add_class(OUTPUT)


def fmt(t):
    values = [f"{v + 0.0:.4g}" for v in torch.as_tensor(t).detach().flatten().tolist()]
    return values[0] if torch.as_tensor(t).dim() == 0 else "[" + ", ".join(values) + "]"
