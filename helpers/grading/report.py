"""What an instructor reads after grading: grades.csv, feedback/<student>.html, summary.md and report.html (the
class report, ``helpers.grading.insight``) with histogram.svg and misconceptions.svg, and with ``--export`` a
gradebook CSV per LMS (``helpers.grading.export``); on the terminal, a short summary (``console``).

Everything is written atomically at the end of a run (results.jsonl is the durable log kept during it).
Feedback is what a student acts on: headed with the roster name and id and the files graded, the warnings where
marks may have been lost first, then what to fix (each linked to the chapter section that teaches it), then
what is not done, the passes folded away; never the hidden inputs or a solution. Every CSV cell is made safe
for spreadsheets (``results.safe_cell``) and every student string escaped.
"""
from collections import Counter

from helpers.grading import export, insight
from helpers.grading.insight import (COLON, Links, by_student, counted, e, html_link, listed, plain, status_word,
                                     warning_text)
from helpers.grading.results import csv_text, write_atomically
from helpers.grading.statuses import BLANK, PROBLEMS, student_status
from helpers.messages import say
from helpers.checking.verdict import COLOURS, PROBLEM_SYMBOL, SYMBOLS

PROBLEM_COLOURS = ("#f1f3f4", "#5f6368")
FEEDBACK_STYLE = """body{font-family:sans-serif;max-width:50em;margin:2em auto;padding:0 1em;color:#202124;
line-height:1.45}.box{padding:6px 10px;margin:6px 0;border-left:4px solid}.muted{color:#5f6368}
.warn{background:#fef7e0;border-left:4px solid #f9ab00;padding:.3em 1em;margin:1em 0}
summary{cursor:pointer;font-size:1.2em;font-weight:bold;margin:1em 0}"""


def say_feedback(key, lang):
    return say(f"feedback_{key}", lang)


def write_grades(path, exercise_ids, records, match=None, gradebook=None):
    """grades.csv: a row per student, then the assignment's rules (``Gradebook.columns``: total, points possible,
    late days, penalty, final score, submission time and where it came from). With a roster: its id and name,
    a ``roster`` column, and a row with status ``missing`` for each roster student with no submission (a folder
    not in the roster also gets status ``missing``, unless the LMS download gave its id); without one, the name
    the LMS download gives, if any."""
    gradebook = gradebook or export.Gradebook.plain(records)
    students = by_student(records)
    names = ["name"] if match is None and gradebook.names else []
    if match is None:
        rows = [["student", *names, *exercise_ids, *gradebook.columns(), "status"]]
        for student, mine in students.items():
            scores = {r["exercise"]: r["score"] for r in mine}
            rows.append([student, *([gradebook.names.get(student, "")] if names else []),
                         *(export.points(scores.get(i, 0)) for i in exercise_ids), *gradebook.cells(student),
                         student_status(mine)])
    else:
        rows = [["student", "id", "name", *exercise_ids, *gradebook.columns(), "status", "roster"]]
        for student, mine in students.items():
            scores = {r["exercise"]: r["score"] for r in mine}
            entry = match.roster.get(student)
            rows.append([student, entry.id if entry else "", entry.display if entry else gradebook.names.get(student, ""),
                         *(export.points(scores.get(i, 0)) for i in exercise_ids), *gradebook.cells(student),
                         student_status(mine) if entry or gradebook.lms_ids else "missing",
                         "ok" if entry else "not in roster"])
        for entry in match.absent:
            rows.append([entry.folder, entry.id, entry.display, *("" for _ in exercise_ids),
                         *gradebook.cells(None), "missing", "no submission folder"])
    write_atomically(path, csv_text(rows))


def names_of(match):
    """folder -> how the reports name the student: the roster's name and id, else the folder."""
    if match is None:
        return {}
    return {folder: f"{s.display} ({s.id})" if s.id else s.display for folder, s in match.roster.items()}


def write_feedback(folder, records, lang, names=None, course_url=None, footers=None):
    """``footers``: student -> the assignment's rules for them (lateness, final score), a sentence each."""
    folder.mkdir(exist_ok=True)
    links = Links(lang, folder, course_url)
    for student, rows in by_student(records).items():
        write_atomically(folder / f"{student}.html", feedback_html(student, rows, lang, links, (names or {})
                                                                   .get(student, student),
                                                                   (footers or {}).get(student)))


def _box(record, lang, links):
    status = record["status"]
    background, border = COLOURS.get(status, PROBLEM_COLOURS)
    note = f"<br><i>{e(record['note'])}</i>" if record.get("note") else ""
    found = links.exercise(record["exercise"]) if status != "pass" else None
    taught = f'<br><span class="muted">{e(say_feedback("teaches", lang))}{COLON[lang]}{html_link(found)}</span>' \
        if found else ""
    return (f'<div class="box" data-status="{e(status)}" style="border-color:{border};background:{background}">'
            f'<b>{SYMBOLS.get(status, PROBLEM_SYMBOL)} {e(record["exercise"])} · {e(say(status, lang))}'
            f' · {record["score"]:g}/{record["points"]:g}</b><br>{e(record["detail"])}{note}{taught}</div>')


