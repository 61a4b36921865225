"""A checker's answer: a status, a one-line headline and the reason, shown as a coloured box in Jupyter."""
import html
from dataclasses import dataclass

from helpers.messages import say

STATUSES = ("pass", "fail", "todo")
SYMBOLS = {"pass": "✅", "fail": "❌", "todo": "⏳"}
PROBLEM_SYMBOL = "⚠️"  # a grading problem (timeout, crash, ...) rather than a checker's verdict
COLOURS = {"pass": ("#e6f4ea", "#1e8e3e"), "fail": ("#fce8e6", "#d93025"), "todo": ("#fef7e0", "#b06000")}


@dataclass(frozen=True)
class Verdict:
    exercise_id: str
    status: str
    detail: str
    lang: str = "zh"
    mistake: str = None  # a stable key of the named mistake, e.g. "ch01.mean_grad/value-18" (failures only)

    @property
    def passed(self):
        return self.status == "pass"

    @property
    def score(self):
        return 1.0 if self.passed else 0.0

    @property
    def headline(self):
        return say(self.status, self.lang)

    def __str__(self):
        return f"{SYMBOLS[self.status]} {self.exercise_id} {self.headline}：{self.detail}" if self.lang == "zh" \
            else f"{SYMBOLS[self.status]} {self.exercise_id} {self.headline}: {self.detail}"

    __repr__ = __str__

    def _repr_html_(self):
        background, border = COLOURS[self.status]
        return (f'<div style="border-left:4px solid {border};background:{background};padding:6px 10px;'
                f'margin:4px 0;border-radius:3px;color:#202124">'
                f'<b>{SYMBOLS[self.status]} {html.escape(self.exercise_id)} · {html.escape(self.headline)}</b>'
                f'<br>{html.escape(self.detail)}</div>')
