"""The English edition keeps in step with the Chinese one (helpers/authoring/editions.py), rule by rule.

The first tests apply each rule to every chapter pair. The others break one rule in memory, on a real chapter,
and see the rule report it: a rule that could not fail would prove nothing.
"""
import copy
import functools
import shutil

import nbformat
import pytest

from helpers.authoring import editions
from helpers.authoring.run import save
from helpers.cli import main

PAIRS = editions.pairs()
IDS = [zh.stem for zh, _ in PAIRS]
RELEASED = editions.released_pairs()  # exercises/ and en/exercises/: what release makes of the solutions


@functools.cache
def _read(path):
    return nbformat.read(path, as_version=4)


def read(path):
    """A fresh copy of a notebook, read once per session."""
    return copy.deepcopy(_read(path))


def pair(number="01"):
    zh_path, en_path = next(p for p in PAIRS if p[0].stem.startswith(number))
    return read(zh_path), read(en_path)


def test_every_chinese_chapter_has_its_english_edition_and_nothing_else():
    assert len(PAIRS) >= 12
    assert [en.name for _, en in PAIRS if not en.exists()] == []
    assert editions.orphans() == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_same_cells_metadata_and_headings(zh_path, en_path):
    assert editions.cell_problems(read(zh_path), read(en_path)) == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_same_code_up_to_comments_and_chinese_strings(zh_path, en_path):
    assert editions.code_problems(read(zh_path), read(en_path)) == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_nothing_left_untranslated(zh_path, en_path):
    assert editions.untranslated_problems(read(en_path)) == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_every_english_cell_translates_the_current_chinese_cell(zh_path, en_path):
    assert editions.fingerprint_problems(read(zh_path), read(en_path), editions.short_name(zh_path)) == []


