"""End-to-end tests of the walls of issue 20: nothing inherited, nothing outlives the child, nothing counted
wrong, no batch lost to one student, no spreadsheet formula and no answer given away.

One hostile class is graded once by the real command in a separate process (module fixture ``walls``), with an
LMS token in the grader's environment and a roster of e-mails. The same innocent students graded alone, with
the same settings (``small_disk``'s ``baseline``), set what their records must be, byte for byte (but for the
time they took, ``seconds`` and ``graded_at``). An attack that works sets the right answer, a blocked one leaves a
wrong answer, so an attacker's ``fail`` means that the wall held. Native attacks (``attack_kit.c``) are loaded
by the answer cell as an extension module, so nothing at the Python level stands in their way. A second
fixture (``small_disk``) grades on a 24 MB disk, which fills up under the results and which a student tries to
fill. Tests are named by what they protect.
"""
import base64
import csv
import ctypes
import io
import json
import os
import re
import secrets
import shutil
import socket
import struct
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import torch

from helpers.grading import sandbox
from helpers.grading.results import csv_text
from helpers.grading.sandbox import seccomp
from exercise_support import load, with_answer

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "solutions"
EX02, EX06 = "ex02_zeroing_gradients.ipynb", "ex06_sin_cos_plot.ipynb"
RIGHT, WRONG = "torch.tensor([1.0, 5.0, 9.0, 13.0])", "torch.tensor([0.0, 4.0, 8.0, 12.0])"
SETTINGS = ["--timeout", "4", "--memory", "256", "--jobs", "2"]  # 4 s: the secrets scan (256 MB of memory, seven
# needles; 0.2 s alone) must finish on a loaded machine, or its record is a timeout (and its test fails); and the
# student who ignores SIGXCPU spins on two cores until the limit stops it
RUN = secrets.token_hex(6)  # unique strings of this run, so that finding one means it leaked
TOKEN, EMAIL, STUDENT_ID = f"lms-token-{RUN}", f"classmate-{RUN}@example.org", f"sid-{RUN}"
# Graded first (names sort before every attacker), so that both workers have graded some before any attacker.
EARLY = ("a0_innocent", "a1_innocent", "a2_innocent", "a3_innocent")
INNOCENTS = (*EARLY, "mallory;=1+1;", "zz_innocent")
IPC_KEY = 0x20202020

pytestmark = [pytest.mark.skipif(not (COURSE / EX02).exists(), reason="exercise notebooks not written yet"),
              pytest.mark.skipif(sandbox.unavailable() is not None, reason="this kernel cannot sandbox")]


def marker(student):
    return f"marker-{student}-{RUN}"


def innocent(student):
    """The solutions, with a string in an answer cell that exists nowhere else (a later child must not find it)."""
    notebook = load()
    cell = next(c for c in notebook["cells"] if c["metadata"].get("autograd_course", {}).get("exercise")
                == "ch02.three_grads")
    cell["source"] = "".join(cell["source"]) + f"\n# {marker(student)}\n"
    return {EX02: notebook, EX06: load(EX06)}


def attack(code):
    """An answer to ch02.no_zero that is right only if ``code`` (which sets ``ok``, through ``tried``) worked."""
    return ("import os, sys, signal, torch\nok = False\n"
            "def tried(action):\n    global ok\n    try:\n        action()\n        ok = True\n"
            "    except BaseException:\n        pass\n"
            + textwrap.dedent(code) + f"\ngrad_without_zero = {RIGHT} if ok else {WRONG}\n")


def kit(folder):
    """attack_kit.c built as a shared library, base64 (None without a C compiler)."""
    if not shutil.which("gcc"):
        return None
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-o", str(folder / "kit.so"), str(ROOT / "tests" / "attack_kit.c")],
                   check=True)
    return base64.b64encode((folder / "kit.so").read_bytes()).decode()


