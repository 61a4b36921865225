"""Read a notebook defensively and find its setup cell and answer cells by exercise id.

Cells are recognised by their metadata ``{"autograd_course": {"exercise": id}}`` (or ``"role": "setup"``),
never by position, so reordered cells grade the same. Anything unreadable becomes an ``InvalidNotebook``
whose reason is said in the instructor's language (``helpers.messages``) instead of a traceback.

It also reads what a student may have done outside the answer cells, for the grader's warnings: whether an
answer cell is still the released placeholder (``...``), an answer typed into another cell next to it, and the
cell that defines a name an answer uses (an answer cell is graded on its own, after the setup cell only).
"""
import ast
import builtins
import errno
import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from helpers.messages import say

MAX_BYTES = 20 * 2**20


class InvalidNotebook(Exception):
    """The file cannot be read as a notebook: ``reason(lang)`` says why (``str()`` in Chinese); ``digest`` is
    the file's hash."""

    def __init__(self, key, digest="", **fields):
        super().__init__(say(key, "zh", **fields))
        self.key, self.fields, self.digest = key, fields, digest

    def reason(self, lang=None):
        return say(self.key, lang, **self.fields)


@dataclass
class Notebook:
    path: object
    digest: str
    cells: list = field(default_factory=list)
    mtime: float = 0.0  # when the file was last saved, to prefer the newest of several copies

    def answers(self, exercise_id):
        """(code cells with this id, other cells with this id) in notebook order."""
        tagged = [cell for cell in self.cells if _tag(cell).get("exercise") == exercise_id]
        return ([c for c in tagged if c.get("cell_type") == "code"],
                [c for c in tagged if c.get("cell_type") != "code"])

    def exercise_ids(self):
        ids = [_tag(cell).get("exercise") for cell in self.cells]
        return list(dict.fromkeys(i for i in ids if isinstance(i, str)))

    def setup_source(self):
        for cell in self.cells:
            if _tag(cell).get("role") == "setup" and cell.get("cell_type") == "code":
                return source(cell)
        return None

    def answered(self, names):
        """How many of ``names`` (exercise id -> the name its answer defines) this notebook answers: its last
        answer cell for the id is there and no longer the released placeholder."""
        count = 0
        for exercise_id, name in names.items():
            code, _ = self.answers(exercise_id)
            count += bool(code) and not unanswered(source(code[-1]), name)
        return count

    def typed_elsewhere(self, exercise_id, name):
        """(cell number, its first line) of a cell that is not an answer cell but defines ``name``, next to this
        exercise's answer cell while that one is unfilled or gone; None when there is none.

        "Next to" is between the neighbouring exercises' cells; cells are numbered from 1, as a student counts
        them from the top of the notebook."""
        code, _ = self.answers(exercise_id)
        if code and not unanswered(source(code[-1]), name):
            return None
        mine = [i for i, cell in enumerate(self.cells) if exercise_id in (_tag(cell).get("exercise"),
                                                                           _tag(cell).get("check"))]
        if not mine:
            return None
        others = [i for i, cell in enumerate(self.cells) if _tag(cell).get("exercise") not in (None, exercise_id)]
        start = max([i for i in others if i < mine[0]], default=-1) + 1
        stop = min([i for i in others if i > mine[-1]], default=len(self.cells))
        for number in range(start, stop):
            cell = self.cells[number]
            if cell.get("cell_type") == "code" and not {"exercise", "role"} & set(_tag(cell)) \
                    and name in bound_names(source(cell)):
                return number + 1, first_line(source(cell))
        return None


def read(path):
    """A ``Notebook``; raises ``InvalidNotebook`` with the reason when the file cannot be used.

    The file is opened without following a symbolic link and without blocking (a FIFO), must be a regular
    file, and its size is checked before anything is read (a sparse 100 GB file is refused unread)."""
    data = read_bytes(path)
    digest = hashlib.sha256(data).hexdigest()
    try:
        content = _parse(data)
    except InvalidNotebook as error:
        raise InvalidNotebook(error.key, digest, **error.fields) from None
    cells = [cell for cell in content["cells"] if isinstance(cell, dict)]
    try:
        mtime = os.stat(path, follow_symlinks=False).st_mtime
    except OSError:
        mtime = 0.0
    return Notebook(path, digest, cells, mtime)


