"""Back to the LMS: the class's final scores under the assignment's rules (``Gradebook``), as files each LMS
imports as they are (``--export canvas`` / ``--export moodle``), and the overrides and late work in the report.

Students are matched by the LMS ids that the download gave (Canvas' user id, Moodle's participant id) or, for
a folder per student, by the roster (``--roster``). Every cell goes through ``safe_cell`` (OWASP CSV injection).

* **Canvas** (Gradebook > Import; the layout of Canvas' own gradebook export), ``canvas-import.csv``: the columns
  ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``, ``Section``, then the grade column; a second row
  ``Points Possible`` gives the assignment's points. Canvas matches a row by ``ID`` (its numeric user id: the
  roster's ``canvas_id``, or the id in a Canvas download's file names), ``SIS User ID`` (roster ``id``) or ``SIS
  Login ID``. The grade column is named after the assignment file's ``name``; a name Canvas does not know creates
  a new assignment, and ``Name (4567)`` (``canvas_assignment_id = 4567``) updates the existing assignment 4567,
  the id in its address ``/courses/…/assignments/4567``. Scores are the final points on the assignment's scale
  (late penalty taken): set the Canvas assignment's points to ``Points Possible``.
* **Moodle**, with a roster (Grades > Import > CSV file, Moodle 3.11 to 4.x), ``moodle-import.csv``: the layout of
  Moodle's own "Plain text file" grade export, ``First name``, ``Last name``, ``ID number``, ``Email address``, the
  grade item; map ``ID number`` to ``useridnumber`` (or ``Email address`` to ``useremail``).
* **Moodle**, from Moodle's own download (keyed by participant id, no roster needed):
  ``moodle-grading-worksheet.csv`` in the layout of the assignment's "Download grading worksheet", which
  "Upload grading worksheet" reads back (``mod/assign/feedback/offline``: it needs the columns ``Identifier``
  = ``Participant <id>``, ``Grade`` and ``Last modified (grade)``; ``Feedback comments`` fills the comments),
  and ``moodle-feedback.zip`` for "Upload multiple feedback files in a zip" (``mod/assign/feedback/file``: a
  folder ``Full Name_<participant id>_assignfeedback_file_`` per student holding ``feedback.html``).
"""
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone

from helpers.grading.policy import Policy, Standing
from helpers.grading.results import csv_text, write_atomically
from helpers.messages import say

FORMATS = ("canvas", "moodle")
FILES = {"canvas": "canvas-import.csv", "moodle": "moodle-import.csv"}
MOODLE_WORKSHEET, MOODLE_FEEDBACK = "moodle-grading-worksheet.csv", "moodle-feedback.zip"
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]
OURS = re.compile(r"[0-9T:.+-]+")  # numbers and ISO times: nothing a Markdown table misreads
WORKSHEET_COLUMNS = ["Identifier", "Full name", "Email address", "Grade", "Maximum Grade", "Last modified (grade)",
                     "Feedback comments"]


def points(value):
    """Points as a CSV shows them: at most 4 decimals, no trailing zeros."""
    return "" if value is None else f"{round(value, 4):g}"


