"""The semester loop (issue 22), end to end from zips built here: LMS downloads in, an assignment file's rules
applied, grades and feedback back to Canvas, Moodle and Gradescope.

A Canvas class of four is graded once (module fixture, through the real command line) with an assignment file
(a subset of chapter 2, points, a due date, a late penalty, an extension, an override), a Canvas gradebook export
as roster and ``--export canvas``; the tests read its files, then regrade one student with ``--only`` and nothing
else. Every expected score is worked out in the comments beside it.
"""
import csv
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import cli
from helpers.grading import intake, notebooks
from helpers.grading.policy import Policy, PolicyError

ROOT = Path(__file__).resolve().parents[1]
EX02 = "ex02_zeroing_gradients.ipynb"
GRADED = ["ch02.no_zero", "ch02.three_grads", "ch02.retain_graph"]  # in the assignment's order
ACCUMULATING = ("def three_grads(x):\n    x = x.detach().clone().requires_grad_(True)\n    grads = []\n"
                "    for loss in ((x ** 2).sum(), (3 * x).sum(), torch.sin(x).sum()):\n        loss.backward()\n"
                "        grads.append(x.grad.clone())\n    return tuple(grads)\n")  # only the first gradient is right
WRONG_NO_ZERO = "grad_without_zero = torch.tensor([0.0, 4.0, 8.0, 12.0])\n"
RULES = """name = "HW2"
exercises = ["ch02.no_zero", "ch02.three_grads", "ch02.retain*"]
due = 2027-03-01T23:59:00+00:00
late_penalty_per_day = 0.25
late_max_days = 2
overrides = "overrides.csv"
canvas_assignment_id = 4567
[points]
default = 2
"ch02.three_grads" = 3
[extensions]
"103" = "2027-03-04T00:00:00+00:00"
"""
OVERRIDES = "student,exercise,score,comment\n102,ch02.no_zero,0.5,copied from 103: see me\n"
# Canvas' own gradebook export, read as the roster (104 is not in it)
ROSTER = ("Student,ID,SIS User ID,SIS Login ID,Section,HW1 (4000)\n    Points Possible,,,,,10\n"
          "\"Zhang, Wei\",101,S101,zw,A,9\n\"Li, Ming\",102,S102,lm,A,8\n\"Wang, Fang\",103,S103,wf,B,7\n")

pytestmark = pytest.mark.skipif(not (ROOT / "solutions" / EX02).exists(), reason="solutions/ex02 not written")


def notebook(**answers):
    """The solution of chapter 2's exercise notebook with some answers replaced, as JSON text."""
    solved = json.loads((ROOT / "solutions" / EX02).read_text(encoding="utf-8"))
    for cell in solved["cells"]:
        exercise = cell["metadata"].get("autograd_course", {}).get("exercise")
        if exercise in answers:
            cell["source"] = answers[exercise]
    return json.dumps(solved)


