"""The course's two editions, Chinese (the source) and English, and the rules that keep them in step.

The English edition mirrors the Chinese trees under ``en/`` (``notebooks/NN_x.ipynb`` ->
``en/notebooks/NN_x.ipynb``), cell for cell. Each rule is a function returning its problems, one line per
problem naming the cell, so that the tests (tests/test_editions.py) and ``autograd-course editions`` say the
same thing:

- ``cell_problems``: the same cells, cell types and metadata (but the fingerprint), heading levels and numbers;
- ``code_problems``: the same code once comments and Chinese string constants are set aside (Python's ``ast``);
- ``untranslated_problems``: no Chinese character anywhere in an English notebook;
- ``fingerprint_problems``: every English cell records a hash of the Chinese source it translates
  (``metadata.autograd_course.translates``); a Chinese cell edited since is named until its translation is
  updated and ``autograd-course editions --accept NN`` records the new hash;
- ``link_problems``: links resolve within their own edition;
- ``output_problems``: the English stored outputs follow from the Chinese ones, which nbval re-executes.
  Both editions run the same code; only the strings differ, so each English output must equal its Chinese
  output with every Chinese text replaced by its English counterpart: the cell's string constants and
  f-strings (paired from the two ASTs), the bilingual catalogues of the helper modules the notebook
  imports (graph words, widget texts) and the texts of the exercises its check cells judge. A check cell's
  verdict is rendered again in English from its translated reason. Pictures must be identical.

The student copies (``exercises/``, ``en/exercises/``) are what ``release`` makes of the solutions, so only
their outputs need a proof of their own (``released_pairs``).
"""
import ast
import copy
import functools
import hashlib
import importlib
import inspect
import json
import re
import string
import sys
from pathlib import Path

from helpers import ROOT

TREES = ("notebooks", "solutions")  # Chinese trees with an English mirror; en/exercises/ is released from en/solutions/
ENGLISH = "en"  # the English edition's folder
CJK = re.compile("[\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f"
                 "\uff00-\uffef\U00020000-\U0002ffff]")  # Han, kana, CJK and full-width punctuation
FINGERPRINT = "translates"  # key in an English cell's metadata.autograd_course
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*$", re.M)
SECTION = re.compile(r"第\s*(\d+)\s*章|Chapter\s+(\d+)\b|(\d+(?:\.\d+)*)(?=\s|$)")  # "第1章", "Chapter 1", "2.3"
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LANDING = ROOT / "index.ipynb"  # what `make lab` opens: both editions' chapters


def english(path):
    """Whether ``path`` belongs to the English edition."""
    return Path(path).resolve().is_relative_to(ROOT / ENGLISH)


def pairs():
    """(Chinese path, English path) of every notebook in the mirrored trees, in order."""
    return [(path, ROOT / ENGLISH / tree / path.name) for tree in TREES for path in sorted((ROOT / tree).glob("*.ipynb"))]


def released_pairs():
    """(Chinese path, English path) of the student copies that ``release`` makes from the solutions."""
    return [(path, ROOT / ENGLISH / "exercises" / path.name) for path in sorted((ROOT / "exercises").glob("*.ipynb"))]


def short_name(path):
    """How the command names a notebook: ``03`` for a chapter, ``ex03`` for an exercise notebook."""
    return Path(path).stem.split("_")[0]


def orphans():
    """English notebooks without a Chinese original."""
    return [path for tree in TREES for path in sorted((ROOT / ENGLISH / tree).glob("*.ipynb"))
            if not (ROOT / tree / path.name).exists()]


def fingerprint(source):
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def _without_fingerprint(metadata):
    """A cell's metadata as the rule compares it: without the English cell's fingerprint."""
    metadata = copy.deepcopy(dict(metadata))
    ours = dict(metadata.get("autograd_course", {}))
    ours.pop(FINGERPRINT, None)
    if ours:
        metadata["autograd_course"] = ours
    else:
        metadata.pop("autograd_course", None)
    return metadata


def headings(source):
    """(level, section number or None) of each heading of a markdown cell."""
    found = []
    for match in HEADING.finditer(FENCED.sub("", source)):
        number = SECTION.match(match.group(2))
        found.append((len(match.group(1)), next(filter(None, number.groups())) if number else None))
    return found


