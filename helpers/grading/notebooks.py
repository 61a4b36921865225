"""Read a notebook defensively and find its setup cell and answer cells by exercise id.

Cells are recognised by their metadata ``{"autograd_course": {"exercise": id}}`` (or ``"role": "setup"``),
never by position, so reordered cells grade the same. Anything unreadable becomes a reason in Chinese
for the instructor's table instead of an exception.
"""
import hashlib
import json
from dataclasses import dataclass, field

MAX_BYTES = 20 * 2**20


class InvalidNotebook(Exception):
    """The file cannot be read as a notebook; ``str()`` is the reason, ``digest`` the file's hash."""

    def __init__(self, reason, digest=""):
        super().__init__(reason)
        self.digest = digest


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
    """A ``Notebook``; raises ``InvalidNotebook`` with the reason when the file cannot be used."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidNotebook(f"无法读取文件（{error.strerror}）") from None
    digest = hashlib.sha256(data).hexdigest()
    try:
        content = _parse(data)
    except InvalidNotebook as error:
        raise InvalidNotebook(str(error), digest) from None
    cells = [cell for cell in content["cells"] if isinstance(cell, dict)]
    return Notebook(path, digest, cells)


def _parse(data):
    if not data.strip():
        raise InvalidNotebook("空文件")
    if len(data) > MAX_BYTES:
        raise InvalidNotebook(f"文件太大（{len(data) // 2**20} MB）")
    try:
        content = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidNotebook("不是 JSON（文件已损坏，或不是 .ipynb）") from None
    if not isinstance(content, dict) or not isinstance(content.get("cells", content.get("worksheets")), list):
        raise InvalidNotebook("不是 Jupyter notebook（没有 cells）")
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
        raise InvalidNotebook(f"不支持的 nbformat 版本：{version!r}")
    import nbformat

    try:
        return json.loads(nbformat.writes(nbformat.reads(data.decode("utf-8"), as_version=4)))
    except Exception as error:  # noqa: BLE001 -- nbformat raises many kinds on malformed old files
        raise InvalidNotebook(f"nbformat {version} 的旧 notebook 无法转换（{type(error).__name__}）") from None


def _tag(cell):
    metadata = cell.get("metadata")
    tag = metadata.get("autograd_course") if isinstance(metadata, dict) else None
    return tag if isinstance(tag, dict) else {}
