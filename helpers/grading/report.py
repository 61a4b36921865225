"""What an instructor reads after grading: grades.csv, feedback/<student>.html, summary.md, histogram.png,
report.html and misconceptions.png (the class misconception report, ``helpers.grading.insight``), and with
``--export`` a gradebook CSV per LMS (``helpers.grading.export``).

Everything is written atomically at the end of a run (results.jsonl is the durable log kept during it).
Feedback shows each exercise's status and the checker's diagnosis, never the hidden inputs or a solution.
Every CSV cell is made safe for spreadsheets (``results.safe_cell``) and every student string escaped.
"""
import html
import io
import statistics
from collections import Counter
from pathlib import Path

from helpers.grading import export, insight
from helpers.grading.results import csv_text, write_atomically
from helpers.grading.statuses import PROBLEMS, STATUSES
from helpers.messages import say
from helpers.checking.verdict import COLOURS, PROBLEM_SYMBOL, SYMBOLS

PROBLEM_COLOURS = ("#f1f3f4", "#5f6368")


def student_status(records):
    """"ok", or the first grading problem in the student's row (e.g. "timeout: ch02.loop")."""
    for problem in PROBLEMS:
        for record in records:
            if record["status"] == problem:
                return f"{problem}: {record['exercise']}"
    return "ok"


def by_student(records):
    rows = {}
    for record in records:
        rows.setdefault(record["student"], []).append(record)
    return rows


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


def write_feedback(folder, records, lang, footers=None):
    folder.mkdir(exist_ok=True)
    for student, rows in by_student(records).items():
        write_atomically(folder / f"{student}.html", feedback_html(student, rows, lang, (footers or {}).get(student)))


def feedback_html(student, rows, lang, footer=None):
    """``footer``: the assignment's rules for this student (lateness, final score), a sentence each."""
    total = sum(r["score"] for r in rows)
    points = sum(r["points"] for r in rows)
    boxes = []
    for record in rows:
        status = record["status"]
        background, border = COLOURS.get(status, PROBLEM_COLOURS)
        note = f"<br><i>{html.escape(record['note'])}</i>" if record.get("note") else ""
        boxes.append(
            f'<div style="border-left:4px solid {border};background:{background};padding:6px 10px;margin:6px 0">'
            f'<b>{SYMBOLS.get(status, PROBLEM_SYMBOL)} {html.escape(record["exercise"])} · {html.escape(say(status, lang))}'
            f' · {record["score"]:g}/{record["points"]:g}</b><br>{html.escape(record["detail"])}{note}</div>')
    title = f"{html.escape(student)}：{total:g}/{points:g}" if lang == "zh" else f"{html.escape(student)}: {total:g}/{points:g}"
    boxes += [f"<p><b>{html.escape(line)}</b></p>" for line in footer or ()]
    return (f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head>\n<body style=\"font-family:sans-serif;max-width:50em;margin:2em auto\">"
            f"<h1>{title}</h1>\n" + "\n".join(boxes) + "\n</body></html>\n")


def summary(exercise_ids, records, seconds=None):
    """The class summary as Markdown: pass rate per exercise, totals, counts per status."""
    rows = by_student(records)
    totals = [sum(r["score"] for r in student_rows) for student_rows in rows.values()]
    lines = ["# Grading summary", "", f"- students: {len(rows)}", f"- exercises graded: {len(records)}"]
    if totals:
        lines += [f"- total: mean {statistics.mean(totals):.2f}, median {statistics.median(totals):g}, "
                  f"max {max(totals):g} (of {sum(r['points'] for r in next(iter(rows.values()))):g})"]
    if seconds is not None:
        lines.append(f"- time: {seconds:.1f} s")
    counts = Counter(r["status"] for r in records)
    lines += ["", "| status | count |", "|---|---|"]
    lines += [f"| {status} | {counts[status]} |" for status in STATUSES if counts[status]]
    lines += ["", "| exercise | pass rate | " + " | ".join(STATUSES) + " |", "|---|---|" + "---|" * len(STATUSES)]
    for exercise_id in exercise_ids:
        mine = [r for r in records if r["exercise"] == exercise_id]
        status_counts = Counter(r["status"] for r in mine)
        rate = status_counts["pass"] / len(mine) if mine else 0.0
        lines.append(f"| {exercise_id} | {rate:.0%} | " + " | ".join(str(status_counts[s]) for s in STATUSES) + " |")
    return "\n".join(lines) + "\n"


def write_histogram(path, records):
    _draw(path, *_totals(records))


def _totals(records):
    """Each student's total, and the most points a student could have."""
    rows = by_student(records).values()
    most = max([sum(r["points"] for r in mine) for mine in rows] or [1])
    return [sum(r["score"] for r in mine) for mine in rows], most


def _draw(path, totals, most):
    write_atomically(Path(path), _png(totals, most), mode="wb")


def _png(totals, most):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3.5))
    axes = figure.subplots()
    axes.hist(totals, bins=[x - 0.5 for x in range(int(most) + 2)], color="#1e8e3e", edgecolor="white")
    axes.set_xlabel("total score")
    axes.set_ylabel("students")
    axes.set_title(f"Score distribution ({len(totals)} students)")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def write_all(out, exercise_ids, records, lang, seconds, match=None, exports=(), gradebook=None):
    """Every report from ``records`` (results.jsonl, on the assignment's points: ``policy.apply``); returns
    summary.md's text. ``gradebook`` holds the assignment's rules applied (without one, totals as graded)."""
    gradebook = gradebook or export.Gradebook.plain(records)
    names = {f: s.display for f, s in match.roster.items()} if match else {}
    analysis = insight.analyse(exercise_ids, records, names)
    chart = out / "misconceptions.png"
    write_grades(out / "grades.csv", exercise_ids, records, match, gradebook)
    write_feedback(out / "feedback", records, lang, gradebook.footers(lang))
    for kind in exports:
        export.write(out, kind, match, gradebook, lang)
    text = (summary(exercise_ids, records, seconds) + insight.markdown(analysis, lang, chart.name)
            + insight.roster_markdown(match, lang) + gradebook.markdown(records, lang))
    write_atomically(out / "summary.md", text)
    write_histogram(out / "histogram.png", records)
    write_atomically(chart, insight.chart_png(analysis.chart_rows()), mode="wb")
    heading = (f"{analysis.students} {insight.t('students', lang)} · {insight.t('exercises', lang)}: "
               f"{', '.join(exercise_ids)}")
    page = insight.page(analysis, lang, chart.read_bytes(), match, heading)
    write_atomically(out / "report.html", page.replace("</body>", gradebook.html(records, lang) + "</body>", 1))
    return text