def native(library, what, argument=""):
    """Answer-cell code that runs the kit's ``what``; its finding ends up in ``found``."""
    if library is None:
        return "found = ''\n"
    return (f"import base64, importlib.machinery, importlib.util\n"
            f"os.environ['ATTACK'], os.environ['ARGUMENT'] = {what!r}, {argument!r}\n"
            f"open('kit.so', 'wb').write(base64.b64decode({library!r}))\n"
            "spec = importlib.util.spec_from_file_location('kit', os.path.abspath('kit.so'))\n"
            "try:\n    importlib.machinery.ExtensionFileLoader('kit', spec.origin).create_module(spec)\n"
            "except BaseException:\n    pass\n"
            "found = open('verdict').read() if os.path.exists('verdict') else ''\n")


def coded(*needles):
    """Needles as the kit reads them (XOR 0x5a, hex), so that the answer cell never holds them."""
    return bytes(b ^ 0x5A for b in ",".join(needles).encode()).hex()


ACL_0777 = struct.pack("<I", 2) + b"".join(struct.pack("<HHI", tag, 7, 0xFFFFFFFF) for tag in (1, 4, 0x20))


def hostile_class(base, library):
    """student -> {file name: notebook}: the attackers of issue 20 and the innocents."""
    results, submissions = base / "results", base / "submissions"
    needles = (TOKEN, EMAIL, STUDENT_ID, str(results), str(submissions), str(base / "roster.csv"),
               *(marker(student) for student in EARLY))
    forged = ('{"outcome": "ok", "observation": {"answer": {"kind": "number", "value": 1.0}, "source": []}}\\n')
    attacks = {
        "secrets_in_environ_cmdline_mem": native(library, "secrets", coded(*needles)) + "ok = found == 'ok'\n",
        "memfd_beyond_memory": """
            def hog():  # 384 MB under --memory 256 (8 MB a file): memfd pages are no address space
                block, kept = b'x' * 2**20, []
                for _ in range(48):
                    kept.append(os.memfd_create('hog'))
                    for _ in range(8):
                        os.write(kept[-1], block)
            tried(hog)
            """,
        "sysv_1_writer": native(library, "sysv_write", RIGHT) + "ok = found == 'ok'\n",
        "sysv_2_reader": native(library, "sysv_read") + "ok = False\n",
        "threads_fill_pids": """
            import threading
            threading.stack_size(1 << 16)
            stop, started = threading.Event(), 0
            try:
                for _ in range(1000):
                    threading.Thread(target=stop.wait, daemon=True).start()
                    started += 1
            except RuntimeError:
                pass
            stop.set()
            ok = started > 200
            """,
        "acl_makes_folders_0777": f"""
            for path in ({str(results)!r}, {str(submissions / EARLY[0])!r}, '.'):
                tried(lambda: os.setxattr(path, 'system.posix_acl_access', {ACL_0777!r}))
            tried(lambda: os.chmod('.', 0o777))
            """,
        "immutable_flag": """
            import fcntl, struct
            fd = os.open('pinned', os.O_RDONLY | os.O_CREAT, 0o644)
            tried(lambda: fcntl.ioctl(fd, 0x40086602, struct.pack('i', 0x10)))  # FS_IOC_SETFLAGS, immutable
            """,
        "sethostname": "import socket\ntried(lambda: socket.sethostname('pwned-by-a-student'))\n",
        "renice_other_processes": """
            import errno
            def renice(pid):
                os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid))  # the same value
            def idle(pid):
                os.sched_setscheduler(pid, os.sched_getscheduler(pid), os.sched_param(0))  # the same policy
            for pid in [os.getppid(), *range(max(2, os.getppid() - 200), os.getppid() + 200)]:
                if pid != os.getpid():
                    tried(lambda: renice(pid))
                    tried(lambda: idle(pid))
            try:  # every process of a user (one with none: the kernel would answer ESRCH)
                os.setpriority(os.PRIO_USER, 3999999, 0)
            except OSError as error:
                ok = ok or error.errno == errno.ESRCH
            """,
        "deep_tree": native(library, "deep_tree") + "assert found == 'ok'  # the tree is made: it must cost nobody\n",
        "sigxcpu_ignored": native(library, "ignore_sigxcpu") + textwrap.dedent("""
            import threading, time
            def spin():
                while time.process_time() < 10:  # beyond the CPU limit (--timeout 4: 5 s for this exercise)
                    pass
            spinners = [threading.Thread(target=spin) for _ in range(2)]
            for spinner in spinners:
                spinner.start()
            spin()
            ok = True  # it ran on past the limit: a CPU stop it ignored would let it pass
            """),
        "big_reply": """
            data = ('{"outcome": "error", "type": "X", "message": "' + '\u00e9' * 15_000_000 + '"}\\n').encode()
            for fd in range(3, 64):
                try:
                    os.write(fd, data)
                except OSError:
                    pass
            """,
        "ansi_escapes": "raise ValueError('\\x1b[2J\\x1b[31mred\\x1b]0;pwned\\x07\\x9b31m\\r')\n",
        "forged_unhashable_source": f"""
            for fd in range(3, 64):
                try:
                    os.write(fd, {forged!r}.encode())
                except OSError:
                    pass
            """,
    }
    students = {name: {EX02: with_answer("ch02.no_zero", attack(code))} for name, code in attacks.items()}
    students["zero_answer"] = {EX02: with_answer("ch02.no_zero", "grad_without_zero = torch.zeros(4)\n")}
    students["deep_expression"] = {  # the first cell lets the second compile in the child, not in the grader
        EX02: with_answer("ch02.no_zero", f"import sys\nsys.setrecursionlimit(100_000)\ngrad_without_zero = {WRONG}\n"),
        EX06: with_answer("ch06.sin_and_derivative", "def sin_and_derivative(x):\n    return torch.sin(x), "
                          + "+".join(["x"] * 6000) + "\n", EX06)}
    students["bad_utf8_name"] = {os.fsdecode(b"ex02\xff\xfe.ipynb"): load()}
    for name in INNOCENTS:
        students[name] = innocent(name)
    return students