@pytest.mark.parametrize("path", [path for p in PAIRS for path in p], ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_links_stay_within_their_edition(path):
    assert editions.link_problems(path, read(path)) == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_english_outputs_follow_from_the_chinese_outputs(zh_path, en_path):
    """nbval executes only the Chinese chapters; this proves the English stored outputs are what the same code
    prints in English. Remedy for a failure: ``autograd-course outputs en/notebooks/NN_x.ipynb``, or print the
    text so that it is one string constant (or f-string) of the cell."""
    assert editions.output_problems(read(zh_path), read(en_path)) == []


@pytest.mark.parametrize("zh_path, en_path", RELEASED, ids=[zh.stem for zh, _ in RELEASED])
def test_english_student_copies_outputs_follow_from_the_chinese(zh_path, en_path):
    """en/exercises/ is what release makes of en/solutions/ (tests/test_release.py), and nbval executes exercises/:
    this proves the English "Not done yet" verdicts without running them."""
    assert editions.released_problems(zh_path, en_path) == []


@pytest.mark.parametrize("zh_path, en_path", PAIRS, ids=IDS)
def test_english_widget_state_follows_from_the_chinese(zh_path, en_path):
    assert editions.widget_problems(read(zh_path), read(en_path)) == []


# --- each rule fails when it is broken ---------------------------------------------------------------------

def first(notebook, cell_type, containing=""):
    return next(i for i, cell in enumerate(notebook.cells) if cell.cell_type == cell_type and containing in cell.source)


def test_a_dropped_or_retyped_cell_is_named():
    zh, en = pair()
    del en.cells[5]
    assert "45 cells in zh, 44 in en" in editions.cell_problems(zh, en)[0]
    zh, en = pair()
    en.cells[3].cell_type = "raw"
    assert editions.cell_problems(zh, en) == ["cell 3: a code cell in zh, a raw cell in en"]


def test_metadata_must_match_but_the_fingerprint():
    zh, en = pair()
    en.cells[3].metadata["tags"] = ["raises-exception"]
    assert editions.cell_problems(zh, en)[0].startswith("cell 3: metadata differ")
    zh, en = pair()
    en.cells[3].metadata["autograd_course"]["translates"] = "0123456789ab"
    assert editions.cell_problems(zh, en) == []


@pytest.mark.parametrize("old, new", [("## 1.3 A first backward", "### 1.3 A first backward"),
                                      ("## 1.3 A first backward", "## 1.4 A first backward"),
                                      ("## 1.3 A first backward", "## A first backward")])
def test_heading_levels_and_numbers_must_match(old, new):
    zh, en = pair()
    index = first(en, "markdown", old)
    en.cells[index].source = en.cells[index].source.replace(old, new)
    assert editions.cell_problems(zh, en) == [f"cell {index}: headings (level, number) differ: zh [(2, '1.3')], "
                                              f"en {editions.headings(new)}"]


@pytest.mark.parametrize("old, new, why", [
    ("assert y.item() == 28.0", "assert y.item() == 29.0", "the code differs"),
    ("assert y.item() == 28.0\n", "", "the code differs"),
    ('print("x: ", x)', 'print("x = ", x)', "has no Chinese to translate"),
    ("4 * x)\n", "4 * x.detach())\n", "the code differs"),
])
def test_a_code_change_in_one_edition_is_named(old, new, why):
    zh, en = pair()
    index = first(en, "code", old)
    en.cells[index].source = en.cells[index].source.replace(old, new, 1)
    found = editions.code_problems(zh, en)
    assert len(found) == 1 and found[0].startswith(f"cell {index}: ") and why in found[0], found


def test_comments_chinese_strings_and_the_english_import_may_differ():
    zh, en = pair()
    index = first(en, "code", "after backward()")
    en.cells[index].source = en.cells[index].source.replace("after backward()", "now backward has run") + "  # why"
    assert editions.code_problems(zh, en) == []
    assert "from helpers.en import" in "".join(cell.source for cell in en.cells)


def test_an_exercise_id_changed_in_one_edition_is_named():
    zh, en = pair()
    for notebook in (zh, en):
        notebook.cells[3].source += '\ncheck("ch01.leaf", x)'
    en.cells[3].source = en.cells[3].source.replace("ch01.leaf", "ch01.leaves")
    assert "has no Chinese to translate" in editions.code_problems(zh, en)[0]


@pytest.mark.parametrize("place", ["markdown", "comment", "output", "widget"])
def test_a_chinese_character_left_in_english_is_named(place):
    _, en = pair()
    if place == "markdown":
        en.cells[2].source += "\n梯度"
    elif place == "comment":
        en.cells[3].source += "  # 梯度"
    elif place == "output":
        next(o for cell in en.cells for o in cell.get("outputs", []) if o.output_type == "stream")["text"] += "：1"
    else:
        state = en.metadata["widgets"][editions.WIDGET_STATE]["state"]
        next(iter(state.values()))["state"]["description"] = "表达式"
    found = editions.untranslated_problems(en)
    assert len(found) == 1 and "untranslated" in found[0], found


def test_a_chinese_cell_changed_after_translation_is_named_until_accepted(tmp_path):
    zh_path, en_path = PAIRS[0]
    zh_copy, en_copy = tmp_path / zh_path.name, tmp_path / "en" / en_path.name
    en_copy.parent.mkdir()
    shutil.copy(en_path, en_copy)
    zh = read(zh_path)
    zh.cells[2].source += "\n\n新加的一句。"
    save(zh, zh_copy)
    found = editions.fingerprint_problems(nbformat.read(zh_copy, as_version=4), read(en_copy), "01")
    assert found == ["cell 2: changed in zh since it was translated: update the English and its fingerprint "
                     "(`autograd-course editions --accept 01 --cell 2`)"]
    assert editions.accept(zh_copy, en_copy, {2}) == [2]
    assert editions.fingerprint_problems(nbformat.read(zh_copy, as_version=4),
                                         nbformat.read(en_copy, as_version=4)) == []
    assert editions.accept(zh_copy, en_copy) == []  # idempotent: nothing else changed


def test_a_cell_without_fingerprint_is_named():
    zh, en = pair()
    del en.cells[4].metadata["autograd_course"]
    assert editions.fingerprint_problems(zh, en)[0].startswith("cell 4: no translation fingerprint")


@pytest.mark.parametrize("edition, link, why", [
    ("en", "[x](../../notebooks/02_zeroing_gradients.ipynb)", "leaves its edition"),
    ("zh", "[x](../en/notebooks/02_zeroing_gradients.ipynb)", "leaves its edition"),
    ("en", "[x](02_zeroing_gradients.ipynb#2.3-AccumulateGrad：累加在哪里发生)", "no heading with that anchor"),
    ("en", "[x](02_zeroing.ipynb)", "no such file"),
    ("en", "[x](../exercises/ex99_none.ipynb)", "no such file"),
    ("en", "[x](#1.9-Nothing)", "no heading with that anchor"),
])
def test_a_link_out_of_its_edition_or_to_nothing_is_named(edition, link, why):
    zh_path, en_path = PAIRS[0]
    path = en_path if edition == "en" else zh_path
    notebook = read(path)
    notebook.cells[2].source += f"\n\nSee {link}."
    found = editions.link_problems(path, notebook)
    assert len(found) == 1 and why in found[0], found


def output_cell(notebook, text):
    return next(cell for cell in notebook.cells if cell.cell_type == "code"
                and any(text in output.get("text", "") for output in cell.get("outputs", [])))


def test_an_english_output_that_does_not_follow_is_named():
    zh, en = pair("02")
    cell = output_cell(en, "after the first backward")
    cell.outputs[0]["text"] = cell.outputs[0]["text"].replace("12.", "13.")
    found = editions.output_problems(zh, en)
    assert len(found) == 1 and found[0].startswith(f"cell {en.cells.index(cell)}: output 0 is not the Chinese output")


def test_a_translation_printed_differently_from_the_code_is_named():
    zh, en = pair("02")
    cell = output_cell(en, "after the first backward")
    cell.outputs[0]["text"] = cell.outputs[0]["text"].replace("after the first backward", "after one backward")
    assert len(editions.output_problems(zh, en)) == 1


@pytest.mark.parametrize("mime, old, new", [("text/plain", "leaf tensor", "leaf-tensor"),
                                            ("text/plain", "Correct: ", "Correct - "), ("text/html", "&#x27;", "'")])
def test_a_verdict_is_rendered_again_in_english_and_must_match(mime, old, new):
    """A check cell's ✅ box: its reason from the exercise's texts, its separator and HTML escapes as check makes them."""
    zh, en = pair("ex01")
    output = next(o for c in en.cells if c.cell_type == "code" for o in c.outputs if old in o.get("data", {}).get(mime, ""))
    output["data"][mime] = output["data"][mime].replace(old, new, 1)
    found = editions.output_problems(zh, en)
    assert len(found) == 1 and "is not the Chinese output translated" in found[0], found


def test_the_texts_of_the_exercises_a_notebook_checks_are_used():
    zh, _ = pair("ex01")
    translations = editions.exercise_translations(zh)
    assert translations.plain["27 是 out 的值（前向计算的结果），不是梯度。"].startswith("27 is the value of out")  # a mistake
    assert any(text.startswith("x 是浮点类型的叶子张量") for text in translations.plain)  # a success


def test_pictures_must_be_identical():
    zh, en = pair("06")
    cell = next(cell for cell in en.cells if any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])))
    output = next(o for o in cell.outputs if "image/png" in o.get("data", {}))
    output.data["image/png"] = output.data["image/png"][::-1]
    assert len(editions.output_problems(zh, en)) == 1


