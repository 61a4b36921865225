"""docs/coverage.md maps every item of the five study notes to a chapter section: its links must land on real headings."""
import re
from functools import lru_cache
from pathlib import Path

from helpers.authoring.editions import FENCED, HEADING, heading_id
from test_notebooks import markdown_of

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "coverage.md"
NOTES = ("000", "001", "002", "003", "004")
# [label](target): the target may hold one level of balanced parentheses, as CommonMark allows ("numpy()")
LINK = re.compile(r"\[([^\]]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)")
SECTION_LABEL = re.compile(r"^(\d\d) §(\d+(?:\.\d+)?)\b")
ITEM_ROW = re.compile(r"^\|\s*(\d+)\s*\|", re.M)


def text():
    return DOC.read_text(encoding="utf-8")


def links():
    return LINK.findall(FENCED.sub("", text()))


def sections():
    """Level-2 sections of the page: {heading text: body up to the next level-2 heading}."""
    prose = FENCED.sub("", text())
    parts = re.split(r"^## +(.+?)\s*$", prose, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


@lru_cache(maxsize=None)
def heading_ids(notebook):
    return frozenset(heading_id(h.group(2)) for s in markdown_of(notebook) for h in HEADING.finditer(FENCED.sub("", s)))


def test_the_page_exists_and_links_to_the_chapters():
    assert DOC.exists(), "docs/coverage.md is missing"
    notebook_links = [target for _, target in links() if ".ipynb" in target]
    assert len(notebook_links) >= 100, f"only {len(notebook_links)} links to chapter sections"


def test_every_link_points_to_an_existing_notebook_and_heading():
    problems = []
    for label, target in links():
        if re.match(r"[a-z]+:", target):  # an outside address, not a chapter
            continue
        path, _, anchor = target.partition("#")
        notebook = (DOC.parent / path).resolve()
        if not path.endswith(".ipynb"):
            problems.append(f"[{label}]({target}): not a notebook")
        elif not notebook.exists():
            problems.append(f"[{label}]({target}): {path} does not exist")
        elif not anchor:
            problems.append(f"[{label}]({target}): no heading anchor")
        elif anchor not in heading_ids(notebook):
            problems.append(f"[{label}]({target}): no heading with id {anchor!r} in {notebook.name}")
    assert not problems, "\n".join(problems)


def test_link_labels_name_the_section_they_point_to():
    problems = []
    for label, target in links():
        match = SECTION_LABEL.match(label)
        if not match:
            continue
        chapter, section = match.groups()
        path, _, anchor = target.partition("#")
        if not Path(path).name.startswith(chapter + "_"):
            problems.append(f"[{label}]({target}): label says chapter {chapter}")
        if "(" not in label and not anchor.startswith(section + "-"):  # "05 §5.7 (subsection)" links a subheading
            problems.append(f"[{label}]({target}): label says §{section}")
    assert not problems, "\n".join(problems)


def test_each_note_has_its_section_with_numbered_linked_items():
    found = sections()
    for note in NOTES:
        titles = [title for title in found if note in title]
        assert len(titles) == 1, f"note {note}: expected one section heading containing {note!r}, found {titles}"
        body = found[titles[0]]
        numbers = [int(n) for n in ITEM_ROW.findall(body)]
        assert numbers, f"note {note}: no item table"
        assert numbers == list(range(1, len(numbers) + 1)), f"note {note}: items are not numbered 1..n: {numbers}"
        for row in (line for line in body.splitlines() if ITEM_ROW.match(line)):
            assert ".ipynb#" in row or "未覆盖" in row, f"note {note}: an item with no section and not marked 未覆盖: {row[:80]}"


def test_the_page_has_an_uncovered_section_and_the_d2l_exercises():
    titles = list(sections())
    assert any("未覆盖" in title for title in titles), "no 未覆盖 section"
    d2l = [title for title in titles if "d2l" in title]
    assert d2l, "no section for d2l's exercises"
    assert ".ipynb#" in sections()[d2l[0]]
