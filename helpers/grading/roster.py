"""``--roster roster.csv``: which student each submission belongs to.

The roster is a CSV with a header row. Required columns: ``folder`` (the student's key in the submissions: the
folder's name, or the LMS id a Canvas or Moodle download gives) and ``id`` (the student's id in the school's
systems: Canvas' SIS User ID, Moodle's ID number). Optional: ``name``, ``email``, ``first_name``,
``last_name``, ``canvas_id`` (Canvas' own numeric user id: a Canvas download's students match it too),
``sis_login_id``, ``section``. Header names are matched case-insensitively, spaces and dashes read as ``_``.
Canvas' own gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section, ...``) is read as a roster
as it is: ``ID`` is the Canvas id and the key, ``SIS User ID`` the id, ``Student`` the name.
"""
import csv
from dataclasses import dataclass, field

COLUMNS = ("folder", "id", "name", "email", "first_name", "last_name", "canvas_id", "sis_login_id", "section")
ALIASES = {"student_id": "id", "sis_user_id": "id", "id_number": "id", "student": "name", "email_address": "email",
           "directory": "folder", "login": "sis_login_id"}


CANVAS_GRADEBOOK = {"Student": "name", "ID": "canvas_id", "SIS User ID": "id", "SIS Login ID": "sis_login_id",
                    "Section": "section"}


def _is_canvas_gradebook(header):
    return [h.strip().lstrip("\ufeff") for h in header[:3]] == ["Student", "ID", "SIS User ID"]


def _from_canvas_gradebook(rows):
    """Canvas' gradebook export as roster rows, each student keyed by their Canvas id (its ``Points Possible``
    row, which has no id, is left out)."""
    names = [CANVAS_GRADEBOOK.get(h.strip().lstrip("\ufeff")) for h in rows[0]]
    roster = [["folder", "id", "name", "canvas_id", "sis_login_id", "section"]]
    for row in rows[1:]:
        values = {name: cell.strip() for name, cell in zip(names, row) if name}
        if values.get("canvas_id"):
            roster.append([values["canvas_id"], values.get("id", ""), values.get("name", ""), values["canvas_id"],
                           values.get("sis_login_id", ""), values.get("section", "")])
    return roster


class RosterError(ValueError):
    """The roster cannot be read (no header, no folder or id column, a folder listed twice)."""


@dataclass
class Student:
    folder: str
    id: str = ""
    name: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    canvas_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def display(self):
        return self.name or " ".join(filter(None, [self.first_name, self.last_name])) or self.folder


def _column(name):
    key = name.strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")
    return ALIASES.get(key, key)


def read(path):
    """folder -> Student, in roster order."""
    with open(path, newline="", encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))
    if not rows:
        raise RosterError(f"{path}: empty roster")
    header = [_column(h) for h in rows[0]]
    if _is_canvas_gradebook(rows[0]):
        rows = _from_canvas_gradebook(rows)
        header = rows[0]
    if "folder" not in header or "id" not in header:
        raise RosterError(f"{path}: the header needs the columns folder and id (found: {', '.join(rows[0])})")
    students = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, (cell.strip() for cell in row)))
        folder = values.get("folder", "")
        if not folder:
            raise RosterError(f"{path}, line {number}: no folder")
        if folder in students:
            raise RosterError(f"{path}, line {number}: folder {folder!r} is listed twice")
        known = {k: v for k, v in values.items() if k in COLUMNS}
        students[folder] = Student(**known, extra={k: v for k, v in values.items() if k not in COLUMNS})
    return students


@dataclass
class Match:
    """The roster checked against the submission folders."""
    roster: dict  # folder -> Student
    folders: list  # submission folders that were graded
    unlisted: list  # folders with no roster entry
    absent: list  # roster entries (Students) with no folder

    @classmethod
    def of(cls, roster, folders):
        """``roster`` keyed by the graded students' keys: an entry matches by ``folder``, or by ``canvas_id`` (the
        user id a Canvas download keys its students by)."""
        folders = list(folders)
        present = set(folders)
        keyed = {}
        for folder, student in roster.items():
            keyed[next((k for k in (folder, student.canvas_id) if k and k in present and k not in keyed), folder)] = \
                student
        return cls(keyed, folders, [f for f in folders if f not in keyed],
                   [s for f, s in keyed.items() if f not in present])
