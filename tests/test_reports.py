"""End-to-end tests of the class reports (issues 15 and 23): mistake keys, the misconception report, the warnings
where marks may be lost, feedback, roster, LMS exports, ``--only`` and spreadsheet/HTML safety.

A synthetic class answers chapter 1's notebook (solutions/ex01) with known wrong answers, so every count and share
in the report is known in advance, and does what real students do: two copies of the notebook, an answer typed
into a new cell, a name borrowed from another cell, an unfilled copy. It is graded once, through the real command
line; the tests read what it wrote.
"""
import contextlib
import csv
import io
import json
import os
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

from helpers import cli
from helpers.checking.mistakes import mistake_key
from helpers.exercises import EXERCISES
from helpers.grading import export, insight, report
from helpers.grading.results import safe_cell
from test_coverage_doc import heading_ids

ROOT = Path(__file__).resolve().parents[1]
EX01 = "ex01_backward_basics.ipynb"
COPY = "ex01_backward_basics-Copy1.ipynb"
HYPERLINK = '=HYPERLINK("x")'
SCRIPT_FOLDER = "<script>alert(1)"
SCRIPT_NAME = "</td><script>alert(2)</script>"
ZHANG = "张伟"
OLD, NEW = 1_700_000_000, 1_700_086_400  # two saves a day apart

pytestmark = pytest.mark.skipif(not (ROOT / "solutions" / EX01).exists(), reason="solutions/ex01 not written")

RIGHT = {"ch01.leaf": "x = torch.arange(4.0, requires_grad=True)\n",
         "ch01.grad_2xtx": "def grad_of_2xtx(x):\n    leaf = x.detach().clone().requires_grad_(True)\n"
                           "    (2 * torch.dot(leaf, leaf)).backward()\n    return leaf.grad\n",
         "ch01.mean_grad": "grad_value = 4.5\n",
         "ch01.nonleaf_grad": 'answer = "C"\n',
         "ch01.int_arange": 'answer = "D"\n'}
NONSCALAR = ("def grad_of_2xtx(x):\n    leaf = x.detach().clone().requires_grad_(True)\n"
             "    (2 * leaf * leaf).backward()\n    return leaf.grad\n")
VALUE_NOT_GRADIENT = "def grad_of_2xtx(x):\n    return (2 * torch.dot(x, x)).expand(x.shape)\n"
UNFILLED = {"ch01.leaf": "x = ...\n", "ch01.grad_2xtx": "def grad_of_2xtx(x):\n    ...\n",
            "ch01.nonleaf_grad": "answer = ...\n"}
BORROWING = {"ch01.grad_2xtx": "def grad_of_2xtx(x):\n    leaf = x.detach().clone().requires_grad_(True)\n"
                               "    (SCALE * torch.dot(leaf, leaf)).backward()\n    return leaf.grad\n",
             "ch01.mean_grad": "grad_value = ANSWER\n"}
