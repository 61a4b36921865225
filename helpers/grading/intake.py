"""What an LMS gives, read into the one shape the grader reads: a folder holding one folder per student.

``read(path)`` takes a folder or a zip in one of three layouts, detected from the names it holds:

* ``folders``: one folder per student (any names), as the grader has always read;
* ``canvas``: Canvas' "Download Submissions", flat files ``lastfirst[_late]_userid_submissionid_name[-N].ext``;
  the student is keyed by Canvas' user id, the late flag is kept, and of a file submitted again (``-1``,
  ``-2``: Canvas' numbering of a resubmitted file name) only the newest is graded;
* ``moodle``: Moodle's "Download all submissions", a folder ``Full Name_participantid_assignsubmission_file_``
  per student (also without the last ``_``, as Moodle 4.1 writes it, and Moodle 3.0's flat files with that
  prefix); the student is keyed by the participant id.

A folder in the ``folders`` layout is graded where it is. Anything else is copied into a scratch folder, one
folder per student key, without ever using a name from the LMS as a path: names are parsed, made printable
(``notebooks.shown``) and flattened to a file name. A zip is read entry by entry, never extracted: at most
``MAX_ENTRIES`` entries and ``MAX_TOTAL`` bytes of notebooks, each read up to the grader's own notebook limit
(a larger one is staged as an empty sparse file of its size, so the grader says "too large" as it always
does); a symbolic link or a FIFO is staged as one, so the grader names it as it names one in a folder.
Whatever is not graded (other files, older resubmissions, unreadable entries) is listed in ``ignored``.
"""
import hashlib
import os
import re
import shutil
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from helpers.grading import notebooks

MAX_ENTRIES = 100_000  # entries read from a zip, or files looked at in a folder
MAX_TOTAL = 2 * 2**30  # bytes of notebooks staged from one zip or folder
LAYOUTS = {"folders": "one folder per student",
           "canvas": 'Canvas "Download Submissions" (flat files lastfirst_userid_submissionid_name)',
           "moodle": 'Moodle "Download all submissions" (a folder Full Name_participantid_assignsubmission_file)'}
CANVAS = re.compile(r"(?P<name>[^_]+?)(?P<late>_late)?_(?P<user>\d+)_(?P<submission>\d+)_(?P<file>.+)")
RESUBMITTED = re.compile(r"(?P<base>.+?)-(?P<number>\d+)(?P<ext>\.[^.]*)?")
MOODLE_FOLDER = re.compile(r"(?P<name>.+)_(?P<user>\d+)_assign(?:submission|feedback)_[a-z]+_?")
MOODLE_FILE = re.compile(r"(?P<name>.+?)_(?P<user>\d+)_assignsubmission_file_(?P<file>.+)")  # Moodle ≤ 3.0
SKIPPED_FOLDERS = ("__MACOSX", ".ipynb_checkpoints")  # what a Mac's zip or Jupyter adds, never a submission


class IntakeError(ValueError):
    """The submissions cannot be read as a class: one line saying what was found."""


@dataclass
class Submission:
    key: str  # the student's key in the results: LMS user id (Canvas), participant id (Moodle), folder name
    name: str = ""  # the name the LMS gives (Canvas' lastfirst, Moodle's full name)
    late: bool = False  # Canvas flagged the submission late
    time: datetime = None  # the newest notebook's time in the zip (UTC), when the zip says
    files: list = field(default_factory=list)  # the notebooks staged for grading
    superseded: list = field(default_factory=list)  # older resubmissions set aside


@dataclass
class Intake:
    source: Path
    layout: str
    zipped: bool
    folder: Path  # one folder per student: what the grader reads
    submissions: dict  # key -> Submission, sorted by key
    ignored: list = field(default_factory=list)  # (name, why) of what is not graded
    scratch: str = None

    def describe(self):
        """One line: the layout found and what it holds."""
        notebooks_count = sum(len(s.files) for s in self.submissions.values())
        parts = [f"{len(self.submissions)} students"] + ([f"{notebooks_count} notebooks"] if self.scratch else [])
        superseded = sum(len(s.superseded) for s in self.submissions.values())
        late = sum(s.late for s in self.submissions.values())
        if superseded:
            parts.append(f"{superseded} older resubmissions set aside")
        if self.layout == "canvas":
            parts.append(f"{late} flagged late by Canvas")
        kind = "zip" if self.zipped else "folder"
        return f"{notebooks.shown(str(self.source))}: {kind} in the layout {LAYOUTS[self.layout]}: " + ", ".join(parts)

    def times(self):
        """key -> the newest notebook's time in the zip, for the students it gives one."""
        return {key: s.time for key, s in self.submissions.items() if s.time}

    def close(self):
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None


