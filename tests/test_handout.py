"""`autograd-course handout`: what students get checks as the full course does and holds no answer in plain text.

One handout is built (through the command line) for the module. The student package is then run on its own, in
a subprocess whose only `helpers` and `content` are the wheel's, and its verdicts are compared with the full
course's. The fresh-environment install (pip install of the wheel, a notebook run by its kernel) is
tests/test_install.py, run by `make test-slow`.
"""
import ast
import inspect
import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import tomllib
import zipfile
import zlib
from pathlib import Path

import nbformat
import pytest

from exercise_support import IDS, SOLUTIONS, solution_answers
from helpers import cli
from helpers.authoring.handout import STUDENT_DEPENDENCIES, HandoutError, build
from helpers.authoring.release import solution_lines
from helpers.checking import recorded
from helpers.checking.kinds import ChoiceExercise, ValueExercise
from helpers.checking.mistakes import own_messages
from helpers.exercises import EXERCISES
from helpers.messages import text
from student_answers import ANSWERS
from test_exercises import wrong_functions

ROOT = Path(__file__).resolve().parent.parent
SHORT = 12  # characters: a shorter line ("return w", "2 * x") is too common to tell a leak from a coincidence


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    out = tmp_path_factory.mktemp("handout") / "autograd-course-handout"
    assert cli.main(["handout", str(out)]) == 0
    return out


def wheel_of(handout):
    (path,) = handout.glob("*.whl")
    return zipfile.ZipFile(path)


def recorded_data(handout):
    return wheel_of(handout).read("helpers/exercises.recorded")