def write_class(folder, students):
    for student, files in students.items():
        (folder / student).mkdir(parents=True)
        for name, notebook in files.items():
            (folder / student / name).write_text(json.dumps(notebook), encoding="utf-8")


def course_folder(base):
    course = base / "course"
    course.mkdir()
    for name in (EX02, EX06):
        (course / name).write_bytes((COURSE / name).read_bytes())
    return course


def grade(submissions, results, course, *extra, env=None):
    return subprocess.Popen([sys.executable, "-m", "helpers.cli", "grade", str(submissions), "--out", str(results),
                             "--course", str(course), *SETTINGS, *extra], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def records_of(results):
    return [json.loads(line) for line in (results / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def timeless(record):
    """A record as JSON text without the time it took."""
    return json.dumps({k: v for k, v in record.items() if k not in ("seconds", "graded_at")}, ensure_ascii=False)


def innocent_lines(records, students=INNOCENTS):
    return sorted(timeless(r) for r in records if r["student"] in students)


def ipc_objects():
    """The SysV IPC objects and the POSIX message queue the kit makes, where they would outlive the run."""
    found = []
    for kind in ("msg", "shm", "sem"):
        lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        found += [f"{kind} {line.split()[0]}" for line in lines if line.split() and int(line.split()[0]) == IPC_KEY]
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mq_open.restype = ctypes.c_int
    queue = libc.mq_open(b"/autograd-walls", os.O_RDONLY)
    if queue >= 0:
        libc.mq_close(queue)
        libc.mq_unlink(b"/autograd-walls")
        found.append("mq /autograd-walls")
    return found


@pytest.fixture(scope="module")
def walls(tmp_path_factory, small_disk):
    base = tmp_path_factory.mktemp("walls")
    library = kit(base)
    submissions, results = base / "submissions", base / "results"
    scratch = Path(sandbox.scratch())  # the grader's temporary folder (one nobody may pass through)
    write_class(submissions, hostile_class(base, library))
    course = course_folder(base)
    with (base / "roster.csv").open("w", newline="", encoding="utf-8") as roster:
        rows = [["folder", "id", "name", "email"]] + [[s, f"{n}", f"Student {n}", f"s{n}@example.org"]
                                                      for n, s in enumerate(sorted(os.listdir(submissions)))]
        rows[1][1:] = [STUDENT_ID, 'Eve;=HYPERLINK("http://x")', EMAIL]
        csv.writer(roster).writerows(rows)
    modes = {path: path.stat().st_mode for path in (results.parent, submissions / EARLY[0])}
    hostname, before = socket.gethostname(), ipc_objects()
    environment = {**os.environ, "AUTOGRADE_LMS_TOKEN": TOKEN, "TMPDIR": str(scratch)}
    run = grade(submissions, results, course, "--roster", str(base / "roster.csv"), "--export", "canvas",
                env=environment)
    stdout, stderr = run.communicate(timeout=400)
    after = ipc_objects()
    return {"code": run.returncode, "stdout": stdout.decode("utf-8", "replace"),
            "stderr": stderr.decode("utf-8", "replace"), "baseline_code": small_disk["freed"]["code"],
            "records": {(r["student"], r["exercise"]): r for r in records_of(results)},
            "innocents": innocent_lines(records_of(results)), "baseline": small_disk["baseline"],
            "results": results, "base": base, "kit": library, "modes": modes,
            "modes_after": {path: path.stat().st_mode for path in modes}, "hostname": (hostname, socket.gethostname()),
            "ipc": (before, after), "scratch_left": _remove(scratch)}


def _remove(folder):
    """What was left in the folder, which is then removed."""
    left = sorted(os.listdir(folder))
    subprocess.run(["rm", "-rf", "--", str(folder)], check=False)
    return left


def held(walls, student, status="fail", exercise="ch02.no_zero"):
    """The attack gained nothing (its record has ``status``) and the innocents lost nothing: their records are
    those of a run without any attacker."""
    record = walls["records"][student, exercise]
    assert record["status"] == status, record
    assert walls["code"] == 0 and walls["baseline_code"] == 0, walls["stderr"][-2000:]
    assert walls["innocents"] == walls["baseline"] and len(walls["innocents"]) == 10 * len(INNOCENTS)
    assert all(json.loads(line)["status"] == "pass" for line in walls["innocents"])
    return record


def needs_kit(walls):
    if walls["kit"] is None:
        pytest.skip("no C compiler to build the native attacks")


# --- 3. nothing inherited -----------------------------------------------------------------------------------------

def test_no_secret_reaches_the_child_environ_cmdline_or_memory(walls):
    """The LMS token in the grader's environment, the paths on its command line, the roster's e-mails and ids,
    and earlier students' answers: not in /proc/self/environ, /proc/self/cmdline or /proc/self/mem of the child,
    nor in what it can read of other processes."""
    needs_kit(walls)
    held(walls, "secrets_in_environ_cmdline_mem")


# --- 4. resources counted, and nothing outlives the child ---------------------------------------------------------

def test_memfd_cannot_exceed_the_memory_limit(walls):
    held(walls, "memfd_beyond_memory")


def test_sysv_ipc_and_message_queues_neither_outlive_nor_carry_answers(walls):
    needs_kit(walls)
    held(walls, "sysv_1_writer")
    held(walls, "sysv_2_reader")  # it would pass with the answer the writer left in a message queue
    before, after = walls["ipc"]
    assert before == after == [], after


def test_threads_cannot_fill_the_pid_space(walls):
    held(walls, "threads_fill_pids")
    assert not [r for r in walls["records"].values() if r["status"] == "crashed"]


def test_a_deep_tree_in_the_childs_folder_costs_nobody_else(walls):
    needs_kit(walls)
    held(walls, "deep_tree")
    assert walls["scratch_left"] == [], "every worker's folder is removed"


# --- 5. metadata and the host ---------------------------------------------------------------------------------------

def test_acl_xattrs_and_chmod_cannot_open_folders(walls):
    held(walls, "acl_makes_folders_0777")
    assert walls["modes"] == walls["modes_after"]
    for path in walls["modes"]:
        with pytest.raises(OSError):
            os.getxattr(path, "system.posix_acl_access")


def test_no_immutable_flag_on_the_childs_files(walls):
    held(walls, "immutable_flag")
    assert walls["scratch_left"] == []


def test_the_hostname_stays(walls):
    held(walls, "sethostname")
    assert walls["hostname"][0] == walls["hostname"][1]


def test_no_renice_or_idle_scheduling_of_other_processes(walls):
    held(walls, "renice_other_processes")


# --- 5, 6. limits read right ---------------------------------------------------------------------------------------

def test_a_cpu_stop_is_a_timeout_even_when_sigxcpu_is_ignored(walls):
    needs_kit(walls)
    record = held(walls, "sigxcpu_ignored", "timeout")
    assert "4 秒" in record["detail"], record  # the wall-clock limit, not a crash


def test_no_student_is_crashed_by_another(walls):
    assert not [key for key, record in walls["records"].items() if record["status"] == "crashed"]
    held(walls, "threads_fill_pids")


def test_a_30_mb_reply_is_cut_at_the_bound(walls):
    record = held(walls, "big_reply", "error")
    assert "太大" in record["detail"], record


def test_the_reader_stops_at_the_bound_whatever_the_bytes():
    """The worker reads at most the bound (and one chunk) of a 30 MB line of non-ASCII bytes, then stops."""
    import mmap

    from helpers.grading.sandbox import worker

    read_end, write_end = os.pipe()
    written = []

    def flood():
        data, total = ("é" * 15_000_000).encode(), 0
        try:
            while total < len(data):
                total += os.write(write_end, data[total:total + 2**16])
        except OSError:
            pass
        written.append(total)

    writer = threading.Thread(target=flood)
    writer.start()
    reports = mmap.mmap(-1, worker.REPORT_LIMIT + worker.CHUNK, flags=mmap.MAP_PRIVATE)
    length, filled, problem = worker._read_line(read_end, reports, 0, time.perf_counter() + 60)
    os.close(read_end)
    writer.join()
    os.close(write_end)
    assert problem == "too big" and length == 0 and filled <= worker.REPORT_LIMIT + worker.CHUNK
    assert written[0] < worker.REPORT_LIMIT + 2 * worker.CHUNK + 2**17  # the rest was never read


def test_summary_and_terminal_output_carry_no_control_characters(walls):
    held(walls, "ansi_escapes", "error")
    summary = (walls["results"] / "summary.md").read_text(encoding="utf-8")
    assert "red" in summary and not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", summary)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", walls["stdout"])


def test_a_wrong_answer_does_not_reveal_the_answers_magnitude(walls):
    record = held(walls, "zero_answer")
    assert "13" not in record["detail"] and "12" not in record["detail"], record  # the answer is [1, 5, 9, 13]


def test_check_survives_a_tensor_subclass_that_raises_system_exit():
    from helpers.checking.check import check

    class Exiting(torch.Tensor):
        @property
        def grad_fn(self):
            raise SystemExit(3)

    verdict = check("ch02.no_zero", torch.zeros(4).as_subclass(Exiting))
    assert verdict.status == "fail"


# --- 2. the judge path never raises --------------------------------------------------------------------------------

def test_an_expression_too_deep_for_the_grader_costs_one_exercise(walls):
    record = walls["records"]["deep_expression", "ch06.sin_and_derivative"]
    assert record["status"] in ("fail", "error") and record["score"] == 0, record
    held(walls, "deep_expression")


def test_an_unhashable_forged_observation_costs_one_exercise(walls):
    record = walls["records"]["forged_unhashable_source", "ch02.no_zero"]
    assert record["status"] in ("fail", "error") and record["score"] == 0, record
    held(walls, "forged_unhashable_source", record["status"])


def test_a_notebook_name_in_invalid_utf8_is_graded(walls):
    mine = [r for (student, _), r in walls["records"].items() if student == "bad_utf8_name"]
    assert {r["status"] for r in mine if r["exercise"].startswith("ch02")} == {"pass"}
    assert {r["notebook"] for r in mine if r["notebook"]} == {"ex02\\xff\\xfe.ipynb"}
    held(walls, "zero_answer")


def test_a_submission_folder_thousands_deep_is_searched_without_recursion(tmp_path):
    from helpers.grading import notebooks

    (tmp_path / EX02).write_text("{}", encoding="utf-8")
    folder = os.open(tmp_path, os.O_RDONLY)
    for _ in range(3000):  # through descriptors: deeper than a path may be long
        os.mkdir("d", dir_fd=folder)
        folder, parent = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=folder), folder
        os.close(parent)
    os.close(folder)
    assert notebooks.find(tmp_path) == [tmp_path / EX02]
    subprocess.run(["rm", "-rf", "--", str(tmp_path / "d")], check=True)


# --- 6. CSV for every locale ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["grades.csv", "canvas-import.csv"])
def test_no_csv_cell_is_a_formula_whatever_the_separator(walls, name):
    text = (walls["results"] / name).read_text(encoding="utf-8")
    assert "mallory;'=1+1;" in text or "Eve;'=HYPERLINK" in text
    for row in csv.reader(io.StringIO(text)):
        assert row and all(cell == "" or cell[0] not in "=+-@\t\r" or _number(cell) for cell in row), row
    for line in text.splitlines():
        assert line.startswith('"') and line.endswith('"'), line  # every cell quoted
        for separator in ";,\t|":
            assert not any(part.strip('"')[:1] in ("=", "+", "@") for part in line.split(separator)), line


def _number(cell):
    try:
        float(cell)
        return True
    except ValueError:
        return False


def test_csv_cells_are_neutralised_after_any_separator():
    text = csv_text([["mallory;=1+1;", "a,+b", "x\t@y", "-1.5", 3, "=1"]])
    assert text == "\"mallory;'=1+1;\",\"a,'+b\",\"x\t'@y\",\"-1.5\",\"3\",\"'=1\"\r\n"


# --- 4, 7. a full disk ------------------------------------------------------------------------------------------------

# Runs in its own mount namespace (and, for an ordinary user, its own user namespace) with a 24 MB tmpfs on
# MOUNT: the disk fills up under the results of the innocents graded alone, is freed, and they are graded to the
# end (the baseline of every comparison); then a student beside them tries to fill the disk.
SMALL_DISK = r"""
import ctypes, json, os, subprocess, sys
mount, out, python, course, alone, attacked = sys.argv[1:7]
settings = sys.argv[7:]
libc = ctypes.CDLL(None, use_errno=True)
uid, gid = os.geteuid(), os.getegid()
if uid == 0:
    assert libc.unshare(0x00020000) == 0 and libc.mount(None, b"/", None, 16384 | (1 << 18), None) == 0
else:
    assert libc.unshare(0x10000000 | 0x00020000) == 0, ctypes.get_errno()
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)
assert libc.mount(b"tmpfs", mount.encode(), b"tmpfs", 0, b"size=24m,mode=0755") == 0, ctypes.get_errno()
os.mkdir(f"{mount}/tmp")
os.chmod(f"{mount}/tmp", 0o1777)
env = dict(os.environ, TMPDIR=f"{mount}/tmp")

def grade(submissions, results):
    done = subprocess.run([python, "-m", "helpers.cli", "grade", submissions, "--out", results, "--course", course,
                           *settings], env=env, capture_output=True, text=True)
    log = os.path.join(results, "results.jsonl")
    return {"code": done.returncode, "stderr": done.stderr, "log": open(log).read() if os.path.exists(log) else ""}

filler = os.open(f"{mount}/filler", os.O_WRONLY | os.O_CREAT)  # the disk fills up: all but 8 KB
try:
    while True:
        os.write(filler, b"\0" * 2**16)
except OSError:
    pass
os.ftruncate(filler, os.fstat(filler).st_size - 8192)  # a page for assignment.json, one for results.jsonl
os.close(filler)
report = {"full": grade(alone, f"{mount}/results")}
os.remove(f"{mount}/filler")
report["freed"] = grade(alone, f"{mount}/results")
report["filled"] = grade(attacked, f"{mount}/attacked")
report["left"] = os.listdir(f"{mount}/tmp")
json.dump(report, open(out, "w"))
"""


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory):
    base = tmp_path_factory.mktemp("disk")
    alone, attacked, mount = base / "alone", base / "attacked", Path(sandbox.scratch())  # nobody passes through it
    filling = ("block = b'x' * 2**23\ntry:\n    for number in range(64):\n"
               "        with open(f'f{number}', 'wb') as file:\n            file.write(block)\nexcept OSError:\n    pass\n")
    write_class(alone, {name: innocent(name) for name in INNOCENTS})
    write_class(attacked, {"files_fill_disk": {EX02: with_answer("ch02.no_zero", attack(filling))},
                           **{name: innocent(name) for name in INNOCENTS}})
    done = subprocess.run([sys.executable, "-c", SMALL_DISK, str(mount), str(base / "report.json"), sys.executable,
                           str(course_folder(base)), str(alone), str(attacked), *SETTINGS], cwd=ROOT,
                          capture_output=True, text=True, timeout=400)
    _remove(mount)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads((base / "report.json").read_text())
    report["baseline"] = innocent_lines(parse(report["freed"]["log"]))
    return report


