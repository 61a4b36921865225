"""What the class got wrong: the misconception report, counted from the stored verdicts (results.jsonl).

Nothing is judged again: every record carries its status and a stable mistake key (``ch01.mean_grad/value-18``,
see ``helpers.checking.mistakes``); the sentence shown next to a key is the one the students read. The same
analysis is written as Markdown (summary.md) and as a self-contained HTML page (report.html, the chart
embedded as a PNG). Everything a student controls (folder names, roster names, error messages and outputs
inside a diagnosis) is escaped for the format it lands in.
"""
import base64
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from helpers.grading.statuses import PROBLEMS
from helpers.messages import CHECKER_MESSAGES, say

ROOT = Path(__file__).resolve().parents[2]
TOP = 5

TEXT = {
    "title": {"zh": "全班错误分析", "en": "What the class got wrong"},
    "students": {"zh": "学生", "en": "students"},
    "top": {"zh": "最常见的 {n} 个错误", "en": "The {n} most common mistakes"},
    "teaches": {"zh": "讲解这一点的章节", "en": "taught in"},
    "chart": {"zh": "每个练习的结果分布", "en": "Outcomes per exercise"},
    "per_exercise": {"zh": "按练习", "en": "Per exercise"},
    "outcome": {"zh": "结果", "en": "outcome"},
    "key": {"zh": "错误代码", "en": "key"},
    "count": {"zh": "人数", "en": "students"},
    "share": {"zh": "占比", "en": "share"},
    "meaning": {"zh": "学生看到的说明", "en": "what the students were told"},
    "pass": {"zh": "正确", "en": "right"},
    "todo": {"zh": "尚未完成", "en": "not done (todo)"},
    "errors": {"zh": "抛出的错误（按提示分组）", "en": "Errors raised, grouped by hint"},
    "hint": {"zh": "提示", "en": "hint"},
    "no_hint": {"zh": "（没有对应的提示）", "en": "(no matching hint)"},
    "exercises": {"zh": "练习", "en": "exercises"},
    "problems": {"zh": "评分问题", "en": "Grading problems"},
    "student": {"zh": "学生", "en": "student"},
    "status": {"zh": "状态", "en": "status"},
    "reason": {"zh": "原因", "en": "reason"},
    "nothing": {"zh": "没有。", "en": "None."},
    "roster": {"zh": "名单核对", "en": "Roster"},
    "unlisted": {"zh": "名单里没有的文件夹（状态 missing，未导出）", "en": "Folders not in the roster (status missing, not exported)"},
    "absent": {"zh": "名单里没有提交文件夹的学生（状态 missing）", "en": "Roster students with no folder (status missing)"},
    "mistake": {"zh": "错误", "en": "mistake"},
}


def t(key, lang, **fields):
    return TEXT[key][lang].format(**fields)


def hint_text(hint, lang):
    """The sentence of an ERROR_HINTS hint (``nonscalar`` -> hint_nonscalar), or the no-hint label."""
    message = CHECKER_MESSAGES.get(f"hint_{hint}") if hint else None
    return message[lang] if message else t("no_hint", lang)


def local_key(record):
    """The record's mistake key without the exercise id; a grading problem's status when none was stored."""
    mistake = record.get("mistake")
    if mistake:
        return mistake.split("/", 1)[1] if "/" in mistake else mistake
    return "other" if record["status"] == "fail" else record["status"]


def hint_of(key):
    """``raised-inplace`` -> ``inplace``; ``raised`` -> None; anything else -> False (not a raised error)."""
    if key == "raised":
        return None
    return key[len("raised-"):] if key.startswith("raised-") else False


@dataclass
class Mistake:
    exercise: str
    key: str
    count: int
    total: int
    sentence: str
    students: list = field(default_factory=list)

    @property
    def share(self):
        return self.count / self.total if self.total else 0.0


@dataclass
class ExerciseInsight:
    exercise: str
    total: int
    passed: int
    todo: int
    mistakes: list  # Mistake, most common first
    problems: Counter  # status -> count

    def segments(self):
        """(label, count, kind) for the chart: right, each mistake, todo, each problem."""
        out = [("pass", self.passed, "pass")] if self.passed else []
        out += [(m.key, m.count, "mistake") for m in self.mistakes]
        out += [("todo", self.todo, "todo")] if self.todo else []
        out += [(status, n, "problem") for status, n in sorted(self.problems.items())]
        return out