# folder -> the answers that differ from the solution
CLASS = {
    HYPERLINK: {"ch01.mean_grad": "grad_value = 18.0\n", "ch01.nonleaf_grad": 'answer = "A"\n'},
    SCRIPT_FOLDER: {"ch01.mean_grad": "grad_value = 18\n", "ch01.nonleaf_grad": 'answer = "A"\n',
                    "ch01.int_arange": "raise ValueError('<script>alert(3)</script> | *x*')\n"},
    "s03": {"ch01.mean_grad": "grad_value = 18.0\n", "ch01.nonleaf_grad": 'answer = "B"\n'},
    "s04": {"ch01.mean_grad": "grad_value = 27.0\n", "ch01.grad_2xtx": "def grad_of_2xtx(x):\n    return 2 * x\n"},
    "s05": {"ch01.mean_grad": "grad_value = 27.0\n", "ch01.grad_2xtx": NONSCALAR},
    "s06": {"ch01.leaf": "x = torch.arange(4, requires_grad=True)\n"},
    "s07": {"ch01.int_arange": 'answer = "Z"\n'},
    "s08": {},
    "s09": {},
    "s10": {"ch01.grad_2xtx": VALUE_NOT_GRADIENT},
    "unlisted": {"ch01.mean_grad": "grad_value = ...\n"},
    ZHANG: {"ch01.mean_grad": "grad_value = ...  # 填入你的答案\n"},  # ... and the answer in a new cell below it
    "xiaoqi": BORROWING,  # ... and SCALE, ANSWER defined in a cell of their own
}
# folder -> {file: (answers, cells added after an answer cell, saved at)}: more than the one notebook above
COPIES = {
    "dengmin": {EX01: ({**UNFILLED, "ch01.mean_grad": "grad_value = 18.0\n"}, {}, NEW), COPY: ({}, {}, OLD)},
    "tie_newest": {EX01: ({"ch01.mean_grad": "grad_value = 27.0\n"}, {}, OLD), "ex01 (2).ipynb": ({}, {}, NEW)},
    "blank": {EX01: ({**UNFILLED, "ch01.mean_grad": "grad_value = ...\n", "ch01.int_arange": "answer = ...\n"}, {},
                     None)},
}
ADDED = {ZHANG: {"ch01.mean_grad": "grad_value = 4.5\n"}, "xiaoqi": {"ch01.leaf": "SCALE = 2\nANSWER = 4.5\n"}}
ROSTER = [["folder", "id", "name", "email", "canvas_id", "sis_login_id", "section"],
          [HYPERLINK, "1001", "-2+3 Formula", "a@example.org", "501", "alogin", "A"],
          [SCRIPT_FOLDER, "1002", SCRIPT_NAME, "b@example.org", "502", "blogin", "A"],
          *[[f"s{n:02d}", f"10{n:02d}", f"Student {n}", f"s{n}@example.org", f"5{n:02d}", f"s{n}", "B"]
            for n in range(3, 11)],
          [ZHANG, "1011", "Zhang Wei", "zw@example.org", "511", "zw", "B"],
          ["xiaoqi", "1012", "Xiao Qi", "xq@example.org", "512", "xq", "B"],
          ["dengmin", "1013", "Deng Min", "dm@example.org", "513", "dm", "B"],
          ["tie_newest", "1014", "Tie Newest", "tn@example.org", "514", "tn", "B"],
          ["blank", "1015", "Bai Kong", "bk@example.org", "515", "bk", "B"],
          ["ghost", "1099", "Ghost Student", "ghost@example.org", "599", "ghost", "B"]]
STUDENTS = len(CLASS) + len(COPIES)


def notebook_with(answers, added=None):
    notebook = json.loads((ROOT / "solutions" / EX01).read_text(encoding="utf-8"))
    cells = []
    for cell in notebook["cells"]:
        cells.append(cell)
        exercise = cell["metadata"].get("autograd_course", {}).get("exercise")
        if exercise:
            cell["source"] = answers.get(exercise, RIGHT[exercise])
            cell["outputs"] = []
            if exercise in (added or {}):
                cells.append({"cell_type": "code", "metadata": {}, "source": added[exercise], "outputs": [],
                              "execution_count": None})
    notebook["cells"] = cells
    return notebook


def write_student(submissions, folder, answers, added=None, name=EX01, saved=None):
    (submissions / folder).mkdir(parents=True, exist_ok=True)
    path = submissions / folder / name
    path.write_text(json.dumps(notebook_with(answers, added)), encoding="utf-8")
    if saved:
        os.utime(path, (saved, saved))


def grade(*args):
    return cli.main(["grade", *map(str, args), "--timeout", "5", "--memory", "512", "--jobs", "2"])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    base = tmp_path_factory.mktemp("reports")
    submissions, results, course = base / "submissions", base / "results", base / "course"
    course.mkdir()
    shutil.copy(ROOT / "exercises" / EX01 if (ROOT / "exercises" / EX01).exists() else ROOT / "solutions" / EX01,
                course / EX01)
    for folder, answers in CLASS.items():
        write_student(submissions, folder, answers, ADDED.get(folder))
    for folder, files in COPIES.items():
        for name, (answers, added, saved) in files.items():
            write_student(submissions, folder, answers, added, name, saved)
    roster = base / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(ROSTER)
    with contextlib.redirect_stdout(io.StringIO()) as console:
        code = grade(submissions, "--out", results, "--course", course, "--roster", roster, "--export", "canvas",
                     "--export", "moodle", "--lang", "en")
    before = (results / "results.jsonl").read_text(encoding="utf-8")
    records = {(r["student"], r["exercise"]): r for r in map(json.loads, before.splitlines())}
    return {"code": code, "records": records, "results": results, "submissions": submissions, "course": course,
            "roster": roster, "jsonl": before, "summary": (results / "summary.md").read_text(encoding="utf-8"),
            "html": (results / "report.html").read_text(encoding="utf-8"), "console": console.getvalue()}


