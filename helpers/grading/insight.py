"""The class report: who needs help with what, counted from the stored verdicts (results.jsonl).

Nothing is judged again: every record carries its status, a stable mistake key (``ch01.mean_grad/value-18``, see
``helpers.checking.mistakes``) and the warnings the grader raised where marks may be lost; the sentence shown next
to a key is the one the students read. The report names the students of every mistake (it is the instructor's
copy; each student's feedback stays private), merges the mistake families of ``content/teaching.py`` across
exercises, links every mistake to the chapter section that teaches it, and is written as Markdown (summary.md)
and as a self-contained HTML page (report.html, its charts embedded), wholly in zh or in en. Everything a student
controls (folder and roster names, file names, code, error messages) is escaped for the format it lands in.
"""
import base64
import html
import json
import os
import re
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from helpers import ROOT
from helpers.grading.statuses import BLANK, PROBLEMS, STATUSES, student_status
from helpers.messages import CHECKER_MESSAGES, MESSAGES, say

TOP = 5

LIST_SEPARATOR = {"zh": "、", "en": ", "}
COLON = {"zh": "：", "en": ": "}


def t(key, lang, **fields):
    """A label of the class report (``report_<key>`` in ``helpers.messages``)."""
    return say(f"report_{key}", lang, **fields)


def status_word(status, lang):
    """A status as the report says it (``missing`` -> 没有找到答案), in the run's language."""
    return say(status, lang) if status in MESSAGES else status


def listed(items, lang):
    return LIST_SEPARATOR[lang].join(items)


def counted(label, n, lang):
    """``label (n)``, with the parentheses of the language."""
    return f"{label}（{n}）" if lang == "zh" else f"{label} ({n})"


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


# --- where the course teaches it ----------------------------------------------------------------------------------

HEADING = re.compile(r"^##\s+(\d+\.\d+)\s+(.+?)\s*$", re.M)


def heading_id(text):
    """The id JupyterLab gives a rendered heading: its text without Markdown marks, spaces replaced by hyphens."""
    plain_text = re.sub(r"`([^`]*)`", r"\1", text).replace("**", "")
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain_text).replace(" ", "-")


def chapter_file(chapter, lang):
    """The chapter notebook of ``chapter`` in the edition of ``lang`` (the Chinese one when there is no other)."""
    for folder in ((ROOT / "en" / "notebooks",) if lang == "en" else ()) + (ROOT / "notebooks",):
        found = sorted(folder.glob(f"{int(chapter):02d}_*.ipynb"))
        if found:
            return found[0]
    return None


@lru_cache(maxsize=None)
def section_titles(path):
    """{"2.1": heading text} of a chapter notebook's numbered sections."""
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    text = "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells
                     if c.get("cell_type") == "markdown")
    return {number: f"{number} {title}" for number, title in HEADING.findall(text)}


class Links:
    """Links to the chapter sections that teach an exercise or a family: relative to the folder of the page that
    shows them, or under ``course_url`` (where the course is published) so that a shared page works."""

    def __init__(self, lang, start, course_url=None):
        self.lang, self.start, self.course_url = lang, Path(start), course_url

    def section(self, number):
        """(label, href) of section ``number`` ("2.1"), or None when the course has no such chapter."""
        if not number:
            return None
        chapter = number.split(".")[0]
        path = chapter_file(chapter, self.lang)
        if path is None:
            return None
        heading = section_titles(path).get(number)
        label = (t("section", self.lang, chapter=int(chapter), number=number,
                   title=heading.split(" ", 1)[1].replace("`", ""))
                 if heading else t("chapter", self.lang, chapter=int(chapter)))
        fragment = f"#{heading_id(heading)}" if heading else ""
        return label, self.href(path) + fragment

    def href(self, path):
        inside = path.relative_to(ROOT).as_posix()
        if self.course_url:
            return f"{self.course_url.rstrip('/')}/{inside}"
        try:
            return Path(os.path.relpath(path, self.start.resolve())).as_posix()
        except ValueError:  # another drive (Windows): no relative path exists
            return path.as_uri()

    def exercise(self, exercise_id):
        from content.teaching import SECTIONS

        found = re.match(r"ch(\d+)\.", exercise_id)
        return self.section(SECTIONS.get(exercise_id) or (f"{int(found.group(1))}." if found else None))


