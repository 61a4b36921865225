"""Every sentence a student or instructor reads (checkers, grader), in Simplified Chinese and English.

The language is Chinese unless the caller passes ``lang="en"`` or the environment sets
``AUTOGRAD_COURSE_LANG=en``.
"""
import os
import re

LANGUAGES = ("zh", "en")
# An English notebook's setup cell imports ``helpers.en`` (which makes the kernel speak English): that is how the
# release, the handout and the grader tell an English exercise notebook from a Chinese one.
ENGLISH_SETUP = re.compile(r"^\s*(from\s+helpers\.en\s+import|import\s+helpers\.en\b)", re.M)

CHECKER_MESSAGES = {  # what the checkers say about an answer
    # verdict headlines
    "pass": {"zh": "正确", "en": "Correct"},
    "fail": {"zh": "还不对", "en": "Not yet right"},
    "todo": {"zh": "尚未完成", "en": "Not done yet"},
    "todo_detail": {"zh": "把 ... 换成你的答案，再运行这个单元格。",
                    "en": "Replace ... with your answer and run this cell again."},
    "unknown_exercise": {"zh": "没有编号为 {exercise_id!r} 的练习。可用的编号：{known}",
                         "en": "There is no exercise {exercise_id!r}. Known ids: {known}"},
    "internal": {"zh": "检查器自身出错（{error}）：这不是你的错，请把这条消息告诉老师。",
                 "en": "The checker itself failed ({error}): not your fault, please tell your instructor."},
    # what came back instead of the expected kind of answer
    "not_callable": {"zh": "这里要的是一个函数（def ...），你给的是 {got}。",
                     "en": "A function (def ...) is expected here; you gave {got}."},
    "raised": {"zh": "你的函数抛出了异常 {error}。",
               "en": "Your function raised {error}."},
    "returned_none": {"zh": "返回了 None：是不是忘了 return，或者还没调用 backward()？"
                            "（非叶子张量和 detach 之后的张量，.grad 也是 None。）",
                      "en": "Got None: a missing return, or no backward() call yet? (.grad of a non-leaf "
                            "or detached tensor is None too.)"},
    "not_tensor": {"zh": "应该是一个张量（torch.Tensor），你给的是 {got}。",
                   "en": "A tensor (torch.Tensor) is expected; you gave {got}."},
    "not_number": {"zh": "应该是一个数，你给的是 {got}。", "en": "A number is expected; you gave {got}."},
    "unreadable": {"zh": "无法读取你的答案（{got}）。", "en": "Your answer could not be read ({got})."},
    "too_big": {"zh": "张量太大（{numel} 个元素），这里只需要形状 {expected} 的结果。",
                "en": "The tensor is too large ({numel} elements); a result of shape {expected} is expected."},
    "shape": {"zh": "形状不对：应该是 {expected}，得到的是 {got}。",
              "en": "Wrong shape: expected {expected}, got {got}."},
    "int_dtype": {"zh": "得到的是 {got} 类型的张量（整数或布尔）：只有浮点张量才能求梯度，用 torch.float32。",
                  "en": "Got a tensor of dtype {got} (not floating point): only floating-point tensors can have "
                        "gradients; use torch.float32."},
    "nan": {"zh": "结果里有 NaN 或无穷大。", "en": "The result contains NaN or infinity."},
    "still_requires_grad": {"zh": "结果仍然 requires_grad=True：这里要的是普通数值（例如用来画图或转成 NumPy），用 .detach()。",
                            "en": "The result still has requires_grad=True: a plain value is wanted here (to plot it "
                                  "or turn it into NumPy); use .detach()."},
    "still_attached": {"zh": "结果还连着计算图（grad_fn={grad_fn}）：这里要的是普通数值，用 .detach() 或 .item()。",
                       "en": "The result is still attached to the graph (grad_fn={grad_fn}): a plain value is "
                             "wanted here; use .detach() or .item()."},
    "nonleaf_grad": {"zh": "返回了 None（先确认函数最后 return 了结果）；你的函数读取了一个非叶子张量的 .grad："
                           "反向传播只给叶子张量填充 .grad；读叶子张量（你设置 requires_grad 的那个）的 .grad，"
                           "或者先对中间结果调用 retain_grad()。",
                     "en": "Got None (first make sure the function returns its result); your function read .grad of a "
                           "non-leaf tensor: backward fills .grad only for leaf tensors; read the leaf's .grad (the "
                           "tensor you set requires_grad on), or call retain_grad() on the intermediate result first."},
    "no_return": {"zh": "返回了 None：{name} 里没有带值的 return 语句。函数算完之后要用 return 把结果交回来。",
                  "en": "Got None: {name} has no return statement with a value; return the result at the end."},
    "none_because": {"zh": "返回了 None（先确认函数最后 return 了结果）：{reason}",
                     "en": "Got None (first make sure the function returns its result): {reason}"},
    "rule_broken": {"zh": "违反了题目的规则：{rule}（{evidence}）",
                    "en": "This breaks a rule of the exercise: {rule} ({evidence})"},
    "outside_name": {"zh": "这个答案用到了 {names}，它是在另一个单元格{where}里定义的。评分时每个答案单元格只和第一个代码单元格"
                           "（导入 torch 的那个）一起单独运行，那里没有 {names}：把它的定义或 import 也写进这个答案单元格。",
                     "en": "This answer uses {names}, which another cell{where} defines. When grading, each answer cell "
                           "runs on its own after the first code cell (the one that imports torch), where {names} does "
                           "not exist: put its definition or import into this answer cell too."},
    "tampering": {"zh": "这个答案改动了检查器本身或它读取答案的方式（{evidence}），这一题不计分，老师会看到这条记录。",
                  "en": "This answer changes the checker itself or how it reads the answer ({evidence}); the exercise "
                        "is not scored, and your instructor sees this record."},
    "grading_check": {"zh": "评分时 check 不运行：答案单元格里的 check(...) 在这里没有作用。",
                      "en": "check does not run while grading: a check(...) in an answer cell does nothing here."},
    # the parts of the sentences above
    "evidence_line": {"zh": "第 {line} 行 {code}", "en": "line {line}: {code}"},
    "evidence_called": {"zh": "调用了 {name}", "en": "called {name}"},
    "evidence_module": {"zh": "用到了 {module}", "en": "used {module}"},
    "evidence_no_autograd": {"zh": "没有运行 backward()、torch.autograd.grad 或 torch.func",
                             "en": "no backward(), torch.autograd.grad or torch.func ran"},
    "evidence_dtype": {"zh": "结果是 {got}", "en": "the result is {got}"},
    "evidence_new_object": {"zh": "返回的不是传进来的那个张量", "en": "the tensor returned is not the one passed in"},
    "evidence_ctx_stored": {"zh": "forward 在 ctx 上存了 {names}", "en": "forward stored {names} on ctx"},
    "evidence_saved": {"zh": "保存的张量不只是输出", "en": "what was saved is not just the output"},
    "where_count": {"zh": "（In [{number}]）", "en": " (In [{number}])"},
    "where_cell": {"zh": "（notebook 的第 {number} 个单元格）", "en": " (cell {number} of the notebook)"},
    "not_leaf": {"zh": "这个张量不是叶子张量（grad_fn={grad_fn}）：它是计算出来的，backward 之后它的 .grad 不会被填充；"
                       "在创建张量时就设置 requires_grad=True。",
                 "en": "This tensor is not a leaf (grad_fn={grad_fn}): it was computed, so backward will not fill its "
                       ".grad; set requires_grad=True when you create the tensor."},
    "needs_grad": {"zh": "这个张量应该 requires_grad=True，否则 autograd 不会追踪它。",
                   "en": "This tensor should have requires_grad=True, or autograd will not track it."},
    "accumulated": {"zh": "结果是正确答案的 {factor} 倍：是不是忘了清零梯度（梯度会累加）？",
                    "en": "The result is {factor} times the right answer: did you forget to zero the gradient "
                          "(gradients accumulate)?"},
    "negated": {"zh": "结果的符号反了。", "en": "The sign of the result is flipped."},
    "wrong_results": {"zh": "在测试输入上，结果的数值不对（不是常见错误之一，也不是正确答案的倍数）。",
                      "en": "On the test inputs the values are wrong (neither a common mistake nor a multiple of the "
                            "right answer)."},
    "n_results": {"zh": "{n} 个结果", "en": "{n} results"},
    "nth_result": {"zh": "第 {index} 个结果：", "en": "Result {index}: "},
    "wrong_values": {"zh": "数值不对（{total} 个值中有 {wrong} 个超出容差）。",
                     "en": "Wrong values ({wrong} of {total} outside the tolerance)."},
    # hints added to "raised" when the error is a classic autograd mistake
    "hint_nonscalar": {"zh": "backward() 只能隐式地用于标量：先 .sum()，或者传入与输出同形的 gradient。",
                       "en": "backward() needs a scalar: call .sum() first or pass a gradient of the output's shape."},
    "hint_second_backward": {"zh": "同一张图反向传播了两次：保存的中间值已被释放，需要时用 retain_graph=True，或重新前向计算。",
                             "en": "The same graph was backpropagated twice: its saved values were freed; use "
                                   "retain_graph=True or recompute the forward pass."},
    "hint_no_grad_fn": {"zh": "这个结果不在计算图里：输入没有 requires_grad=True，或者被 detach / no_grad 切断了。",
                        "en": "This result is not part of a graph: the input lacks requires_grad=True, or it was "
                              "cut off by detach / no_grad."},
    "hint_int_grad": {"zh": "整数张量不能求梯度：用浮点数，例如 torch.arange(4.0)。",
                      "en": "Integer tensors cannot require gradients: use floats, e.g. torch.arange(4.0)."},
    "hint_numpy": {"zh": "需要梯度的张量不能直接 .numpy()：先 .detach()。",
                   "en": "A tensor that requires grad cannot call .numpy(): .detach() it first."},
    "hint_inplace": {"zh": "原地修改（+=、zero_() 等）破坏了反向传播需要的值：改用非原地运算，或在 torch.no_grad() 下修改。",
                     "en": "An in-place change (+=, zero_(), ...) broke a value backward needs: use an out-of-place "
                           "operation, or modify under torch.no_grad()."},
    "hint_name": {"zh": "有个名字没有定义：每个答案单元格要自成一体（评分时它只和第一个代码单元格一起运行），用到的 import "
                        "和辅助函数都写在这个单元格里。",
                  "en": "A name is not defined: each answer cell must stand on its own (when grading it runs only "
                        "after the first code cell); put the imports and helpers it uses into this cell."},
    "hint_none": {"zh": "有个值是 None，多半是某个张量的 .grad：那个张量没有 requires_grad=True、不是叶子，或者还没 backward()。",
                  "en": "A value is None, most likely a tensor's .grad: that tensor lacks requires_grad=True, is not a "
                        "leaf, or backward() has not run yet."},
    "wrong_choice": {"zh": "选项 {got} 不对。", "en": "Option {got} is not right. "},
    "bad_choice": {"zh": "请用一个选项字母回答，例如 \"A\"；可选：{options}。",
                   "en": "Answer with one option letter, e.g. \"A\"; options: {options}."},
}