def zip_of(path, entries):
    """A zip of (name, UTC time as a tuple, content) entries, as an LMS writes it."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, when, content in entries:
            archive.writestr(zipfile.ZipInfo(name, when), content)
    return path


def course(folder):
    folder.mkdir()
    shutil.copy(ROOT / "exercises" / EX02, folder / EX02)
    return folder


def rows_of(path):
    return list(csv.reader(path.open(encoding="utf-8")))


def grade(*args):
    return cli.main(["grade", *map(str, args), "--timeout", "5", "--memory", "512", "--jobs", "2"])


@pytest.fixture(scope="module")
def canvas(tmp_path_factory):
    base = tmp_path_factory.mktemp("canvas")
    good = notebook()
    download = zip_of(base / "submissions.zip", [
        ("zhangwei_101_9001_ex02_zeroing_gradients.ipynb", (2027, 3, 1, 12, 0, 0),
         notebook(**{"ch02.no_zero": WRONG_NO_ZERO})),  # superseded by the resubmission below
        ("zhangwei_101_9001_ex02_zeroing_gradients-1.ipynb", (2027, 3, 1, 14, 0, 0),
         notebook(**{"ch02.three_grads": ACCUMULATING})),
        ("liming_late_102_9002_ex02_zeroing_gradients.ipynb", (2027, 3, 3, 1, 0, 0), good),
        ("wangfang_late_103_9003_ex02_zeroing_gradients.ipynb", (2027, 3, 3, 1, 0, 0), good),
        ("zhaolei_late_104_9004_ex02_zeroing_gradients.ipynb", (2027, 3, 5, 10, 0, 0), good),
        ("zhaolei_late_104_9004_notes.pdf", (2027, 3, 5, 10, 0, 0), b"%PDF"),
    ])
    (base / "rules").mkdir()
    (base / "rules" / "assignment.toml").write_text(RULES, encoding="utf-8")
    (base / "rules" / "overrides.csv").write_text(OVERRIDES, encoding="utf-8")
    (base / "roster.csv").write_text(ROSTER, encoding="utf-8")
    results = base / "results"
    code = grade(download, "--out", results, "--course", course(base / "course"), "--assignment-file",
                 base / "rules" / "assignment.toml", "--roster", base / "roster.csv", "--export", "canvas",
                 "--lang", "en")
    return {"code": code, "base": base, "download": download, "results": results,
            "grades": {row[0]: row for row in rows_of(results / "grades.csv")}}


def test_a_canvas_download_is_graded_with_the_assignment_files_rules(canvas, capsys):
    assert canvas["code"] == 0
    grades = canvas["grades"]
    assert grades["student"] == ["student", "id", "name", *GRADED, "total", "points_possible", "late_days", "penalty",
                                 "final", "submitted", "time_source", "lms_late", "status", "roster"]
    # 101: its resubmission (-1) is graded: no_zero right (2 of 2), three_grads 1 of its 3 gradients (1 of 3)
    assert grades["101"] == ["101", "S101", "Zhang, Wei", "2", "1", "2", "5", "7", "0", "0", "5",
                             "2027-03-01T14:00:00+00:00", "zip", "", "ok", "ok"]
    # 102: all right, no_zero overridden to 0.5: 5.5; 1 day 1 hour late is 2 started days: 50% off
    assert grades["102"] == ["102", "S102", "Li, Ming", "0.5", "3", "2", "5.5", "7", "2", "2.75", "2.75",
                             "2027-03-03T01:00:00+00:00", "zip", "late", "ok", "ok"]
    # 103: as late, but its extension runs to March 4: no penalty (Canvas' late flag is kept all the same)
    assert grades["103"][6:15] == ["7", "7", "0", "0", "7", "2027-03-03T01:00:00+00:00", "zip", "late", "ok"]
    # 104: not in the roster, still keyed by its Canvas id; 4 started days late, more than 2: 0
    assert grades["104"] == ["104", "", "zhaolei", "2", "3", "2", "7", "7", "4", "7", "0",
                             "2027-03-05T10:00:00+00:00", "zip", "late", "ok", "not in roster"]
    record = next(json.loads(line) for line in (canvas["results"] / "results.jsonl").open()
                  if '"101"' in line and "three_grads" in line)
    assert [p["earned"] for p in record["parts"]] == [True, False, False] and record["status"] == "fail"


def test_the_canvas_export_is_on_the_assignments_scale(canvas):
    rows = rows_of(canvas["results"] / "canvas-import.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "HW2 (4567)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "7"]
    assert rows[2:] == [["Zhang, Wei", "101", "S101", "zw", "A", "5"], ["Li, Ming", "102", "S102", "lm", "A", "2.75"],
                        ["Wang, Fang", "103", "S103", "wf", "B", "7"], ["zhaolei", "104", "", "", "", "0"]]


def test_feedback_and_report_show_the_rules(canvas):
    feedback = canvas["results"] / "feedback"
    zhang = (feedback / "101.html").read_text(encoding="utf-8")
    assert "Partial credit (33%): ✓ gradient 1" in zhang and "✗ gradient 2" in zhang
    li = (feedback / "102.html").read_text(encoding="utf-8")
    assert "set this to 0.5 points (graded 2): copied from 103: see me" in li
    assert "Submitted 2 day(s) late" in li and "2.75 points off (25% a day)" in li and "Final score: 2.75/7." in li
    assert "extended to 2027-03-04T00:00:00+00:00" in (feedback / "103.html").read_text(encoding="utf-8")
    assert "more than the 2 days allowed" in (feedback / "104.html").read_text(encoding="utf-8")
    summary = (canvas["results"] / "summary.md").read_text(encoding="utf-8")
    assert "| 102 | ch02.no\\_zero | 2 | 0.5 | copied from 103: see me |" in summary
    assert "| 104 | 2027-03-05T10:00:00+00:00 | 2027-03-01T23:59:00+00:00 | 4 | 7 |" in summary
    # 104 is not in the roster, yet the download's Canvas id exports it: the report must not call it missing
    assert "Students not in the roster (graded, and exported under the download's LMS ids): 104" in summary
    page = (canvas["results"] / "report.html").read_text(encoding="utf-8")
    assert "<h2>Scores set by the instructor</h2>" in page and "<td>copied from 103: see me</td>" in page
    assert (canvas["results"] / "assignment.toml").read_text(encoding="utf-8") == RULES


def test_a_rerun_with_only_keeps_every_column_and_the_language(canvas, tmp_path, capsys):
    results = tmp_path / "results"
    shutil.copytree(canvas["results"], results)
    before = {name: (results / name).read_text(encoding="utf-8") for name in ("grades.csv", "canvas-import.csv")}
    (results / "canvas-import.csv").unlink()
    capsys.readouterr()
    assert grade(canvas["download"], "--out", results, "--only", "102") == 0  # no other option given
    err = capsys.readouterr().err
    assert "reusing the options of" in err and "--export canvas" in err and "--lang en" in err
    assert {name: (results / name).read_text(encoding="utf-8") for name in before} == before
    assert "Final score: 2.75/7." in (results / "feedback" / "102.html").read_text(encoding="utf-8")
    assert grade(canvas["download"], "--out", results, "--only", "102", "--lang", "zh") == 2
    assert "--only keeps the other students' results, graded with --lang en" in capsys.readouterr().err


def test_a_moodle_download_goes_back_as_a_worksheet_and_a_feedback_zip(tmp_path, capsys):
    download = zip_of(tmp_path / "moodle.zip", [
        ("Zhang_Wei_501_assignsubmission_file/ex02_zeroing_gradients.ipynb", (2027, 3, 1, 9, 0, 0),
         notebook(**{"ch02.no_zero": WRONG_NO_ZERO})),
        ("Li Ming_502_assignsubmission_file_/work/ex02.ipynb", (2027, 3, 1, 9, 0, 0), notebook()),
        ("Li Ming_502_assignsubmission_onlinetext_/onlinetext.html", (2027, 3, 1, 9, 0, 0), "<p>hi</p>"),
    ])
    rules = tmp_path / "assignment.toml"
    rules.write_text('exercises = ["ch02.no_zero", "ch02.three_grads"]\ndue = "2027-03-01T08:00:00+08:00"\n'
                     "late_penalty_per_day = 0.5\n", encoding="utf-8")
    (tmp_path / "times.csv").write_text("student,time\n501,2027-03-01T09:30:00+08:00\n", encoding="utf-8")
    results = tmp_path / "results"
    assert grade(download, "--out", results, "--course", course(tmp_path / "course"), "--assignment-file", rules,
                 "--submitted-at", tmp_path / "times.csv", "--export", "moodle") == 0
    err = capsys.readouterr().err
    assert 'moodle.zip: zip in the layout Moodle "Download all submissions"' in err and ": 2 students, 2 notebooks" in err
    assert "not graded: Li Ming_502_assignsubmission_onlinetext_/onlinetext.html: not a notebook" in err
    assert "no submission time for 1 students, so no late penalty for them: 502" in err
    grades = {row[0]: row for row in rows_of(results / "grades.csv")}
    assert grades["student"] == ["student", "name", "ch02.no_zero", "ch02.three_grads", "total", "points_possible",
                                 "late_days", "penalty", "final", "submitted", "time_source", "status"]
    # 501: 1 of 2, 1 hour 30 late by --submitted-at (1 started day: 50% off); 502: no time given, no penalty
    assert grades["501"] == ["501", "Zhang_Wei", "0", "1", "1", "2", "1", "0.5", "0.5", "2027-03-01T01:30:00+00:00",
                             "submitted-at", "ok"]
    assert grades["502"] == ["502", "Li Ming", "1", "1", "2", "2", "0", "0", "2", "", "", "ok"]
    sheet = rows_of(results / "moodle-grading-worksheet.csv")
    assert sheet[0] == ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)",
                        "Feedback comments"]
    assert [row[:5] for row in sheet[1:]] == [["Participant 501", "Zhang_Wei", "", "0.5", "2"],
                                              ["Participant 502", "Li Ming", "", "2", "2"]]
    assert "1 天" in sheet[1][6] and "最终得分：0.5/2。" in sheet[1][6]
    with zipfile.ZipFile(results / "moodle-feedback.zip") as archive:
        assert archive.namelist() == ["Zhang Wei_501_assignfeedback_file_/feedback.html",
                                      "Li Ming_502_assignfeedback_file_/feedback.html"]
        assert archive.read(archive.namelist()[0]) == (results / "feedback" / "501.html").read_bytes()


def gradescope_results_problems(results):
    """What in ``results`` breaks Gradescope's published results.json format ("Autograder Specifications",
    gradescope-autograders.readthedocs.io/en/latest/specs/, "Output format" and "Controlling Test Case
    Visibility"; ``status`` and ``output_format`` as listed there and in /work/shared/notes/lms-formats.md)."""
    number, text = (int, float), str
    visibility = {"hidden", "after_due_date", "after_published", "visible"}
    formats = {"text", "html", "simple_format", "md", "ansi"}
    top = {"score": number, "execution_time": number, "output": text, "output_format": formats, "visibility": visibility,
           "stdout_visibility": visibility, "extra_data": dict, "tests": list, "leaderboard": list}
    test = {"score": number, "max_score": number, "status": {"passed", "failed"}, "name": text, "number": text,
            "output": text, "output_format": formats, "tags": list, "visibility": visibility, "extra_data": dict}

    def problems(data, fields, where):
        found = [f"{where}: unknown field {k}" for k in data if k not in fields]
        for key, kind in fields.items():
            if key in data and not (data[key] in kind if isinstance(kind, set) else
                                    isinstance(data[key], kind) and not isinstance(data[key], bool)):
                found.append(f"{where}.{key} = {data[key]!r}")
        return found

    found = problems(results, top, "results")
    for index, entry in enumerate(results.get("tests", [])):
        found += problems(entry, test, f"tests[{index}]")
    if "score" not in results and not all("score" in t for t in results.get("tests", [])):
        found.append("no score: neither at the top nor on every test")
    return found