# --- the analysis -------------------------------------------------------------------------------------------------

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
    students: dict = field(default_factory=dict)  # "todo" or a problem status -> the students who got it

    def segments(self):
        """(label, count, kind) for the chart: right, each mistake, todo, each problem."""
        out = [("pass", self.passed, "pass")] if self.passed else []
        out += [(m.key, m.count, "mistake") for m in self.mistakes]
        out += [("todo", self.todo, "todo")] if self.todo else []
        out += [(status, n, "problem") for status, n in sorted(self.problems.items())]
        return out


@dataclass
class Family:
    name: str
    titles: dict  # lang -> the misconception's name
    section: str
    shares: list  # Mistake per exercise (key = the family's name), most common first

    @property
    def count(self):
        return sum(m.count for m in self.shares)

    @property
    def students(self):
        return list(dict.fromkeys(s for m in self.shares for s in m.students))


@dataclass
class Insight:
    students: int
    exercises: list  # ExerciseInsight in course order
    errors: list  # (hint or None, count, sorted exercise ids, example sentence)
    problems: list  # (student, status, [exercise ids], reason): one row per student and reason
    names: dict = field(default_factory=dict)  # folder -> how the student is named (roster name and id)
    families: list = field(default_factory=list)  # Family, most common first
    warnings: dict = field(default_factory=dict)  # folder -> [warning dicts], blank students included
    statuses: Counter = field(default_factory=Counter)
    totals: list = field(default_factory=list)  # each student's total
    most: float = 0.0  # the points a student could have
    seconds: float = None

    @property
    def top(self):
        every = [m for e in self.exercises for m in e.mistakes]
        order = {e.exercise: i for i, e in enumerate(self.exercises)}
        return sorted(every, key=lambda m: (-m.count, order[m.exercise], m.key))[:TOP]

    def who(self, folder):
        return self.names.get(folder, folder)

    def chart_rows(self):
        return [{"exercise": e.exercise, "total": e.total, "segments": e.segments()} for e in self.exercises]


def by_student(records):
    rows = {}
    for record in records:
        rows.setdefault(record["student"], []).append(record)
    return rows


def student_warnings(mine):
    """A student's warnings, each once (a notebook's warning is stored with each of its exercises), and the
    blank warning when nothing is filled in."""
    found = {json.dumps(w, sort_keys=True): w for r in mine for w in r.get("warnings") or ()}
    out = list(found.values())
    if student_status(mine) == BLANK:
        files = sorted({r["notebook"] for r in mine if r.get("notebook")})
        out.insert(0, {"kind": "blank", "files": files})
    return out


def warning_text(warning, lang):
    """The sentence of a warning stored in a record (``helpers.grading.grade``), in ``lang``; None if unknown."""
    kind = warning.get("kind")
    try:
        if kind == "several_notebooks":
            listing = [say("listed_notebook", lang, name=name, answered=answered,
                           saved=time.strftime("%Y-%m-%d %H:%M", time.localtime(saved)))
                       for name, answered, saved in warning["listing"]]
            why = say(f"why_{warning['why']}", lang, answered=warning["answered"])
            return say("warn_several_notebooks", lang, count=len(listing), notebook=warning["notebook"],
                       listing=listed(listing, lang), graded=warning["graded"], why=why)
        if kind == "outside_cell":
            return say("warn_outside_gone" if warning.get("gone") else "warn_outside_cell", lang,
                       exercise=warning["exercise"], cell=warning["cell"], name=warning["name"], line=warning["line"])
        if kind == "other_cell":
            return say("warn_other_cell", lang, exercise=warning["exercise"], name=warning["name"],
                       cell=warning["cell"], line=warning["line"])
        if kind == "blank":
            return say("warn_blank", lang, files=listed(warning["files"], lang) or "-")
    except (KeyError, TypeError, ValueError):
        return None
    return None


