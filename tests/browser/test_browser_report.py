"""report.html in a real browser: it renders, and the class's biggest misconception comes first.

The report is written from stored records alone (no grading here: the counts come from results.jsonl), with a
hostile student name that must show as text. A screenshot goes to test-artifacts/browser/report.png.
"""
import json
import os

import pytest

from helpers.grading import report

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE = "<img src=x onerror=alert(1)>"


def records():
    plan = ([("fail", "ch01.mean_grad/value-18", "18 = 6(xᵢ+2) is the derivative of zᵢ; do not forget the 1/4.")] * 4
            + [("fail", "ch01.mean_grad/value-27", "27 is the value of out.")] * 2 + [("pass", None, "ok")] * 3
            + [("todo", None, "Replace ...")])
    out = []
    for number, (status, mistake, detail) in enumerate(plan):
        student = HOSTILE if number == 0 else f"s{number:02d}"
        out.append({"student": student, "exercise": "ch01.mean_grad", "notebook": "ex01.ipynb", "key": "k",
                    "status": status, "score": float(status == "pass"), "points": 1, "detail": detail,
                    "seconds": 0.01, "mistake": mistake})
    out.append({"student": HOSTILE, "exercise": "ch01.leaf", "notebook": "ex01.ipynb", "key": "k", "status": "timeout",
                "score": 0.0, "points": 1, "detail": f"Stopped {HOSTILE}", "seconds": 2, "mistake": "ch01.leaf/timeout"})
    return out


def test_report_shows_the_top_misconception(chromium, tmp_path):
    executable, sync_playwright = chromium
    out = tmp_path / "results"
    out.mkdir()
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records()), encoding="utf-8")
    report.write_all(out, ["ch01.leaf", "ch01.mean_grad"], records(), "en", 1.0)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            dialogs = []
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto((out / "report.html").as_uri())
            first = page.locator("ol.top li").first
            assert first.get_attribute("data-key") == "ch01.mean_grad/value-18"
            assert "4/10 (40%)" in first.inner_text() and "01_backward_basics.ipynb" in first.inner_text()
            assert page.locator("img[src^='data:image/png;base64,']").evaluate("img => img.naturalWidth") > 100
            assert HOSTILE in page.locator("body").inner_text()  # shown as text, never run
            assert page.locator("img[src=x]").count() == 0 and not dialogs
            os.makedirs(os.path.join(ROOT, "test-artifacts", "browser"), exist_ok=True)
            page.screenshot(path=os.path.join(ROOT, "test-artifacts", "browser", "report.png"), full_page=True)
        finally:
            browser.close()