def test_the_gradescope_autograder_runs_on_a_fake_autograder_tree(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "assignment.toml").write_text(RULES.replace('"103"', '"wf@example.org"'), encoding="utf-8")
    (rules / "overrides.csv").write_text("student,exercise,score,comment\nzw@example.org,ch02.retain_graph,1.5,"
                                         "late-night typo\n", encoding="utf-8")
    bundle = tmp_path / "autograder.zip"
    assert cli.main(["gradescope", "--assignment-file", str(rules / "assignment.toml"), "--out", str(bundle),
                     "--course", str(course(tmp_path / "course")), "--lang", "en", "--timeout", "5"]) == 0
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        assert {"setup.sh", "run_autograder", "assignment.json", "assignment.toml", "overrides.csv",
                "settings.json", "course/pyproject.toml", "course/content/ch02.py"} <= set(archive.namelist())
        assert archive.getinfo("run_autograder").external_attr >> 16 == 0o755
        setup = archive.read("setup.sh").decode()
        archive.extractall(root / "source")
    assert "--index-url https://download.pytorch.org/whl/cpu torch==2.13.0" in setup
    assert "pip install -e /autograder/source/course" in setup
    (root / "submission").mkdir()
    (root / "submission" / EX02).write_text(notebook(**{"ch02.three_grads": ACCUMULATING}), encoding="utf-8")
    (root / "submission_metadata.json").write_text(json.dumps({
        "id": 1, "created_at": "2027-03-02T10:22:32.365935+00:00",
        "assignment": {"due_date": "2027-03-01T23:59:00.000000+00:00", "title": "HW2", "total_points": "7.0"},
        "users": [{"email": "zw@example.org", "id": 1234, "name": "Zhang Wei"}], "previous_submissions": []}))
    os.symlink(sys.prefix, root / "venv")  # setup.sh's venv: this environment
    done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "AUTOGRAD_COURSE_GRADESCOPE_ROOT": str(root)})
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert gradescope_results_problems(results) == []
    tests = {t["name"]: (t["score"], t["max_score"], t["status"]) for t in results["tests"]}
    # three_grads: 1 of 3 gradients; retain_graph overridden by the student's email to 1.5: 4.5 of 7, then
    # 10 hours late is 1 started day: 25% off
    assert tests == {"ch02.no_zero": (2.0, 2.0, "passed"), "ch02.three_grads": (1.0, 3.0, "failed"),
                     "ch02.retain_graph": (1.5, 2.0, "passed")}
    assert results["score"] == 3.375
    three = next(t for t in results["tests"] if t["name"] == "ch02.three_grads")
    assert "x.grad" in three["output"] and "Partial credit" in three["output"] and three["output_format"] == "md"
    assert "1 day(s) late" in results["output"]
    assert gradescope_results_problems({"tests": [{"status": "ok", "score": True}], "visibility": "public"}) == [
        "results.visibility = 'public'", "tests[0].score = True", "tests[0].status = 'ok'"]