def feedback(graded, folder):
    return (graded["results"] / "feedback" / f"{folder}.html").read_text(encoding="utf-8")


def warnings_of(graded, folder):
    """{kind: warning} stored in the student's records."""
    return {w["kind"]: w for r in graded["records"].values() if r["student"] == folder for w in r.get("warnings", ())}


def test_records_carry_stable_mistake_keys(graded):
    records = graded["records"]
    assert graded["code"] == 0
    assert records[HYPERLINK, "ch01.mean_grad"]["mistake"] == "ch01.mean_grad/value-18"
    assert records["s04", "ch01.mean_grad"]["mistake"] == "ch01.mean_grad/value-27"
    assert records["s04", "ch01.grad_2xtx"]["mistake"] == "ch01.grad_2xtx/mistake-1"
    assert records["s05", "ch01.grad_2xtx"]["mistake"] == "ch01.grad_2xtx/raised-nonscalar"
    assert records["s03", "ch01.nonleaf_grad"]["mistake"] == "ch01.nonleaf_grad/option-B"
    assert records["s07", "ch01.int_arange"]["mistake"] == "ch01.int_arange/bad_choice"
    assert records["s06", "ch01.leaf"]["status"] == "error"
    assert records["s06", "ch01.leaf"]["mistake"] == "ch01.leaf/raised-int_grad"
    assert records["unlisted", "ch01.mean_grad"]["status"] == "todo"
    assert records["s08", "ch01.mean_grad"]["mistake"] is None  # a pass names no mistake


def test_keys_survive_translation():
    exercise = EXERCISES["ch01.mean_grad"]
    for lang in ("zh", "en"):
        assert exercise.judge({"answer": {"kind": "number", "type": "float", "value": 18.0}}, 0, lang).mistake \
            == "ch01.mean_grad/value-18"
        assert exercise.judge({"answer": {"kind": "number", "type": "float", "value": 9.0}}, 0, lang).mistake \
            == "ch01.mean_grad/accumulated"
        assert exercise.judge({"answer": {"kind": "none"}}, 0, lang).mistake == "ch01.mean_grad/returned_none"
    assert mistake_key(None, "something nobody wrote", "en") == "other"


def test_misconception_counts_and_shares(graded):
    text = graded["summary"]
    assert "1. **ch01.mean\\_grad** `value-18`: 3/16 (19%)" in text
    assert "2. **ch01.mean\\_grad** `value-27`: 2/16 (12%)" in text
    assert "3. **ch01.nonleaf\\_grad** `option-A`: 2/16 (12%)" in text
    assert "4. **ch01.grad\\_2xtx** `mistake-1`: 1/16 (6%)" in text
    assert "5. **ch01.grad\\_2xtx** `mistake-3`: 1/16 (6%)" in text
    assert "6. " not in text.split("## Records per status")[0]
    per_exercise = text.split("### `ch01.mean_grad`")[1].split("###")[0]
    assert "| Correct | 7 | 44% |  |  |" in per_exercise
    assert "| `value-18` | 3 | 19% |" in per_exercise and "| `value-27` | 2 | 12% |" in per_exercise
    assert "| Not done yet | 3 | 19% | Bai Kong \\(1015\\), unlisted, Zhang Wei \\(1011\\) |" in per_exercise
    errors = text.split("## Errors raised, grouped by hint")[1].split("##")[0]
    assert "| `nonscalar` | 1 | ch01.grad\\_2xtx |" in errors and "| `int_grad` | 1 | ch01.leaf |" in errors
    # Xiao Qi's NameErrors are no raised error with no hint: the checker names the cell that defines the names
    assert "| `-` | 1 | ch01.int\\_arange |" in errors
    assert "| `outside_name` | 1 | 6% | Xiao Qi \\(1012\\) | This answer uses SCALE, which another cell \\(cell 5" in text
    problems = text.split("## Grading problems, by student")[1]
    assert "| Student 6 \\(1006\\) | Error while running | 1: ch01.leaf |" in problems