def analyse(exercise_ids, records, names=None, seconds=None):
    """The class's outcomes per exercise, its mistake families, warnings and problems, from the records alone."""
    from content.teaching import FAMILIES

    by_exercise = {i: [] for i in exercise_ids}
    for record in records:
        by_exercise.setdefault(record["exercise"], []).append(record)
    exercises, errors = [], {}
    families = {name: [] for name in FAMILIES}
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
        named = {}
        for record in mine:
            if record["status"] == "todo" or record["status"] in PROBLEMS:
                named.setdefault(record["status"], []).append(record["student"])
        exercises.append(ExerciseInsight(exercise_id, len(mine), statuses["pass"], statuses["todo"], mistakes,
                                         Counter({s: statuses[s] for s in PROBLEMS if statuses[s]}), named))
        for name, family in FAMILIES.items():
            hits = [r for r in mine if r.get("mistake") and (r["mistake"] in family["keys"]
                                                            or f"*/{local_key(r)}" in family["keys"])]
            if hits:
                families[name].append(Mistake(exercise_id, name, len(hits), len(mine), hits[0]["detail"],
                                              [r["student"] for r in hits]))
        for record in mine:
            hint = hint_of(local_key(record))
            if hint is not False:
                entry = errors.setdefault(hint, [0, set(), record["detail"]])
                entry[0] += 1
                entry[1].add(exercise_id)
    error_rows = sorted(((h, n, sorted(ids), example) for h, (n, ids, example) in errors.items()),
                        key=lambda row: (-row[1], row[0] or ""))
    rows = by_student(records)
    problems = {}
    for student, mine in rows.items():
        for r in mine:
            if r["status"] in PROBLEMS:
                problems.setdefault((student, r["status"], r["detail"]), []).append(r["exercise"])
    merged = [Family(name, FAMILIES[name], FAMILIES[name]["section"], sorted(shares, key=lambda m: -m.count))
              for name, shares in families.items() if shares]
    merged.sort(key=lambda f: -f.count)
    warned = {student: found for student, mine in rows.items() if (found := student_warnings(mine))}
    totals = [sum(r["score"] for r in mine) for mine in rows.values()]
    most = max([sum(r["points"] for r in mine) for mine in rows.values()] or [0])
    return Insight(len(rows), exercises, error_rows, [(s, st, ids, d) for (s, st, d), ids in problems.items()],
                   names or {}, merged, warned, Counter(r["status"] for r in records), totals, most, seconds)


def _percent(share):
    return f"{share:.0%}"


def _chapters(exercise_ids):
    chapters = sorted({i.split(".")[0] for i in exercise_ids})
    return "" if not chapters else chapters[0] if len(chapters) == 1 else f"{chapters[0]}–{chapters[-1]}"


def header(insight, lang):
    """The report's one line: how many students and exercises, the mean total, the time."""
    mean = sum(insight.totals) / len(insight.totals) if insight.totals else 0
    return t("header", lang, students=insight.students, exercises=len(insight.exercises),
             chapters=_chapters([e.exercise for e in insight.exercises]), mean=f"{mean:.1f}", most=f"{insight.most:g}",
             seconds=f"{insight.seconds:.1f}" if insight.seconds is not None else "-")


def _shortened(ids, lang, limit=8):
    return listed(ids, lang) if len(ids) <= limit else listed(ids[:limit], lang) + " " + t("more", lang,
                                                                                          n=len(ids) - limit)


# --- Markdown -----------------------------------------------------------------------------------------------------

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


def code_spans(text, escape, code):
    """``text`` with its `backquoted` parts formatted by ``code`` and the rest by ``escape``."""
    parts = str(text).split("`")
    return "".join(code(part) if odd else escape(part) for odd, part in ((i % 2, p) for i, p in enumerate(parts)))


def _md_link(found):
    return f"[{md(found[0])}](<{found[1]}>)" if found else ""