def cell_problems(zh, en):
    """Cell count, cell types, cell metadata (less the fingerprint), heading levels and section numbers."""
    problems = []
    if len(zh.cells) != len(en.cells):
        problems.append(f"{len(zh.cells)} cells in zh, {len(en.cells)} in en: translate cell for cell, "
                        "do not merge, split, add or drop cells")
    for index, (z, e) in enumerate(zip(zh.cells, en.cells)):
        if z.cell_type != e.cell_type:
            problems.append(f"cell {index}: a {z.cell_type} cell in zh, a {e.cell_type} cell in en")
        elif _without_fingerprint(z.metadata) != _without_fingerprint(e.metadata):
            problems.append(f"cell {index}: metadata differ (tags, exercise ids): zh {dict(z.metadata)}, "
                            f"en {_without_fingerprint(e.metadata)}")
        elif z.cell_type == "markdown" and headings(z.source) != headings(e.source):
            problems.append(f"cell {index}: headings (level, number) differ: zh {headings(z.source)}, "
                            f"en {headings(e.source)}")
    return problems


# --- code ---------------------------------------------------------------------------------------------------

def parse(source):
    """The Python of a code cell (IPython's %magics and !commands turned into calls first, where there are any)."""
    try:
        return ast.parse(source)
    except SyntaxError:
        from IPython.core.inputtransformer2 import TransformerManager

        return ast.parse(TransformerManager().transform_cell(source))


class _SetStringsAside(ast.NodeTransformer):
    """Blank every str constant and f-string text (keeping f-strings' fields), read ``helpers.en`` as ``helpers``."""

    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node):
        fields = [ast.FormattedValue(self.visit(part.value), part.conversion, part.format_spec)
                  for part in node.values if isinstance(part, ast.FormattedValue)]
        return ast.JoinedStr(fields)

    def visit_ImportFrom(self, node):
        if node.module == "helpers.en":
            node.module = "helpers"
        return node


@functools.lru_cache(maxsize=4096)
def skeleton(source):
    """The code of a cell without its comments and texts, as ``ast.unparse`` writes it."""
    return ast.unparse(_SetStringsAside().visit(parse(source)))


def code_problems(zh, en):
    """Code cells must be the same code up to comments and the strings that hold Chinese."""
    problems = []
    for index, (z, e) in enumerate(zip(zh.cells, en.cells)):
        if z.cell_type != "code" or e.cell_type != "code":
            continue
        try:
            zh_code, en_code = skeleton(z.source), skeleton(e.source)
        except SyntaxError as error:
            problems.append(f"cell {index}: not Python ({error.msg}, line {error.lineno})")
            continue
        if zh_code != en_code:
            line = next(n for n, (a, b) in enumerate(zip(zh_code.splitlines() + [""], en_code.splitlines() + [""])) if a != b)
            problems.append(f"cell {index}: the code differs, not only its comments and texts "
                            f"(line {line + 1} with texts blanked):\n  zh: {(zh_code.splitlines() + [''])[line]}"
                            f"\n  en: {(en_code.splitlines() + [''])[line]}")
            continue
        for zh_text, en_text in _texts(z.source, e.source):
            if zh_text != en_text and not CJK.search("".join(zh_text)):
                problems.append(f"cell {index}: the string {_literal(zh_text)} has no Chinese to translate, "
                                f"but en has {_literal(en_text)}")
    return problems


def _literal(text):
    return repr(text) if isinstance(text, str) else "the f-string " + repr("{}".join(text))


def _texts(zh_source, en_source):
    """The two cells' strings, paired: plain constants as str, f-strings as the tuple of their literal parts."""
    return list(zip(_strings(zh_source), _strings(en_source)))


@functools.lru_cache(maxsize=4096)
def _strings(source):
    """Every str constant (str) and f-string (its literal parts between fields, a tuple), in a fixed order."""
    found = []

    def walk(node):
        if isinstance(node, ast.JoinedStr):
            parts = [""]
            for part in node.values:
                if isinstance(part, ast.Constant):
                    parts[-1] += part.value
                else:
                    parts.append("")
                    walk(part.value)
            found.append(tuple(parts))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        else:
            for child in ast.iter_child_nodes(node):
                walk(child)

    walk(parse(source))
    return tuple(found)


# --- untranslated text and fingerprints ---------------------------------------------------------------------

def untranslated_problems(en):
    """Every place of an English notebook (sources, outputs, metadata, widget state) that holds Chinese."""
    problems = []
    places = [(f"cell {index} {part}", value) for index, cell in enumerate(en.cells)
              for part, value in (("source", cell.source), ("outputs", cell.get("outputs", [])),
                                  ("metadata", cell.metadata))]
    places.append(("notebook metadata (widget state)", en.metadata))
    for place, value in places:
        for text in _strings_in(value):
            match = CJK.search(text)
            if match:
                problems.append(f"{place}: untranslated {text[max(0, match.start() - 20):match.end() + 20]!r}")
                break
    return problems


