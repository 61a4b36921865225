"""End-to-end tests of the grading sandbox: every attack of issue 11, each beside innocent students.

One hostile class is graded once (module fixture) by the real command in a separate process, so an attack
that stopped or killed the grader would fail a test instead of hanging the test run. An attack that works
sets the right answer (so the attacker would pass); a blocked one leaves a wrong answer, so an attacker's
"fail" (not "error", not "pass") means the wall held, and the innocent students' scores show that nothing
the attackers did reached them. Tests are named by what they protect.
"""
import base64
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from pathlib import Path

import pytest

from helpers import cli
from helpers.grading import course as course_settings, grade as grading, notebooks, sandbox
from helpers.grading.sandbox import pool as pools, wire
from exercise_support import load, with_answer

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "solutions"
EX02, EX06 = "ex02_zeroing_gradients.ipynb", "ex06_sin_cos_plot.ipynb"
RIGHT, WRONG = "torch.tensor([1.0, 5.0, 9.0, 13.0])", "torch.tensor([0.0, 4.0, 8.0, 12.0])"
SITE = sysconfig.get_paths()["purelib"]
INNOCENTS = ("innocent", "zz_innocent")  # graded before and after the attackers

pytestmark = [pytest.mark.skipif(not (COURSE / EX02).exists(), reason="exercise notebooks not written yet"),
              pytest.mark.skipif(sandbox.unavailable() is not None, reason="this kernel cannot sandbox")]


def attack(code):
    """An answer to ch02.no_zero that is right only if ``code`` (which sets ``ok`` through ``tried``) worked."""
    return ("import os, sys, signal, torch\nok = False\n"
            "def tried(action):\n    global ok\n    try:\n        action()\n        ok = True\n"
            "    except BaseException:\n        pass\n"
            + textwrap.dedent(code) + f"\ngrad_without_zero = {RIGHT} if ok else {WRONG}\n")


def native_library(folder):
    """A shared library whose constructor plants a file (a native extension smuggled in an answer cell)."""
    if not shutil.which("gcc"):
        return None
    source = folder / "plant.c"
    source.write_text('#include <fcntl.h>\n#include <stdlib.h>\n__attribute__((constructor)) static void plant(void) {\n'
                      '  const char *to = getenv("PLANT"); int fd = open(to ? to : "/nonexistent", O_WRONLY | O_CREAT, 0644);'
                      '\n  (void)fd; }\n')
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(folder / "plant.so"), str(source)], check=True)
    return base64.b64encode((folder / "plant.so").read_bytes()).decode()