def test_every_mistake_names_its_students(graded):
    page, text = graded["html"], graded["summary"]
    value_18 = re.search(r'<li data-key="ch01.mean_grad/value-18">(.*?)</li>', page).group(1)
    assert "Student 3 (1003)" in value_18 and "-2+3 Formula (1001)" in value_18
    assert "&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt; (1002)" in value_18  # a roster name, escaped
    row = next(line for line in text.splitlines() if line.startswith("| `value-27` |"))
    assert "Student 4 \\(1004\\), Student 5 \\(1005\\)" in row
    assert "Student 6 (1006)" in page.split('id="problems"')[1]


def test_a_family_merges_one_misconception_across_exercises(graded):
    page = graded["html"]
    family = page.split('<h3 data-family="value_not_gradient">')[1].split("</table>")[0]
    assert "answers: 3 · students: 3 · exercises: 2" in family  # value-27 twice in mean_grad, mistake-3 in grad_2xtx
    shares = re.findall(r"<tr><td><code>([^<]+)</code></td><td>([^<]+)</td>", family)
    assert shares == [("ch01.mean_grad", "2/16"), ("ch01.grad_2xtx", "1/16")]
    assert "Student 10 (1010)" in family and "§1.3 A first backward" in family
    assert "Tie Newest" not in family, "the copy that was not graded counts for nothing"


def test_report_html_is_self_contained_and_ranked(graded):
    page = graded["html"]
    top = re.findall(r'<li data-key="([^"]+)">', page)
    assert top == ["ch01.mean_grad/value-18", "ch01.mean_grad/value-27", "ch01.nonleaf_grad/option-A",
                   "ch01.grad_2xtx/mistake-1", "ch01.grad_2xtx/mistake-3"]
    assert "3/16 (19%)" in page and page.count('src="data:image/svg+xml;base64,') == 2  # histogram, chart
    assert not re.search(r"<(link|script)\b", page)  # no external resource, no script at all
    header = re.search(r'<p class="muted" id="header">([^<]*)</p>', page).group(1)
    assert header.startswith("16 students · 5 exercises (ch01) · mean ") and "ch01.leaf" not in header
    for name in ("histogram.svg", "misconceptions.svg"):
        assert (graded["results"] / name).read_bytes().lstrip().startswith(b"<?xml")


def test_chapter_links_resolve_from_the_results_folder(graded):
    results, pages = graded["results"], {graded["results"]: graded["html"]}
    pages[results / "feedback"] = feedback(graded, "s04")
    checked = 0
    for folder, page in pages.items():
        for href in re.findall(r'<a href="([^"]+)"', page):
            path, _, anchor = urllib.parse.unquote(html_unescape(href)).partition("#")
            assert not re.match(r"[a-z]+:", path), f"{href}: not relative"
            target = (folder / path).resolve()
            assert target.is_file() and target.suffix == ".ipynb", href
            assert anchor in heading_ids(target), href
            checked += 1
    assert checked >= 10
    label, href = insight.Links("zh", results, "https://example.org/course/").exercise("ch01.mean_grad")
    assert (label, href) == ("第1章 §1.6 梯度 4.5 从哪里来",
                             "https://example.org/course/notebooks/01_backward_basics.ipynb#1.6-梯度-4.5-从哪里来")


def html_unescape(text):
    import html

    return html.unescape(text)


