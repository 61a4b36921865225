"""Read a notebook defensively and find its setup cell and answer cells by exercise id.

Cells are recognised by their metadata ``{"autograd_course": {"exercise": id}}`` (or ``"role": "setup"``),
never by position, so reordered cells grade the same. Anything unreadable becomes an ``InvalidNotebook``
whose reason is said in the instructor's language (``helpers.messages``) instead of a traceback.
"""
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
    return Notebook(path, digest, cells)


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