def corpus(base, results, submissions):
    base_text, results_text = str(base), str(results)
    reference = str(ROOT / "helpers" / "exercises" / "ch02.py")
    library = native_library(base)
    native = (f"import base64, importlib.machinery, importlib.util\nos.environ['PLANT'] = {base_text + '/planted-native'!r}\n"
              f"open('plant.so', 'wb').write(base64.b64decode({library!r}))\n"
              "spec = importlib.util.spec_from_file_location('plant', os.path.abspath('plant.so'))\n"
              "tried(lambda: importlib.machinery.ExtensionFileLoader('plant', spec.origin).create_module(spec))\n"
              f"ok = os.path.exists({base_text + '/planted-native'!r})\n") if library else "ok = False\n"
    grader_paths = (results_text, str(submissions), str(base / "course"), str(ROOT / "helpers" / "exercises"),
                    str(ROOT / "solutions"))
    grader = "int(open(f'/proc/{os.getppid()}/stat').read().rsplit(')', 1)[1].split()[1])"
    attacks = {
        "read_references": f"""
            root = os.open('/', os.O_PATH)  # allowed: a path descriptor reads nothing by itself
            tried(lambda: os.read(os.open({reference.lstrip('/')!r}, os.O_RDONLY, dir_fd=root), 100))
            tried(lambda: os.read(os.open({reference.lstrip('/')!r}, os.O_RDONLY, dir_fd=os.open('/', os.O_RDONLY)), 9))
            tried(lambda: torch.from_file({reference!r}, size=100, dtype=torch.uint8))
            tried(lambda: open({str(COURSE / EX02)!r}).read())
            """,
        "find_grader_paths": f"""
            def search():  # the paths are spelled backwards here, so the answer's own source does not match
                needles = [path[::-1] for path in {tuple(p[::-1] for p in grader_paths)!r}]
                frame, text = sys._getframe(1), repr(dict(os.environ))
                while frame is not None:
                    text += repr(frame.f_locals)
                    frame = frame.f_back
                return any(path in text for path in needles)
            ok = search()
            """,
        "write_outside": f"""
            try:  # as root, the child runs as nobody, who cannot even pass through pytest's 0700 folder
                base = os.open({base_text!r}, os.O_PATH)
            except OSError:
                base = None
            if base is not None:
                tried(lambda: os.write(os.open('planted-dirfd', os.O_WRONLY | os.O_CREAT, dir_fd=base), b'x'))
            tried(lambda: torch.save(torch.ones(1), {base_text + '/planted.pt'!r}))
            tried(lambda: torch.from_file({base_text + '/planted.bin'!r}, shared=True, size=8, dtype=torch.uint8))
            tried(lambda: __import__('sqlite3').connect({base_text + '/planted.db'!r}).execute('create table t(x)'))
            tried(lambda: open({results_text + '/grades.csv'!r}, 'a').write('forger,9\\n'))
            """,
        "write_native": native,
        "read_other_student": f"tried(lambda: open({str(submissions / 'innocent' / EX02)!r}).read())\n",
        "tamper_grader_code": f"""
            tried(lambda: open({str(ROOT / 'helpers' / 'grading' / 'report.py')!r}, 'a').close())
            tried(lambda: open({SITE + '/autograd_planted.py'!r}, 'w').close())
            """,
        "sabotage_later_students": f"""
            tried(lambda: open('/tmp/autograd-grade-planted.py', 'w').close())
            tried(lambda: open({str(ROOT / 'autograd_planted.py')!r}, 'w').close())
            tried(lambda: open(os.path.dirname(torch.__file__) + '/autograd_planted.py', 'w').close())
            torch.tensor = lambda *a, **k: None  # in memory: this child only
            """,
        "outlive_the_child": f"""
            def later():
                import time
                time.sleep(3)
                open({results_text + '/grades.csv'!r}, 'a').write('outlived\\n')
            def spawn():
                if os.fork() == 0:
                    later()
                    os._exit(0)
            tried(spawn)
            tried(lambda: __import__('subprocess').Popen(['sleep', '30']))
            tried(lambda: os.posix_spawn('/bin/sleep', ['sleep', '30'], {{}}))
            """,
        "kill_the_worker": """
            tried(lambda: os.kill(os.getppid(), signal.SIGKILL))
            tried(lambda: signal.pidfd_send_signal(os.pidfd_open(os.getppid()), signal.SIGKILL))
            """,
        "stop_the_grader": f"tried(lambda: os.kill({grader}, signal.SIGSTOP))\n",
        "kill_the_grader": f"tried(lambda: os.kill({grader}, signal.SIGKILL))\ntried(lambda: os.kill(-1, signal.SIGKILL))\n",
        "limit_the_worker": "import resource\ntried(lambda: resource.prlimit(os.getppid(), resource.RLIMIT_NOFILE, (3, 3)))\n",
        "garbage_to_the_worker": "tried(lambda: open(f'/proc/{os.getppid()}/fd/1', 'wb').write(b'garbage\\n' * 100))\n",
    }
    students = {name: {EX02: with_answer("ch02.no_zero", attack(code))} for name, code in attacks.items()}
    forged = "for fd in range(3, 64):\n    try:\n        os.write(fd, {line})\n    except OSError:\n        pass\n"
    students.update({
        "deep_report": {EX02: with_answer("ch02.no_zero", "import os\n" + forged.format(
            line="b'{\"outcome\": \"ok\", \"observation\": ' + b'[' * 200000 + b']' * 200000 + b'}\\n'"))},
        "surrogate_message": {EX02: with_answer("ch02.no_zero", "raise ValueError('\\ud800 lone')\n")},
        "invalid_utf8_report": {EX02: with_answer("ch02.no_zero", "import os\n" + forged.format(
            line="b'{\"outcome\": \"error\", \"type\": \"\\xff\\xfe\", \"message\": \"\\xc3(\"}\\n'"))},
        "cos_helper": {EX06: with_answer("ch06.sin_and_derivative", "def helper(t):\n    return t.cos()\n"
                                         "def sin_and_derivative(x):\n    return torch.sin(x), helper(x)\n", EX06)},
        "cos_getattr": {EX06: with_answer("ch06.sin_and_derivative", "def sin_and_derivative(x):\n"
                                          "    return torch.sin(x), getattr(torch, 'co' + 's')(x)\n", EX06)},
        "cos_unobserved": {EX06: with_answer("ch06.sin_and_derivative", "def sin_and_derivative(x):\n"
                                             "    getattr(torch._C, '_pop_torch_function_stack')()\n"
                                             "    return torch.sin(x), getattr(torch, 'co' + 's')(x)\n", EX06)},
    })
    for name in INNOCENTS:
        students[name] = {EX02: load(), EX06: load(EX06)}
    return students