def test_warnings_say_which_notebook_was_graded_and_why(graded):
    records, console = graded["records"], graded["console"]
    assert {records["dengmin", i]["notebook"] for i in RIGHT} == {COPY}  # 5 answered beats 2, though older
    assert {records["dengmin", i]["status"] for i in RIGHT} == {"pass"}
    several = warnings_of(graded, "dengmin")["several_notebooks"]
    assert (several["graded"], several["why"], [row[:2] for row in several["listing"]]) == \
        (COPY, "answered", [[COPY, 5], [EX01, 2]])
    assert {records["tie_newest", i]["notebook"] for i in RIGHT} == {"ex01 (2).ipynb"}  # a tie: the newest
    assert warnings_of(graded, "tie_newest")["several_notebooks"]["why"] == "newest"
    sentence = f"{COPY} was graded because it has the most answered cells (5)"
    assert sentence in feedback(graded, "dengmin") and sentence in graded["html"]
    assert "ex01 (2).ipynb was graded because they answer as many cells, and it was saved last" in \
        feedback(graded, "tie_newest")
    assert "several notebooks hold the same exercises: Deng Min (1013), Tie Newest (1014)" in console


def test_warnings_for_an_answer_outside_its_cell_and_a_borrowed_name(graded):
    records, console = graded["records"], graded["console"]
    assert records[ZHANG, "ch01.mean_grad"]["status"] == "todo"
    outside = warnings_of(graded, ZHANG)["outside_cell"]
    assert (outside["exercise"], outside["cell"], outside["line"]) == ("ch01.mean_grad", 11, "grad_value = 4.5")
    sentence = ("The answer cell of ch01.mean_grad still holds ... (not answered), but cell 11, which is not the "
                "answer cell, defines grad_value: grad_value = 4.5. Only the tagged answer cell is graded")
    assert sentence in feedback(graded, ZHANG) and sentence in graded["html"]
    assert "an answer outside its answer cell: Zhang Wei (1011)" in console
    borrowed = [w for r in records.values() if r["student"] == "xiaoqi" for w in r.get("warnings", ())]
    assert [(w["exercise"], w["name"], w["cell"]) for w in borrowed] == [("ch01.grad_2xtx", "SCALE", 5),
                                                                         ("ch01.mean_grad", "ANSWER", 5)]
    sentence = ("The answer to ch01.mean_grad uses ANSWER, which cell 5 defines: ANSWER = 4.5. When grading, each "
                "answer cell runs on its own after the first code cell")
    assert sentence in feedback(graded, "xiaoqi") and sentence in graded["html"]
    assert "a name defined in another cell: Xiao Qi (1012)" in console
    assert not any(r.get("warnings") for r in records.values() if r["student"] in ("s04", "s08", "unlisted"))


def test_blank_is_not_ok_and_todo_is(graded):
    rows = {r["student"]: r for r in csv.DictReader((graded["results"] / "grades.csv").open(encoding="utf-8"))}
    assert rows["blank"]["status"] == "blank" and rows["blank"]["total"] == "0"
    assert rows[ZHANG]["status"] == "ok" and rows[ZHANG]["total"] == "4"  # one exercise todo, the rest answered
    sentence = f"Nothing is filled in: every answer cell still holds ... ({EX01}). Was the unfilled copy submitted?"
    assert sentence in feedback(graded, "blank") and sentence in graded["html"]
    assert "nothing filled in: Bai Kong (1015)" in graded["console"]
    assert "students: 13 ok · 2 with a grading problem · 1 Nothing filled in" in graded["console"]


def test_feedback_heads_with_the_student_and_puts_failures_first(graded):
    page = feedback(graded, "s04")
    assert "<h1>Student 4 (1004)</h1>" in page and f'<span id="files">{EX01}</span>' in page
    order = [page.index(marker) for marker in ('id="to-fix"', 'id="correct"')]
    assert order == sorted(order) and "<details" in page and "<details open" not in page
    boxes = re.findall(r'data-status="(\w+)".*?<b>\S+ ([\w.]+) ', page)
    assert boxes == [("fail", "ch01.grad_2xtx"), ("fail", "ch01.mean_grad"), ("pass", "ch01.leaf"),
                     ("pass", "ch01.nonleaf_grad"), ("pass", "ch01.int_arange")]
    assert page.count("Taught in: <a href=") == 2  # each failure, not the passes
    mixed = feedback(graded, ZHANG)
    assert mixed.index('id="warnings"') < mixed.index('id="not-done"') < mixed.index('id="correct"')


