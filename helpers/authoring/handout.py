"""``autograd-course handout OUT``: what an instructor gives students, as a folder and a zip (OUT.zip).

    OUT/README.md                 how to install, open JupyterLab and check; what the handout reveals
    OUT/autograd_course_student-<version>-py3-none-any.whl
                                  the student package: ``helpers`` as the notebooks import it (check, draw_graph,
                                  the chapters' widgets) and the exercises recorded on public inputs
    OUT/notebooks/                the chapters, with their outputs
    OUT/exercises/                the exercise notebooks, as ``release`` made them
    OUT/assignment.json           what the class is given (ids, fingerprints, language): ``grade --course`` reads it

``--lang en`` hands out the English edition (en/notebooks/, en/exercises/) under the same names, so its links hold.

The student package holds no reference and no solution: the exercises' definitions (``content/chNN.py``) and
``solutions/`` stay here; it carries each exercise's results on public inputs instead
(``helpers.checking.recorded``), compressed so that no answer is greppable.
"""
import base64
import hashlib
import io
import shutil
import sys
import tomllib
import zipfile
from pathlib import Path

from helpers.authoring.run import ROOT

STUDENT_DISTRIBUTION = "autograd_course_student"
# The engine a student's notebook uses: the chapters' widgets and drawings, checking, the registry and messages.
STUDENT_ENGINE = ("helpers/__init__.py", "helpers/en.py", "helpers/messages.py", "helpers/exercises.py",
                  "helpers/chapters", "helpers/checking", "content/__init__.py")
EDITION_FOLDERS = {"zh": "", "en": "en/"}  # where each edition's notebooks/, solutions/ and exercises/ are
# What the student package needs of the course's pinned dependencies (not nbformat/nbclient/tqdm: authoring only).
STUDENT_DEPENDENCIES = ("torch", "numpy", "matplotlib", "ipywidgets", "ipykernel", "jupyterlab")
README_TEMPLATE = ROOT / "content" / "handout_readme.md"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # zip entries' time: the same course makes the same files


class HandoutError(Exception):
    """The handout cannot be made as asked (a folder in the way, stale exercise notebooks)."""


def register(subparsers):
    parser = subparsers.add_parser("handout", help="生成发给学生的课程包（文件夹和 zip）/ make the students' handout",
                                   description="Write OUT/ and OUT.zip: the chapters, the exercise notebooks and a "
                                               "student package without references or solutions.")
    parser.add_argument("out", type=Path, help="a new folder (OUT.zip is written beside it)")
    parser.add_argument("--lang", choices=sorted(EDITION_FOLDERS), default="zh",
                        help="which edition: zh (notebooks/, exercises/) or en (en/notebooks/, en/exercises/)")
    parser.set_defaults(run=run)


def run(args):
    try:
        made = build(args.out, lang=args.lang)
    except HandoutError as error:
        print(f"autograd-course handout: {error}", file=sys.stderr)
        return 2
    print(made)
    return 0