def _md_names(insight, students, lang):
    return md(listed([insight.who(s) for s in students], lang))


def _family_line(family, lang):
    return t("family_line", lang, count=family.count, students=len(family.students), exercises=len(family.shares))


def _taught(link, lang, escape=str):
    return f"{escape(t('teaches', lang))}{COLON[lang]}{link}" if link else ""


def markdown(insight, lang, links, charts=()):
    """summary.md: the same report as report.html; ``charts``: (file name beside it, alt text)."""
    table = lambda *cells: "| " + " | ".join(str(c) for c in cells) + " |"  # noqa: E731
    lines = [f"# {t('title', lang)}", "", header(insight, lang), ""]
    lines += [f"## {t('warnings', lang, n=len(insight.warnings))}", ""]
    for student, found in insight.warnings.items():
        lines.append(f"- **{md(insight.who(student))}**")
        lines += [f"  - {md(text)}" for w in found if (text := warning_text(w, lang))]
    if not insight.warnings:
        lines.append(t("nothing", lang))
    lines += ["", f"## {t('families', lang)}", ""]
    for family in insight.families:
        link = _md_link(links.section(family.section))
        title = code_spans(family.titles[lang], md, lambda c: f"`{c}`")
        lines += [f"### {title}{COLON[lang]}{_family_line(family, lang)}",
                  "", _taught(link, lang), "",
                  table(t("exercise", lang), t("times", lang), t("share", lang), t("who", lang)), "|---|---|---|---|"]
        lines += [table(md(m.exercise), f"{m.count}/{m.total}", _percent(m.share), _md_names(insight, m.students, lang))
                  for m in family.shares]
        lines.append("")
    if not insight.families:
        lines += [t("nothing", lang), ""]
    top = insight.top
    lines += [f"## {t('top', lang, n=len(top))}", ""]
    for number, m in enumerate(top, 1):
        link = _md_link(links.exercise(m.exercise))
        lines.append(f"{number}. **{md(m.exercise)}** `{m.key}`: {m.count}/{m.total} ({_percent(m.share)}): "
                     f"{md(m.sentence)} ({t('who', lang)}{COLON[lang]}{_md_names(insight, m.students, lang)})"
                     + (f" ({_taught(link, lang)})" if link else ""))
    if not top:
        lines.append(t("nothing", lang))
    lines += ["", f"## {t('statuses', lang)}", "", table(t("status", lang), t("times", lang)), "|---|---|"]
    lines += [table(md(status_word(s, lang)), n) for s, n in sorted(insight.statuses.items(),
                                                                    key=lambda i: _order(i[0]))]
    for name, alt in charts:
        lines += ["", f"![{alt}]({name})"]
    present = [s for s in STATUSES if insight.statuses[s]]
    lines += ["", f"## {t('rates', lang)}", "",
              table(t("exercise", lang), t("pass_rate", lang), *(md(status_word(s, lang)) for s in present)),
              "|---|---|" + "---|" * len(present)]
    for e in insight.exercises:
        counts = Counter({"pass": e.passed, "todo": e.todo, "fail": sum(m.count for m in e.mistakes), **e.problems})
        lines.append(table(md(e.exercise), _percent(e.passed / e.total if e.total else 0),
                           *(counts[s] for s in present)))
    lines += ["", f"## {t('per_exercise', lang)}"]
    for e in insight.exercises:
        link = _md_link(links.exercise(e.exercise))
        share = (lambda n: _percent(n / e.total)) if e.total else (lambda n: "0%")  # noqa: E731
        lines += ["", f"### `{e.exercise}`", "", _taught(link, lang), "",
                  table(t("outcome", lang), t("count", lang), t("share", lang), t("who", lang), t("meaning", lang)),
                  "|---|---|---|---|---|", table(md(status_word("pass", lang)), e.passed, share(e.passed), "", "")]
        lines += [table(f"`{m.key}`", m.count, share(m.count), _md_names(insight, m.students, lang), md(m.sentence))
                  for m in e.mistakes]
        lines.append(table(md(status_word("todo", lang)), e.todo, share(e.todo),
                           _md_names(insight, e.students.get("todo", ()), lang), ""))
        lines += [table(md(status_word(s, lang)), n, share(n), _md_names(insight, e.students[s], lang), "")
                  for s, n in sorted(e.problems.items())]
    lines += ["", f"## {t('errors', lang)}", ""]
    if insight.errors:
        lines += [table(t("hint", lang), t("times", lang), t("exercises", lang), t("meaning", lang)),
                  "|---|---|---|---|"]
        lines += [table(f"`{hint or '-'}`", n, md(", ".join(ids)), md(hint_text(hint, lang)))
                  for hint, n, ids, _ in insight.errors]
    else:
        lines.append(t("nothing", lang))
    lines += ["", f"## {t('problems', lang)}", ""]
    if insight.problems:
        lines += [table(t("student", lang), t("status", lang), t("exercises", lang), t("reason", lang)),
                  "|---|---|---|---|"]
        lines += [table(md(insight.who(student)), md(status_word(status, lang)),
                        f"{len(ids)}: " + md(_shortened(ids, lang)), md(reason))
                  for student, status, ids, reason in insight.problems]
    else:
        lines.append(t("nothing", lang))
    return "\n".join(line for i, line in enumerate(lines) if line or (i and lines[i - 1])) + "\n"