def parse(log):
    return [json.loads(line) for line in log.splitlines()]


def test_files_a_student_writes_cannot_fill_the_results_disk(small_disk):
    filled = small_disk["filled"]
    assert filled["code"] == 0, filled["stderr"][-2000:]
    records = parse(filled["log"])
    assert {r["status"] for r in records if r["student"] == "files_fill_disk" and r["exercise"] == "ch02.no_zero"} \
        == {"fail"}
    assert innocent_lines(records) == small_disk["baseline"]


def test_a_full_results_disk_stops_the_run_in_one_line_and_it_resumes(small_disk):
    full, freed = small_disk["full"], small_disk["freed"]
    assert full["code"] == 2 and full["stderr"].count("\n") == 1, full["stderr"][-3000:]
    assert "No space left on device" in full["stderr"] and "results.jsonl" in full["stderr"]
    kept = full["log"].splitlines(True)
    assert kept and all(line.endswith("\n") for line in kept) and parse(full["log"])  # no torn line
    assert freed["code"] == 0, freed["stderr"][-2000:]
    final = freed["log"].splitlines(True)
    assert set(kept) <= set(final), "what was written before the disk filled up is kept as it was"
    assert len(kept) < len(final) == 10 * len(INNOCENTS) and small_disk["left"] == []
    assert all(json.loads(line)["status"] == "pass" for line in final)