@dataclass
class _Entry:
    """A file of the download: its path parts as named in the LMS, and how to stage it."""
    parts: tuple
    size: int
    time: datetime = None
    kind: str = "file"  # file, symlink, fifo
    read: object = None  # () -> bytes, at most notebooks.MAX_BYTES + 1
    problem: str = None  # why it cannot be read at all (encrypted, corrupt)


def read(path):
    """The ``Intake`` of ``path`` (a folder or a zip); raises ``IntakeError`` with what was found."""
    path = Path(path)
    if path.is_dir():
        top = _top_level(path)
        if top == "folders":
            return _in_place(path)
        return _stage(path, False, top, _folder_entries(path))
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise IntakeError(f"{notebooks.shown(str(path))} is neither a folder nor a zip")
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise IntakeError(f"{notebooks.shown(str(path))}: not a readable zip ({error})") from None
        with archive:
            entries = _strip_wrappers(list(_zip_entries(archive)))
            return _stage(path, True, _layout_of(path, entries), entries)
    raise IntakeError(f"{notebooks.shown(str(path))} does not exist")


def one_student(folder, key):
    """A single student's folder (a Gradescope submission) as a class of one, keyed ``key``."""
    entries = [_Entry(("x",) + e.parts, e.size, e.time, e.kind, e.read, e.problem) for e in _folder_entries(folder)]
    return _stage(Path(folder), False, "folders", entries, keys={"x": key})


def _top_level(folder):
    """The layout of a folder, from its top level: one folder per student, Canvas or Moodle; or IntakeError."""
    try:
        children = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError as error:
        raise IntakeError(f"{notebooks.shown(str(folder))}: cannot be read ({error.strerror})") from None
    folders = [c.name for c in children if c.is_dir(follow_symlinks=False) and c.name not in SKIPPED_FOLDERS]
    files = [c.name for c in children if not c.is_dir(follow_symlinks=False)]
    loose = [f for f in files if f.endswith(".ipynb")]
    return _decide(folder, folders, loose, *_named(folders, loose))


def _layout_of(path, entries):
    entries = [e for e in entries if not e.problem]
    folders = sorted({e.parts[0] for e in entries if len(e.parts) > 1 and e.parts[0] not in SKIPPED_FOLDERS})
    loose = [e.parts[0] for e in entries if len(e.parts) == 1 and e.parts[0].endswith(".ipynb")]
    return _decide(path, folders, loose, *_named(folders, loose))


def _named(folders, loose):
    """The top-level names that Canvas' and Moodle's layouts explain: (canvas files, moodle folders, moodle files)."""
    return ([f for f in loose if CANVAS.fullmatch(f)], [f for f in folders if MOODLE_FOLDER.fullmatch(f)],
            [f for f in loose if MOODLE_FILE.fullmatch(f)])


def _decide(path, folders, loose, canvas, moodle_folders, moodle_files):
    if (moodle_folders or moodle_files) and len(moodle_folders) == len(folders) and len(moodle_files) == len(loose):
        return "moodle"
    if canvas and not folders and len(canvas) == len(loose):
        return "canvas"
    if folders and not loose:
        return "folders"
    shown = notebooks.shown(str(path))
    if not folders and not loose:
        raise IntakeError(f"{shown}: no student: no folder and no notebook in it")
    odd = [f for f in loose if not CANVAS.fullmatch(f)] if canvas else loose
    found = [f"{len(folders)} folders"] + ([f"{len(canvas)} notebooks named as Canvas names them"] if canvas else []) \
        + [f"{len(odd)} notebooks that fit no layout ({', '.join(notebooks.shown(n) for n in odd[:3])}"
           + (", ..." if len(odd) > 3 else "") + ")"]
    raise IntakeError(f"{shown}: found {', '.join(found)}; expected one folder per student, Canvas' flat "
                      "lastfirst_userid_submissionid_name files or Moodle's Full Name_id_assignsubmission_file "
                      "folders, not a mix")


def _in_place(folder):
    """The ``folders`` layout in a folder: graded where it is."""
    keys = notebooks.student_folders(folder)
    return Intake(Path(folder), "folders", False, Path(folder), {key: Submission(key) for key in keys})