# --- reading what the LMS gives, without grading --------------------------------------------------------------

def test_a_zip_is_read_safely(tmp_path):
    link = zipfile.ZipInfo("alice/linked.ipynb")
    link.external_attr = 0o120777 << 16
    path = tmp_path / "class.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("alice/ex02.ipynb", notebook())
        archive.writestr("alice/../../evil.ipynb", "{}")
        archive.writestr(link, "/etc/passwd")
        archive.writestr("bob/huge.ipynb", " " * (notebooks.MAX_BYTES + 1))
        archive.writestr("bob/notes.txt", "not graded")
    found = intake.read(path)
    try:
        assert found.layout == "folders" and list(found.submissions) == ["alice", "bob"]
        assert sorted(p.name for p in found.folder.iterdir()) == ["alice", "bob"]
        assert not (tmp_path / "evil.ipynb").exists() and not any(found.folder.rglob("evil.ipynb"))
        assert (found.folder / "alice" / "linked.ipynb").is_symlink()
        huge = found.folder / "bob" / "huge.ipynb"
        assert huge.stat().st_size == notebooks.MAX_BYTES + 1 and huge.stat().st_blocks == 0  # sparse
        with pytest.raises(notebooks.InvalidNotebook, match="大"):
            notebooks.read(huge)
        assert dict(found.ignored) == {"alice/../../evil.ipynb": "a path that leaves the zip (..)",
                                       "bob/notes.txt": "not a notebook"}
    finally:
        found.close()
    assert not Path(found.folder).exists()