def _order(status):
    return (STATUSES + (BLANK,)).index(status) if status in STATUSES + (BLANK,) else len(STATUSES) + 1


def roster_markdown(match, lang, lms_ids=False):
    """The roster check; ``lms_ids``: the download names each student's LMS id, so unlisted ones are still exported."""
    if match is None:
        return ""
    lines = ["", f"## {t('roster', lang)}", "", f"{t(_unlisted(lms_ids), lang)}{COLON[lang]}"
             + (", ".join(md(f) for f in match.unlisted) or t("nothing", lang)),
             "", f"{t('absent', lang)}{COLON[lang]}"
             + (", ".join(md(f"{s.display} ({s.id}, {s.folder})") for s in match.absent) or t("nothing", lang))]
    return "\n".join(lines) + "\n"


def _unlisted(lms_ids):
    return "unlisted_lms" if lms_ids else "unlisted"


# --- HTML ---------------------------------------------------------------------------------------------------------

def e(value):
    return html.escape(str(value), quote=True)


def html_link(found):
    return f'<a href="{e(found[1])}">{e(found[0])}</a>' if found else ""


STYLE = """body{font-family:sans-serif;max-width:64em;margin:2em auto;color:#202124;padding:0 1em;line-height:1.45}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #dadce0;padding:4px 8px;text-align:left;
vertical-align:top}th{background:#f1f3f4}code{background:#f1f3f4;padding:1px 4px;border-radius:3px}
ol.top li{margin:.4em 0}.share{font-weight:bold;color:#d93025}.muted{color:#5f6368}img{max-width:100%}
.warnings li{margin:.3em 0}.warnings>li{margin-bottom:.8em}.who{color:#1a73e8}
section.warn{background:#fef7e0;border-left:4px solid #f9ab00;padding:.2em 1em;margin:1em 0}"""


def _html_names(insight, students, lang):
    return f'<span class="who">{e(listed([insight.who(s) for s in students], lang))}</span>'