def feedback_html(student, rows, lang, links=None, name=None, footer=None):
    """One student's page: name and files, warnings, then failures and problems, todo, and the passes folded;
    ``footer``: the assignment's rules for this student (lateness, final score), a sentence each."""
    links = links or Links(lang, ".")
    name = name or student
    total, points = sum(r["score"] for r in rows), sum(r["points"] for r in rows)
    files = list(dict.fromkeys(r["notebook"] for r in rows if r.get("notebook")))
    warned = [text for w in insight.student_warnings(rows) if (text := warning_text(w, lang))]
    failed = [r for r in rows if r["status"] == "fail" or r["status"] in PROBLEMS]
    todo = [r for r in rows if r["status"] == "todo"]
    passed = [r for r in rows if r["status"] == "pass"]
    separator = COLON[lang]
    parts = [f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">',
             f"<title>{e(name)}{separator}{total:g}/{points:g}</title><style>{FEEDBACK_STYLE}</style></head><body>",
             f"<h1>{e(name)}</h1>",
             f'<p><b>{e(say_feedback("score", lang))}{separator}{total:g}/{points:g}</b> · '
             f'{e(say_feedback("files", lang))}{separator}'
             f'<span id="files">{e(listed(files, lang)) if files else e(say_feedback("no_files", lang))}</span></p>']
    if warned:
        parts.append(f'<section class="warn" id="warnings"><h2>⚠ {e(say_feedback("read_first", lang))}</h2><ul>'
                     + "".join(f"<li>{e(text)}</li>" for text in warned) + "</ul></section>")
    if failed:
        parts.append(f'<h2 id="to-fix">{e(counted(say_feedback("to_fix", lang), len(failed), lang))}</h2>')
        parts += [_box(r, lang, links) for r in failed]
    if todo:
        parts.append(f'<h2 id="not-done">{e(counted(say_feedback("not_done", lang), len(todo), lang))}</h2>')
        parts += [_box(r, lang, links) for r in todo]
    if passed:
        parts.append(f'<details id="correct"><summary>{e(counted(say_feedback("correct", lang), len(passed), lang))}'
                     "</summary>"
                     + "".join(_box(r, lang, links) for r in passed) + "</details>")
    parts += [f'<p class="rules"><b>{e(line)}</b></p>' for line in footer or ()]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_all(out, exercise_ids, records, lang, seconds, match=None, exports=(), gradebook=None, course_url=None):
    """Every report from ``records`` (results.jsonl): grades.csv, feedback, summary.md, report.html and its charts.
    Chapter links are relative to the page (or under ``course_url``), so the folder can be shared. ``records`` are
    on the assignment's points (``policy.apply``); ``gradebook`` holds its rules applied (without one, totals as
    graded)."""
    gradebook = gradebook or export.Gradebook.plain(records)
    names = names_of(match)
    analysis = insight.analyse(exercise_ids, records, names, seconds)
    write_grades(out / "grades.csv", exercise_ids, records, match, gradebook)
    write_feedback(out / "feedback", records, lang, names, course_url, gradebook.footers(lang))
    for kind in exports:
        export.write(out, kind, match, gradebook, lang)
    charts = {"histogram.svg": (insight.t("histogram", lang), insight.histogram_svg(analysis, lang)),
              "misconceptions.svg": (insight.t("chart", lang), insight.chart_svg(analysis, lang))}
    for name, (_, svg) in charts.items():
        write_atomically(out / name, svg, mode="wb")
    links = Links(lang, out, course_url)
    summary = insight.markdown(analysis, lang, links, [(name, alt) for name, (alt, _) in charts.items()])
    write_atomically(out / "summary.md", summary + insight.roster_markdown(match, lang, gradebook.lms_ids)
                       + gradebook.markdown(records, lang))
    page = insight.page(analysis, lang, links, list(charts.values()), match, gradebook.lms_ids)
    write_atomically(out / "report.html", page.replace("</body>", gradebook.html(records, lang) + "</body>", 1))


NAMES_SHOWN = 4  # per kind of warning on the terminal; report.html has them all


def console(records, graded, seconds, out, lang, exports=(), names=None):
    """About ten lines for the terminal after a run: what this run graded (``graded``: the students' folders), in
    how long, the whole class's counts, who may lose marks, and where the files are."""
    text = lambda key, **fields: say(f"console_{key}", lang, **fields)  # noqa: E731
    rows, now = by_student(records), [r for r in records if r["student"] in set(graded)]
    notebooks = len({(r["student"], r["notebook"]) for r in now if r["notebook"]})
    lines = [text("graded", students=len(graded), notebooks=notebooks, exercises=len(now), seconds=f"{seconds:.1f}",
                  rate=f"{notebooks / seconds:.1f}" if seconds else "-")]
    counts = Counter(r["status"] for r in records)
    lines.append(text("results", counts=" · ".join(f"{n} {status_word(s, lang)}" for s, n in counts.most_common())))
    kinds = {"ok": text("ok"), BLANK: status_word(BLANK, lang)}
    rows_status = Counter(kinds.get(student_status(mine), text("problem")) for mine in rows.values())
    lines.append(text("students", counts=" · ".join(f"{n} {kind}" for kind, n in rows_status.most_common())))
    warned = {}
    for student, mine in rows.items():
        for warning in insight.student_warnings(mine):
            warned.setdefault(warning["kind"], []).append(student)
    if warned:
        lines.append(text("warnings", n=len({s for students in warned.values() for s in students})))
        for kind, students in warned.items():
            shown = [(names or {}).get(s, s) for s in dict.fromkeys(students)]
            more = f" {text('more', n=len(shown) - NAMES_SHOWN)}" if len(shown) > NAMES_SHOWN else ""
            lines.append(f"  {text(kind)}{COLON[lang]}{listed(shown[:NAMES_SHOWN], lang)}{more}")
    files = ["report.html", "summary.md", "grades.csv", text("pages", n=len(rows))] + [export.FILES[k] for k in exports]
    lines.append(text("files", out=out, files=listed(files, lang)))
    return plain("\n".join(lines))
