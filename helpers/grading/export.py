"""``--export canvas`` / ``--export moodle``: the class's totals as a gradebook CSV that LMS imports as it is.

One grade column, the assignment (``--assignment``, default ``autograd-course``), holding each student's total.
Students are matched by the ids of the roster (``--roster``): rows are written for every roster entry; a roster
student with no submission folder gets an empty grade (the LMS leaves the grade as it was); a folder that is
not in the roster has no id to match, so it is left out and listed in the summary instead.

* Canvas (Gradebook > Import, the layout of Canvas' own gradebook export): the columns ``Student``, ``ID``,
  ``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment; a second row
  ``Points Possible`` gives the assignment's maximum. Canvas matches a row by ``ID`` (its numeric user id,
  roster ``canvas_id``), ``SIS User ID`` (roster ``id``) or ``SIS Login ID``; an assignment column whose name
  is new creates that assignment on import.
* Moodle (Grades > Import > CSV file, Moodle 3.11 to 4.x): the layout of Moodle's own "Plain text file" grade
  export: ``First name``, ``Last name``, ``ID number``, ``Email address``, then the grade item. On import,
  map ``ID number`` to ``useridnumber`` (or ``Email address`` to ``useremail``) and the grade column to a grade
  item (or a new one).

Every cell goes through ``safe_cell`` (OWASP CSV injection).
"""
from helpers.grading.results import csv_text, write_atomically

FORMATS = ("canvas", "moodle")
FILES = {"canvas": "canvas-import.csv", "moodle": "moodle-import.csv"}
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
MOODLE_COLUMNS = ["First name", "Last name", "ID number", "Email address"]


def _score(value):
    return "" if value is None else f"{value:g}"


def canvas_rows(match, totals, most, assignment):
    rows = [[*CANVAS_COLUMNS, assignment], ["Points Possible", "", "", "", "", f"{most:g}"]]
    for folder, student in match.roster.items():
        name = (f"{student.last_name}, {student.first_name}" if student.last_name and student.first_name
                else student.display)
        rows.append([name, student.canvas_id, student.id, student.sis_login_id, student.section,
                     _score(totals.get(folder))])
    return rows


def moodle_rows(match, totals, most, assignment):
    rows = [[*MOODLE_COLUMNS, assignment]]
    for folder, student in match.roster.items():
        first, last = student.first_name, student.last_name
        if not (first or last):
            first = student.display
        rows.append([first, last, student.id, student.email, _score(totals.get(folder))])
    return rows


def write(out, kind, match, totals, most, assignment="autograd-course"):
    """Write the export of ``kind``; ``totals`` maps a graded folder to its total (absent: not graded)."""
    rows = (canvas_rows if kind == "canvas" else moodle_rows)(match, totals, most, assignment)
    path = out / FILES[kind]
    write_atomically(path, csv_text(rows))
    return path