def page(insight, lang, links, charts=(), match=None, lms_ids=False):
    """report.html: self-contained (inline style, the charts as data: URIs), every student string escaped.
    ``charts``: (alt text, SVG bytes)."""
    parts = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
             f"<title>{e(t('title', lang))}</title><style>{STYLE}</style></head><body>",
             f"<h1>{e(t('title', lang))}</h1>", f'<p class="muted" id="header">{e(header(insight, lang))}</p>']
    parts.append(f'<section class="warn"><h2 id="warnings">⚠ {e(t("warnings", lang, n=len(insight.warnings)))}</h2>')
    if insight.warnings:
        parts.append('<ul class="warnings">')
        for student, found in insight.warnings.items():
            items = "".join(f'<li data-kind="{e(w.get("kind"))}">{e(text)}</li>' for w in found
                            if (text := warning_text(w, lang)))
            parts.append(f'<li data-student="{e(student)}"><b>{e(insight.who(student))}</b><ul>{items}</ul></li>')
        parts.append("</ul>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    parts.append("</section>")
    parts.append(f'<h2 id="families">{e(t("families", lang))}</h2>')
    for family in insight.families:
        link = html_link(links.section(family.section))
        rows = "".join(f"<tr><td><code>{e(m.exercise)}</code></td><td>{m.count}/{m.total}</td>"
                       f"<td>{_percent(m.share)}</td><td>{_html_names(insight, m.students, lang)}</td></tr>"
                       for m in family.shares)
        title = code_spans(family.titles[lang], e, lambda c: f"<code>{e(c)}</code>")
        parts.append(f'<h3 data-family="{e(family.name)}">{title}</h3>'
                     f'<p><span class="share">{e(_family_line(family, lang))}</span>'
                     + (f" · {_taught(link, lang, e)}" if link else "") + "</p>"
                     f"<table><tr><th>{e(t('exercise', lang))}</th><th>{e(t('times', lang))}</th>"
                     f"<th>{e(t('share', lang))}</th><th>{e(t('who', lang))}</th></tr>{rows}</table>")
    if not insight.families:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    top = insight.top
    parts.append(f'<h2 id="top">{e(t("top", lang, n=len(top)))}</h2>')
    if top:
        parts.append('<ol class="top">')
        for m in top:
            link = html_link(links.exercise(m.exercise))
            parts.append(f'<li data-key="{e(m.exercise)}/{e(m.key)}"><code>{e(m.exercise)}</code> '
                         f'<code>{e(m.key)}</code> <span class="share">{m.count}/{m.total} '
                         f'({_percent(m.share)})</span>: '
                         f"{e(m.sentence)} {_html_names(insight, m.students, lang)}"
                         + (f' <span class="muted">({_taught(link, lang, e)})</span>' if link else "") + "</li>")
        parts.append("</ol>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    for alt, svg in charts:
        data = base64.b64encode(svg).decode("ascii")
        parts.append(f'<h2>{e(alt)}</h2><img alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">')
    parts.append(f'<h2 id="per-exercise">{e(t("per_exercise", lang))}</h2>')
    for x in insight.exercises:
        share = (lambda n: _percent(n / x.total)) if x.total else (lambda n: "0%")  # noqa: E731
        link = html_link(links.exercise(x.exercise))
        rows = [f"<tr><td>{e(status_word('pass', lang))}</td><td>{x.passed}</td><td>{share(x.passed)}</td><td></td>"
                "<td></td></tr>"]
        rows += [f"<tr><td><code>{e(m.key)}</code></td><td>{m.count}</td><td>{share(m.count)}</td>"
                 f"<td>{_html_names(insight, m.students, lang)}</td><td>{e(m.sentence)}</td></tr>" for m in x.mistakes]
        rows += [f"<tr><td>{e(status_word(s, lang))}</td><td>{n}</td><td>{share(n)}</td>"
                 f"<td>{_html_names(insight, x.students.get(s, ()), lang)}</td><td></td></tr>"
                 for s, n in [("todo", x.todo), *sorted(x.problems.items())]]
        parts.append(f'<h3 id="{e(x.exercise)}"><code>{e(x.exercise)}</code></h3>'
                     + (f'<p class="muted">{_taught(link, lang, e)}</p>' if link else "") + "<table><tr>"
                     f"<th>{e(t('outcome', lang))}</th><th>{e(t('count', lang))}</th><th>{e(t('share', lang))}</th>"
                     f"<th>{e(t('who', lang))}</th><th>{e(t('meaning', lang))}</th></tr>" + "".join(rows) + "</table>")
    parts.append(f'<h2 id="errors">{e(t("errors", lang))}</h2>')
    if insight.errors:
        parts.append(f"<table><tr><th>{e(t('hint', lang))}</th><th>{e(t('times', lang))}</th>"
                     f"<th>{e(t('exercises', lang))}</th><th>{e(t('meaning', lang))}</th></tr>")
        parts += [f"<tr><td><code>{e(hint or '-')}</code></td><td>{n}</td><td>{e(', '.join(ids))}</td>"
                  f"<td>{e(hint_text(hint, lang))}<br><span class=\"muted\">{e(example)}</span></td></tr>"
                  for hint, n, ids, example in insight.errors]
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    parts.append(f'<h2 id="problems">{e(t("problems", lang))}</h2>')
    if insight.problems:
        parts.append(f"<table><tr><th>{e(t('student', lang))}</th><th>{e(t('status', lang))}</th>"
                     f"<th>{e(t('exercises', lang))}</th><th>{e(t('reason', lang))}</th></tr>")
        parts += [f'<tr data-student="{e(student)}"><td>{e(insight.who(student))}</td>'
                  f"<td>{e(status_word(status, lang))}</td><td>{len(ids)}: {e(_shortened(ids, lang))}</td>"
                  f"<td>{e(reason)}</td></tr>"
                  for student, status, ids, reason in insight.problems]
        parts.append("</table>")
    else:
        parts.append(f"<p>{e(t('nothing', lang))}</p>")
    if match is not None:
        parts.append(f'<h2>{e(t("roster", lang))}</h2><h3>{e(t(_unlisted(lms_ids), lang))}</h3><ul>'
                     + "".join(f"<li>{e(f)}</li>" for f in match.unlisted) + "</ul>"
                     + f'<h3>{e(t("absent", lang))}</h3><ul>'
                     + "".join(f"<li>{e(s.display)} ({e(s.id)}, {e(s.folder)})</li>" for s in match.absent) + "</ul>")
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)


# --- the charts ---------------------------------------------------------------------------------------------------

MISTAKE_COLOURS = ("#d93025", "#e8710a", "#a142f4", "#b31412", "#f439a0", "#c26401", "#7627bb", "#ee675c")
KIND_COLOURS = {"pass": "#1e8e3e", "todo": "#f9ab00", "problem": "#9aa0a6"}


def _svg(figure):
    """The figure as SVG whose text stays text, so the browser draws it in its own fonts (Chinese included)."""
    import io

    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "autograd-course"}), \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph missing from font": measured in matplotlib's, drawn in the browser's
        figure.tight_layout()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def histogram_svg(insight, lang):
    """The students' totals, one bar per score."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3.2))
    axes = figure.subplots()
    axes.hist(insight.totals, bins=[x - 0.5 for x in range(int(insight.most) + 2)], color="#1e8e3e", edgecolor="white")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel(t("total_score", lang))
    axes.set_ylabel(t("of_students", lang))
    axes.set_title(counted(t('histogram', lang), insight.students, lang))
    return _svg(figure)


def chart_svg(insight, lang):
    """A horizontal bar per exercise, split by outcome (right, each named mistake, todo, problems)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import PercentFormatter

    rows = insight.chart_rows()
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
            if kind == "mistake" and width >= 0.006 * min(len(str(label)), 16) + 0.03:
                axes.text(left + width / 2, y, str(label)[:16], ha="center", va="center", fontsize=7, color="white")
            left += width
    axes.set_yticks(range(len(rows)), [r["exercise"] for r in rows], fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel(t("share_axis", lang))
    axes.legend(handles=[Patch(color=KIND_COLOURS["pass"], label=status_word("pass", lang)),
                         Patch(color=MISTAKE_COLOURS[0], label=t("mistake_legend", lang)),
                         Patch(color=KIND_COLOURS["todo"], label=status_word("todo", lang)),
                         Patch(color=KIND_COLOURS["problem"], label=t("problem_legend", lang))],
                loc="upper center", bbox_to_anchor=(0.5, -0.35 / max(len(rows), 1) - 0.12), ncol=4, fontsize=8,
                frameon=False)
    axes.set_title(t("chart", lang))
    return _svg(figure)