GRADER_MESSAGES = {  # what the grader says about a submission it could not judge as usual
    # its statuses (pass, fail and todo are the checkers' headlines)
    "invalid-notebook": {"zh": "文件无法读取", "en": "Unreadable notebook"},
    "missing": {"zh": "没有找到答案", "en": "Answer not found"},
    "crashed": {"zh": "进程异常退出", "en": "The process ended abnormally"},
    "timeout": {"zh": "超时", "en": "Time limit exceeded"},
    "memory": {"zh": "内存超限", "en": "Memory limit exceeded"},
    "error": {"zh": "运行出错", "en": "Error while running"},
    "tampered": {"zh": "改动了检查器", "en": "Tampered with the checker"},
    "blank": {"zh": "未作答", "en": "Nothing filled in"},  # a student's row: every answer cell still ``...``
    # the grader's reasons
    "no_notebook": {"zh": "没有找到包含这个练习的 notebook。", "en": "No notebook contains this exercise."},
    "broken_notebook": {"zh": "{file}：{reason}", "en": "{file}: {reason}"},
    "no_cell": {"zh": "notebook 里没有这个练习的答案单元格（是不是删掉了？）。",
                "en": "The notebook has no answer cell for this exercise (deleted?)."},
    "not_code": {"zh": "答案单元格被改成了 {kind} 单元格，无法运行。", "en": "The answer cell was changed to a {kind} cell."},
    "duplicate": {"zh": "发现 {count} 个这个练习的答案单元格，按最后一个评分。",
                  "en": "{count} answer cells for this exercise; the last one was graded."},
    "cell_raised": {"zh": "答案单元格抛出了异常 {error}{where}。", "en": "The answer cell raised {error}{where}."},
    "line": {"zh": "（第 {line} 行）", "en": " (line {line})"},
    "undefined": {"zh": "答案单元格没有定义 {name}。", "en": "The answer cell does not define {name}."},
    "exited": {"zh": "代码调用了 sys.exit()/exit()，评分无法继续。", "en": "The code called sys.exit()/exit()."},
    "died": {"zh": "运行代码的进程意外结束（{how}），没有返回结果。",
             "en": "The process running the code ended ({how}) without a result."},
    "too_slow": {"zh": "运行超过 {seconds} 秒，已被终止（是不是有死循环？）。",
                 "en": "Stopped after {seconds} s (an endless loop?)."},
    "too_much_memory": {"zh": "申请的内存超过 {mb} MB 上限：{error}", "en": "Asked for more than {mb} MB: {error}"},
    "result_too_big": {"zh": "答案产生的结果太大，无法评分。", "en": "The answer produced too much data to grade."},
    "malformed": {"zh": "运行结果的格式不对，无法评分（{why}）。", "en": "The result could not be read ({why})."},
    "grading_failed": {"zh": "评分这个答案时出错（{why}），记为 error；其他练习照常评分。",
                       "en": "Grading this answer failed ({why}); it is recorded as an error, the others are graded."},
    "worker": {"zh": "评分进程意外结束（{why}）。", "en": "The grading process ended unexpectedly ({why})."},
    "no_exercises": {"zh": "没有找到任何练习（exercise 元数据）", "en": "no exercises found (exercise metadata)"},
    "cell_too_big": {"zh": "答案单元格太大（{size} 个字符）。", "en": "The answer cell is too large ({size} characters)."},
    # where marks may be lost: said on the console, in the student's feedback and in the class report
    "warn_several_notebooks": {
        "zh": "{count} 个 notebook 都含有 {notebook} 的练习：{listing}。评分的是 {graded}，因为{why}。规则：选答过的题最多的那个，"
              "一样多时选最后保存的。如果选错了，只提交一份，删掉其他副本。",
        "en": "{count} notebooks hold the exercises of {notebook}: {listing}. {graded} was graded because {why}. The "
              "rule: the one with the most answered cells, on a tie the one saved last. If that is the wrong one, "
              "submit only one copy."},
    "listed_notebook": {"zh": "{name}（答了 {answered} 题，{saved} 保存）", "en": "{name} ({answered} answered, saved {saved})"},
    "why_answered": {"zh": "它答过的题最多（{answered} 题）", "en": "it has the most answered cells ({answered})"},
    "why_newest": {"zh": "答过的题一样多，它是最后保存的", "en": "they answer as many cells, and it was saved last"},
    "why_same_name": {"zh": "其他条件相同，它用的是原来的文件名", "en": "all else being equal, it has the original file name"},
    "why_first_name": {"zh": "其他条件相同，它的文件名排在前面", "en": "all else being equal, its name sorts first"},
    "warn_outside_cell": {
        "zh": "{exercise} 的答案单元格还是 ...（未作答），但第 {cell} 个单元格（不是答案单元格）定义了 {name}：{line}。"
              "评分只读带练习标记的答案单元格：把答案移进那个单元格，替换掉 ...，再提交。",
        "en": "The answer cell of {exercise} still holds ... (not answered), but cell {cell}, which is not the answer "
              "cell, defines {name}: {line}. Only the tagged answer cell is graded: move your answer into it, in "
              "place of the ..., and submit again."},
    "warn_outside_gone": {
        "zh": "{exercise} 的答案单元格被删掉了，但第 {cell} 个单元格（不是答案单元格）定义了 {name}：{line}。评分只读带练习标记的"
              "答案单元格：从一份新的练习 notebook 里把这个答案单元格复制回来，把答案写进去，再提交。",
        "en": "The answer cell of {exercise} was deleted, but cell {cell}, which is not the answer cell, defines "
              "{name}: {line}. Only the tagged answer cell is graded: copy that answer cell back from a fresh copy of "
              "the exercise notebook, put your answer in it, and submit again."},
    "warn_other_cell": {
        "zh": "{exercise} 的答案用到了 {name}，它定义在第 {cell} 个单元格：{line}。评分时每个答案单元格只和第一个代码单元格"
              "（导入 torch 的那个）一起单独运行，看不到其他单元格：把 {name} 的定义也写进这个答案单元格。",
        "en": "The answer to {exercise} uses {name}, which cell {cell} defines: {line}. When grading, each answer "
              "cell runs on its own after the first code cell (the one that imports torch) and sees no other cell: "
              "put the definition of {name} into the answer cell too."},
    "warn_blank": {"zh": "没有一道题作答：所有答案单元格都还是 ...（{files}）。是不是交了没做过的那份？",
                   "en": "Nothing is filled in: every answer cell still holds ... ({files}). Was the unfilled copy "
                         "submitted?"},
    # why a file is not a readable notebook
    "nb_symlink": {"zh": "是符号链接，不是文件（symbolic link）", "en": "a symbolic link, not a file"},
    "nb_unreadable": {"zh": "无法读取文件（{why}）", "en": "cannot be read ({why})"},
    "nb_not_regular": {"zh": "不是普通文件（FIFO、设备或目录）", "en": "not a regular file (a FIFO, device or folder)"},
    "nb_too_big": {"zh": "文件太大（超过 {mb} MB）", "en": "too large (over {mb} MB)"},
    "nb_empty": {"zh": "空文件", "en": "an empty file"},
    "nb_not_json": {"zh": "不是 JSON（文件已损坏，或不是 .ipynb）", "en": "not JSON (a damaged file, or not an .ipynb)"},
    "nb_no_cells": {"zh": "不是 Jupyter notebook（没有 cells）", "en": "not a Jupyter notebook (no cells)"},
    "nb_version": {"zh": "不支持的 nbformat 版本：{version}", "en": "unsupported nbformat version: {version}"},
    "nb_upgrade": {"zh": "nbformat {version} 的旧 notebook 无法转换（{error}）",
                   "en": "an old nbformat {version} notebook that cannot be converted ({error})"},
}

