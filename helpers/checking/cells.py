"""Where an answer's text comes from in the student's notebook, and what the grader will not have.

In the grader the answer cell is read from the notebook file. In the notebook, ``check`` only gets the answer
(a value, a function, a class): the cell that defined it is found in the kernel, from the line cache (a cell's
code) or the input history (nbval and ``make test`` run every cell under one name, so the line cache then holds
only the latest). Outside a kernel (a script, a test) the function's own source and the sources of the functions
it reaches (helpers, closures, globals) stand for the cell.

The grader runs each answer cell alone after the setup cell, so a name the cell reads from another cell is
undefined there: ``outside_names`` finds those names in the notebook, and the cell that defines each.
"""
import inspect
import linecache
import types

from helpers.checking import scan

MAX_SOURCE = 20_000
MAX_REACHED = 40
SETUP_CELL = "import torch\nfrom helpers import check\n"  # every exercise notebook's first code cell


def shell():
    """The running IPython shell, or None."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    try:
        return get_ipython()
    except Exception:  # noqa: BLE001
        return None


def history(current):
    """[(execution count, cell text)] of the cells the kernel ran, latest last (IPython's own transforms applied,
    so magics parse)."""
    try:
        cells = current.history_manager.input_hist_parsed
        return [(n, cell) for n, cell in enumerate(cells) if isinstance(cell, str)]
    except Exception:  # noqa: BLE001
        return []


def is_function(answer):
    """A plain Python function (read from its type: an object cannot pretend)."""
    return type(answer) is types.FunctionType


def is_class(answer):
    return issubclass(type(answer), type)


def name_of(answer):
    """The name a function or class was defined with, or "" for anything else."""
    try:
        name = answer.__name__ if is_function(answer) or is_class(answer) else ""
    except Exception:  # noqa: BLE001 -- a metaclass with a hostile __name__
        return ""
    return name if type(name) is str else ""


def _codes(answer):
    """The code objects of a function, or of a class's methods."""
    if is_function(answer):
        return [answer.__code__]
    if is_class(answer):
        found = []
        for value in vars(answer).values():
            function = value.__func__ if type(value) in (staticmethod, classmethod) else value
            if type(function) is types.FunctionType:
                found.append(function.__code__)
        return found
    return []


def kernel_cell(name, answer=None):
    """The text of the cell the kernel ran that defines ``name`` (the latest such cell), or None outside a
    kernel or when no cell defines it."""
    current = shell()
    if current is None:
        return None
    for code in _codes(answer):
        entry = linecache.cache.get(code.co_filename)
        if entry and len(entry) == 4 and entry[1] is None:  # a cell's code (files have a modification time)
            text = "".join(entry[2])
            if name in scan.bound_names(text):
                return text[:scan.MAX_TEXT]
    for _, cell in reversed(history(current)):
        if name in cell and name in scan.bound_names(cell):
            return cell
    return None


def source_of(answer):
    """The source of a function or class (bounded), or "" when it cannot be found. Remembered by the code it
    compiled to, so checking the same function again does not read its file again."""
    name = name_of(answer)
    if not name:
        return ""
    key = (name, tuple(_codes(answer)))
    if key not in _SOURCES:
        try:
            text = inspect.getsource(answer)
        except Exception:  # noqa: BLE001
            text = ""
        if not (text and name in scan.bound_names(_dedented(text))):
            text = kernel_cell(name, answer) or ""
        if len(_SOURCES) >= 256:
            _SOURCES.clear()
        _SOURCES[key] = text[:MAX_SOURCE]
    return _SOURCES[key]


_SOURCES = {}


def _dedented(text):
    import textwrap

    return textwrap.dedent(text)


def reachable_text(answer):
    """The sources of ``answer`` and of every function or class it reaches through its globals and closures
    (defined in the same namespace, so a library's code is never read), joined."""
    try:
        namespace = _codes_owner(answer)
    except Exception:  # noqa: BLE001
        return ""
    texts, seen, stack = [], set(), [answer]
    while stack and len(seen) < MAX_REACHED:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        text = source_of(current)
        if text:
            texts.append(_dedented(text))
        for code in _codes(current):
            for inner in _all_codes(code):
                for name in inner.co_names:
                    value = namespace.get(name) if namespace is not None else None
                    if _same_namespace(value, namespace):
                        stack.append(value)
        if is_class(current):  # a class's bases defined beside it: a Function's forward, say
            stack += [base for base in current.__bases__ if _same_namespace(base, namespace)]
        for function in ([current] if is_function(current) else []):
            for cell in function.__closure__ or ():
                try:
                    value = cell.cell_contents
                except ValueError:
                    continue
                if (is_function(value) or is_class(value)) and id(value) not in seen:
                    stack.append(value)
    return "\n".join(texts)[:scan.MAX_TEXT]


def _codes_owner(answer):
    if is_function(answer):
        return answer.__globals__
    for value in vars(answer).values() if is_class(answer) else ():
        function = value.__func__ if type(value) in (staticmethod, classmethod) else value
        if type(function) is types.FunctionType:
            return function.__globals__
    return None


def _all_codes(code):
    found, stack = [], [code]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found


def _same_namespace(value, namespace):
    if is_function(value):
        return value.__globals__ is namespace
    return is_class(value) and _codes_owner(value) is namespace


def answer_text(answer):
    """What the rules read for ``answer`` in the student's process: its kernel cell, else its reachable sources."""
    try:
        return kernel_cell(name_of(answer), answer) or reachable_text(answer)
    except Exception:  # noqa: BLE001 -- whatever the answer is, checking goes on without its text
        return ""


def outside_names(name, answer, setup=SETUP_CELL):
    """[(name, execution count or None)] for each name the answer's cell reads that another cell of this kernel
    defines: the grader, which runs the cell alone after the setup cell, will not have it. [] outside a kernel."""
    current = shell()
    cell = kernel_cell(name, answer) if current is not None else None
    if cell is None:
        return []
    try:
        defined, hidden = current.user_ns, current.user_ns_hidden
    except Exception:  # noqa: BLE001
        return []
    wanted = sorted(n for n in scan.free_names(cell, scan.bound_names(setup)) if n in defined and n not in hidden)
    return [(missing, _defined_in(current, missing, cell)) for missing in wanted]


def _defined_in(current, name, answer_cell):
    for number, cell in reversed(history(current)):
        if cell != answer_cell and name in cell and name in scan.bound_names(cell):
            return number
    return None