@dataclass
class Gradebook:
    """Everything the LMS files say about the class, computed once per run."""
    standings: dict  # student key -> Standing
    policy: Policy = field(default_factory=Policy)
    column: str = "autograd-course"  # the grade column's name in the LMS files
    names: dict = field(default_factory=dict)  # student key -> the name the LMS download gives
    late_flags: set = field(default_factory=set)  # keys Canvas flagged late
    layout: str = "folders"

    @classmethod
    def plain(cls, records):
        """No rules: each student's total as graded."""
        standings = {}
        for record in records:
            standing = standings.setdefault(record["student"], Standing(0.0, 0.0))
            standing.total += record["score"]
            standing.possible += record["points"]
        return cls(standings)

    @property
    def possible(self):
        return max((s.possible for s in self.standings.values()), default=0.0)

    @property
    def lms_ids(self):
        """The students' keys are the LMS's own ids (a Canvas or Moodle download)."""
        return self.layout in ("canvas", "moodle")

    def columns(self):
        return ["total", "points_possible", "late_days", "penalty", "final", "submitted", "time_source"] + (
            ["lms_late"] if self.layout == "canvas" else [])

    def cells(self, student):
        standing = self.standings.get(student)
        if standing is None:  # a roster student with no submission
            return ["0", points(self.possible), "", "", "0", "", ""] + ([""] if self.layout == "canvas" else [])
        return [points(standing.total), points(standing.possible), str(standing.late_days), points(standing.penalty),
                points(standing.final), standing.submitted.isoformat() if standing.submitted else "",
                standing.time_source] + (["late" if student in self.late_flags else ""]
                                         if self.layout == "canvas" else [])

    def footers(self, lang):
        """student -> the sentences under their feedback (lateness, extension, final score)."""
        return {s: self.policy.feedback_lines(standing, lang) for s, standing in self.standings.items()}

    def rules_tables(self, records, lang):
        """[(heading, columns, rows)] of the overrides and the late students: what the reports add."""
        overridden = [r for r in records if r.get("override")]
        late = [(s, st) for s, st in self.standings.items() if st.late_days]
        tables = []
        if overridden:
            tables.append((say("overrides_heading", lang), say("override_columns", lang).split("|"),
                           [[r["student"], r["exercise"], points(r["override"]["graded"]), points(r["score"]),
                             r["override"]["comment"]] for r in overridden]))
        if late:
            tables.append((say("late_heading", lang), say("late_columns", lang).split("|"),
                           [[s, st.submitted.isoformat(), st.due.isoformat(), str(st.late_days), points(st.penalty)]
                            for s, st in late]))
        return tables

    def markdown(self, records, lang):
        """summary.md's sections on the rules: overrides and late work, by student."""
        lines = []
        for heading, columns, rows in self.rules_tables(records, lang):
            lines += ["", f"### {heading}", "", "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
            lines += ["| " + " | ".join(cell if OURS.fullmatch(cell) else _md(cell) for cell in row) + " |"
                      for row in rows]
        return "\n".join(lines) + ("\n" if lines else "")

    def html(self, records, lang):
        """report.html's sections on the rules: the same tables as ``markdown``."""
        from html import escape

        return "".join(f"<h2>{escape(heading)}</h2><table><tr>{''.join(f'<th>{escape(c)}</th>' for c in columns)}</tr>"
                       + "".join(f"<tr>{''.join(f'<td>{escape(cell)}</td>' for cell in row)}</tr>" for row in rows)
                       + "</table>" for heading, columns, rows in self.rules_tables(records, lang))


def _md(value):
    from helpers.grading.insight import md

    return md(str(value))


def canvas_rows(match, gradebook):
    rows = [[*CANVAS_COLUMNS, gradebook.column], ["Points Possible", "", "", "", "", points(gradebook.possible)]]
    roster = match.roster if match else {}
    for key, student in roster.items():
        name = (f"{student.last_name}, {student.first_name}" if student.last_name and student.first_name
                else student.display)
        canvas_id = student.canvas_id or (key if gradebook.layout == "canvas" else "")
        rows.append([name, canvas_id, student.id, student.sis_login_id, student.section, _final(gradebook, key)])
    if gradebook.layout == "canvas":  # the download names every student's Canvas id, so none is left out
        rows += [[gradebook.names.get(key, key), key, "", "", "", _final(gradebook, key)]
                 for key in gradebook.standings if key not in roster]
    return rows


def moodle_rows(match, gradebook):
    rows = [[*MOODLE_COLUMNS, gradebook.column]]
    for key, student in match.roster.items():
        first, last = student.first_name, student.last_name
        if not (first or last):
            first = student.display
        rows.append([first, last, student.id, student.email, _final(gradebook, key)])
    return rows


def worksheet_rows(match, gradebook, lang, graded_at):
    """Moodle's grading worksheet, one row per participant of the download."""
    roster = match.roster if match else {}
    rows = [WORKSHEET_COLUMNS]
    for key, standing in gradebook.standings.items():
        entry = roster.get(key)
        comment = " ".join(gradebook.policy.feedback_lines(standing, lang)) or say(
            "final_score", lang, final=points(standing.final), possible=points(standing.possible))
        rows.append([f"Participant {key}", entry.display if entry else gradebook.names.get(key, ""),
                     entry.email if entry else "", points(standing.final), points(standing.possible), graded_at,
                     comment])
    return rows


def feedback_zip(gradebook, feedback_folder):
    """``moodle-feedback.zip``: each participant's feedback page in the folder Moodle's zip import reads."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for key in gradebook.standings:
            page = feedback_folder / f"{key}.html"
            if page.is_file():
                archive.writestr(f"{_moodle_name(gradebook.names.get(key, ''))}_{key}_assignfeedback_file_/"
                                 "feedback.html", page.read_bytes())
    return buffer.getvalue()


def _moodle_name(name):
    """A full name as a folder name Moodle's import splits correctly (it splits at ``_``, and reads paths)."""
    cleaned = "".join(" " if c in "_/\\" or not c.isprintable() else c for c in name).strip(" .")
    return cleaned or "Participant"


def _final(gradebook, key):
    standing = gradebook.standings.get(key)
    return "" if standing is None else points(standing.final)  # no submission: empty, the LMS keeps its grade


def write(out, kind, match, gradebook, lang="zh"):
    """Write the export of ``kind``; return the paths written."""
    written = []
    if kind == "canvas":
        written.append(_write_csv(out / FILES["canvas"], canvas_rows(match, gradebook)))
    if kind == "moodle" and match is not None:
        written.append(_write_csv(out / FILES["moodle"], moodle_rows(match, gradebook)))
    if kind == "moodle" and gradebook.layout == "moodle":
        graded_at = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        written.append(_write_csv(out / MOODLE_WORKSHEET, worksheet_rows(match, gradebook, lang, graded_at)))
        write_atomically(out / MOODLE_FEEDBACK, feedback_zip(gradebook, out / "feedback"), mode="wb")
        written.append(out / MOODLE_FEEDBACK)
    return written


def _write_csv(path, rows):
    write_atomically(path, csv_text(rows))
    return path