def build(out, root=ROOT, lang="zh"):
    """Write the handout folder ``out`` and ``out``.zip from the course at ``root`` in edition ``lang``; return a
    summary."""
    import nbformat

    from helpers.authoring.release import student_copy
    from helpers.checking.recorded import pack
    from helpers.exercises import EXERCISES
    from helpers.grading.course import ASSIGNMENT, Course, CourseError, write_assignment

    out, archive = Path(out), Path(out).with_suffix(".zip")
    for path in (out, archive):
        if path.exists() and (path.is_file() or any(path.iterdir())):
            raise HandoutError(f"{path} already exists; name a new folder")
    edition = root / EDITION_FOLDERS[lang]
    for solution in sorted((edition / "solutions").glob("ex*.ipynb")):
        released = edition / "exercises" / solution.name
        expected = student_copy(nbformat.read(solution, as_version=4))
        if not released.exists() or _sources(nbformat.read(released, as_version=4)) != _sources(expected):
            raise HandoutError(f"{released} is not what release makes of {solution}: run "
                               "`.venv/bin/autograd-course release` first")
    try:
        course = Course.load(edition / "exercises", EXERCISES)
    except CourseError as error:
        raise HandoutError(str(error)) from None
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wheel = f"{STUDENT_DISTRIBUTION}-{project['version']}-py3-none-any.whl"
    files = {path.relative_to(root).as_posix(): path.read_bytes() for path in _engine_files(root, course)}
    files["helpers/exercises.recorded"] = pack(course.exercises)

    out.mkdir(parents=True, exist_ok=True)
    (out / wheel).write_bytes(_wheel(files, project))
    for folder in ("notebooks", "exercises"):
        (out / folder).mkdir()
        for notebook in sorted((edition / folder).glob("*.ipynb")):
            shutil.copyfile(notebook, out / folder / notebook.name)
    readme = README_TEMPLATE.read_text(encoding="utf-8").replace("{wheel}", wheel)
    (out / "README.md").write_text(readme, encoding="utf-8")
    course.record_fingerprints()
    write_assignment(out / ASSIGNMENT, course)
    _zip_folder(out, archive)
    size = (out / wheel).stat().st_size
    return (f"{out}: {len(list((out / 'notebooks').glob('*.ipynb')))} chapters, {len(course.notebooks)} exercise "
            f"notebooks ({len(course.exercises)} exercises), the student package {wheel} ({size // 1024} KB); "
            f"{archive} ({archive.stat().st_size // 1024} KB)\n"
            f"students install it with: pip install {wheel}\n"
            f"grade their work with: .venv/bin/autograd-course grade SUBMISSIONS --out RESULTS "
            f"--course {out / ASSIGNMENT}")


def _sources(notebook):
    return [(cell.cell_type, cell.source) for cell in notebook.cells]


def _engine_files(root, course):
    """The student package's Python files: the engine it needs and the modules of the course's own kinds."""
    kinds = {type(exercise).__module__ for exercise in course.exercises.values()}
    wanted = list(STUDENT_ENGINE) + [name.replace(".", "/") + ".py" for name in sorted(kinds)
                                     if name.startswith("content.")]
    for name in wanted:
        path = root / name
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _wheel(files, project):
    """A pure-Python wheel holding ``files`` (path -> bytes), with the course's pins as its dependencies."""
    name, version = STUDENT_DISTRIBUTION, project["version"]
    pins = [pin for pin in project["dependencies"] if pin.split("==")[0].strip() in STUDENT_DEPENDENCIES]
    info = f"{name}-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = "\n".join(
        ["Metadata-Version: 2.1", f"Name: {name.replace('_', '-')}", f"Version: {version}",
         "Summary: The student package of autograd-course: check() and the chapters' widgets, without the answers",
         f"Requires-Python: {project['requires-python']}", *[f"Requires-Dist: {pin}" for pin in pins], ""]).encode()
    files[f"{info}/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: autograd-course handout\nRoot-Is-Purelib: true\n"
                              "Tag: py3-none-any\n").encode()
    files[f"{info}/top_level.txt"] = "".join(sorted({path.split("/")[0] + "\n" for path in files
                                                     if not path.startswith(info)})).encode()
    record = [f"{path},sha256={_digest(data)},{len(data)}" for path, data in sorted(files.items())]
    files[f"{info}/RECORD"] = ("\n".join(record + [f"{info}/RECORD,,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, data in sorted(files.items()):
            wheel.writestr(_entry(path), data, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def _digest(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _zip_folder(folder, archive):
    """``archive`` holds ``folder`` under its own name, entries sorted and timestamped alike."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            bundle.writestr(_entry(f"{folder.name}/{path.relative_to(folder).as_posix()}"), path.read_bytes(),
                            zipfile.ZIP_DEFLATED)


def _entry(name):
    entry = zipfile.ZipInfo(name, FIXED_TIME)
    entry.external_attr = 0o644 << 16  # rw-r--r--, whoever unpacks it
    return entry