def test_the_console_is_short(graded):
    lines = graded["console"].splitlines()
    assert len(lines) <= 12 and lines[0].startswith("graded 16 students, 16 notebooks, 80 exercises in ")
    assert lines[-1].startswith("files: report.html, summary.md, grades.csv, feedback/ (16 pages), canvas-import.csv")
    assert "# " not in graded["console"]  # summary.md stays in its file


def test_a_zh_report_has_no_english_word_in_its_headings_and_statuses(graded, tmp_path):
    records = list(graded["records"].values())
    report.write_all(tmp_path, list(RIGHT), records, "zh", 1.0)
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h[1-3][^>]*>(.*?)</h[1-3]>", page)
    statuses = re.findall(r"<tr[^>]*><td>([^<]*)</td><td>\d", page)
    headings.append(re.search(r'<p class="muted" id="header">([^<]*)</p>', page).group(1))
    assert len(headings) > 10 and {"正确", "尚未完成", "运行出错"} <= set(statuses)
    ids = re.compile(r"<code>[^<]*</code>|ch\d\d(\.\w+)?")
    for text in headings + statuses:
        assert not re.search(r"[A-Za-z]{2,}", ids.sub("", text)), text
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for line in summary.splitlines():
        if line.startswith("#"):
            assert not re.search(r"[A-Za-z]{2,}", re.sub(r"`[^`]*`|\\\S", "", line)), line
    console = report.console(records, ["blank"], 1.0, tmp_path, "zh")
    assert "没有作答：Bai Kong (1015)" not in console and "没有作答：blank" in console  # no roster given here


def test_hostile_names_are_escaped_and_neutralised(graded):
    results, page, text = graded["results"], graded["html"], graded["summary"]
    assert "<script" not in page.lower() and "&lt;/td&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in page
    assert "<script" not in text.lower() and "&lt;script&gt;alert\\(3\\)&lt;/script&gt; \\| \\*x\\*" in text
    grades = list(csv.reader((results / "grades.csv").open(encoding="utf-8")))
    cells = [cell for row in grades for cell in row]
    assert "'" + HYPERLINK in cells and HYPERLINK not in cells and "'-2+3 Formula" in cells
    for name in ("canvas-import.csv", "moodle-import.csv"):
        exported = [cell for row in csv.reader((results / name).open(encoding="utf-8")) for cell in row]
        assert "'-2+3 Formula" in exported and not any(c.startswith(("=", "+", "-", "@")) for c in exported)
    for folder in (HYPERLINK, SCRIPT_FOLDER):
        feedback = (results / "feedback" / f"{folder}.html").read_text(encoding="utf-8")
        assert "<script>alert" not in feedback


def test_safe_cell_rules():
    assert [safe_cell(v) for v in ("=1+2", "+1x", "-x", "@SUM(A1)", "\tx", "\rx", "ok", "-1.5", 3.0)] == \
        ["'=1+2", "'+1x", "'-x", "'@SUM(A1)", "'\tx", "'\rx", "ok", "-1.5", 3.0]


def test_roster_rows_and_missing(graded):
    rows = {r["student"]: r for r in csv.DictReader((graded["results"] / "grades.csv").open(encoding="utf-8"))}
    assert list(next(csv.reader((graded["results"] / "grades.csv").open(encoding="utf-8")))) == \
        ["student", "id", "name", "ch01.leaf", "ch01.grad_2xtx", "ch01.mean_grad", "ch01.nonleaf_grad",
         "ch01.int_arange", "total", "points_possible", "late_days", "penalty", "final", "submitted", "time_source",
         "status", "roster"]
    assert rows["ghost"]["status"] == "missing" and rows["ghost"]["roster"] == "no submission folder"
    assert rows["ghost"]["id"] == "1099" and rows["ghost"]["total"] == "0"
    assert rows["unlisted"]["status"] == "missing" and rows["unlisted"]["roster"] == "not in roster"
    assert rows["s08"]["status"] == "ok" and rows["s08"]["total"] == "5" and rows["s08"]["id"] == "1008"
    assert rows["s06"]["status"] == "error: ch01.leaf"
    assert "unlisted" in graded["summary"].split("## Roster")[1] and "Ghost Student" in graded["summary"]