@dataclass
class Insight:
    students: int
    exercises: list  # ExerciseInsight in course order
    errors: list  # (hint or None, count, sorted exercise ids, example sentence)
    problems: list  # records with a grading problem
    names: dict = field(default_factory=dict)  # folder -> name to show

    @property
    def top(self):
        every = [m for e in self.exercises for m in e.mistakes]
        order = {e.exercise: i for i, e in enumerate(self.exercises)}
        return sorted(every, key=lambda m: (-m.count, order[m.exercise], m.key))[:TOP]

    def chart_rows(self):
        return [{"exercise": e.exercise, "total": e.total, "segments": e.segments()} for e in self.exercises]


def analyse(exercise_ids, records, names=None):
    """The class's outcomes per exercise, from the records alone."""
    by_exercise = {i: [] for i in exercise_ids}
    for record in records:
        by_exercise.setdefault(record["exercise"], []).append(record)
    exercises, errors, problems = [], {}, []
    for exercise_id, mine in by_exercise.items():
        statuses = Counter(r["status"] for r in mine)
        groups = {}
        for record in mine:
            if record["status"] == "fail":
                groups.setdefault(local_key(record), []).append(record)
        mistakes = []
        for key, group in groups.items():
            sentence = Counter(r["detail"] for r in group).most_common(1)[0][0]
            mistakes.append(Mistake(exercise_id, key, len(group), len(mine), sentence, [r["student"] for r in group]))
        mistakes.sort(key=lambda m: (-m.count, m.key))
        exercises.append(ExerciseInsight(exercise_id, len(mine), statuses["pass"], statuses["todo"], mistakes,
                                         Counter({s: statuses[s] for s in PROBLEMS if statuses[s]})))
        for record in mine:
            hint = hint_of(local_key(record))
            if hint is not False:
                entry = errors.setdefault(hint, [0, set(), record["detail"]])
                entry[0] += 1
                entry[1].add(exercise_id)
            if record["status"] in PROBLEMS:
                problems.append(record)
    error_rows = sorted(((h, n, sorted(ids), example) for h, (n, ids, example) in errors.items()),
                        key=lambda row: (-row[1], row[0] or ""))
    students = len({r["student"] for r in records})
    return Insight(students, exercises, error_rows, problems, names or {})


def chapter_notebook(exercise_id):
    """notebooks/NN_*.ipynb of the exercise's chapter (``ch01.x`` -> chapter 1), or None."""
    found = re.match(r"ch(\d+)\.", exercise_id)
    if not found:
        return None
    matches = sorted(ROOT.joinpath("notebooks").glob(f"{int(found.group(1)):02d}_*.ipynb"))
    return matches[0] if matches else None


def _percent(share):
    return f"{share:.0%}"


# --- Markdown ---------------------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-!|~>])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 and C1 controls but tab and line feed: ANSI escapes


def plain(value):
    """Text without control characters, safe to print to a terminal (no ANSI escape sequences)."""
    return _CONTROL.sub("", str(value))


