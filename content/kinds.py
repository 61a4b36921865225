"""The exercise kinds this course adds to the engine's three (``helpers.checking.kinds``).

A kind is judging code: it holds no answer, so a student's handout ships this module, while the chapter modules
(``chNN.py``, with their references) never leave the instructor's copy. A kind that a chapter defines must live
here for that reason (``autograd-course handout`` refuses one defined beside the references).
"""
import ast
import textwrap

from helpers.checking import scan
from helpers.checking.diagnose import clone, diagnose, kind_name
from helpers.checking.kinds import FunctionExercise
from helpers.checking.observe import is_placeholder_body
from helpers.checking.rules import uses_autograd
from helpers.messages import say, text


# --- a function whose results must stay leaf tensors (ch08.fixed_inplace_leaf) ---------------------------------

class LeafUpdateExercise(FunctionExercise):
    """A FunctionExercise whose results must also stay leaf tensors that require grad, with .grad cleared.

    The core compares values only; an SGD step that gets the values right by ``w = w - lr * w.grad`` (a new,
    non-leaf tensor) or through ``w.detach()`` would break the next training step, so ``leaf_problems`` names
    those answers after the values have passed.
    """

    def __init__(self, id, name, *, leaf_problems, **kwargs):
        super().__init__(id, name, **kwargs)
        self.leaf_problems = leaf_problems

    def after_values(self, observation, lang):
        for result in observation["results"]:
            problem = self.leaf_problem(result)
            if problem:
                return self.verdict("fail", text(self.leaf_problems[problem], lang), lang)
        return super().after_values(observation, lang)

    @staticmethod
    def leaf_problem(result):
        if result.get("kind") != "tensor" or result.get("requires_grad") is not True:
            return "no_grad"
        if result.get("is_leaf") is not True:
            return "not_leaf"
        grad = result.get("grad")
        if grad is not None:
            values = grad.get("values") if isinstance(grad, dict) else None
            if not isinstance(values, list) or any(value != 0 for value in values):
                return "grad_not_cleared"
        return None


# --- a torch.autograd.Function subclass as the answer (chapter 9) ---------------------------------------------

NOT_A_FUNCTION = {
    "zh": "这里要的是一个 torch.autograd.Function 的子类（class ...(torch.autograd.Function)），你给的是 {got}。"
          "把类本身传给 check，不要传 .apply 或它的结果。",
    "en": "A subclass of torch.autograd.Function (class ...(torch.autograd.Function)) is expected; you gave {got}. "
          "Pass the class itself to check, not .apply or its result.",
}
GRADCHECK_FAILED = {
    "zh": "在测试点上的梯度与参考答案一致，但 gradcheck 不通过（{message}）：forward 与 backward 对不上，"
          "是不是改了 forward？",
    "en": "The gradients match the reference at the test points, but gradcheck fails ({message}): forward and "
          "backward disagree; did you change forward?",
}
GRADCHECK_SAYS = {"zh": " gradcheck 的报告：{message}。", "en": " gradcheck says: {message}."}
FORWARD_CHANGED = {
    "zh": "forward 的输出与题目给的不一样：题目给的 forward 不要改，只补全 backward。",
    "en": "forward's output differs from the one the exercise gives: leave the given forward as it is and only "
          "write backward."}
# Errors PyTorch raises itself for any Function, named after the exercise's own error_mistakes.
COMMON_ERRORS = [
    (r"returned an incorrect number of gradients", {
        "zh": "返回的梯度个数不对：forward 有几个输入，backward 就按顺序返回几个值；不是张量的输入对应 None。",
        "en": "Wrong number of gradients returned: backward returns one value per forward input, in order; an "
              "input that is not a tensor gets None."}),
    (r"returned an invalid gradient at index", {
        "zh": "梯度的形状不对：backward 返回的每个梯度都要与对应的输入同形。",
        "en": "A gradient has the wrong shape: each gradient backward returns has its input's shape."}),
]


