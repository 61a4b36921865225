"""``autograd-course release``: make the student notebooks in exercises/ from the solutions in solutions/, for
both editions (solutions/ -> exercises/, en/solutions/ -> en/exercises/).

The solutions are the single source. Each answer is written between nbgrader's markers ``### BEGIN SOLUTION``
and ``### END SOLUTION``; the student copy replaces that region with a placeholder ``...`` and a comment saying
what to write (as otter does). A value or choice answer keeps its name, ``name = ...  # ...``, so the check cell
after it still runs and says "尚未完成" (the hint is in the notebook's language: English where its setup cell
imports ``helpers.en``). The copies are then executed and saved with their outputs, so that
nbval can prove an unfilled notebook runs top to bottom without a traceback; a copy whose stored form has not
changed is left as it is (``run.save``).
"""
import argparse
import ast
import copy
import sys
from pathlib import Path

from helpers.authoring.run import ROOT, execute, save
from helpers.messages import edition_language


BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
HINTS = {
    "choice": {"zh": "填一个选项字母，例如 \"A\"", "en": "one option letter, e.g. \"A\""},
    "value": {"zh": "填入你的答案", "en": "your answer"},
    "code": {"zh": "在这里写你的代码", "en": "write your code here"},
}
EDITIONS = (("solutions", "exercises"), ("en/solutions", "en/exercises"))  # what a plain release makes, per edition
# Per-cell execution timestamps would make every release differ from the last one.
VOLATILE_METADATA = ("execution",)


class ReleaseError(Exception):
    """A solution notebook that cannot be released (unbalanced markers, a missing solution region)."""


def register(subparsers):
    parser = subparsers.add_parser("release", help="由 solutions/ 生成学生版练习 exercises/（含输出，两版）",
                                   description="Regenerate the student notebooks from the solutions, both editions "
                                               "(solutions/ -> exercises/, en/solutions/ -> en/exercises/): solution "
                                               "regions become placeholders, then each notebook is executed and saved.")
    parser.add_argument("--solutions", type=Path, help="only these solution notebooks (default: both editions')")
    parser.add_argument("--exercises", type=Path, help="with --solutions: where to write")
    parser.add_argument("--no-execute", action="store_true", help="write the notebooks without running them")
    parser.set_defaults(run=run)


def default_arguments():
    """The arguments of a plain ``autograd-course release`` from the project root."""
    return argparse.Namespace(solutions=None, exercises=None, no_execute=False)


def run(args):
    if (args.solutions is None) != (args.exercises is None):
        print("release: name both --solutions and --exercises, or neither (both editions)", file=sys.stderr)
        return 2
    # A plain release makes each edition the course has (a copy of the course may have no en/).
    folders = [(args.solutions, args.exercises)] if args.solutions else \
        [(ROOT / solutions, ROOT / exercises) for solutions, exercises in EDITIONS if (ROOT / solutions).is_dir()]
    return max(release(solutions, exercises, args.no_execute) for solutions, exercises in folders)


def release(solutions, exercises, no_execute=False):
    """Write the student copy of every notebook of ``solutions`` into ``exercises``; the exit status."""
    import nbformat  # here, not at the top: with its JSON-schema stack it takes a quarter of a second to import

    sources = sorted(solutions.glob("ex*.ipynb"))
    if not sources:
        print(f"release: no ex*.ipynb in {solutions}/", file=sys.stderr)
        return 2
    exercises.mkdir(parents=True, exist_ok=True)
    status = 0
    for source in sources:
        target = exercises / source.name
        try:
            notebook = student_copy(nbformat.read(source, as_version=4))
        except Exception as error:  # unbalanced markers, a missing region, a file that is not a notebook
            print(f"release: {source}: {error} (skipped)", file=sys.stderr)
            status = 2
            continue
        if not no_execute:
            try:
                execute(notebook, target.parent)
            except Exception as error:  # a kernel that dies or a cell that raises: report it, go on
                print(f"release: {target}: execution failed: {type(error).__name__}: {str(error)[-400:]}",
                      file=sys.stderr)
                status = status or 1
                continue
        changed = save(notebook, target)
        answers = sum(1 for cell in notebook.cells if exercise_id(cell))
        done = ("" if no_execute else ", executed") + ("" if changed else ", unchanged")
        print(f"{target}: {answers} exercises{done}")
    return status


def student_copy(solution):
    """The released notebook: solution regions replaced, outputs dropped, all other metadata kept."""
    notebook = copy.deepcopy(solution)
    lang = edition_language(next((cell.source for cell in notebook.cells if role(cell) == "setup"), ""))
    for number, cell in enumerate(notebook.cells, 1):
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        has_region = BEGIN in cell.source or END in cell.source
        if cell.cell_type != "code":
            if has_region:
                raise ReleaseError(f"cell {number}: solution markers are only allowed in code cells")
            continue
        if exercise_id(cell) and BEGIN not in cell.source:
            raise ReleaseError(f"cell {number} (exercise {exercise_id(cell)}): no {BEGIN} region")
        if has_region:
            cell.source = replace_regions(cell.source, f"cell {number}", lang)
        cell.outputs, cell.execution_count = [], None
    return notebook


def replace_regions(source, where="source", lang="zh"):
    """``source`` with every marked region replaced by its placeholder (hints in ``lang``); ReleaseError when
    unbalanced."""
    lines, region, indent = [], None, ""
    for number, line in enumerate(source.split("\n"), 1):
        marker = line.strip()
        if marker == BEGIN:
            if region is not None:
                raise ReleaseError(f"{where}, line {number}: {BEGIN} inside another solution region")
            region, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker == END:
            if region is None:
                raise ReleaseError(f"{where}, line {number}: {END} without {BEGIN}")
            lines.extend(placeholder(region, indent, lang))
            region = None
        elif BEGIN in line or END in line:
            raise ReleaseError(f"{where}, line {number}: a marker must stand alone on its line")
        elif region is not None:
            region.append(line)
        else:
            lines.append(line)
    if region is not None:
        raise ReleaseError(f"{where}: {BEGIN} without {END}")
    return "\n".join(lines)


def placeholder(region, indent, lang="zh"):
    """What the student sees instead of ``region``: ``...`` and a hint, keeping top-level names defined."""
    if indent:  # inside a function: the body is the answer
        return [f"{indent}...  # {HINTS['code'][lang]}"]
    try:
        tree = ast.parse("\n".join(region))
    except SyntaxError as error:
        raise ReleaseError(f"solution region does not parse: {error.msg}") from None
    names, constants = [], {}
    for statement in tree.body:
        if isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id not in names:
                    names.append(target.id)
                    constants[target.id] = statement.value
    if not names:
        return [f"...  # {HINTS['code'][lang]}"]
    kind = lambda name: "choice" if isinstance(constants[name], ast.Constant) and isinstance(  # noqa: E731
        constants[name].value, str) else "value"
    return [f"{name} = ...  # {HINTS[kind(name)][lang]}" for name in names]


def exercise_id(cell):
    return cell.get("metadata", {}).get("autograd_course", {}).get("exercise")


def role(cell):
    return cell.get("metadata", {}).get("autograd_course", {}).get("role")


def solution_lines(notebook):
    """Every non-blank line inside a solution region (for the test that nothing leaks into exercises/)."""
    found = []
    for cell in notebook.cells:
        inside = False
        for line in cell.source.split("\n"):
            marker = line.strip()
            if marker in (BEGIN, END):
                inside = marker == BEGIN
            elif inside and marker and marker != "...":
                found.append(marker)
    return found
