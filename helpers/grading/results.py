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

    def rewrite(self, records):
        """Leave exactly the current records (one per student and exercise), atomically."""
        self.file.close()
        write_atomically(self.path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def write_atomically(path, content, mode="w"):
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, mode, **({"encoding": "utf-8"} if "b" not in mode else {})) as file:
        file.write(content)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)