def test_canvas_export_layout(graded):
    rows = list(csv.reader((graded["results"] / "canvas-import.csv").open(encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "autograd-course"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    by_sis = {row[2]: row for row in rows[2:]}
    assert by_sis["1008"] == ["Student 8", "508", "1008", "s8", "B", "5"]
    assert by_sis["1004"][5] == "3" and by_sis["1099"][5] == ""  # no folder: left empty, the LMS keeps its grade
    assert len(rows) == 2 + len(ROSTER) - 1  # the roster's students; the unlisted folder has no id to import


def test_moodle_export_layout(graded):
    rows = list(csv.reader((graded["results"] / "moodle-import.csv").open(encoding="utf-8")))
    assert rows[0] == ["First name", "Last name", "ID number", "Email address", "autograd-course"]
    by_id = {row[2]: row for row in rows[1:]}
    assert by_id["1008"] == ["Student 8", "", "1008", "s8@example.org", "5"]
    assert by_id["1001"][4] == "3" and by_id["1099"][4] == ""
    assert export.FILES == {"canvas": "canvas-import.csv", "moodle": "moodle-import.csv"}


def test_only_regrades_one_student_and_keeps_the_others(graded, tmp_path):
    results = tmp_path / "results"
    shutil.copytree(graded["results"], results)
    submissions = tmp_path / "submissions"
    shutil.copytree(graded["submissions"], submissions)
    write_student(submissions, "s04", {})  # s04 fixed every answer
    assert grade(submissions, "--out", results, "--course", graded["course"], "--lang", "en", "--only", "s04",
                 "--course-url", "https://example.org/course/") == 0
    after = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    others_before = [line for line in graded["jsonl"].splitlines() if json.loads(line)["student"] != "s04"]
    assert [line for line in after if json.loads(line)["student"] != "s04"] == others_before
    mine = [json.loads(line) for line in after if json.loads(line)["student"] == "s04"]
    assert len(mine) == 5 and all(r["status"] == "pass" for r in mine)
    text = (results / "summary.md").read_text(encoding="utf-8")
    assert r"| `value-27` | 1 | 6% | Student 5 \(1005\) |" in text.split("### `ch01.mean_grad`")[1]
    shared = "https://example.org/course/en/notebooks/01_backward_basics.ipynb#1.6-Where-the-gradient-4.5-comes-from"
    assert f'href="{shared}"' in (results / "report.html").read_text(encoding="utf-8")
    assert f'href="{shared}"' in (results / "feedback" / "s05.html").read_text(encoding="utf-8")
    assert grade(submissions, "--out", tmp_path / "fresh", "--course", graded["course"], "--only", "s04") == 2
    assert grade(submissions, "--out", results, "--course", graded["course"], "--only", "nobody") == 2


def test_insight_from_records_alone():
    records = [{"student": f"s{i}", "exercise": "ch01.mean_grad", "status": status, "detail": "d", "score": 0,
                "points": 1, "mistake": mistake}
               for i, (status, mistake) in enumerate([("fail", "ch01.mean_grad/value-18")] * 3
                                                     + [("pass", None)] * 5 + [("todo", None), ("timeout", None)])]
    analysis = insight.analyse(["ch01.mean_grad"], records)
    (exercise,) = analysis.exercises
    assert (exercise.total, exercise.passed, exercise.todo, dict(exercise.problems)) == (10, 5, 1, {"timeout": 1})
    assert [(m.key, m.count, m.share) for m in analysis.top] == [("value-18", 3, 0.3)]
    assert insight.md("<b>*x*</b> | [y](z)") == "&lt;b&gt;\\*x\\*&lt;/b&gt; \\| \\[y\\]\\(z\\)"


def test_the_placeholder_and_an_answer_typed_elsewhere_are_read_from_the_cells(tmp_path):
    from helpers.grading import notebooks

    released = json.loads((ROOT / "exercises" / "ex09_custom_function.ipynb").read_text(encoding="utf-8"))
    cos2x = next(c for c in released["cells"] if c["metadata"].get("autograd_course", {}).get("exercise"))
    assert notebooks.unanswered(notebooks.source(cos2x), "Cos2x")  # a class whose backward is still ...
    assert notebooks.unanswered("x = ...  # 填入你的答案\n", "x") and not notebooks.unanswered("x = 1\n", "x")
    assert notebooks.unanswered('def f(x):\n    """doc"""\n    ...  # 在这里写你的代码\n', "f")
    assert not notebooks.unanswered("def f(x):\n    return (x\n", "f")  # typed into, if broken
    gone = notebook_with({})
    gone["cells"] = [c for c in gone["cells"] if c["metadata"].get("autograd_course", {}).get("exercise")
                     != "ch01.mean_grad"]
    check = next(i for i, c in enumerate(gone["cells"])
                 if c["metadata"].get("autograd_course", {}).get("check") == "ch01.mean_grad")
    gone["cells"].insert(check, {"cell_type": "code", "metadata": {}, "source": "grad_value = 4.5", "outputs": []})
    (tmp_path / EX01).write_text(json.dumps(gone), encoding="utf-8")
    notebook = notebooks.read(tmp_path / EX01)
    assert notebook.typed_elsewhere("ch01.mean_grad", "grad_value") == (check + 1, "grad_value = 4.5")
    assert notebook.typed_elsewhere("ch01.nonleaf_grad", "answer") is None  # answered in its own cell
    warning = {"kind": "outside_cell", "exercise": "ch01.mean_grad", "name": "grad_value", "cell": check + 1,
               "line": "grad_value = 4.5", "gone": True}
    assert "was deleted" in insight.warning_text(warning, "en") and "被删掉了" in insight.warning_text(warning, "zh")


def test_the_rule_that_chooses_among_copies(tmp_path):
    from helpers.grading import grade as grading, notebooks
    from helpers.grading.course import CourseNotebook

    course_notebook = CourseNotebook(EX01, "", list(RIGHT))
    names = {i: EXERCISES[i].name for i in RIGHT}
    write_student(tmp_path, "a", {}, saved=OLD)
    write_student(tmp_path, "a", {}, name="copy.ipynb", saved=NEW)  # the same content: one notebook, no warning
    same = [notebooks.read(p) for p in sorted((tmp_path / "a").iterdir())]
    chosen, warned = grading._match(course_notebook, same, names)
    assert chosen.path.name == "copy.ipynb" and warned == []
    write_student(tmp_path, "b", {"ch01.mean_grad": "grad_value = 27.0\n"}, name="a copy.ipynb", saved=OLD)
    write_student(tmp_path, "b", {}, saved=OLD)  # as many answers, as old: the course's file name wins
    chosen, (warned,) = grading._match(course_notebook, [notebooks.read(p) for p in (tmp_path / "b").iterdir()],
                                       names)
    assert (chosen.path.name, warned["why"]) == (EX01, "same_name")


def test_a_borrowed_name_is_warned_about_from_the_checkers_own_key_too(tmp_path):
    """When the checker itself flags a name taken from another cell (key ``…/outside_name``, no NameError raised),
    the warning still names the cell that defines it."""
    from helpers.grading import grade as grading, notebooks

    write_student(tmp_path, "x", BORROWING, ADDED["xiaoqi"])
    notebook = notebooks.read(tmp_path / "x" / EX01)
    job = grading.Job("x", EXERCISES["ch01.grad_2xtx"], "k", EX01, answer=BORROWING["ch01.grad_2xtx"],
                      cells=notebook.cells)
    flagged = {"status": "fail", "detail": "…", "mistake": "ch01.grad_2xtx/outside_name"}
    assert grading.advisory(grading._borrowed, job, flagged) == [
        {"kind": "other_cell", "exercise": "ch01.grad_2xtx", "name": "SCALE", "cell": 5, "line": "SCALE = 2"}]
    assert grading.advisory(grading._borrowed, job, {"status": "pass", "detail": "✅"}) == []