def _strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings_in(item)


def fingerprint_problems(zh, en, name="NN"):
    """English cells whose Chinese original changed since the translation was accepted."""
    problems = []
    for index, (z, e) in enumerate(zip(zh.cells, en.cells)):
        recorded = e.metadata.get("autograd_course", {}).get(FINGERPRINT)
        if recorded is None:
            problems.append(f"cell {index}: no translation fingerprint: once the English translates the Chinese "
                            f"cell, record it with `autograd-course editions --accept {name}`")
        elif recorded != fingerprint(z.source):
            problems.append(f"cell {index}: changed in zh since it was translated: update the English and its "
                            f"fingerprint (`autograd-course editions --accept {name} --cell {index}`)")
    return problems


def accept(zh_path, en_path, cells=None):
    """Record in ``en_path`` that its cells (all, or the indexes in ``cells``) translate ``zh_path``'s as they are now.

    Returns the indexes whose fingerprint changed; the file is rewritten only if there are any.
    """
    import nbformat

    from helpers.authoring.run import save

    zh, en = nbformat.read(zh_path, as_version=4), nbformat.read(en_path, as_version=4)
    if len(zh.cells) != len(en.cells):
        raise ValueError(f"{en_path}: {len(en.cells)} cells, {zh_path}: {len(zh.cells)}; translate cell for cell first")
    changed = []
    for index, (z, e) in enumerate(zip(zh.cells, en.cells)):
        if cells is not None and index not in cells:
            continue
        ours = e.metadata.setdefault("autograd_course", {})
        if ours.get(FINGERPRINT) != fingerprint(z.source):
            ours[FINGERPRINT] = fingerprint(z.source)
            changed.append(index)
    if changed:
        save(en, en_path)
    return changed


# --- links --------------------------------------------------------------------------------------------------

def heading_id(text):
    """The id JupyterLab gives a rendered heading: its text (code and links unwrapped), spaces as hyphens."""
    plain = re.sub(r"`([^`]*)`", r"\1", text).replace("**", "")
    plain = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", plain)
    return plain.replace(" ", "-")


def heading_ids(notebook):
    return {heading_id(match.group(2)) for cell in notebook.cells if cell.cell_type == "markdown"
            for match in HEADING.finditer(FENCED.sub("", cell.source))}


def link_problems(path, notebook):
    """Links in markdown cells must reach an existing file of the same edition and, with #anchor, a heading of it.

    The landing page (``index.ipynb``) links both editions.
    """
    import nbformat

    path = Path(path).resolve()
    edition_root, other = (ROOT / ENGLISH, None) if english(path) else (ROOT, ROOT / ENGLISH)
    if path == LANDING:
        other = None
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for target in LINK.findall(CODE_SPAN.sub("", FENCED.sub("", cell.source))):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            file, _, anchor = target.partition("#")
            linked = (path.parent / file).resolve() if file else path
            if not linked.is_relative_to(edition_root) or (other and linked.is_relative_to(other)):
                problems.append(f"cell {index}: {target} leaves its edition ({linked.relative_to(ROOT)})"
                                if linked.is_relative_to(ROOT) else f"cell {index}: {target} leaves the course")
            elif not linked.exists():
                problems.append(f"cell {index}: {target}: no such file")
            elif anchor and linked.suffix == ".ipynb":
                target_notebook = notebook if linked == path else nbformat.read(linked, as_version=4)
                if anchor not in heading_ids(target_notebook):
                    problems.append(f"cell {index}: {target}: no heading with that anchor in {linked.name}")
    return problems


# --- outputs ------------------------------------------------------------------------------------------------