# --- 4. the seccomp allowlist --------------------------------------------------------------------------------------

# The issue's list of what the child must not do: none of it may join the allowlist.
DENIED = ("setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr", "getxattr",
          "listxattr", "chmod", "fchmod", "fchmodat", "fchmodat2", "chown", "fchown", "lchown", "fchownat", "utime",
          "utimes", "futimesat", "utimensat", "shmget", "shmat", "shmctl", "semget", "semop", "semctl", "msgget",
          "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "memfd_create",
          "sethostname", "setdomainname", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
          "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register", "socket", "ptrace", "execve",
          "fork", "vfork", "mount", "unshare", "setns")


def test_every_allowed_system_call_says_why_the_child_needs_it():
    reasons = seccomp.reasons()
    for name, reason in reasons.items():
        assert isinstance(reason, str) and len(reason.split()) >= 3 and "TODO" not in reason, name
    numbers = [number for number, _ in [*seccomp.ALLOWED.values(), *seccomp.SELF_ONLY.values()]]
    assert len(numbers) == len(set(numbers)), "a system call is listed twice"
    assert not set(DENIED) & set(reasons)


# (name, x86_64 number, arguments): each must fail with EPERM inside the walls (clone3: ENOSYS).
CALLS = [("setxattr", 188, (b".", b"user.x", b"y", 1, 0)), ("chmod", 90, (b".", 0o777)),
         ("fchmodat", 268, (-100, b".", 0o777, 0)), ("chown", 92, (b".", -1, -1)),
         ("utimensat", 280, (-100, b".", None, 0)), ("shmget", 29, (0, 4096, 0o600)), ("msgget", 68, (0, 0o600)),
         ("semget", 64, (0, 1, 0o600)), ("mq_open", 240, (b"autograd-walls", os.O_CREAT | os.O_RDWR, 0o600, None)),
         ("memfd_create", 319, (b"x", 0)), ("sethostname", 170, (b"x", 1)), ("keyctl", 250, (0, 0, 0)),
         ("bpf", 321, (0, None, 0)), ("perf_event_open", 298, (None, 0, -1, -1, 0)), ("userfaultfd", 323, (0,)),
         ("io_uring_setup", 425, (1, None)), ("ioctl FS_IOC_SETFLAGS", 16, (0, 0x40086602, None)),
         ("setpriority PRIO_USER", 141, (2, 3999999, 0)), ("setpriority parent", 141, (0, "parent", 0)),
         ("sched_setscheduler parent", 144, ("parent", 0, None)), ("kill parent", 62, ("parent", 0)),
         ("prctl PR_SET_PDEATHSIG", 157, (1, 0)), ("rt_sigaction SIGXCPU", 13, (24, None, None, 8)),
         ("socket", 41, (1, 1, 0)), ("unshare", 272, (0x04000000,)), ("ptrace", 101, (0, 0, 0, 0)),
         ("clone3", 435, (None, 0))]