def test_the_handout_holds_the_chapters_the_exercises_a_wheel_and_the_assignment(handout):
    names = sorted(p.relative_to(handout).as_posix() for p in handout.rglob("*") if p.is_file())
    chapters = sorted(f"notebooks/{p.name}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    exercises = sorted(f"exercises/{p.name}" for p in (ROOT / "exercises").glob("*.ipynb"))
    (wheel,) = [n for n in names if n.endswith(".whl")]
    assert names == sorted(["README.md", "assignment.json", wheel, *chapters, *exercises])
    for name in chapters + exercises:
        assert (handout / name).read_bytes() == (ROOT / name).read_bytes(), name
    assignment = json.loads((handout / "assignment.json").read_text(encoding="utf-8"))
    assert sorted(i for n in assignment["notebooks"] for i in n["exercises"]) == IDS
    with zipfile.ZipFile(handout.with_suffix(".zip")) as bundle:
        assert sorted(bundle.namelist()) == [f"{handout.name}/{n}" for n in names]
        assert all(bundle.read(f"{handout.name}/{n}") == (handout / n).read_bytes() for n in names)
    assert f"pip install {wheel}" in (handout / "README.md").read_text(encoding="utf-8")


def test_the_student_package_is_the_engine_a_notebook_needs_with_the_courses_pins(handout):
    wheel = wheel_of(handout)
    modules = sorted(n for n in wheel.namelist() if n.endswith(".py"))
    assert "helpers/checking/check.py" in modules and "helpers/chapters/graph.py" in modules
    assert "content/kinds.py" in modules and "helpers/exercises.recorded" in wheel.namelist()
    assert not [n for n in modules if n.startswith(("helpers/grading", "helpers/authoring", "content/ch"))]
    assert "helpers/cli.py" not in modules
    (metadata,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    lines = wheel.read(metadata).decode().splitlines()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert f"Requires-Python: {project['requires-python']}" in lines
    pins = sorted(line.removeprefix("Requires-Dist: ") for line in lines if line.startswith("Requires-Dist: "))
    assert pins == sorted(p for p in project["dependencies"] if p.split("==")[0] in STUDENT_DEPENDENCIES)
    assert all("==" in pin for pin in pins) and any(pin.startswith("torch==") for pin in pins)


# ---- nothing that answers an exercise, in plain text ---------------------------------------------------------------

def body_lines(function):
    """The source lines of a reference's or mistake's body (a lambda's expression), docstring left out."""
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError):
        return []
    if function.__name__ == "<lambda>":
        module = inspect.getsource(inspect.getmodule(function))
        nodes = [node.body for node in ast.walk(ast.parse(module))
                 if isinstance(node, ast.Lambda) and node.lineno == function.__code__.co_firstlineno]
        return [ast.get_source_segment(module, node) for node in nodes]
    body = ast.parse(source).body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return [line.strip() for node in body for line in ast.get_source_segment(source, node).split("\n")]


def public_text():
    """What students read anyway: the chapters, the released exercises, every message a checker can show, and the
    chapters' widgets."""
    parts = [cell.source for folder in ("notebooks", "exercises") for path in sorted((ROOT / folder).glob("*.ipynb"))
             for cell in nbformat.read(path, as_version=4).cells]
    parts += [text(message, lang) if isinstance(message, dict) else message for exercise in EXERCISES.values()
              for _, message in own_messages(exercise) for lang in ("zh", "en")]
    parts += [path.read_text(encoding="utf-8") for path in sorted((ROOT / "helpers" / "chapters").glob("*.py"))]
    return "\n".join(parts)


def secrets():
    """{line: where it comes from} for every solution line and every line of a reference's or a listed mistake's
    body that students do not read anyway."""
    found = {}
    for path in SOLUTIONS:
        for line in solution_lines(nbformat.read(path, as_version=4)):
            found.setdefault(line, f"{path.name}'s solution")
    for exercise in EXERCISES.values():
        functions = [getattr(exercise, "reference", None), *(w for w, _ in getattr(exercise, "mistakes", ()) or ())]
        for function in filter(callable, functions):
            for line in body_lines(function):
                found.setdefault(line, f"{exercise.id}'s {function.__name__}")
    public = public_text()
    return {line: where for line, where in found.items() if len(line) >= SHORT and line not in public}


def handout_texts(handout):
    """{place: text} for every file of the handout but the chapters (copies of notebooks/, checked above), every file
    of the wheel, and the recorded exercises decompressed."""
    texts = {p.relative_to(handout).as_posix(): p.read_text(encoding="utf-8", errors="replace")
             for p in handout.rglob("*") if p.is_file() and p.suffix != ".whl" and p.parent.name != "notebooks"}
    wheel = wheel_of(handout)
    texts.update({f"wheel:{n}": wheel.read(n).decode("utf-8", errors="replace") for n in wheel.namelist()})
    texts["wheel:helpers/exercises.recorded, decompressed"] = zlib.decompress(recorded_data(handout)).decode()
    return texts


def leaks(texts, hidden):
    return sorted({(hidden[line], place) for line in hidden for place, content in texts.items() if line in content})


def test_no_solution_line_and_no_reference_body_reaches_the_handout(handout):
    hidden = secrets()
    assert len(hidden) > 150, "the scan looks for the solutions' and the references' lines"
    assert not leaks(handout_texts(handout), hidden)


def test_the_scan_finds_a_reference_module_or_a_solution_notebook_put_in_a_handout(handout):
    texts = handout_texts(handout)
    texts["wheel:content/ch02.py"] = (ROOT / "content" / "ch02.py").read_text(encoding="utf-8")
    texts["solutions/ex02.ipynb"] = (ROOT / "solutions" / "ex02_zeroing_gradients.ipynb").read_text(encoding="utf-8")
    found = leaks(texts, secrets())
    assert ("ch02.micro_batch's full_batch_grad", "wheel:content/ch02.py") in found
    assert ("ex02_zeroing_gradients.ipynb's solution", "solutions/ex02.ipynb") in found


def plain_answers():
    """{exercise id: strings that would give its answer away}: a value's right value as the handout stores it and
    the sentence that says it is right; a choice's right letter as stored and every option's explanation."""
    answers = {}
    for exercise_id in IDS:
        exercise = EXERCISES[exercise_id]
        if isinstance(exercise, ValueExercise):
            values = recorded.encode(exercise.expected)
            many = isinstance(values, dict) and len(values["values"]) > 1  # a lone number is too common to look for
            answers[exercise_id] = [f'"expected": {json.dumps(values)}', *([json.dumps(values["values"])] if many else []),
                                    *(text(exercise.success, lang) for lang in ("zh", "en"))]
        elif isinstance(exercise, ChoiceExercise):
            answers[exercise_id] = [f'"correct": "{exercise.correct}"',
                                    *(text(e, lang) for e in exercise.explanations.values() for lang in ("zh", "en"))]
    return answers


def test_value_and_choice_answers_are_stored_encoded(handout):
    texts = handout_texts(handout)
    decoded = texts.pop("wheel:helpers/exercises.recorded, decompressed")
    answers = plain_answers()
    assert len(answers) == len([e for e in EXERCISES.values() if isinstance(e, (ValueExercise, ChoiceExercise))])
    for exercise_id, strings in answers.items():
        for string in strings:
            assert string in decoded, (exercise_id, string)  # what a plain store would show, so the scan can fail
            assert not [place for place, content in texts.items() if string in content], (exercise_id, string)


# ---- the student package alone checks as the course does ----------------------------------------------------------

def known_answers(exercise_id):
    """The solution and the known mistakes: every option, every listed wrong value, one wrong function per listed
    mistake (the mistake itself where it is called as the student's function is, else its chapter's table)."""
    exercise = EXERCISES[exercise_id]
    if isinstance(exercise, ChoiceExercise):
        return list(exercise.options)
    if isinstance(exercise, ValueExercise):
        return [solution_answers()[exercise_id], *(wrong for wrong, _ in exercise.mistakes)]
    return [solution_answers()[exercise_id], *(wrong for wrong, _ in wrong_functions(exercise_id))]


STUDENT_SIDE = """
import importlib.util, json, sys
import helpers
from helpers import check
from helpers.checking.recorded import key_of
from helpers.exercises import EXERCISES

assert helpers.__file__.startswith(sys.argv[1]), helpers.__file__
for module in ("content.ch02", "helpers.grading", "helpers.authoring"):
    assert importlib.util.find_spec(module) is None, module
jobs = json.load(open(sys.argv[2]))
verdicts = []
for exercise_id, seed, lang, observation in jobs["observations"]:
    verdict = EXERCISES[exercise_id].judge(observation, seed, lang)
    verdicts.append([str(verdict), verdict.mistake])
inputs = {f"{i}|{seed}": key_of(tuple(EXERCISES[i].inputs(seed) or ())) for i in EXERCISES for seed in jobs["seeds"]}
checks = {}
for cells in jobs["solutions"]:  # a student working through each exercise notebook, checking every answer
    namespace = {}
    for source, exercise_id, name in cells:
        exec(source, namespace)
        if exercise_id:
            checks[exercise_id] = str(check(exercise_id, namespace[name]))
json.dump({"verdicts": verdicts, "inputs": inputs, "checks": checks}, open(sys.argv[3], "w"))
"""


def table_answers():
    """(exercise id, answer cell) for the answers of tests/student_answers.py that break a rule or make a typical
    mistake, run with the setup cell (not those that lean on another cell, nor the endless loop)."""
    for exercise_id, answers in ANSWERS.items():
        for answer in answers:
            if answer.kind in ("rule", "mistake") and not answer.before and answer.expect != "timeout":
                yield exercise_id, "import torch\nfrom helpers import check\n" + answer.source


def solution_sources():
    """Each solution notebook's setup and answer cells: [source, exercise id or None, the name it defines]."""
    for path in SOLUTIONS:
        cells = []
        for cell in nbformat.read(path, as_version=4).cells:
            role = cell.metadata.get("autograd_course", {})
            if "role" in role or "exercise" in role:
                exercise_id = role.get("exercise")
                cells.append([cell.source, exercise_id, EXERCISES[exercise_id].name if exercise_id else None])
        yield cells


def test_the_student_package_alone_gives_the_courses_verdicts_on_the_public_inputs(handout, tmp_path):
    package = tmp_path / "package"
    wheel_of(handout).extractall(package)
    observations, expected = [], []
    for exercise_id in IDS:
        exercise = EXERCISES[exercise_id]
        for answer in known_answers(exercise_id):
            for seed in recorded.PUBLIC_SEEDS:
                observation = exercise.observe(answer, seed)
                for lang in ("zh", "en") if seed == recorded.PUBLIC_SEEDS[0] else ("zh",):
                    verdict = exercise.judge(observation, seed, lang)
                    observations.append([exercise_id, seed, lang, observation])
                    expected.append([str(verdict), verdict.mistake])
    seed = recorded.PUBLIC_SEEDS[0]
    for exercise_id, source in table_answers():  # the rules and diagnoses read the cell, as the grader gives it
        exercise = EXERCISES[exercise_id]
        namespace = {}
        exec(compile(source, "<answer>", "exec"), namespace)
        observation = exercise.observe(namespace[exercise.name], seed)
        observation.update(source=source, scan=source)
        verdict = exercise.judge(observation, seed, "zh")
        observations.append([exercise_id, seed, "zh", observation])
        expected.append([str(verdict), verdict.mistake])
    jobs = {"observations": observations, "seeds": list(recorded.PUBLIC_SEEDS), "solutions": list(solution_sources())}
    (tmp_path / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")
    # -S: no .pth files, so the course's editable install cannot lend its modules; torch and the rest come from
    # site-packages, listed after the package.
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(package), sysconfig.get_paths()["purelib"]]))
    done = subprocess.run([sys.executable, "-S", "-c", STUDENT_SIDE, str(package), str(tmp_path / "jobs.json"),
                           str(tmp_path / "out.json")], cwd=tmp_path, env=environment, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    mismatched = [(job[:3], want, got) for job, want, got in zip(observations, expected, result["verdicts"]) if want != got]
    assert {job[0] for job in observations} == set(IDS) and len(result["verdicts"]) == len(expected)
    assert not mismatched, mismatched[:3]
    for exercise_id in IDS:
        for seed in recorded.PUBLIC_SEEDS:
            inputs = EXERCISES[exercise_id].inputs(seed) or ()
            assert result["inputs"][f"{exercise_id}|{seed}"] == recorded.key_of(tuple(inputs)), (exercise_id, seed)
    assert sorted(result["checks"]) == IDS
    assert not [line for line in result["checks"].values() if not line.startswith("✅")]


def test_an_answer_made_of_the_public_results_passes_check_but_not_the_grader(handout):
    """A handout's check knows only the public inputs; the grader draws fresh ones from the definitions."""
    public = recorded.unpack(recorded_data(handout))["ch12.mul_backward"]

    def mul_backward(*args):  # looks the answer up instead of computing it
        key = recorded.key_of(tuple(arg.detach().clone() for arg in args))
        return recorded.decode(public.reference.results[key]) if key in public.reference.results else args[2:4]

    for seed in recorded.PUBLIC_SEEDS:
        assert public.judge(public.observe(mul_backward, seed), seed).passed
    full, fresh = EXERCISES["ch12.mul_backward"], 20260523
    assert full.judge(full.observe(mul_backward, fresh), fresh).status == "fail"


def test_any_seed_checks_on_public_inputs():
    exercise = recorded.unpack(recorded.pack({"ch02.three_grads": EXERCISES["ch02.three_grads"]}))["ch02.three_grads"]
    seeds = {recorded.key_of(tuple(exercise.inputs(seed))) for seed in (5, 123456789, 2**31 - 1)}
    public = {recorded.key_of(tuple(exercise.inputs(seed))) for seed in recorded.PUBLIC_SEEDS}
    assert seeds <= public


# ---- what the command refuses ------------------------------------------------------------------------------------

def test_the_handout_refuses_a_folder_in_the_way(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["handout", str(tmp_path / "out")]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "out" / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_the_handout_refuses_exercises_that_release_would_change(tmp_path):
    for folder in ("solutions", "exercises"):
        (tmp_path / folder).mkdir()
        for path in (ROOT / folder).glob("ex0[12]_*.ipynb"):
            (tmp_path / folder / path.name).write_bytes(path.read_bytes())
    solution = tmp_path / "solutions" / "ex02_zeroing_gradients.ipynb"
    notebook = nbformat.read(solution, as_version=4)
    notebook.cells[0].source += "\n\n(edited after the last release)"
    nbformat.write(notebook, solution)
    with pytest.raises(HandoutError, match="autograd-course release"):
        build(tmp_path / "out", root=tmp_path)
    assert not (tmp_path / "out").exists()


# ---- the English edition -----------------------------------------------------------------------------------------

def test_an_english_handout_ships_the_english_edition_and_its_class_is_graded_in_english(tmp_path):
    """``--lang en``: en/notebooks/ and en/exercises/ under the usual names (their links hold), helpers/en.py in the
    package (the setup cells import it), the language in assignment.json; grading against that assignment speaks
    English without --lang, and the sandboxed child runs the English setup cell."""
    out, submissions, results = tmp_path / "handout", tmp_path / "submissions", tmp_path / "results"
    assert cli.main(["handout", str(out), "--lang", "en"]) == 0
    for folder in ("notebooks", "exercises"):
        english = sorted((ROOT / "en" / folder).glob("*.ipynb"))
        assert english and sorted((out / folder).iterdir()) == [out / folder / path.name for path in english]
        assert all((out / folder / path.name).read_bytes() == path.read_bytes() for path in english)
    assert b"AUTOGRAD_COURSE_LANG" in wheel_of(out).read("helpers/en.py")
    assert json.loads((out / "assignment.json").read_text(encoding="utf-8"))["lang"] == "en"

    name = "ex01_backward_basics.ipynb"
    wrong = nbformat.read(ROOT / "en" / "solutions" / name, as_version=4)
    next(c for c in wrong.cells if c.metadata.get("autograd_course", {}).get("exercise") == "ch01.mean_grad").source = \
        "grad_value = 18.0"
    for student, notebook in (("ana", nbformat.read(ROOT / "en" / "solutions" / name, as_version=4)), ("ben", wrong)):
        (submissions / student).mkdir(parents=True)
        nbformat.write(notebook, submissions / student / name)
    assert cli.main(["grade", str(submissions), "--out", str(results), "--course", str(out / "assignment.json"),
                     "--jobs", "2"]) == 0
    records = [json.loads(line) for line in (results / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    mean_grad = {r["student"]: r for r in records if r["exercise"] == "ch01.mean_grad"}
    assert mean_grad["ana"]["status"] == "pass"
    assert mean_grad["ben"]["detail"] == text(dict(EXERCISES["ch01.mean_grad"].mistakes)[18.0], "en")
    assert {r["status"] for r in records if r["notebook"] == name and r["student"] == "ana"} == {"pass"}
    assert "Score" in (results / "feedback" / "ben.html").read_text(encoding="utf-8")