REPORT_MESSAGES = {  # what the class report, a student's feedback page and the terminal summary say
    # the class report (report.html, summary.md)
    "report_title": {"zh": "全班评分报告", "en": "Class report"},
    "report_header": {"zh": "{students} 名学生 · {exercises} 道练习（{chapters}） · 平均分 {mean}/{most} · 评分用时 {seconds} 秒",
                      "en": "{students} students · {exercises} exercises ({chapters}) · mean {mean}/{most} · graded "
                            "in {seconds} s"},
    "report_warnings": {"zh": "可能丢分的地方（{n} 名学生）", "en": "Where marks may be lost ({n} students)"},
    "report_families": {"zh": "同一个误解（跨练习合并）", "en": "One misconception across exercises"},
    "report_family_line": {"zh": "{count} 次 · {students} 名学生 · {exercises} 道练习",
                           "en": "answers: {count} · students: {students} · exercises: {exercises}"},
    "report_top": {"zh": "最常见的 {n} 个错误", "en": "The {n} most common mistakes"},
    "report_teaches": {"zh": "讲解", "en": "Taught in"},
    "report_histogram": {"zh": "总分分布", "en": "Total scores"},
    "report_chart": {"zh": "每道练习的结果", "en": "Outcomes per exercise"},
    "report_statuses": {"zh": "各状态的数量", "en": "Records per status"},
    "report_per_exercise": {"zh": "按练习", "en": "Per exercise"},
    "report_rates": {"zh": "每道练习的正确率", "en": "Pass rate per exercise"},
    "report_pass_rate": {"zh": "正确率", "en": "pass rate"},
    "report_outcome": {"zh": "结果", "en": "outcome"},
    "report_key": {"zh": "错误代码", "en": "key"},
    "report_count": {"zh": "人数", "en": "students"},
    "report_times": {"zh": "次数", "en": "count"},
    "report_share": {"zh": "占比", "en": "share"},
    "report_meaning": {"zh": "学生看到的说明", "en": "what the students were told"},
    "report_who": {"zh": "哪些学生", "en": "who"},
    "report_errors": {"zh": "抛出的错误（按提示分组）", "en": "Errors raised, grouped by hint"},
    "report_hint": {"zh": "提示", "en": "hint"},
    "report_no_hint": {"zh": "（没有对应的提示）", "en": "(no matching hint)"},
    "report_exercise": {"zh": "练习", "en": "exercise"},
    "report_exercises": {"zh": "练习", "en": "exercises"},
    "report_problems": {"zh": "评分问题（按学生）", "en": "Grading problems, by student"},
    "report_student": {"zh": "学生", "en": "student"},
    "report_status": {"zh": "状态", "en": "status"},
    "report_reason": {"zh": "原因", "en": "reason"},
    "report_nothing": {"zh": "没有。", "en": "None."},
    "report_roster": {"zh": "名单核对", "en": "Roster"},
    "report_unlisted": {"zh": "名单里没有的文件夹（记为缺交，不导出）", "en": "Folders not in the roster (status missing, not exported)"},
    "report_unlisted_lms": {"zh": "名单里没有的学生（照常评分，按下载里的 LMS 编号导出）",
                            "en": "Students not in the roster (graded, and exported under the download's LMS ids)"},
    "report_absent": {"zh": "名单里没有提交文件夹的学生（记为缺交）", "en": "Roster students with no folder (status missing)"},
    "report_section": {"zh": "第{chapter}章 §{number} {title}", "en": "Chapter {chapter}, §{number} {title}"},
    "report_chapter": {"zh": "第{chapter}章", "en": "Chapter {chapter}"},
    "report_total_score": {"zh": "总分", "en": "total score"},
    "report_of_students": {"zh": "学生人数", "en": "students"},
    "report_share_axis": {"zh": "学生占比", "en": "share of students"},
    "report_mistake_legend": {"zh": "有名字的错误（错误代码）", "en": "named mistake (key)"},
    "report_problem_legend": {"zh": "评分问题", "en": "grading problem"},
    "report_more": {"zh": "等 {n} 道", "en": "and {n} more"},
    # a student's feedback page
    "feedback_score": {"zh": "得分", "en": "Score"},
    "feedback_files": {"zh": "评分的文件", "en": "Files graded"},
    "feedback_no_files": {"zh": "（没有找到练习 notebook）", "en": "(no exercise notebook found)"},
    "feedback_read_first": {"zh": "请先看这里", "en": "Read this first"},
    "feedback_to_fix": {"zh": "要改的", "en": "To fix"},
    "feedback_not_done": {"zh": "尚未完成", "en": "Not done yet"},
    "feedback_correct": {"zh": "正确", "en": "Correct"},
    "feedback_teaches": {"zh": "讲解", "en": "Taught in"},
    # the terminal after a run
    "console_graded": {"zh": "评了 {students} 名学生、{notebooks} 个 notebook、{exercises} 道练习，用时 {seconds} 秒（每秒 {rate} 个 "
                             "notebook）",
                       "en": "graded {students} students, {notebooks} notebooks, {exercises} exercises in {seconds} "
                             "s ({rate} notebooks/s)"},
    "console_results": {"zh": "结果：{counts}", "en": "results: {counts}"},
    "console_students": {"zh": "学生：{counts}", "en": "students: {counts}"},
    "console_ok": {"zh": "正常", "en": "ok"},
    "console_problem": {"zh": "有评分问题", "en": "with a grading problem"},
    "console_warnings": {"zh": "⚠ {n} 名学生可能丢分（写在他们的反馈和 report.html 里）：",
                         "en": "⚠ {n} students may lose marks (said in their feedback and in report.html):"},
    "console_several_notebooks": {"zh": "几个 notebook 含有同样的练习", "en": "several notebooks hold the same exercises"},
    "console_outside_cell": {"zh": "答案写在了答案单元格外面", "en": "an answer outside its answer cell"},
    "console_other_cell": {"zh": "用到了别的单元格定义的名字", "en": "a name defined in another cell"},
    "console_blank": {"zh": "没有作答", "en": "nothing filled in"},
    "console_more": {"zh": "等 {n} 人", "en": "+{n} more"},
    "console_files": {"zh": "文件：{out}/ 里的 {files}", "en": "files: {files} in {out}/"},
    "console_pages": {"zh": "feedback/（{n} 页）", "en": "feedback/ ({n} pages)"},
}