class Translations:
    """Chinese texts and their English counterparts, applied to an output text most specific first.

    A plain text is replaced where it occurs. A text with fields (an f-string's literal parts, or a
    ``str.format`` template of a catalogue) becomes a pattern: its Chinese parts with any text in place of
    each field; a match is rewritten as the English parts with the same fields' texts. A Chinese text always
    holds a Chinese character and an English one none, so no replacement can match another's result.
    """

    def __init__(self):
        self.plain, self.templates, self._rules = {}, {}, None

    def add(self, zh, en, fields=None):
        """``zh``/``en``: a text, or the literal parts around the fields; ``fields``: each side's field keys."""
        self._rules = None
        if isinstance(zh, str):
            if zh != en and CJK.search(zh):
                self.plain[zh] = en
                parsed = _format_template(zh), _format_template(en)
                if all(parsed) and parsed[0][1]:
                    self.add(parsed[0][0], parsed[1][0], (parsed[0][1], parsed[1][1]))
        elif zh != en and CJK.search("".join(zh)):
            zh_fields, en_fields = fields or (list(range(len(zh) - 1)),) * 2
            if sorted(zh_fields) == sorted(en_fields):
                self.templates[tuple(zh)] = (_pattern(zh), en, [zh_fields.index(key) for key in en_fields])

    def update(self, other):
        self.plain.update(other.plain)
        self.templates.update(other.templates)
        self._rules = None

    def apply(self, text):
        if not CJK.search(text):
            return text
        for pattern, replace in self._rules or self._sorted_rules():
            text = pattern.sub(replace, text)
        return text

    def _sorted_rules(self):
        rules = [(len(zh), pattern, lambda m, en=en: en) for zh, en in self.plain.items()
                 for pattern in [re.compile(re.escape(zh))]]
        rules += [(sum(map(len, zh)), pattern, lambda m, en=en, order=order: _render(en, order, m.groups()))
                  for zh, (pattern, en, order) in self.templates.items()]
        self._rules = [(pattern, replace) for _, pattern, replace in sorted(rules, key=lambda rule: -rule[0])]
        return self._rules


def _pattern(parts):
    """A field between two texts may span lines (a tensor, a code listing); one that starts or ends the text
    stays on its line, so that the match does not take in the lines printed before or after."""
    fields = [r"([\s\S]*?)"] * (len(parts) - 1)
    if fields and not parts[0]:
        fields[0] = "(.*?)"
    if fields and not parts[-1]:
        fields[-1] = "(.*)"
    return re.compile("".join(re.escape(part) + field for part, field in zip(parts, fields + [""])))


def _render(parts, order, values):
    return "".join(part + (values[order[i]] if i < len(order) else "") for i, part in enumerate(parts))


def _format_template(text):
    """A ``str.format`` template's literal parts and field keys, or None when ``text`` is not one."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return None
    parts, keys = [""], []
    for literal, field, spec, conversion in parsed:
        parts[-1] += literal
        if field is not None:
            key = f"{field}!{conversion}:{spec}"
            keys.append(f"{key}#{sum(k.startswith(key + '#') for k in keys)}")  # "{}" twice: two fields
            parts.append("")
    return parts, keys


def cell_translations(zh_source, en_source):
    """The pairs of a code cell's Chinese and English strings and f-strings."""
    found = Translations()
    for zh_text, en_text in _texts(zh_source, en_source):
        found.add(zh_text, en_text)
    return found


def catalogue_translations(modules):
    """A fresh copy of ``_catalogues(modules)``, to add a notebook's own texts to."""
    found = Translations()
    found.update(_catalogues(tuple(modules)))
    return found


@functools.lru_cache(maxsize=64)
def _catalogues(modules):
    """The bilingual texts of helper ``modules`` and of the helper modules they take names from.

    A catalogue is a ``{"zh": text, "en": text}`` dict, a ``{"zh": {key: text}, "en": {key: text}}`` dict of
    words (graph.WORDS), or a dict from Chinese labels to English ones (a ``LABELS_EN``).
    """
    found, seen, queue = Translations(), set(), list(modules)
    while queue:
        name = queue.pop()
        if name in seen or not name.startswith("helpers"):
            continue
        seen.add(name)
        module = importlib.import_module(name)
        for value in vars(module).values():
            source = value.__name__ if inspect.ismodule(value) else getattr(value, "__module__", None)
            if isinstance(source, str) and source.startswith("helpers") and source not in seen:
                queue.append(source)
            for zh, en in _bilingual(value):
                found.add(zh, en)
    return found


def _bilingual(value):
    if not isinstance(value, dict):
        return
    if set(value) == {"zh", "en"}:
        zh, en = value["zh"], value["en"]
        if isinstance(zh, str) and isinstance(en, str):
            yield zh, en
        elif isinstance(zh, dict) and isinstance(en, dict):
            yield from ((zh[key], en[key]) for key in zh.keys() & en.keys()
                        if isinstance(zh[key], str) and isinstance(en[key], str))
        return
    if value and all(isinstance(k, str) and isinstance(v, str) and CJK.search(k) and not CJK.search(v)
                     for k, v in value.items()):
        yield from value.items()
        return
    for item in value.values():
        yield from _bilingual(item)