def test_stream_outputs_split_differently_are_the_same_output():
    zh, en = pair("02")
    cell = output_cell(en, "after the first backward")
    text = cell.outputs[0]["text"]
    first_line, rest = text.split("\n", 1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=first_line + "\n"),
                    nbformat.v4.new_output("stream", name="stdout", text=rest)]
    assert editions.output_problems(zh, en) == []


def test_ignored_outputs_may_differ_but_must_exist_with_the_same_types():
    zh, en = pair("07")
    cell = next(c for c in en.cells if "nbval-ignore-output" in c.metadata.get("tags", ()) and c.outputs)
    index = en.cells.index(cell)
    cell.outputs[0]["text"] = "depth 2: forward 9.99 ms\n"
    assert editions.output_problems(zh, en) == []
    cell.outputs = []
    assert editions.output_problems(zh, en)[0].startswith(f"cell {index}: output types differ")


def test_a_widget_state_that_does_not_follow_is_named():
    zh, en = pair("02")
    state = en.metadata["widgets"][editions.WIDGET_STATE]["state"]
    button = next(model for model in state.values() if model["state"].get("description") == "Start over")
    button["state"]["description"] = "Reset"
    assert len(editions.widget_problems(zh, en)) == 1


@pytest.mark.parametrize("zh, en, text, expected", [
    (["", " 次之后仍在内存里: ", " 个"], ["after ", " rounds, still in memory: ", ""], "2000 次之后仍在内存里: 1 个\n",
     "after 2000 rounds, still in memory: 1\n"),
    (["第", "节：\n", "\n完"], ["Section ", ":\n", "\nend"], "x\n第8.1节：\ny = 1\nz = 2\n完", "x\nSection 8.1:\ny = 1\nz = 2\nend"),
])
def test_an_f_string_is_a_pattern_whose_fields_keep_their_text(zh, en, text, expected):
    translations = editions.Translations()
    translations.add(zh, en)
    assert translations.apply(text) == expected