def _stage(source, zipped, layout, entries, keys=None):
    """Copy the notebooks of ``entries`` into a scratch folder with a folder per student key."""
    scratch = tempfile.mkdtemp(prefix="autograd-intake-")
    intake = Intake(Path(source), layout, zipped, Path(scratch) / "students", {}, scratch=scratch)
    try:
        intake.folder.mkdir()
        chosen = _choose(intake, entries, keys or {})
        total = 0
        for entry, submission, name in chosen:
            folder = intake.folder / submission.key
            folder.mkdir(exist_ok=True)
            staged = _unique(folder, name)
            problem, written = _write(entry, folder / staged)
            total += written
            if total > MAX_TOTAL:
                raise IntakeError(f"{notebooks.shown(str(source))} holds more than {MAX_TOTAL // 2**30} GiB of "
                                  "notebooks; grade it in parts")
            if problem:
                intake.ignored.append(("/".join(entry.parts), problem))
                continue
            submission.files.append(staged)
            if entry.time and (submission.time is None or entry.time > submission.time):
                submission.time = entry.time
        for submission in intake.submissions.values():
            (intake.folder / submission.key).mkdir(exist_ok=True)  # a student with nothing readable still has a row
        intake.submissions = dict(sorted(intake.submissions.items()))
        return intake
    except BaseException:
        intake.close()
        raise


def _choose(intake, entries, keys):
    """(entry, submission, file name) for every notebook graded; the rest goes to ``intake.ignored``."""
    layout, chosen, newest = intake.layout, [], {}
    for entry in entries:
        label = "/".join(notebooks.shown(p) for p in entry.parts)
        if any(p in SKIPPED_FOLDERS for p in entry.parts[:-1]):
            continue
        found = _student_of(layout, entry.parts)
        if found is None:
            intake.ignored.append((label, entry.problem or f"outside any student's {'folder' if layout != 'canvas' else 'name'}"))
            continue
        key, name, late, file = found
        key = keys.get(key, key)
        submission = intake.submissions.setdefault(key, Submission(key, name))  # a row, whatever was submitted
        submission.late = submission.late or late
        if entry.problem or not file.endswith(".ipynb"):
            intake.ignored.append((label, entry.problem or "not a notebook"))
            continue
        if layout == "canvas":  # the newest of a file submitted again: the highest -N, then the latest time
            base, number = _resubmission(file)
            rank = (number, entry.time or datetime.min.replace(tzinfo=timezone.utc))
            earlier = newest.get((key, base))
            if earlier and earlier[0] >= rank:
                submission.superseded.append(label)
                continue
            if earlier:
                submission.superseded.append(earlier[2])
                chosen.remove(earlier[1])
            item = (entry, submission, base)
            newest[key, base] = (rank, item, label)
            chosen.append(item)
        else:
            chosen.append((entry, submission, file))
    for submission in intake.submissions.values():
        submission.superseded.sort()
    return chosen


def _student_of(layout, parts):
    """(key, name, late, file name) of a notebook's path in ``layout``, or None when it belongs to no student."""
    if layout == "canvas":
        found = CANVAS.fullmatch(parts[0]) if len(parts) == 1 else None
        return found and (found["user"], found["name"], bool(found["late"]), _file_name(found["file"]))
    if layout == "moodle":
        folder = MOODLE_FOLDER.fullmatch(parts[0]) if len(parts) > 1 else None
        if folder:
            return folder["user"], folder["name"], False, _file_name(parts[-1])
        flat = MOODLE_FILE.fullmatch(parts[0]) if len(parts) == 1 else None
        return flat and (flat["user"], flat["name"], False, _file_name(flat["file"]))
    if len(parts) < 2:
        return None
    return _folder_key(parts[0]), "", False, _file_name(parts[-1])


def _resubmission(file):
    """(the file name as first submitted, its resubmission number): ``hw-2.ipynb`` -> (``hw.ipynb``, 2)."""
    found = RESUBMITTED.fullmatch(file)
    if not found:
        return file, 0
    return found["base"] + (found["ext"] or ""), int(found["number"])


def _folder_key(name):
    """A student folder's name as a safe, printable folder name (as ``notebooks.student_folders`` shows it)."""
    name = notebooks.shown(name)
    if name in ("", ".", "..") or len(name.encode()) > 200:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        name = name.encode()[:160].decode("utf-8", "ignore").strip(".") + "~" + digest
    return name


def _file_name(name):
    """A printable file name with no separator; a notebook keeps its .ipynb."""
    name = notebooks.shown(name).replace("/", "_").replace("\\", "_")
    if name.startswith("."):
        name = "_" + name[1:]
    if len(name.encode()) > 200:
        name = name.encode()[:180].decode("utf-8", "ignore") + "~" + hashlib.sha256(name.encode()).hexdigest()[:8] \
            + ".ipynb"
    return name


def _unique(folder, name):
    if not os.path.lexists(folder / name):
        return name
    stem, suffix = (name[:-6], ".ipynb") if name.endswith(".ipynb") else (name, "")
    number = 2
    while os.path.lexists(folder / f"{stem} ({number}){suffix}"):
        number += 1
    return f"{stem} ({number}){suffix}"


