"""The grader's statuses and the sentences that explain them (Chinese by default, English on request)."""
from helpers.messages import language

# In the order a student's row reports its first problem; pass, fail and todo are the checkers' own verdicts.
PROBLEMS = ("invalid-notebook", "missing", "crashed", "timeout", "memory", "error")
STATUSES = ("pass", "fail", "todo") + PROBLEMS

MESSAGES = {
    "pass": {"zh": "正确", "en": "Correct"},
    "fail": {"zh": "还不对", "en": "Not yet right"},
    "todo": {"zh": "尚未完成", "en": "Not done yet"},
    "invalid-notebook": {"zh": "notebook 无法读取", "en": "Unreadable notebook"},
    "missing": {"zh": "没有找到答案", "en": "Answer not found"},
    "crashed": {"zh": "进程异常退出", "en": "The process ended abnormally"},
    "timeout": {"zh": "超时", "en": "Time limit exceeded"},
    "memory": {"zh": "内存超限", "en": "Memory limit exceeded"},
    "error": {"zh": "运行出错", "en": "Error while running"},
    # reasons
    "no_notebook": {"zh": "没有找到包含这个练习的 notebook。", "en": "No notebook contains this exercise."},
    "broken_notebook": {"zh": "{file}：{reason}", "en": "{file}: {reason}"},
    "no_cell": {"zh": "notebook 里没有这个练习的答案单元格（是不是删掉了？）。",
                "en": "The notebook has no answer cell for this exercise (deleted?)."},
    "not_code": {"zh": "答案单元格被改成了 {kind} 单元格，无法运行。", "en": "The answer cell was changed to a {kind} cell."},
    "duplicate": {"zh": "发现 {count} 个这个练习的答案单元格，按最后一个评分。",
                  "en": "{count} answer cells for this exercise; the last one was graded."},
    "raised": {"zh": "答案单元格抛出了异常 {error}{where}。", "en": "The answer cell raised {error}{where}."},
    "line": {"zh": "（第 {line} 行）", "en": " (line {line})"},
    "undefined": {"zh": "答案单元格没有定义 {name}。", "en": "The answer cell does not define {name}."},
    "exited": {"zh": "代码调用了 sys.exit()/exit()，评分无法继续。", "en": "The code called sys.exit()/exit()."},
    "died": {"zh": "运行代码的进程意外结束（{how}），没有返回结果。",
             "en": "The process running the code ended ({how}) without a result."},
    "too_slow": {"zh": "运行超过 {seconds} 秒，已被终止（是不是有死循环？）。",
                 "en": "Stopped after {seconds} s (an endless loop?)."},
    "too_much_memory": {"zh": "申请的内存超过 {mb} MB 上限：{error}", "en": "Asked for more than {mb} MB: {error}"},
    "too_big": {"zh": "答案产生的结果太大，无法评分。", "en": "The answer produced too much data to grade."},
    "malformed": {"zh": "运行结果的格式不对，无法评分（{why}）。", "en": "The result could not be read ({why})."},
    "worker": {"zh": "评分进程意外结束（{why}）。", "en": "The grading process ended unexpectedly ({why})."},
    "cell_too_big": {"zh": "答案单元格太大（{size} 个字符）。", "en": "The answer cell is too large ({size} characters)."},
}


def say(key, lang=None, **fields):
    return MESSAGES[key][language(lang)].format(**fields)


def problem_key(exercise_id, status, detail):
    """The stable mistake key of a grading problem: the status, and for an answer cell that raised, the
    hint its error matches (``ch02.no_zero/raised-inplace``), so errors can be grouped by hint."""
    from helpers.checking.mistakes import error_hint

    if status != "error":
        return f"{exercise_id}/{status}"
    for lang in ("zh", "en"):
        prefix = MESSAGES["raised"][lang].split("{", 1)[0]
        if str(detail).startswith(prefix):
            hint = error_hint(str(detail))
            return f"{exercise_id}/raised-{hint}" if hint else f"{exercise_id}/raised"
    return f"{exercise_id}/error"
