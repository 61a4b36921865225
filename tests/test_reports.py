"""End-to-end tests of the class reports (issue 15): mistake keys, the misconception report, roster, LMS exports,
``--only`` and spreadsheet/HTML safety.

A synthetic class of ten students answers chapter 1's notebook (solutions/ex01) with known wrong answers, so
every count and share in the report is known in advance. It is graded once, through the real command line.
"""
import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from helpers import cli
from helpers.checking.mistakes import mistake_key
from helpers.exercises import EXERCISES
from helpers.grading import export, insight
from helpers.grading.results import safe_cell

ROOT = Path(__file__).resolve().parents[1]
EX01 = "ex01_backward_basics.ipynb"
HYPERLINK = '=HYPERLINK("x")'
SCRIPT_FOLDER = "<script>alert(1)"
SCRIPT_NAME = "</td><script>alert(2)</script>"

pytestmark = pytest.mark.skipif(not (ROOT / "solutions" / EX01).exists(), reason="solutions/ex01 not written")

RIGHT = {"ch01.leaf": "x = torch.arange(4.0, requires_grad=True)\n",
         "ch01.grad_2xtx": "def grad_of_2xtx(x):\n    leaf = x.detach().clone().requires_grad_(True)\n"
                           "    (2 * torch.dot(leaf, leaf)).backward()\n    return leaf.grad\n",
         "ch01.mean_grad": "grad_value = 4.5\n",
         "ch01.nonleaf_grad": 'answer = "C"\n',
         "ch01.int_arange": 'answer = "D"\n'}
NONSCALAR = ("def grad_of_2xtx(x):\n    leaf = x.detach().clone().requires_grad_(True)\n"
             "    (2 * leaf * leaf).backward()\n    return leaf.grad\n")
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
    "unlisted": {"ch01.mean_grad": "grad_value = ...\n"},
}
ROSTER = [["folder", "id", "name", "email", "canvas_id", "sis_login_id", "section"],
          [HYPERLINK, "1001", "-2+3 Formula", "a@example.org", "501", "alogin", "A"],
          [SCRIPT_FOLDER, "1002", SCRIPT_NAME, "b@example.org", "502", "blogin", "A"],
          *[[f"s{n:02d}", f"10{n:02d}", f"Student {n}", f"s{n}@example.org", f"5{n:02d}", f"s{n}", "B"]
            for n in range(3, 10)],
          ["ghost", "1099", "Ghost Student", "ghost@example.org", "599", "ghost", "B"]]


def notebook_with(answers):
    notebook = json.loads((ROOT / "solutions" / EX01).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        exercise = cell["metadata"].get("autograd_course", {}).get("exercise")
        if exercise:
            cell["source"] = answers.get(exercise, RIGHT[exercise])
            cell["outputs"] = []
    return notebook


def write_student(submissions, folder, answers):
    (submissions / folder).mkdir(parents=True, exist_ok=True)
    (submissions / folder / EX01).write_text(json.dumps(notebook_with(answers)), encoding="utf-8")


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
        write_student(submissions, folder, answers)
    roster = base / "roster.csv"
    with roster.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(ROSTER)
    code = grade(submissions, "--out", results, "--course", course, "--roster", roster, "--export", "canvas",
                 "--export", "moodle", "--lang", "en")
    before = (results / "results.jsonl").read_text(encoding="utf-8")
    records = {(r["student"], r["exercise"]): r for r in map(json.loads, before.splitlines())}
    return {"code": code, "records": records, "results": results, "submissions": submissions, "course": course,
            "roster": roster, "jsonl": before, "summary": (results / "summary.md").read_text(encoding="utf-8"),
            "html": (results / "report.html").read_text(encoding="utf-8")}


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
    assert "1. **ch01.mean\\_grad** `value-18`: 3/10 (30%)" in text
    assert "2. **ch01.mean\\_grad** `value-27`: 2/10 (20%)" in text
    assert "3. **ch01.nonleaf\\_grad** `option-A`: 2/10 (20%)" in text
    assert "4. **ch01.grad\\_2xtx** `mistake-1`: 1/10 (10%)" in text
    assert "5. **ch01.grad\\_2xtx** `raised-nonscalar`: 1/10 (10%)" in text
    assert "6. " not in text.split("### Per exercise")[0]
    assert "notebooks/01\\_backward\\_basics.ipynb" in text
    per_exercise = text.split("#### ch01.mean\\_grad")[1].split("####")[0]
    assert "| right | 4 | 40% | |" in per_exercise
    assert "| `value-18` | 3 | 30% |" in per_exercise and "| `value-27` | 2 | 20% |" in per_exercise
    assert "| not done (todo) | 1 | 10% | |" in per_exercise
    errors = text.split("### Errors raised, grouped by hint")[1].split("###")[0]
    assert "| `nonscalar` | 1 | ch01.grad\\_2xtx |" in errors and "| `int_grad` | 1 | ch01.leaf |" in errors
    assert "| `-` | 1 | ch01.int\\_arange |" in errors
    problems = text.split("### Grading problems")[1]
    assert "| Student 6 | ch01.leaf | error |" in problems


def test_report_html_is_self_contained_and_ranked(graded):
    page = graded["html"]
    top = re.findall(r'<li data-key="([^"]+)">', page)
    assert top == ["ch01.mean_grad/value-18", "ch01.mean_grad/value-27", "ch01.nonleaf_grad/option-A",
                   "ch01.grad_2xtx/mistake-1", "ch01.grad_2xtx/raised-nonscalar"]
    assert "3/10 (30%)" in page and 'src="data:image/png;base64,' in page
    assert "notebooks/01_backward_basics.ipynb</a>" in page
    assert not re.search(r"<(link|script)\b", page)  # no external resource, no script at all
    assert (graded["results"] / "misconceptions.png").read_bytes().startswith(b"\x89PNG")


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
    assert "unlisted" in graded["summary"].split("### Roster")[1] and "Ghost Student" in graded["summary"]


def test_canvas_export_layout(graded):
    rows = list(csv.reader((graded["results"] / "canvas-import.csv").open(encoding="utf-8")))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "autograd-course"]
    assert rows[1] == ["Points Possible", "", "", "", "", "5"]
    by_sis = {row[2]: row for row in rows[2:]}
    assert by_sis["1008"] == ["Student 8", "508", "1008", "s8", "B", "5"]
    assert by_sis["1004"][5] == "3" and by_sis["1099"][5] == ""  # no folder: left empty, the LMS keeps its grade
    assert len(rows) == 2 + 10  # the roster's ten students; the unlisted folder has no id to import


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
    assert grade(submissions, "--out", results, "--course", graded["course"], "--lang", "en", "--only", "s04") == 0
    after = (results / "results.jsonl").read_text(encoding="utf-8").splitlines()
    others_before = [line for line in graded["jsonl"].splitlines() if json.loads(line)["student"] != "s04"]
    assert [line for line in after if json.loads(line)["student"] != "s04"] == others_before
    mine = [json.loads(line) for line in after if json.loads(line)["student"] == "s04"]
    assert len(mine) == 5 and all(r["status"] == "pass" for r in mine)
    text = (results / "summary.md").read_text(encoding="utf-8")
    assert "**ch01.mean\\_grad** `value-27`: 1/10 (10%)" in text
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