def backward_is_placeholder(source, class_name):
    """True when ``source`` defines class ``class_name`` whose ``backward`` body is only ``...`` (and a docstring);
    None when it defines no such class or method."""
    try:
        tree = ast.parse(textwrap.dedent(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    classes = [node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == class_name]
    methods = [node for node in (classes[-1].body if classes else [])
               if isinstance(node, ast.FunctionDef) and node.name == "backward"]
    if not methods:
        return None
    return is_placeholder_body(methods[-1].body)


class AutogradFunctionExercise(FunctionExercise):
    """The answer is a torch.autograd.Function subclass; ``cases`` give ``(args, grad_output)`` pairs,
    ``reference(args, grad_output)`` the gradients of the tensor arguments, as a tuple, and ``forward(args,
    grad_output)`` the output ``forward`` must give (the class is given with its forward: a changed one is named).
    Outputs and gradients are judged on the grader's fresh inputs and random ``grad_output``s; gradcheck's result
    can only add a failure (the student's process reports it), never grant a pass. The first case must be fixed
    (not drawn from the generator): gradcheck runs there, and its message may appear in a verdict."""

    probe = "autograd_function"
    recorded_functions = ("reference", "forward")

    def __init__(self, *args, forward, error_mistakes=(), **kwargs):
        super().__init__(*args, error_mistakes=[*error_mistakes, *COMMON_ERRORS], **kwargs)
        self.forward = forward

    def unfilled(self, observation):
        source = observation.get("source")
        found = backward_is_placeholder(source, self.name) if isinstance(source, str) and source else None
        return found if found is not None else observation.get("placeholder") is True

    def returns_value(self, observation):
        return scan.returns_value(observation.get("scan"), self.name, "backward")

    def named_mistake(self, result, observation, lang):
        items = result.get("items") if result.get("kind") == "sequence" else None
        if isinstance(items, list) and items and all(item.get("kind") == "none" for item in items) \
                and self.returns_value(observation) is False:
            return say("no_return", lang, name=f"{self.name}.backward"), "no_return"
        return super().named_mistake(result, observation, lang)

    def judge(self, observation, seed, lang=None):
        if observation.get("todo") or self.unfilled(observation):
            return self.verdict("todo", say("todo_detail", lang), lang)
        if "results" not in observation:
            return self.verdict("fail", text(NOT_A_FUNCTION, lang).format(got=kind_name(observation.get("answer"))),
                                lang)
        results = observation["results"]
        if isinstance(results, list) and len(results) == len(cases := self.inputs(seed)):
            for case, result in zip(cases, results):
                output = result.get("output") if isinstance(result, dict) else None
                if isinstance(output, dict) and diagnose(output, self.forward(*clone(case)), lang, figures=False):
                    return self.verdict("fail", text(FORWARD_CHANGED, lang), lang)
        verdict = super().judge(observation, seed, lang)
        gradcheck = observation.get("gradcheck") if isinstance(observation.get("gradcheck"), dict) else {}
        message = str(gradcheck.get("message", ""))[:300]
        if verdict.status == "pass" and gradcheck.get("passed") is not True:
            return self.verdict("fail", text(GRADCHECK_FAILED, lang).format(message=message), lang)
        if verdict.status == "fail" and verdict.detail.endswith(say("wrong_results", lang)) and message:
            return self.verdict("fail", verdict.detail + text(GRADCHECK_SAYS, lang).format(message=message), lang)
        return verdict


# --- a None result always explained by the exercise (ch10.leaf_grad) -------------------------------------------

class LeafFunctionExercise(FunctionExercise):
    """A FunctionExercise whose ``none_mistake`` explains a None result even when the function read the .grad
    of a non-leaf tensor (the core's generic message then suggests retain_grad, which is not this fix)."""

    def none_explained(self, result, observation, lang, always=True):
        return super().none_explained(result, observation, lang, always=True)


# --- non-finite results named before values are compared (ch11.safe_sqrt) ---------------------------------------

class NanSafeExercise(FunctionExercise):
    """A FunctionExercise that names non-finite results before comparing values.

    The core only says "NaN or infinity" (a NaN never equals a listed mistake). Here the student's function
    returns (value, gradient); ``nonfinite`` names a NaN value, an infinite gradient and a NaN gradient with a
    finite value (the torch.where trap), in that order.
    """

    def __init__(self, id, name, *, nonfinite, **kwargs):
        super().__init__(id, name, **kwargs)
        self.nonfinite = nonfinite

    def named_mistake(self, result, observation, lang):
        found = super().named_mistake(result, observation, lang)
        if found or result.get("kind") != "sequence":
            return found
        items = result.get("items")
        if not isinstance(items, list) or len(items) != 2:
            return None
        value, grad = (self._nonfinite(item) for item in items)
        for key, present in (("nan_value", "nan" in value), ("inf", "inf" in grad), ("where_trap", "nan" in grad)):
            if present:
                return text(self.nonfinite[key], lang), f"nonfinite.{key}"
        return None

    @staticmethod
    def _nonfinite(item):
        """The set of "nan" / "inf" found among a tensor or number description's values."""
        if not isinstance(item, dict):
            return set()
        values = item.get("values") if item.get("kind") == "tensor" else [item.get("value")]
        if not isinstance(values, list):
            return set()
        found = set()
        for v in values:
            if isinstance(v, str):
                found.add("nan" if "nan" in v.lower() else "inf")
        return found


# --- any valid topological order (ch12.topological_order) -------------------------------------------------------

def reachable(inputs):
    """The nodes the root (node 0) reaches through inputs, itself included."""
    found, stack = set(), [0]
    while stack:
        node = stack.pop()
        if node not in found:
            found.add(node)
            stack.extend(inputs[node])
    return found


def is_order(inputs, order):
    """True when every node of ``order`` comes after all of its inputs."""
    position = {node: i for i, node in enumerate(order)}
    return all(position[child] < position[node] for node in order for child in inputs[node])


class OrderExercise(FunctionExercise):
    """A FunctionExercise whose answer is any valid topological order, not one fixed list.

    Several orders are right (any order that puts every node after its inputs), so the judge checks the
    order's properties instead of comparing with the reference; ``messages`` names each way it can fail.
    """

    def __init__(self, id, name, *, messages, **kwargs):
        super().__init__(id, name, **kwargs)
        self.messages = messages

    def judge(self, observation, seed, lang=None):
        if observation.get("todo") or self.unfilled(observation):
            return self.verdict("todo", say("todo_detail", lang), lang)
        if "results" not in observation:
            return super().judge(observation, seed, lang)
        cases = self.inputs(seed)
        if len(observation["results"]) != len(cases):
            return self.verdict("fail", say("unreadable", lang, got="results"), lang)
        for (inputs,), result in zip(cases, observation["results"]):
            named = self.named_mistake(result, observation, lang)
            if named:
                return self.verdict("fail", named[0], lang, named[1])
            problem = self.order_problem(inputs, result, lang)
            if problem:
                return self.verdict("fail", problem, lang)
        return self.broken_rule(observation, "after", lang) or self.verdict("pass", text(self.success, lang), lang)

    def order_problem(self, inputs, result, lang):
        if result.get("kind") in ("exception", "none"):
            return diagnose(result, 0.0, lang)
        items = result.get("items") if result.get("kind") == "sequence" else None
        if not isinstance(items, list) or not all(
                isinstance(item, dict) and item.get("kind") == "number" and item.get("type") == "int"
                and isinstance(item.get("value"), float) for item in items):
            return text(self.messages["not_list"], lang).format(got=kind_name(result))
        order = [int(item["value"]) for item in items]  # finite: an int beyond 2**1000 arrives as "inf"
        length = result.get("length")
        if not isinstance(length, int) or length > len(set(order)):
            return text(self.messages["duplicates"], lang)
        if set(order) != reachable(inputs) or length != len(order):
            return text(self.messages["nodes"], lang)
        if is_order(inputs, order):
            return None
        if is_order(inputs, order[::-1]):
            return text(self.messages["reversed"], lang)
        return text(self.messages["wrong_order"], lang)


# --- rules the course's exercises share (helpers.checking.rules) -----------------------------------------------

FROM_AUTOGRAD = uses_autograd(says={
    "zh": "导数必须由 autograd 算出：调用 `backward()`、`torch.autograd.grad` 或 `torch.func`，不能直接写出求导之后的公式。",
    "en": "Derivatives must come from autograd: call `backward()`, `torch.autograd.grad` or `torch.func`; do not "
          "write the derivative's formula by hand."})