def read_bytes(path):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise InvalidNotebook("nb_symlink") from None
        raise InvalidNotebook("nb_unreadable", why=error.strerror) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InvalidNotebook("nb_not_regular")
        if info.st_size > MAX_BYTES:
            raise InvalidNotebook("nb_too_big", mb=MAX_BYTES // 2**20)
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, MAX_BYTES + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
        if len(data) > MAX_BYTES:
            raise InvalidNotebook("nb_too_big", mb=MAX_BYTES // 2**20)
        return data
    except OSError as error:
        raise InvalidNotebook("nb_unreadable", why=error.strerror) from None
    finally:
        os.close(fd)


def student_folders(submissions):
    """{name shown in the results: folder} for every real folder in ``submissions``, dot-leading ones included.

    The name is safe to print, to store as UTF-8 and to use as a file name with ``.html`` appended: bytes
    that are not UTF-8 and control characters are escaped (``\\xff``), a name too long is shortened and made
    unique with a hash. Symbolic links are not followed (a link to another student's folder is no submission).
    """
    folders = {}
    for entry in sorted(os.scandir(submissions), key=lambda e: os.fsencode(e.name)):
        if not entry.is_dir(follow_symlinks=False):
            continue
        name = shown(entry.name)
        if len(name.encode()) > 200 or name in folders:
            digest = hashlib.sha256(os.fsencode(entry.name)).hexdigest()[:12]
            name = name.encode()[:160].decode("utf-8", "ignore") + "~" + digest
        folders[name] = Path(entry.path)
    return folders


def shown(name):
    """A file name as it may be printed and stored as UTF-8: bytes that are not UTF-8 and control characters
    escaped (``bad\\xff.ipynb``)."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


MAX_DEPTH, MAX_ENTRIES = 16, 10_000  # how deep, and how many entries, a student's folder is searched


def find(folder):
    """The notebooks in a student's folder and its subfolders, sorted; symbolic links are not followed and
    ``.ipynb_checkpoints`` is skipped. The search is iterative and bounded (a tree thousands of folders deep,
    or millions of files, is searched only ``MAX_DEPTH`` deep and ``MAX_ENTRIES`` entries far)."""
    found, stack, seen = [], [(Path(folder), 0)], 0
    while stack and seen < MAX_ENTRIES:
        path, depth = stack.pop()
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_ENTRIES:
                        break
                    if entry.name.endswith(".ipynb"):  # a folder or a FIFO by that name: read() says why not
                        found.append(Path(entry.path))
                    elif entry.is_dir(follow_symlinks=False):
                        if depth + 1 < MAX_DEPTH and entry.name != ".ipynb_checkpoints":
                            stack.append((Path(entry.path), depth + 1))
        except OSError:
            continue
    return sorted(found)


def _parse(data):
    if not data.strip():
        raise InvalidNotebook("nb_empty")
    if len(data) > MAX_BYTES:
        raise InvalidNotebook("nb_too_big", mb=MAX_BYTES // 2**20)
    try:
        content = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidNotebook("nb_not_json") from None
    if not isinstance(content, dict) or not isinstance(content.get("cells", content.get("worksheets")), list):
        raise InvalidNotebook("nb_no_cells")
    version = content.get("nbformat")
    if version != 4:
        content = _upgrade(data, version)
    return content


def source(cell):
    text = cell.get("source", "")
    if isinstance(text, list):
        text = "".join(part for part in text if isinstance(part, str))
    return text if isinstance(text, str) else ""


def _parsed(text):
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def unanswered(text, name):
    """True when an answer cell is still the released placeholder: ``name`` last bound to ``...``, or defined as a
    function (or a class with a method) whose body is only ``...``; a cell that does not parse was typed into."""
    from helpers.checking.observe import is_placeholder_body

    tree = _parsed(text)
    if tree is None:
        return False
    binding = None
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            binding = node
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            binding = node
    if binding is None:
        return any(isinstance(node, ast.Expr) and _is_ellipsis(node.value) for node in tree.body)
    if isinstance(binding, ast.Assign):
        return _is_ellipsis(binding.value)
    if isinstance(binding, ast.ClassDef):
        return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_placeholder_body(node.body)
                   for node in binding.body)
    return is_placeholder_body(binding.body)


def _is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def bound_names(text):
    """The names a cell defines at its top level (assignments, functions, classes, imports)."""
    tree, names = _parsed(text), set()
    for node in tree.body if tree else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.For, ast.With)):
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def free_names(text):
    """The names a cell reads but never binds anywhere in it, builtins aside."""
    tree = _parsed(text)
    if tree is None:
        return set()
    read, bound = set(), set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (read if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return read - bound


def defining_cell(cells, answer, names):
    """(name, cell number, the line that defines it) of the first code cell other than the answer and setup cells
    that defines one of ``names``; None when no other cell does."""
    for number, cell in enumerate(cells, 1):
        text = source(cell)
        if cell.get("cell_type") != "code" or text == answer or _tag(cell).get("role") == "setup":
            continue
        for node in _parsed(text).body if set(names) & bound_names(text) else ():
            found = sorted(set(names) & bound_names(ast.get_source_segment(text, node) or ""))
            if found:
                return found[0], number, first_line(text.splitlines()[node.lineno - 1])
    return None


def first_line(text, width=60):
    """A cell's first line that is not blank or a comment, shortened, to point a student at the cell."""
    line = next((l.strip() for l in text.splitlines() if l.strip() and not l.strip().startswith("#")), "")
    return line if len(line) <= width else line[:width - 1] + "…"


def _upgrade(data, version):
    """Older notebooks (nbformat 3) are upgraded by nbformat itself; anything else is refused."""
    if version not in (3,):
        raise InvalidNotebook("nb_version", version=repr(version))
    import nbformat

    try:
        return json.loads(nbformat.writes(nbformat.reads(data.decode("utf-8"), as_version=4)))
    except Exception as error:  # noqa: BLE001 -- nbformat raises many kinds on malformed old files
        raise InvalidNotebook("nb_upgrade", version=version, error=type(error).__name__) from None


def _tag(cell):
    metadata = cell.get("metadata")
    tag = metadata.get("autograd_course") if isinstance(metadata, dict) else None
    return tag if isinstance(tag, dict) else {}