def md(value):
    """Text safe inside Markdown (and a table cell): no control characters, HTML escaped, Markdown punctuation
    backslashed, one line."""
    text = html.escape(plain(value), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _md_link(path):
    return f"[{md(path.relative_to(ROOT).as_posix())}]({path.as_uri()})" if path else ""


def markdown(insight, lang, chart=None):
    lines = ["", f"## {t('title', lang)}", ""]
    top = insight.top
    lines += [f"### {t('top', lang, n=len(top))}", ""]
    if not top:
        lines.append(t("nothing", lang))
    for number, m in enumerate(top, 1):
        link = _md_link(chapter_notebook(m.exercise))
        lines.append(f"{number}. **{md(m.exercise)}** `{m.key}`: {m.count}/{m.total} ({_percent(m.share)}): "
                     f"{md(m.sentence)}" + (f" ({t('teaches', lang)} {link})" if link else ""))
    if chart:
        lines += ["", f"![{t('chart', lang)}]({chart})"]
    lines += ["", f"### {t('per_exercise', lang)}"]
    for e in insight.exercises:
        link = _md_link(chapter_notebook(e.exercise))
        lines += ["", f"#### {md(e.exercise)}" + (f" · {link}" if link else ""), "",
                  f"| {t('outcome', lang)} | {t('count', lang)} | {t('share', lang)} | {t('meaning', lang)} |",
                  "|---|---|---|---|"]
        share = (lambda n: _percent(n / e.total)) if e.total else (lambda n: "0%")
        lines.append(f"| {t('pass', lang)} | {e.passed} | {share(e.passed)} | |")
        for m in e.mistakes:
            lines.append(f"| `{m.key}` | {m.count} | {share(m.count)} | {md(m.sentence)} |")
        lines.append(f"| {t('todo', lang)} | {e.todo} | {share(e.todo)} | |")
        for status, n in sorted(e.problems.items()):
            lines.append(f"| {md(status)} | {n} | {share(n)} | {md(say(status, lang))} |")
    lines += ["", f"### {t('errors', lang)}", ""]
    if insight.errors:
        lines += [f"| {t('hint', lang)} | {t('count', lang)} | {t('exercises', lang)} | {t('meaning', lang)} |",
                  "|---|---|---|---|"]
        for hint, n, ids, example in insight.errors:
            meaning = hint_text(hint, lang)
            lines.append(f"| `{hint or '-'}` | {n} | {md(', '.join(ids))} | {md(meaning)} |")
    else:
        lines.append(t("nothing", lang))
    lines += ["", f"### {t('problems', lang)}", ""]
    if insight.problems:
        lines += [f"| {t('student', lang)} | {t('exercises', lang)} | {t('status', lang)} | {t('reason', lang)} |",
                  "|---|---|---|---|"]
        for r in insight.problems:
            lines.append(f"| {md(insight.names.get(r['student'], r['student']))} | {md(r['exercise'])} | "
                         f"{md(r['status'])} | {md(r['detail'])} |")
    else:
        lines.append(t("nothing", lang))
    return "\n".join(lines) + "\n"


def roster_markdown(match, lang):
    if match is None:
        return ""
    lines = ["", f"### {t('roster', lang)}", "", f"{t('unlisted', lang)}: "
             + (", ".join(md(f) for f in match.unlisted) or t("nothing", lang)),
             "", f"{t('absent', lang)}: "
             + (", ".join(md(f"{s.display} ({s.id}, {s.folder})") for s in match.absent) or t("nothing", lang))]
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------------------------

def e(value):
    return html.escape(str(value), quote=True)


def _html_link(path):
    if not path:
        return ""
    return f'<a href="{e(path.as_uri())}">{e(path.relative_to(ROOT).as_posix())}</a>'


STYLE = """body{font-family:sans-serif;max-width:62em;margin:2em auto;color:#202124;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #dadce0;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f1f3f4}code{background:#f1f3f4;padding:1px 4px;border-radius:3px}
ol.top li{margin:.4em 0}.share{font-weight:bold;color:#d93025}.muted{color:#5f6368}img{max-width:100%}"""


def page(insight, lang, chart_png=None, match=None, heading=""):
    """report.html: self-contained (inline style, the chart as a data: URI), every student string escaped."""
    parts = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
             f"<title>{e(t('title', lang))}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(t('title', lang))}</h1>", f'<p class="muted">{e(heading)}</p>' if heading else ""]
    top = insight.top
    parts.append(f'<h2 id="top">{e(t("top", lang, n=len(top)))}</h2>')
    if top:
        parts.append('<ol class="top">')
        for m in top:
            link = _html_link(chapter_notebook(m.exercise))
            parts.append(f'<li data-key="{e(m.exercise)}/{e(m.key)}"><b>{e(m.exercise)}</b> <code>{e(m.key)}</code> '
                         f'<span class="share">{m.count}/{m.total} ({_percent(m.share)})</span>: {e(m.sentence)}'
                         + (f' <span class="muted">({e(t("teaches", lang))} {link})</span>' if link else "")
                         + "</li>")
        parts.append("</ol>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    if chart_png:
        data = base64.b64encode(chart_png).decode("ascii")
        parts.append(f'<h2>{e(t("chart", lang))}</h2><img alt="{e(t("chart", lang))}" '
                     f'src="data:image/png;base64,{data}">')
    parts.append(f'<h2>{e(t("per_exercise", lang))}</h2>')
    for x in insight.exercises:
        share = (lambda n: _percent(n / x.total)) if x.total else (lambda n: "0%")
        link = _html_link(chapter_notebook(x.exercise))
        rows = [f"<tr><td>{e(t('pass', lang))}</td><td>{x.passed}</td><td>{share(x.passed)}</td><td></td></tr>"]
        rows += [f"<tr><td><code>{e(m.key)}</code></td><td>{m.count}</td><td>{share(m.count)}</td>"
                 f"<td>{e(m.sentence)}</td></tr>" for m in x.mistakes]
        rows.append(f"<tr><td>{e(t('todo', lang))}</td><td>{x.todo}</td><td>{share(x.todo)}</td><td></td></tr>")
        rows += [f"<tr><td>{e(s)}</td><td>{n}</td><td>{share(n)}</td><td>{e(say(s, lang))}</td></tr>"
                 for s, n in sorted(x.problems.items())]
        parts.append(f'<h3 id="{e(x.exercise)}">{e(x.exercise)} <small>{link}</small></h3><table><tr>'
                     f"<th>{e(t('outcome', lang))}</th><th>{e(t('count', lang))}</th><th>{e(t('share', lang))}</th>"
                     f"<th>{e(t('meaning', lang))}</th></tr>" + "".join(rows) + "</table>")
    parts.append(f'<h2>{e(t("errors", lang))}</h2>')
    if insight.errors:
        parts.append(f"<table><tr><th>{e(t('hint', lang))}</th><th>{e(t('count', lang))}</th>"
                     f"<th>{e(t('exercises', lang))}</th><th>{e(t('meaning', lang))}</th></tr>")
        for hint, n, ids, example in insight.errors:
            meaning = hint_text(hint, lang)
            parts.append(f"<tr><td><code>{e(hint or '-')}</code></td><td>{n}</td><td>{e(', '.join(ids))}</td>"
                         f"<td>{e(meaning)}<br><span class=\"muted\">{e(example)}</span></td></tr>")
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    parts.append(f'<h2>{e(t("problems", lang))}</h2>')
    if insight.problems:
        parts.append(f"<table><tr><th>{e(t('student', lang))}</th><th>{e(t('exercises', lang))}</th>"
                     f"<th>{e(t('status', lang))}</th><th>{e(t('reason', lang))}</th></tr>")
        parts += [f"<tr><td>{e(insight.names.get(r['student'], r['student']))}</td><td>{e(r['exercise'])}</td>"
                  f"<td>{e(r['status'])}</td><td>{e(r['detail'])}</td></tr>" for r in insight.problems]
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    if match is not None:
        parts.append(f'<h2>{e(t("roster", lang))}</h2><h3>{e(t("unlisted", lang))}</h3><ul>'
                     + "".join(f"<li>{e(f)}</li>" for f in match.unlisted) + "</ul>"
                     + f'<h3>{e(t("absent", lang))}</h3><ul>'
                     + "".join(f"<li>{e(s.display)} ({e(s.id)}, {e(s.folder)})</li>" for s in match.absent) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


# --- the chart --------------------------------------------------------------------------------------------------

MISTAKE_COLOURS = ("#d93025", "#e8710a", "#a142f4", "#b31412", "#f439a0", "#c26401", "#7627bb", "#ee675c")
KIND_COLOURS = {"pass": "#1e8e3e", "todo": "#f9ab00", "problem": "#9aa0a6"}


def chart_png(rows):
    """A horizontal bar per exercise, split by outcome (right, each named mistake, todo, problems), as PNG."""
    import io

    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    figure = Figure(figsize=(9, 0.42 * max(len(rows), 1) + 1.5))
    axes = figure.subplots()
    for y, row in enumerate(rows):
        left, total, shade = 0.0, row["total"] or 1, 0
        for label, count, kind in row["segments"]:
            width = count / total
            if kind == "mistake":
                colour, shade = MISTAKE_COLOURS[shade % len(MISTAKE_COLOURS)], shade + 1
            else:
                colour = KIND_COLOURS[kind]
            axes.barh(y, width, left=left, color=colour, edgecolor="white", height=0.7)
            if width >= 0.006 * min(len(str(label)), 16) + 0.03:
                axes.text(left + width / 2, y, str(label)[:16], ha="center", va="center", fontsize=7, color="white")
            left += width
    axes.set_yticks(range(len(rows)), [r["exercise"] for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("share of students")
    axes.legend(handles=[Patch(color=KIND_COLOURS["pass"], label="right"),
                         Patch(color=MISTAKE_COLOURS[0], label="named mistake (key)"),
                         Patch(color=KIND_COLOURS["todo"], label="todo"),
                         Patch(color=KIND_COLOURS["problem"], label="grading problem")],
                loc="upper center", bbox_to_anchor=(0.5, -0.35 / max(len(rows), 1) - 0.12), ncol=4, fontsize=8,
                frameon=False)
    axes.set_title("Outcomes per exercise")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
