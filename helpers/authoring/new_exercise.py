"""``autograd-course new-exercise chNN.name --kind value|function|choice``: scaffold an exercise.

It adds the definition to ``content/chNN.py`` (into its ``EXERCISES`` list, with the reference and the inputs
maker of a function exercise above it) and the question, answer and check cells to ``solutions/exNN_*.ipynb``,
each with the metadata that ties it to the id. Every place left to fill in says ``TODO(new-exercise)``, and a
test fails while one is left, so an unfinished exercise cannot land.

The course's limit on exercises per chapter (``EXERCISES_PER_CHAPTER``, with its reason ``LIMIT_REASON``) is
checked here, before anything is written, and by the tests.
"""
import ast
import re
import sys

from helpers.authoring.run import ROOT

TODO = "TODO(new-exercise)"
ID = re.compile(r"ch(\d\d)\.([a-z][a-z0-9_]*)")
KINDS = {"function": "FunctionExercise", "value": "ValueExercise", "choice": "ChoiceExercise"}
# A chapter's exercise notebook is one sitting after the chapter: at least 3 exercises so that it practises more
# than one idea, at most 6 so that it stays one sitting (about 20 cells).
EXERCISES_PER_CHAPTER = (3, 6)
LIMIT_REASON = ("a chapter's exercise notebook is one sitting: at least {low} exercises, so it practises more than "
                "one idea, and at most {high}, so it stays one sitting")
OPTIONS = "ABCD"


class ScaffoldError(Exception):
    """The exercise cannot be added as asked; the message says why."""


def register(subparsers):
    parser = subparsers.add_parser("new-exercise", help="新建一道练习的骨架 / scaffold a new exercise",
                                   description="Add an exercise's definition to content/chNN.py and its question, "
                                               "answer and check cells to solutions/exNN_*.ipynb, then say what "
                                               "to fill in.")
    parser.add_argument("exercise_id", help="chNN.name, e.g. ch03.my_id")
    parser.add_argument("--kind", required=True, choices=sorted(KINDS), help="what the student writes")
    parser.add_argument("--name", help="the variable or function the student defines (default: the id's name; "
                                       "'answer' for a choice)")
    parser.set_defaults(run=run)


def run(args):
    try:
        print(scaffold(args.exercise_id, args.kind, args.name))
    except ScaffoldError as error:
        print(f"autograd-course new-exercise: {error}", file=sys.stderr)
        return 2
    return 0


def scaffold(exercise_id, kind, name=None, root=ROOT):
    """Write the definition and the solution cells of a new exercise; return what to fill in."""
    import nbformat

    from helpers.exercises import EXERCISES

    match = ID.fullmatch(exercise_id)
    if not match:
        raise ScaffoldError(f"{exercise_id!r} is no exercise id: write chNN.name (two digits, then a lowercase Python "
                            "name, e.g. ch03.my_id); results, reports and mistake keys are filed under it")
    chapter, short = match.groups()
    name = name or ("answer" if kind == "choice" else short)
    if not name.isidentifier():
        raise ScaffoldError(f"--name {name!r} is not a Python name the student can define")
    module = root / "content" / f"ch{chapter}.py"
    solutions = sorted((root / "solutions").glob(f"ex{chapter}_*.ipynb"))
    if not module.exists() or len(solutions) != 1:
        raise ScaffoldError(f"chapter {chapter} needs content/ch{chapter}.py and one solutions/ex{chapter}_*.ipynb "
                            "first: an exercise belongs to a chapter's exercise notebook")
    if exercise_id in EXERCISES:
        raise ScaffoldError(f"{exercise_id} exists already (content/ch{chapter}.py)")
    count = sum(1 for i in EXERCISES if i.startswith(f"ch{chapter}."))
    low, high = EXERCISES_PER_CHAPTER
    if count >= high:
        raise ScaffoldError(f"chapter {chapter} has {count} exercises, the most a chapter may have: "
                            + LIMIT_REASON.format(low=low, high=high) + "; put it in another chapter")
    source = module.read_text(encoding="utf-8")
    correct = _least_used_letter(EXERCISES) if kind == "choice" else None
    functions = _functions(kind, exercise_id, short)
    taken = [n for n in re.findall(r"^def (\w+)", functions, re.M) if re.search(rf"^(def |class )?{n}\b", source, re.M)]
    if taken:
        raise ScaffoldError(f"content/ch{chapter}.py already defines {', '.join(taken)}; choose another id")
    source = _with_definition(source, KINDS[kind], functions, _definition(kind, exercise_id, name, short, correct))
    compile(source, str(module), "exec")
    notebook_path = solutions[0]
    notebook = nbformat.read(notebook_path, as_version=4)
    number = sum(1 for cell in notebook.cells if cell.metadata.get("autograd_course", {}).get("exercise")) + 1
    notebook.cells += _cells(kind, exercise_id, name, f"{int(chapter)}.{number}", correct)
    module.write_text(source, encoding="utf-8")
    nbformat.write(notebook, notebook_path)
    first = len(notebook.cells) - 2
    return _instructions(kind, exercise_id, module.relative_to(root), notebook_path.relative_to(root), first,
                         count + 1 < low)


def _least_used_letter(exercises):
    """The option letter that is right least often so far (the balance test fails above 40% for any letter)."""
    counts = {letter: 0 for letter in OPTIONS}
    for exercise in exercises.values():
        if getattr(exercise, "correct", None) in counts:
            counts[exercise.correct] += 1
    return min(OPTIONS, key=lambda letter: counts[letter])