ODD_NAMES = [".dot_leading", "a" * 250, "new\nline", os.fsdecode(b"bad\xff\xfeutf8")]
FILE_ATTACKS = ["fifo", "link_to_dev_zero", "sparse_100_gb", "link_to_other_student", "folder_as_notebook"]


def odd_files(submissions):
    for name in ODD_NAMES:
        (submissions / name).mkdir()
        (submissions / name / EX02).write_text(json.dumps(load()), encoding="utf-8")
    for name in FILE_ATTACKS:
        (submissions / name).mkdir()
    os.mkfifo(submissions / "fifo" / EX02)
    os.symlink("/dev/zero", submissions / "link_to_dev_zero" / EX02)
    with open(submissions / "sparse_100_gb" / EX02, "wb") as sparse:
        sparse.truncate(100 * 2**30)
    os.symlink(submissions / "innocent" / EX02, submissions / "link_to_other_student" / EX02)
    (submissions / "folder_as_notebook" / EX02).mkdir()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("sandbox")
    submissions, results, course = base / "submissions", base / "results", base / "course"
    course.mkdir()
    for name in (EX02, EX06):
        (course / name).write_bytes((COURSE / name).read_bytes())
    for student, files in corpus(base, results, submissions).items():
        (submissions / student).mkdir(parents=True)
        for name, notebook in files.items():
            (submissions / student / name).write_text(json.dumps(notebook), encoding="utf-8")
    odd_files(submissions)
    planted = [SITE + "/autograd_planted.py", str(ROOT / "autograd_planted.py"), "/tmp/autograd-grade-planted.py"]
    report_before = (ROOT / "helpers" / "grading" / "report.py").stat().st_mtime_ns
    try:
        done = subprocess.run([sys.executable, "-m", "helpers.cli", "grade", str(submissions), "--out", str(results),
                               "--course", str(course), "--timeout", "5", "--jobs", "2"], cwd=ROOT,
                              capture_output=True, timeout=300)
        time.sleep(3.5)  # what a process that outlived its child would write comes after the run
        grades = (results / "grades.csv").read_bytes()
    finally:
        leftovers = [path for path in planted if os.path.exists(path)]
        for path in leftovers:
            os.remove(path)
    records = {(r["student"], r["exercise"]): r
               for r in map(json.loads, (results / "results.jsonl").read_text(encoding="utf-8").splitlines())}
    rows = {row["student"]: row for row in csv.DictReader((results / "grades.csv").open(encoding="utf-8"))}
    return {"done": done, "records": records, "rows": rows, "results": results, "base": base, "grades": grades,
            "leftovers": leftovers, "report_unchanged": report_before == (ROOT / "helpers/grading/report.py").stat().st_mtime_ns}


def status(hostile, student, exercise="ch02.no_zero"):
    return hostile["records"][student, exercise]["status"]


def blocked(hostile, student):
    """The attack failed (its wrong fallback answer was graded, or it was reported as tampering: walking the
    grader's frames, say) and the innocent students lost nothing."""
    record = hostile["records"][student, "ch02.no_zero"]
    assert record["status"] in ("fail", "tampered") and record["score"] == 0, record
    innocents_intact(hostile)


def innocents_intact(hostile):
    assert hostile["done"].returncode == 0, hostile["done"].stderr[-2000:]
    for name in INNOCENTS:
        mine = [r for (student, _), r in hostile["records"].items() if student == name]
        assert mine and all(r["status"] == "pass" for r in mine), mine
        assert float(hostile["rows"][name]["total"]) == sum(r["points"] for r in mine)


def test_child_cannot_read_references(hostile):
    blocked(hostile, "read_references")


def test_child_holds_no_grader_paths(hostile):
    blocked(hostile, "find_grader_paths")


def test_child_cannot_write_outside_its_folder(hostile):
    blocked(hostile, "write_outside")
    assert not [p.name for p in hostile["base"].iterdir() if p.name.startswith("planted")]
    assert b"forger" not in hostile["grades"]


