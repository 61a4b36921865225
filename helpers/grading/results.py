"""results.jsonl as a durable log: one fsynced line per graded (student, exercise), reused on a rerun.

A run that is interrupted keeps every line it finished (each is flushed at once, and synced to disk at
least every second and at the end); a torn last line is dropped when the log is reopened. A record is reused only when its key (checkers, limits and the student's notebook, hashed)
still matches, so an edited notebook or a changed checker is graded again.
"""
import json
import os
import time

SYNC_EVERY = 1.0  # seconds; fsync per line would cost more than grading the line on a slow disk


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
            write_atomically(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept))
        self.file = open(path, "a", encoding="utf-8")
        self.synced = time.monotonic()

    def get(self, student, exercise, key):
        return self.records.get((student, exercise, key))

    def append(self, record):
        self.file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.file.flush()
        if time.monotonic() - self.synced > SYNC_EVERY:
            os.fsync(self.file.fileno())
            self.synced = time.monotonic()
        return record

    def rewrite(self, records, keep_others=False):
        """Leave exactly the current records (one per student and exercise), atomically; return them.

        ``keep_others`` (a regrade of some students with ``--only``) also keeps, unchanged, the last record of
        every (student, exercise) of the other students that the log held when it was opened, in student order.
        """
        self.file.close()
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
        write_atomically(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        return records


def write_atomically(path, content, mode="w"):
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A CSV cell a spreadsheet will not run (OWASP CSV injection): text starting with = + - @ tab or CR gets a
    leading apostrophe. Numbers (such as a score) are left as they are."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START):
        try:
            float(text)
            return text  # a plain number such as -1.5
        except ValueError:
            return "'" + text
    return text


def csv_text(rows):
    """CSV text of ``rows`` (lists of cells), every cell made safe for spreadsheets."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()