def test_the_kernel_refuses_what_the_issue_names_inside_the_walls():
    """The real walls in a forked child, with no Python-level hook: every call of ``CALLS`` is refused by the
    kernel; what a program needs (reading the time, isatty) still works."""
    folder = Path(sandbox.scratch())
    workdir = folder / "child"
    workdir.mkdir()
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_end)
            sandbox.isolate(str(workdir))
            os.chdir(workdir)
            sandbox.confine(str(workdir))
            libc = ctypes.CDLL(None, use_errno=True)
            results = {}
            for name, number, arguments in CALLS:
                values = [parent if a == "parent" else a for a in arguments]
                ctypes.set_errno(0)
                results[name] = (libc.syscall(number, *values), ctypes.get_errno())
            results["ioctl TCGETS"] = (libc.syscall(16, write_end, 0x5401, ctypes.create_string_buffer(64)),
                                       ctypes.get_errno())
            ctypes.set_errno(0)
            results["clock_gettime"] = (libc.syscall(228, 1, ctypes.create_string_buffer(16)), ctypes.get_errno())
            os.write(write_end, json.dumps(results).encode())
        except BaseException as error:  # noqa: BLE001 -- shown by the assertion below
            os.write(write_end, json.dumps({"error": repr(error)}).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        results = json.loads(pipe.read() or "{}")
    os.waitpid(pid, 0)
    shutil.rmtree(folder)
    import errno

    assert "error" not in results, results
    for name, _, _ in CALLS:
        assert results[name] == [-1, errno.ENOSYS if name == "clone3" else errno.EPERM], (name, results[name])
    assert results["ioctl TCGETS"] == [-1, errno.ENOTTY] and results["clock_gettime"] == [0, 0]