def test_native_code_is_walled_in_too(hostile):
    if not shutil.which("gcc"):
        pytest.skip("no C compiler to build the native extension")
    blocked(hostile, "write_native")
    assert not (hostile["base"] / "planted-native").exists()


def test_child_cannot_read_other_students(hostile):
    blocked(hostile, "read_other_student")


def test_a_run_cannot_change_the_grader_code(hostile):
    blocked(hostile, "tamper_grader_code")
    assert hostile["report_unchanged"] and not hostile["leftovers"]


def test_students_graded_later_are_unaffected(hostile):
    blocked(hostile, "sabotage_later_students")
    assert not hostile["leftovers"]


def test_nothing_outlives_the_child(hostile):
    blocked(hostile, "outlive_the_child")
    assert b"outlived" not in hostile["grades"]


@pytest.mark.parametrize("student", ["kill_the_worker", "stop_the_grader", "kill_the_grader", "limit_the_worker",
                                     "garbage_to_the_worker"])
def test_grading_survives_attacks_on_the_worker_and_grader(hostile, student):
    blocked(hostile, student)
    assert all(r["status"] != "crashed" for r in hostile["records"].values() if r["student"] in INNOCENTS)


@pytest.mark.parametrize("student", ["deep_report", "surrogate_message", "invalid_utf8_report"])
def test_malformed_reports_are_recorded_as_errors(hostile, student):
    record = hostile["records"][student, "ch02.no_zero"]
    assert record["status"] == "error" and record["score"] == 0, record
    assert "\ud800" not in record["detail"]
    innocents_intact(hostile)
    (hostile["results"] / "results.jsonl").read_text(encoding="utf-8", errors="strict")


@pytest.mark.parametrize("student, status", [("cos_helper", "fail"), ("cos_getattr", "fail"),
                                             ("cos_unobserved", "tampered")])  # it pops the checker's call record
def test_forbidden_cos_is_observed_not_just_spelled(hostile, student, status):
    record = hostile["records"][student, "ch06.sin_and_derivative"]
    assert record["status"] == status and ("cos" in record["detail"] or status == "tampered"), record
    innocents_intact(hostile)


@pytest.mark.parametrize("student, words", [("fifo", "不是普通文件"), ("link_to_dev_zero", "符号链接"),
                                            ("sparse_100_gb", "太大"), ("link_to_other_student", "符号链接"),
                                            ("folder_as_notebook", "不是普通文件")])
def test_unreadable_files_become_invalid_notebooks(hostile, student, words):
    record = hostile["records"][student, "ch02.no_zero"]
    assert record["status"] == "invalid-notebook" and words in record["detail"], record
    innocents_intact(hostile)


def test_every_folder_gets_a_row_and_a_safe_feedback_file(hostile):
    shown = notebooks.student_folders(hostile["base"] / "submissions")
    assert len(shown) == len(set(shown)) == len(os.listdir(hostile["base"] / "submissions"))
    for name in shown:
        assert name in hostile["rows"], name
        assert len(name.encode()) <= 200 and "\n" not in name and name.encode("utf-8")
        assert (hostile["results"] / "feedback" / f"{name}.html").is_file(), name
    for raw in ODD_NAMES:
        mine = [r for r in hostile["records"].values() if shown[r["student"]].name == raw]
        assert mine and all(r["status"] == "pass" for r in mine if r["exercise"].startswith("ch02")), raw


# --- the grading process's own robustness ------------------------------------------------------------------------

def test_check_on_a_deeply_nested_notebook_says_one_line(tmp_path, capsys):
    deep = tmp_path / "deep.ipynb"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert cli.main(["check", str(deep), "--course", str(COURSE)]) == 2
    out = capsys.readouterr()
    assert out.out.count("\n") == 1 and "Traceback" not in out.out + out.err


def test_replies_are_read_with_bounded_depth_and_safe_strings():
    assert wire.read_report('{"message": "\\ud800x"}') == {"message": "\ufffdx"}
    for text in ("[" * 100_000 + "]" * 100_000, "[" * 70 + "]" * 70):
        with pytest.raises(ValueError):
            wire.read_report(text)
    for line in (b"garbage", b'{"id": 1, "size": 0}', b'{"id": 0, "seconds": 0.1, "timed_out": false, "too_big": false, '
                 b'"cpu_limit": false, "size": 999999999}'):
        with pytest.raises(ValueError):
            pools._result(line, 0)