@pytest.mark.parametrize("layout, expected", [
    ({"a.ipynb": "", "bob/x.ipynb": ""}, "found 1 folders, 1 notebooks that fit no layout (a.ipynb)"),
    ({"smith_1_2_hw.ipynb": "", "stray.ipynb": ""}, "1 notebooks named as Canvas names them, 1 notebooks that fit"),
    ({"readme.txt": ""}, "no student: no folder and no notebook in it"),
])
def test_submissions_that_fit_no_layout_exit_2_saying_what_was_found(tmp_path, capsys, layout, expected):
    submissions = tmp_path / "submissions"
    for name, content in layout.items():
        (submissions / name).parent.mkdir(parents=True, exist_ok=True)
        (submissions / name).write_text(content)
    assert grade(submissions, "--out", tmp_path / "results", "--course", course(tmp_path / "course")) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and expected in error, error
    assert not (tmp_path / "results").exists()


def test_the_assignment_file_refuses_what_would_silently_do_nothing(tmp_path):
    rules = tmp_path / "assignment.toml"
    ids = ["ch02.no_zero", "ch02.three_grads"]
    for text, expected in [('due = 2027-03-01T23:59:00', "has no UTC offset"),
                           ('exercises = ["ch02.nozero"]', "not in the assignment (did you mean ch02.no_zero?)"),
                           ('[points]\n"ch02.three_grad" = 2', "names no graded exercise (did you mean"),
                           ('late_penalty_per_day = 2', "from 0 to 1"), ('deu = 1', "unknown key deu")]:
        rules.write_text(text, encoding="utf-8")
        with pytest.raises(PolicyError, match=expected.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
            policy = Policy.load(rules)
            policy.check(policy.select(ids))
    (tmp_path / "o.csv").write_text("student,exercise,score,comment\na,ch02.no_zero,3,too many\n", encoding="utf-8")
    rules.write_text('overrides = "o.csv"', encoding="utf-8")
    with pytest.raises(PolicyError, match="line 2: score 3 is outside 0 to 1"):
        Policy.load(rules).check(ids)
    policy = Policy(late_penalty_per_day=0.3, late_max_days=3)
    assert [policy.penalty_share(days) for days in (0, 1, 3, 4)] == [0.0, 0.3, pytest.approx(0.9), 1.0]


def test_an_export_with_no_ids_to_match_is_refused(tmp_path, capsys):
    (tmp_path / "submissions" / "alice").mkdir(parents=True)
    assert grade(tmp_path / "submissions", "--out", tmp_path / "results", "--course", course(tmp_path / "course"),
                 "--export", "canvas") == 2
    assert "--export canvas needs --roster (the LMS matches students by the roster's ids), or submissions " \
           "downloaded from Canvas" in capsys.readouterr().err