def test_format_templates_may_reorder_named_fields():
    translations = editions.Translations()
    translations.add("{a} 比 {b} 大", "{b} is smaller than {a}")
    assert translations.apply("3 比 2 大") == "2 is smaller than 3"


def test_the_catalogues_of_the_helpers_a_chapter_imports_are_used():
    translations = editions.catalogue_translations(editions.imported_helpers(read(PAIRS[0][0])))
    assert translations.plain["叶子"] == "leaf"  # helpers.chapters.graph.WORDS, through draw_graph
    assert translations.plain["交互：选择表达式，查看计算图、y 和 x.grad"].startswith("Interactive:")  # ch01.TEXTS


def test_the_command_reports_a_chapter_in_step(capsys):
    assert main(["editions", "01"]) == 0
    assert "en/notebooks/01_backward_basics.ipynb: in step" in capsys.readouterr().out


def test_a_plain_outputs_command_regenerates_both_editions():
    from helpers.authoring.run import stored_notebooks

    stored = stored_notebooks()
    assert all(zh in stored and en in stored for zh, en in PAIRS)


def test_the_landing_page_links_both_editions_chapter_by_chapter():
    """index.ipynb, what `make lab` opens: chapter 1 and a contents list of each edition's chapters and exercise
    notebooks, titles as the notebooks'.

    Markdown only, so nbval has nothing to run there; a kernelspec, so JupyterLab opens it without asking."""
    landing = read(editions.LANDING)
    nbformat.validate(landing)
    assert {cell.cell_type for cell in landing.cells} == {"markdown"}
    assert landing.metadata["kernelspec"]["name"] == "python3"
    assert editions.link_problems(editions.LANDING, landing) == []
    text = "\n".join(cell.source for cell in landing.cells)
    for pairs in (PAIRS, RELEASED):  # the chapters, then the exercise notebooks students fill in
        for notebooks in zip(*[pair for pair in pairs if pair[0].parent.name in ("notebooks", "exercises")]):
            folder = notebooks[0].parent.relative_to(editions.ROOT).as_posix()
            assert f"({notebooks[0].relative_to(editions.ROOT).as_posix()})" in landing.cells[0].source or pairs is RELEASED
            listed = [line for line in text.splitlines() if f"]({folder}/" in line and line.startswith("- ")]
            titles = [f"- [{read(path).cells[0].source.splitlines()[0][2:]}]({path.relative_to(editions.ROOT).as_posix()})"
                      for path in notebooks]
            assert listed == titles, f"the contents must list every notebook of {folder}/ with its title, in order"


def test_a_link_from_the_landing_page_to_nothing_is_named():
    landing = read(editions.LANDING)
    landing.cells[2].source += "\n- [Chapter 13](en/notebooks/13_more.ipynb)"
    assert editions.link_problems(editions.LANDING, landing) == ["cell 2: en/notebooks/13_more.ipynb: no such file"]


@pytest.mark.parametrize("arguments, page", [([], "index.ipynb"), (["EDITION=en"], "en/notebooks/01_backward_basics.ipynb"),
                                             (["EDITION=zh"], "notebooks/01_backward_basics.ipynb"),
                                             (["LANG=en_US.UTF-8"], "index.ipynb")])
def test_make_lab_opens_the_landing_page_or_the_chosen_edition(arguments, page):
    import subprocess

    shown = subprocess.run(["make", "-n", "lab", *arguments], cwd=editions.ROOT, capture_output=True, text=True).stdout
    assert f"--LabApp.default_url=/lab/tree/{page}\n" in shown, shown
    assert (editions.ROOT / page).exists()


def test_format_templates_with_unnamed_fields_keep_their_order():
    translations = editions.Translations()
    translations.add("{} 加 {} 等于 {}", "{} plus {} is {}")
    assert translations.apply("1 加 2 等于 3\n") == "1 plus 2 is 3\n"