def small_task(number, student_answer):
    notebook = with_answer("ch02.no_zero", student_answer)
    cell = next(c for c in notebook["cells"] if c["metadata"].get("autograd_course", {}).get("exercise") == "ch02.no_zero")
    item = {"exercise": "ch02.no_zero", "name": "grad_without_zero", "setup": "import torch\n",
            "answer": "".join(cell["source"]), "probe": "describe", "inputs": None}
    return {"id": number, "items": [item], "timeout": 5, "cpu_seconds": 5, "memory_mb": 0, "hidden": []}


def worker_pid(pool):
    """The pool's one worker: the zygote's only child (a worker it killed is reaped before a new one is forked)."""
    zygote = pool.zygote.process.pid
    (child,) = open(f"/proc/{zygote}/task/{zygote}/children").read().split()
    return int(child)


@pytest.mark.own_zygote
def test_a_dead_stopped_or_garbled_worker_costs_one_task():
    """Garbage on a worker's reply pipe, its death and a SIGSTOP: the task in hand is lost, the worker replaced,
    every other task answered."""
    old = pools.SLACK
    pools.SLACK = 1.0
    try:
        scratch = []
        with pools.Pool(1) as pool:
            scratch.append(pool.workers[0].scratch)
            list(pool.run([small_task(0, f"grad_without_zero = {RIGHT}\n")]))
            with open(f"/proc/{worker_pid(pool)}/fd/1", "wb") as pipe:
                pipe.write(b"\xff garbage {[\n")
            replies = dict((task["id"], reply) for task, reply in pool.run(
                small_task(n, f"grad_without_zero = {RIGHT}\n") for n in range(1, 4)))
            assert replies[1].get("worker") and all("results" in replies[n] for n in (2, 3)), replies
            for action in (signal.SIGSTOP, signal.SIGKILL):
                scratch.append(pool.workers[0].scratch)
                os.kill(worker_pid(pool), action)
                replies = dict((task["id"], reply) for task, reply in pool.run(
                    small_task(n, f"grad_without_zero = {RIGHT}\n") for n in range(4, 7)))
                assert replies[4].get("worker") and all("results" in replies[n] for n in (5, 6)), replies
            scratch.append(pool.workers[0].scratch)
        assert not [folder for folder in scratch if os.path.exists(folder)], "the children's folders are removed"
    finally:
        pools.SLACK = old


def test_the_whole_run_has_a_time_limit(tmp_path):
    from helpers.exercises import EXERCISES

    submissions = tmp_path / "submissions"
    for student, answer in [("a_loops", "while True:\n    pass\n"), ("b", None), ("c", None)]:
        (submissions / student).mkdir(parents=True)
        notebook = with_answer("ch02.no_zero", answer) if answer else load()
        (submissions / student / EX02).write_text(json.dumps(notebook), encoding="utf-8")
    course = tmp_path / "course"
    course.mkdir()
    (course / EX02).write_bytes((COURSE / EX02).read_bytes())
    settings = course_settings.Settings(timeout=30, memory_mb=512, jobs=1, run_limit=3)
    started = time.monotonic()
    _, students, records = grading.grade(submissions, tmp_path / "results", course, EXERCISES, settings)
    assert time.monotonic() - started < 25
    assert len(records) == 3 * 6 and {r["student"] for r in records} == set(students)
    assert any(pools.EXPIRED in r["detail"] for r in records)


def test_grading_refuses_without_the_kernel_sandbox(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sandbox, "unavailable", lambda: "this kernel has Landlock ABI 0")
    (tmp_path / "submissions" / "a").mkdir(parents=True)
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "results"), "--course", str(COURSE)])
    error = capsys.readouterr().err
    assert stop.value.code == 2 and error.count("\n") == 1 and "--trust-students" in error, error
    assert not (tmp_path / "results").exists()
    course = tmp_path / "course"
    course.mkdir()
    (course / EX02).write_bytes((COURSE / EX02).read_bytes())
    (tmp_path / "submissions" / "a" / EX02).write_text(json.dumps(load()), encoding="utf-8")
    assert cli.main(["grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "results"), "--course",
                     str(course), "--jobs", "1", "--trust-students"]) == 0
    assert "ok" in (tmp_path / "results" / "grades.csv").read_text(encoding="utf-8")