def exercise_translations(notebook):
    """The bilingual texts (success, mistakes, explanations, rules) of the exercises a notebook's check cells judge."""
    from helpers.exercises import EXERCISES

    found = Translations()
    for cell in notebook.cells:
        exercise = EXERCISES.get(_checked(cell))
        for zh, en in _exercise_texts(tuple(vars(exercise).values())) if exercise else ():
            found.add(zh, en)
    return found


def _exercise_texts(value):
    """The bilingual dicts among an exercise's attributes, and in its lists of (answer, message) pairs and rules."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _exercise_texts(item)
    else:
        yield from _bilingual(value)


def _checked(cell):
    return cell.metadata.get("autograd_course", {}).get("check")


def translated_verdict(output, exercise_id, translations):
    """A check cell's verdict box in English, rendered as ``check`` renders it (its separator, its HTML escapes)
    from the Chinese reason translated; None when ``output`` is not exactly a verdict."""
    from helpers.checking.verdict import STATUSES, Verdict

    shown = output.get("data", {}).get("text/plain", "")
    for status in STATUSES:
        start = str(Verdict(exercise_id, status, "", "zh"))
        zh = Verdict(exercise_id, status, shown[len(start):], "zh")
        if shown.startswith(start) and output["data"] == _rendered(zh):
            return {**output, "data": _rendered(Verdict(exercise_id, status, translations.apply(zh.detail), "en"))}
    return None


def _rendered(verdict):
    return {"text/html": verdict._repr_html_(), "text/plain": str(verdict)}


def imported_helpers(notebook):
    """The helper modules a notebook's code imports from (``helpers.en`` and ``helpers``: the public names' modules)."""
    import helpers

    modules = set()
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "helpers":
                if node.module in ("helpers", "helpers.en"):
                    modules.update(helpers._PUBLIC[alias.name] for alias in node.names if alias.name in helpers._PUBLIC)
                else:
                    modules.add(node.module)
    return sorted(modules)


def joined(outputs):
    """Outputs with consecutive stream outputs of one stream joined, as nbval compares them."""
    result = []
    for output in outputs:
        if (output.get("output_type") == "stream" and result and result[-1].get("output_type") == "stream"
                and result[-1].get("name") == output.get("name")):
            result[-1]["text"] += output["text"]
        else:
            result.append(copy.deepcopy(dict(output)))
    return result


def _kind(output):
    return output.get("output_type"), output.get("name"), tuple(sorted(output.get("data", {})))


def translated(value, translations):
    """``value`` (an output, widget state) with Chinese texts translated; pictures (image/*, PNG base64) kept."""
    if isinstance(value, str):
        return translations.apply(value)
    if isinstance(value, list):
        return [translated(item, translations) for item in value]
    if isinstance(value, dict):
        return {key: item if key.startswith("image/") else translated(item, translations) for key, item in value.items()}
    return value


def output_problems(zh, en):
    """Code cells whose English outputs are not the Chinese outputs translated (the cell and why)."""
    from helpers.authoring.run import output_is_compared

    translations = catalogue_translations(imported_helpers(zh))
    translations.update(exercise_translations(zh))
    problems = []
    for index, (z, e) in enumerate(zip(zh.cells, en.cells)):
        if z.cell_type != "code" or e.cell_type != "code":
            continue
        try:
            translations.update(cell_translations(z.source, e.source))
        except SyntaxError:
            pass  # code_problems names it
        zh_outputs, en_outputs = joined(z.outputs), joined(e.outputs)
        if [_kind(o) for o in zh_outputs] != [_kind(o) for o in en_outputs]:
            problems.append(f"cell {index}: output types differ: zh {[_kind(o) for o in zh_outputs]}, "
                            f"en {[_kind(o) for o in en_outputs]}")
            continue
        if not output_is_compared(z):
            continue
        for number, (zh_output, en_output) in enumerate(zip(zh_outputs, en_outputs)):
            expected = (_checked(z) and translated_verdict(zh_output, _checked(z), translations)
                        or translated(zh_output, translations))
            if expected != en_output:
                problems.append(f"cell {index}: output {number} is not the Chinese output translated: "
                                + _difference(expected, en_output))
                break
    return problems


def widget_problems(zh, en):
    """The English widget state (what a widget shows before the cell is run) must be the Chinese one translated."""
    translations = catalogue_translations(imported_helpers(zh))
    for z, e in zip(zh.cells, en.cells):
        if z.cell_type == "code" and e.cell_type == "code":
            translations.update(cell_translations(z.source, e.source))
    zh_state = zh.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    en_state = en.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    if set(zh_state) != set(en_state):
        return [f"widget models differ: {len(zh_state)} in zh, {len(en_state)} in en"]
    problems = []
    for model in sorted(zh_state):
        expected = translated(zh_state[model], translations)
        if expected != en_state[model]:
            problems.append(f"widget model {model} ({zh_state[model].get('model_name')}): "
                            + _difference(expected, en_state[model]))
    return problems


def _difference(expected, got):
    """Where ``got`` first departs from ``expected``: a short excerpt of both."""
    expected_text, got_text = (json.dumps(value, ensure_ascii=False, sort_keys=True) for value in (expected, got))
    at = next((i for i, (a, b) in enumerate(zip(expected_text, got_text)) if a != b),
              min(len(expected_text), len(got_text)))
    start = max(0, at - 40)
    return f"derived {expected_text[start:at + 60]!r}, stored {got_text[start:at + 60]!r}"


# --- the command --------------------------------------------------------------------------------------------

def problems(zh_path, en_path):
    """Every rule's problems for one pair of notebooks."""
    import nbformat

    if not en_path.exists():
        return [f"no English edition ({en_path.relative_to(ROOT)})"]
    zh, en = nbformat.read(zh_path, as_version=4), nbformat.read(en_path, as_version=4)
    found = cell_problems(zh, en) + code_problems(zh, en) + untranslated_problems(en)
    found += fingerprint_problems(zh, en, short_name(zh_path)) + link_problems(en_path, en) + link_problems(zh_path, zh)
    return found + output_problems(zh, en) + widget_problems(zh, en)


def released_problems(zh_path, en_path):
    """The rules a student copy needs beyond being what ``release`` makes: its outputs and no Chinese left."""
    import nbformat

    if not en_path.exists():
        return [f"no English edition ({en_path.relative_to(ROOT)}): run `autograd-course release`"]
    zh, en = nbformat.read(zh_path, as_version=4), nbformat.read(en_path, as_version=4)
    return untranslated_problems(en) + output_problems(zh, en)


def register(subparsers):
    parser = subparsers.add_parser("editions", help="检查中英两版是否同步；--accept 记录译文已跟上中文",
                                   description="Check that the English edition (en/) follows the Chinese one cell "
                                               "for cell: structure, code, untranslated text, fingerprints, links "
                                               "and outputs. With --accept, record that the English cells of the "
                                               "given notebooks translate the Chinese cells as they are now.")
    parser.add_argument("notebooks", nargs="*", help="chapter numbers (03), exercise notebooks (ex03) or paths; "
                                                     "default: all")
    parser.add_argument("--accept", action="store_true",
                        help="record the translation fingerprints (after updating the English)")
    parser.add_argument("--cell", type=int, action="append", help="with --accept: only this cell (repeatable)")
    parser.set_defaults(run=run)


def _chosen(names):
    chosen = []
    for name in names:
        matches = [pair for pair in pairs() if name in (short_name(pair[0]), pair[0].name, pair[0].stem)
                   or Path(name).resolve() in (pair[0].resolve(), pair[1].resolve())]
        if not matches:
            raise SystemExit(f"editions: no chapter {name!r} (known: {', '.join(p[0].stem for p in pairs())})")
        chosen += matches
    return chosen


def run(args):
    chosen = _chosen(args.notebooks) if args.notebooks else pairs()
    if args.accept:
        for zh_path, en_path in chosen:
            changed = accept(zh_path, en_path, set(args.cell) if args.cell else None)
            print(f"{en_path.relative_to(ROOT)}: {len(changed)} fingerprints recorded"
                  + (f" (cells {', '.join(map(str, changed))})" if changed else ""))
        return 0
    status = 0
    for path in orphans():
        print(f"{path.relative_to(ROOT)}: no Chinese original")
        status = 1
    checks = [(problems, pair) for pair in chosen]
    checks += [] if args.notebooks else [(released_problems, pair) for pair in released_pairs()]
    for rules, (zh_path, en_path) in checks:
        found = rules(zh_path, en_path)
        print(f"{en_path.relative_to(ROOT)}: " + ("in step" if not found else f"{len(found)} problems"))
        for problem in found:
            print("  " + problem.replace("\n", "\n  "))
        status = status or int(bool(found))
    sys.stdout.flush()
    return status
