"""report.html and a student's feedback page in a real browser: they render, in Chinese, the report names who to
help (warnings, families, the top mistake with its students) and the feedback puts what to fix first.

Both are written from stored records alone (no grading here), with a hostile student name that must show as text.
Screenshots go to test-artifacts/browser/report.png and feedback.png.
"""
import os
import re
from pathlib import Path

from helpers.grading import report, roster

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts", "browser")
HOSTILE = "<img src=x onerror=alert(1)>"
IDS = ["ch01.leaf", "ch01.grad_2xtx", "ch01.mean_grad"]
NAMES = {"zhangwei": "张伟", "dengmin": "邓敏", "xiaoqi": "小琪", "blank": "白空", HOSTILE: HOSTILE,
         **{f"s{n:02d}": f"学生{n}" for n in range(1, 7)}}
COPY = "ex01_backward_basics-Copy1.ipynb"
SEVERAL = {"kind": "several_notebooks", "notebook": "ex01_backward_basics.ipynb", "why": "answered", "graded": COPY,
           "answered": 3, "listing": [[COPY, 3, 1_700_000_000], ["ex01_backward_basics.ipynb", 1, 1_700_086_400]]}


def record(student, exercise, status, mistake=None, detail=None, warnings=()):
    out = {"student": student, "exercise": exercise, "notebook": COPY if student == "dengmin" else
           "ex01_backward_basics.ipynb", "key": "k", "status": status, "score": float(status == "pass"), "points": 1,
           "detail": detail or {"pass": "正确的理由。", "todo": "把 ... 换成你的答案，再运行这个单元格。"}.get(status, "?"),
           "seconds": 0.01, "mistake": mistake}
    if warnings:
        out["warnings"] = list(warnings)
    return out


def records():
    value_18 = ("fail", "ch01.mean_grad/value-18", "18 = 6(xᵢ+2) 是 zᵢ 的导数；别忘了 mean() 的 1/4。")
    value_27 = ("fail", "ch01.mean_grad/value-27", "27 是 out 的值（前向计算的结果），不是梯度。")
    plan = {HOSTILE: ["pass", "pass", value_18], "s01": ["pass", "pass", value_18], "s02": ["pass", "pass", value_18],
            "s03": ["pass", ("fail", "ch01.grad_2xtx/mistake-3", "你返回的是函数值 y = 2xᵀx，不是梯度 x.grad。"),
                    value_27],
            "s04": ["pass", "pass", value_27], "s05": ["pass", "pass", "pass"], "s06": ["pass", "pass", "pass"],
            "dengmin": ["pass", "pass", "pass"], "blank": ["todo", "todo", "todo"]}
    out = []
    for student, outcomes in plan.items():
        for exercise, outcome in zip(IDS, outcomes):
            status, mistake, detail = outcome if isinstance(outcome, tuple) else (outcome, None, None)
            out.append(record(student, exercise, status, mistake, detail, [SEVERAL] if student == "dengmin" else ()))
    outside = {"kind": "outside_cell", "exercise": "ch01.mean_grad", "name": "grad_value", "cell": 11,
               "line": "grad_value = 4.5", "gone": False}
    out += [record("zhangwei", "ch01.leaf", "pass"), record("zhangwei", "ch01.grad_2xtx", "pass"),
            record("zhangwei", "ch01.mean_grad", "todo", warnings=[outside])]
    borrowed = {"kind": "other_cell", "exercise": "ch01.grad_2xtx", "name": "SCALE", "cell": 5, "line": "SCALE = 2"}
    out += [record("xiaoqi", "ch01.leaf", "timeout", "ch01.leaf/timeout", "运行超过 10 秒，已被终止（是不是有死循环？）。"),
            record("xiaoqi", "ch01.grad_2xtx", "fail", "ch01.grad_2xtx/raised",
                   "你的函数抛出了异常 NameError: name 'SCALE' is not defined。", [borrowed]),
            record("xiaoqi", "ch01.mean_grad", "pass")]
    return out


def test_report_and_feedback_show_who_to_help(chromium, tmp_path):
    executable, sync_playwright = chromium
    out = tmp_path / "results"
    out.mkdir()
    students = {folder: roster.Student(folder, id=f"2026{number:03d}", name=name)
                for number, (folder, name) in enumerate(NAMES.items(), 1)}
    match = roster.Match.of(students, list(NAMES))
    report.write_all(out, IDS, records(), "zh", 1.0, match)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            dialogs = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto((out / "report.html").as_uri())
            assert page.locator("#header").inner_text().startswith("11 名学生 · 3 道练习（ch01）")
            warned = page.locator("ul.warnings > li")
            assert [warned.nth(i).get_attribute("data-student") for i in range(warned.count())] == \
                ["dengmin", "blank", "zhangwei", "xiaoqi"]
            assert "SCALE" in page.locator('li[data-student="xiaoqi"]').inner_text()
            family = page.locator('h3[data-family="value_not_gradient"] + p').inner_text()
            assert family.startswith("3 次 · 2 名学生 · 2 道练习 · 讲解：第1章 §1.3")
            first = page.locator("ol.top li").first
            assert first.get_attribute("data-key") == "ch01.mean_grad/value-18"
            assert "3/11 (27%)" in first.inner_text() and "学生1 (2026006)" in first.inner_text()
            section = first.locator("a")
            assert section.inner_text() == "第1章 §1.6 梯度 4.5 从哪里来"
            target = section.get_attribute("href").partition("#")[0]
            assert (out / target).resolve() == Path(ROOT, "notebooks", "01_backward_basics.ipynb")
            charts = page.locator("img[src^='data:image/svg+xml;base64,']")
            assert charts.count() == 2 and all(charts.nth(i).evaluate("img => img.naturalWidth") > 100
                                               for i in range(2))
            assert HOSTILE in page.locator("body").inner_text()  # shown as text, never run
            assert page.locator("img[src=x]").count() == 0 and not dialogs
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, "report.png"), full_page=True)

            page.goto((out / "feedback" / "xiaoqi.html").as_uri())
            assert page.locator("h1").inner_text() == "小琪 (2026003)"
            assert "SCALE" in page.locator("#warnings").inner_text()
            boxes = page.locator(".box")
            assert [boxes.nth(i).get_attribute("data-status") for i in range(boxes.count())] == \
                ["timeout", "fail", "pass"]  # failures and problems in course order, then the passes
            assert boxes.nth(1).locator("a").inner_text() == "第1章 §1.3 第一次 backward"
            assert not boxes.last.is_visible()  # the passes are folded away
            assert re.fullmatch(r"得分：1/3 · 评分的文件：ex01_backward_basics.ipynb",
                                page.locator("p").first.inner_text())
            page.screenshot(path=os.path.join(ARTIFACTS, "feedback.png"), full_page=True)
        finally:
            browser.close()