RULES_MESSAGES = {  # what a student reads of the assignment's rules (helpers.grading.policy)
    "override_note": {"zh": "老师改为 {score} 分（评分结果 {graded} 分）：{comment}",
                      "en": "Your instructor set this to {score} points (graded {graded}): {comment}"},
    "parts_note": {"zh": "部分得分（{share}）：{parts}", "en": "Partial credit ({share}): {parts}"},
    "extended_to": {"zh": "你的截止时间延长到 {due}。", "en": "Your due date was extended to {due}."},
    "late_penalty": {"zh": "迟交 {days} 天（不足一天按一天算）：扣 {penalty} 分（每天 {rate}）。",
                     "en": "Submitted {days} day(s) late (a started day counts): {penalty} points off ({rate} a day)."},
    "late_zero": {"zh": "迟交 {days} 天，超过了 {most} 天的上限：这次作业记 0 分。",
                  "en": "Submitted {days} days late, more than the {most} days allowed: this assignment scores 0."},
    "final_score": {"zh": "最终得分：{final}/{possible}。", "en": "Final score: {final}/{possible}."},
    "overrides_heading": {"zh": "老师改分", "en": "Scores set by the instructor"},
    "late_heading": {"zh": "迟交", "en": "Late submissions"},
    "override_columns": {"zh": "学生|练习|评分结果|改为|说明", "en": "student|exercise|graded|score|comment"},
    "late_columns": {"zh": "学生|提交时间|截止时间|天数|扣分", "en": "student|submitted|due|days|penalty"},
}

MESSAGES = {**CHECKER_MESSAGES, **GRADER_MESSAGES, **REPORT_MESSAGES, **RULES_MESSAGES}


def language(lang=None, default="zh"):
    """The language to speak: the argument, else $AUTOGRAD_COURSE_LANG, else ``default`` (Chinese)."""
    chosen = lang if type(lang) is str and lang else os.environ.get("AUTOGRAD_COURSE_LANG") or default
    chosen = chosen.lower()[:2]
    return chosen if chosen in LANGUAGES else "zh"


def edition_language(setup_source):
    """The language of the exercise notebook whose setup cell is ``setup_source``."""
    return "en" if ENGLISH_SETUP.search(setup_source or "") else "zh"


def say(key, lang=None, **fields):
    """The message ``key`` in the chosen language, with ``fields`` filled in."""
    return MESSAGES[key][language(lang)].format(**fields)


def text(message, lang):
    """An exercise's own message: a plain string or a {"zh": ..., "en": ...} dict."""
    return message if isinstance(message, str) else message[language(lang)]