def _functions(kind, exercise_id, short):
    """Module-level functions a function exercise needs: its inputs maker and its reference."""
    if kind != "function":
        return ""
    return f'''# --- {exercise_id} {"-" * (110 - len(exercise_id))}

def {short}_cases(generator):
    """The inputs, one tuple of arguments each: fixed edge cases first, then random ones drawn from ``generator``
    (the grader draws fresh ones for every class; a handout's check uses a few public ones)."""
    return [(torch.arange(4.0),), (torch.zeros(3),), (torch.randn(5, generator=generator),)]  # {TODO}


def {short}_reference(x):
    """The right answer (it never reaches a student)."""
    raise NotImplementedError("{TODO}: the reference of {exercise_id}")


'''


def _definition(kind, exercise_id, name, short, correct):
    message = f'{{"zh": "{TODO}: 中文", "en": "{TODO}: English"}}'
    if kind == "function":
        return f'''    FunctionExercise(
        "{exercise_id}", "{name}", cases={short}_cases, reference={short}_reference,
        success={message},
        mistakes=[  # a function that makes a typical mistake, and the message that names it
            (lambda x: 2 * x, {message}),
        ]),
'''
    if kind == "value":
        return f'''    ValueExercise(
        "{exercise_id}", "{name}", expected=torch.tensor([0.0]),  # {TODO}: the right value
        success={message},
        mistakes=[  # a value a typical mistake gives, and the message that names it
            (torch.tensor([1.0]), {message}),
        ]),
'''
    options = "".join(f'\n            "{letter}": "{TODO}: option {letter}",' for letter in OPTIONS)
    explanations = "".join(f'\n            "{letter}": {message},' for letter in OPTIONS)
    return f'''    ChoiceExercise(
        "{exercise_id}", "{name}",
        options={{{options}
        }},
        correct="{correct}",  # the letter right least often so far: keeps the letters balanced
        explanations={{  # every option, right or wrong, explained{explanations}
        }}),
'''


def _with_definition(source, kind_class, functions, definition):
    """``source`` with ``definition`` appended to its ``EXERCISES`` list, ``functions`` above the list, and the
    kind imported."""
    tree = ast.parse(source)
    lists = [node for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.List)
             and [getattr(t, "id", None) for t in node.targets] == ["EXERCISES"]]
    if len(lists) != 1:
        raise ScaffoldError("the chapter module has no single `EXERCISES = [...]` list to add to")
    lines = source.split("\n")
    start, end = lists[0].lineno - 1, lists[0].end_lineno - 1
    if lines[end].strip() != "]":
        raise ScaffoldError("the closing bracket of the chapter's EXERCISES list must stand alone on its last line")
    body = "\n".join(lines[start:end]).rstrip()
    if not body.endswith((",", "[")):
        body += ","
    lines[start:end] = (functions + body + "\n" + definition.rstrip("\n")).split("\n")
    source = "\n".join(lines)
    return _importing(source, kind_class)


def _importing(source, kind_class):
    """``source`` with ``kind_class`` among the names it imports from helpers.checking.kinds."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and node.module == "helpers.checking.kinds":
            names = sorted({alias.name for alias in node.names} | {kind_class})
            lines = source.split("\n")
            lines[node.lineno - 1:node.end_lineno] = [f"from helpers.checking.kinds import {', '.join(names)}"]
            return "\n".join(lines)
    raise ScaffoldError("the chapter module does not import from helpers.checking.kinds")


def _cells(kind, exercise_id, name, number, correct):
    from nbformat.v4 import new_code_cell, new_markdown_cell

    label = {"function": "函数题", "value": "数值题", "choice": "选择题"}[kind]
    question = f"## {number} {TODO}: 标题（{label}）\n\n{TODO}: 题目。\n\n"
    if kind == "choice":
        question += "".join(f"- **{letter}.** {TODO}: option {letter}\n" for letter in OPTIONS) + "\n"
    question += f"练习编号：`{exercise_id}`"
    if kind == "function":
        answer = (f'def {name}(x):\n    """{TODO}: what the function returns."""\n    ### BEGIN SOLUTION\n'
                  f'    raise NotImplementedError("{TODO}: the solution")\n    ### END SOLUTION')
    elif kind == "value":
        answer = f"### BEGIN SOLUTION\n{name} = torch.tensor([0.0])  # {TODO}: the solution\n### END SOLUTION"
    else:
        answer = f'### BEGIN SOLUTION\n{name} = "{correct}"\n### END SOLUTION'
    return [new_markdown_cell(question),
            new_code_cell(answer, metadata={"autograd_course": {"exercise": exercise_id}}),
            new_code_cell(f'check("{exercise_id}", {name})', metadata={"autograd_course": {"check": exercise_id}})]


def _instructions(kind, exercise_id, module, notebook, first, too_few):
    what = {"function": "the inputs maker and the reference above the definition, the success message and at least "
                        "one typical mistake (a wrong function and the message that names it)",
            "value": "the right value, the success message and at least one typical mistake (a wrong value and the "
                     "message that names it)",
            "choice": "the four options, the right letter and an explanation for every option"}[kind]
    lines = [f"new {kind} exercise {exercise_id}:",
             f"  {module}: its definition, at the end of EXERCISES",
             f"  {notebook}: cells {first}-{first + 2} (question, answer, check; cell 0 is the first)",
             f"fill in every {TODO}:",
             f"  1. {module}: {what}, in zh and en;",
             f"  2. {notebook}: the question, and the solution between ### BEGIN SOLUTION and ### END SOLUTION;",
             "then:",
             f"  .venv/bin/autograd-course outputs {notebook}   # stores the check cell's ✅",
             "  .venv/bin/autograd-course release   # the student copy in exercises/",
             "  make test   # the tests pick the new exercise up"]
    if too_few:
        low, high = EXERCISES_PER_CHAPTER
        lines.append(f"note: the chapter still has fewer than {low} exercises; " + LIMIT_REASON.format(low=low, high=high))
    return "\n".join(lines)
