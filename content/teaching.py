"""Where the course teaches what each exercise tests, and which mistakes are one misconception.

``SECTIONS``: exercise id -> the chapter section that teaches it (its number, as the chapters' headings write it:
``"2.1"`` is ``## 2.1 ...`` in ``notebooks/02_*.ipynb``). Feedback links a failed exercise there; the class
report links each mistake and family there.

``FAMILIES``: one misconception that shows in several exercises, counted once across them in the class report.
Each lists the mistake keys it merges (``exercise/key``, as results.jsonl records them; ``*/key`` is a key the
checkers give in any exercise, such as ``accumulated``), its name in zh and en (code between backquotes), and the
section that teaches it.
A test fails when a key no longer names a mistake the exercise can report.
"""

SECTIONS = {
    "ch01.leaf": "1.1", "ch01.grad_2xtx": "1.3", "ch01.mean_grad": "1.6", "ch01.nonleaf_grad": "1.7",
    "ch01.int_arange": "1.2",
    "ch02.backward_twice": "2.5", "ch02.no_zero": "2.1", "ch02.three_grads": "2.4", "ch02.retain_graph": "2.6",
    "ch02.sequence": "2.2", "ch02.micro_batch": "2.7",
    "ch03.backward_w": "3.3", "ch03.weighted_grad": "3.3", "ch03.vjp_numbers": "3.8", "ch03.jacobian": "3.8",
    "ch04.detach_grad": "4.1", "ch04.no_grad_value": "4.4", "ch04.data_vs_detach": "4.8", "ch04.plain_cube": "4.9",
    "ch04.when_no_grad": "4.6",
    "ch05.why_d_over_a": "5.3", "ch05.vector_backward": "5.7", "ch05.grad_of_f": "5.7",
    "ch05.norm_squared_grad": "5.8", "ch05.redesigned_flow": "5.9",
    "ch06.sin_and_derivative": "6.2", "ch06.plot_error": "6.5", "ch06.derivative_of": "6.2",
    "ch06.weighted_backward": "3.3",
    "ch07.second_derivative": "7.1", "ch07.grad_after_create_graph": "7.1", "ch07.hessian": "7.2",
    "ch07.why_expensive": "7.3", "ch07.f_prime": "7.5", "ch07.jac_mode": "7.4",
    "ch08.fixed_nonscalar": "8.1", "ch08.fixed_backward_twice": "8.2", "ch08.fixed_inplace_leaf": "8.4",
    "ch08.fixed_numpy": "8.6", "ch08.retain_grad_value": "8.8", "ch08.which_message": "8.7",
    "ch09.cos2x": "9.1", "ch09.scaled_matmul": "9.2", "ch09.softplus_saved_output": "9.3", "ch09.ste_grad": "9.3",
    "ch09.float32_gradcheck": "9.4",
    "ch10.train_by_hand": "10.2", "ch10.freeze": "10.4", "ch10.leaf_grad": "10.5", "ch10.clip": "10.7",
    "ch10.eval_no_grad": "10.6",
    "ch11.clipped_grad": "11.1", "ch11.safe_sqrt": "11.7", "ch11.anomaly_line": "11.8", "ch11.saved_bytes": "11.9",
    "ch12.mul_backward": "12.1", "ch12.tanh_backward": "12.1", "ch12.pow_backward": "12.1",
    "ch12.topological_order": "12.2", "ch12.unbroadcast": "12.7", "ch12.assign_grad": "12.3",
}

FAMILIES = {
    "accumulated": {
        "zh": "梯度累加：没有清零 `.grad`", "en": "Accumulated gradient: `.grad` not zeroed", "section": "2.1",
        "keys": ("*/accumulated", "ch02.three_grads/mistake-1", "ch02.three_grads/mistake-3",
                 "ch07.second_derivative/mistake-3", "ch10.train_by_hand/mistake-1", "ch10.freeze/mistake-2")},
    "value_not_gradient": {
        "zh": "交回了函数值，而不是梯度", "en": "The value returned instead of the gradient", "section": "1.3",
        "keys": ("ch01.grad_2xtx/mistake-3", "ch01.mean_grad/value-27", "ch03.vjp_numbers/mistake-3",
                 "ch05.grad_of_f/mistake-1", "ch05.redesigned_flow/mistake-3", "ch06.sin_and_derivative/mistake-2",
                 "ch06.derivative_of/mistake-1", "ch06.weighted_backward/value-0", "ch07.second_derivative/mistake-2",
                 "ch07.grad_after_create_graph/value-16", "ch07.f_prime/mistake-5", "ch08.fixed_nonscalar/mistake-2",
                 "ch08.fixed_backward_twice/mistake-2", "ch08.fixed_numpy/mistake-2",
                 "ch08.retain_grad_value/value-6")},
    "chain_rule": {
        "zh": "链式法则少乘了一项", "en": "A factor of the chain rule left out", "section": "9.1",
        "keys": ("ch01.mean_grad/value-1.5", "ch09.cos2x/mistake-1", "ch09.cos2x/mistake-3",
                 "ch09.softplus_saved_output/mistake-2", "ch09.ste_grad/mistake-2", "ch12.mul_backward/mistake-2",
                 "ch12.tanh_backward/mistake-2", "ch12.pow_backward/mistake-2")},
    "assign_not_add": {
        "zh": "`_backward` 里用 `=` 代替了 `+=`", "en": "`=` instead of `+=` in `_backward`", "section": "12.3",
        "keys": ("ch12.mul_backward/mistake-1", "ch12.tanh_backward/mistake-1", "ch12.pow_backward/mistake-1")},
    "mean_not_sum": {
        "zh": "用 `mean` 代替了 `sum`（差一个 1/n）", "en": "`mean` instead of `sum` (off by 1/n)", "section": "3.2",
        "keys": ("ch05.grad_of_f/mistake-2", "ch08.fixed_nonscalar/mistake-1", "ch12.unbroadcast/mistake-4")},
    "nonscalar": {
        "zh": "对非标量直接调用 `backward()`", "en": "`backward()` on a non-scalar", "section": "3.1",
        "keys": ("*/raised-nonscalar",)},
    "second_backward": {
        "zh": "同一张图反向传播两次", "en": "Backpropagating the same graph twice", "section": "2.5",
        "keys": ("*/raised-second_backward",)},
    "inplace": {
        "zh": "`autograd` 记录时原地修改", "en": "An in-place change while autograd records", "section": "8.4",
        "keys": ("*/raised-inplace", "ch10.train_by_hand/error-1")},
    "nonleaf": {
        "zh": "读了非叶子张量的 `.grad`", "en": "`.grad` read from a non-leaf tensor", "section": "1.7",
        "keys": ("*/nonleaf_grad", "ch10.leaf_grad/none", "ch08.fixed_inplace_leaf/leaf_problems.not_leaf")},
    "still_attached": {
        "zh": "结果还连着计算图", "en": "A result still attached to the graph", "section": "4.9",
        "keys": ("*/still_attached", "*/still_requires_grad", "*/raised-numpy")},
    "integer_dtype": {
        "zh": "整数张量求梯度", "en": "Gradients of an integer tensor", "section": "1.2",
        "keys": ("*/raised-int_grad", "*/int_dtype")},
}