def _write(entry, path):
    """Stage one entry at ``path``: (the reason it could not be, or None; the bytes written)."""
    if entry.kind == "symlink":
        os.symlink(os.devnull, path)  # never followed: the grader says "a symbolic link", as for one in a folder
        return None, 0
    if entry.kind == "fifo":
        os.mkfifo(path)
        return None, 0
    if entry.size > notebooks.MAX_BYTES:
        _sparse(path, entry.size)
        return None, 0
    try:
        data = entry.read()  # at most MAX_BYTES + 1, whatever the entry claims
    except notebooks.InvalidNotebook as error:
        return f"cannot be read ({error.reason('en')})", 0
    except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as error:
        return f"cannot be read ({type(error).__name__}: {error})", 0
    if len(data) > notebooks.MAX_BYTES:  # a zip entry larger than it said
        _sparse(path, len(data))
        return None, 0
    path.write_bytes(data)
    return None, len(data)


def _sparse(path, size):
    with open(path, "wb") as file:
        file.truncate(size)


def _folder_entries(folder):
    """Every file under ``folder``, bounded (``MAX_ENTRIES``, ``notebooks.MAX_DEPTH``); links are not followed."""
    stack, seen = [(Path(folder), ())], 0
    while stack and seen < MAX_ENTRIES:
        path, parts = stack.pop()
        try:
            children = list(os.scandir(path))
        except OSError:
            continue
        for child in sorted(children, key=lambda c: os.fsencode(c.name)):
            seen += 1
            if seen > MAX_ENTRIES:
                break
            here = parts + (os.fsdecode(child.name),)
            try:
                info = child.stat(follow_symlinks=False)
            except OSError as error:
                yield _Entry(here, 0, problem=f"cannot be read ({error.strerror})")
                continue
            if stat.S_ISDIR(info.st_mode):
                if len(here) < notebooks.MAX_DEPTH:
                    stack.append((Path(child.path), here))
                continue
            kind = "symlink" if stat.S_ISLNK(info.st_mode) else "fifo" if stat.S_ISFIFO(info.st_mode) else \
                "file" if stat.S_ISREG(info.st_mode) else None
            if kind is None:
                yield _Entry(here, 0, problem="not a regular file")
                continue
            yield _Entry(here, info.st_size, datetime.fromtimestamp(info.st_mtime, timezone.utc), kind,
                         lambda p=child.path: notebooks.read_bytes(p))


def _zip_entries(archive):
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise IntakeError(f"{archive.filename}: {len(infos)} entries, more than the {MAX_ENTRIES} read from a zip")
    for info in infos:
        name = _zip_name(info)
        parts = tuple(p for p in re.split(r"[/\\]", name) if p not in ("", "."))
        if not parts or info.is_dir() or ".." in parts:
            if ".." in parts:
                yield _Entry(parts, 0, problem="a path that leaves the zip (..)")
            continue
        mode = info.external_attr >> 16
        kind = "symlink" if stat.S_ISLNK(mode) else "fifo" if stat.S_ISFIFO(mode) else "file"
        problem = "encrypted" if info.flag_bits & 0x1 else None
        yield _Entry(parts, info.file_size, _zip_time(info), kind, lambda i=info: _zip_read(archive, i), problem)


def _zip_read(archive, info):
    with archive.open(info) as file:
        return file.read(notebooks.MAX_BYTES + 1)


def _zip_name(info):
    """The entry's name: zipfile reads names not flagged UTF-8 as cp437; most such names are UTF-8 all the same."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _zip_time(info):
    """The entry's time in UTC: from its extended-timestamp field (0x5455) when it has one, else its DOS time,
    which names no time zone and is read as UTC (``grade`` prints this)."""
    extra = info.extra
    while len(extra) >= 4:
        tag, size = struct.unpack("<HH", extra[:4])
        body = extra[4:4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            return datetime.fromtimestamp(struct.unpack("<i", body[1:5])[0], timezone.utc)
        extra = extra[4 + size:]
    try:
        return datetime(*info.date_time, tzinfo=timezone.utc)
    except ValueError:
        return None


def _strip_wrappers(entries):
    """A zip of the unpacked download holds it in one folder: look inside (twice at most)."""
    for _ in range(2):
        firsts = {e.parts[0] for e in entries if len(e.parts) > 1 and e.parts[0] not in SKIPPED_FOLDERS}
        if len(firsts) != 1 or any(len(e.parts) == 1 for e in entries) or MOODLE_FOLDER.fullmatch(next(iter(firsts))):
            return entries
        (wrapper,) = firsts
        inner = [_Entry(e.parts[1:], e.size, e.time, e.kind, e.read, e.problem) for e in entries
                 if e.parts[0] == wrapper]
        if not any(len(e.parts) > 1 for e in inner) and not any(CANVAS.fullmatch(e.parts[0]) for e in inner):
            return entries  # one student's folder, not a wrapper
        entries = inner
    return entries
