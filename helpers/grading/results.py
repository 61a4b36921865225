"""results.jsonl as a durable log: one fsynced line per graded (student, exercise), reused on a rerun.

A run that is interrupted keeps every line it finished (each is written at once, and synced to disk at
least every second and at the end); a torn last line is dropped when the log is reopened. A record is reused
only when its key (checkers, limits and the student's notebook, hashed) still matches, so an edited notebook
or a changed checker is graded again. When the disk is full (or any other write fails), the line being
written is taken back, ``Unwritable`` stops the run, and everything written before is kept for the rerun.
"""
import json
import os
import re
import time

SYNC_EVERY = 1.0  # seconds; fsync per line would cost more than grading the line on a slow disk


class Unwritable(OSError):
    """A results file cannot be written (a full disk, a quota, an I/O error): the run stops, and says so."""

    def __init__(self, path, error, kept=None):
        super().__init__(error.errno, error.strerror)
        self.path, self.kept = path, kept


class ResultsLog:
    def __init__(self, path):
        self.path = path
        self.records = {}
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(True) if path.exists() else []
        kept = []
        for line in lines:
            try:
                record = json.loads(line) if line.endswith("\n") else None  # else torn by an interruption
                self.records[record["student"], record["exercise"], record["key"]] = record
            except (ValueError, TypeError, KeyError):
                continue
            kept.append(record)
        if len(kept) != len(lines):
            self._replace("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), len(kept))
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        self.size, self.count = os.fstat(self.fd).st_size, len(kept)
        self.synced = time.monotonic()

    def get(self, student, exercise, key):
        return self.records.get((student, exercise, key))

    def append(self, record):
        data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            written = 0
            while written < len(data):
                written += os.write(self.fd, data[written:])
            if time.monotonic() - self.synced > SYNC_EVERY:
                os.fsync(self.fd)
                self.synced = time.monotonic()
        except OSError as error:
            try:
                os.ftruncate(self.fd, self.size)  # no torn line: the log ends with the last whole record
            except OSError:
                pass
            raise Unwritable(self.path, error, self.count) from None
        self.size += len(data)
        self.count += 1
        return record

    def close(self):
        if self.fd is not None:
            try:
                os.fsync(self.fd)
            except OSError:
                pass
            os.close(self.fd)
            self.fd = None

    def rewrite(self, records, keep_others=False):
        """Leave exactly the current records (one per student and exercise), atomically; return them.

        ``keep_others`` (a regrade of some students with ``--only``) also keeps, unchanged, the last record of
        every (student, exercise) of the other students that the log held when it was opened, in student order.
        """
        self.close()
        if keep_others:
            mine = {r["student"] for r in records}
            others = {}
            for record in self.records.values():  # file order: a later record of a pair replaces an earlier one
                if record["student"] not in mine:
                    others[record["student"], record["exercise"]] = record
            by_student = {}
            for record in [*others.values(), *records]:
                by_student.setdefault(record["student"], []).append(record)
            records = [r for student in sorted(by_student) for r in by_student[student]]
        self._replace("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), self.count)
        return records

    def _replace(self, content, kept):
        try:
            write_atomically(self.path, content)
        except OSError as error:
            raise Unwritable(self.path, error, kept) from None


def write_atomically(path, content, mode="w"):
    """Write a whole file through a temporary one, so a reader sees the old file or the new one; on failure
    (a full disk) the temporary file is removed and the old file is left as it was."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        with open(temporary, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.remove(temporary)
        except OSError:
            pass
        raise


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet may split a cell at any of these (the separator it guesses or the locale's: ";" in German and
# French), so a formula may start after any of them, not only at the start of the cell.
SEPARATORS = re.compile(r"([,;\t|\r\n])([=+\-@\t\r])")


def safe_cell(value):
    """A CSV cell a spreadsheet will not run (OWASP CSV injection, for every separator): text that starts with
    = + - @ tab or CR gets a leading apostrophe, and so does such a character right after a comma,
    semicolon, tab, bar or line break inside the text (``mallory;=1+1`` -> ``mallory;'=1+1``). Numbers (such
    as a score) are left as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    try:
        float(text)
        return text  # a plain number such as -1.5
    except ValueError:
        pass
    text = SEPARATORS.sub(r"\1'\2", text)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(rows):
    """CSV text of ``rows`` (lists of cells), every cell quoted and made safe for spreadsheets."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


OPTIONS = "options.json"  # the options a results folder was graded with, reused by a rerun and by --only


def recall_options(out):
    """The options RESULTS was last graded with ({} for a folder never graded); ValueError if unreadable."""
    path = out / OPTIONS
    if not path.is_file():
        return {}
    try:
        options = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{path}: cannot be read ({error}); delete it to grade afresh") from None
    if not isinstance(options, dict):
        raise ValueError(f"{path}: not the options of a run; delete it to grade afresh")
    return options


def remember_options(out, options):
    """Keep ``options`` (plain JSON: paths as absolute strings) for the next run into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(out / OPTIONS, json.dumps(options, ensure_ascii=False, indent=1) + "\n")
    except OSError as error:
        raise Unwritable(out / OPTIONS, error) from None
