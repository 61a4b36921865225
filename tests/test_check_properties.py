"""Property-based: whatever a student passes to check(), for every registered exercise, a clear Verdict comes back.

Never an exception from our code, and never the checker's own "internal error" message.
"""
import sys

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import check
from helpers.exercises import EXERCISES
from helpers.checking.verdict import STATUSES, Verdict

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.uint8,
          torch.bool, torch.complex64]


class Boom(Exception):
    def __str__(self):
        raise RuntimeError("a __str__ that raises")


class Liar:
    """Every dunder a checker might be tempted to call lies or raises."""

    def __eq__(self, other):
        return True

    __hash__ = None

    def __bool__(self):
        raise Boom()

    def __repr__(self):
        raise Boom()

    __str__ = __repr__

    def __len__(self):
        return -1

    def __iter__(self):
        raise Boom()

    def __float__(self):
        raise Boom()

    def __getattr__(self, name):
        raise Boom()


class LyingClass:
    @property
    def __class__(self):
        raise Boom()


class ListSubclass(list):
    def __len__(self):
        raise Boom()


class EvilCallable:
    def __call__(self, *args):
        return Liar()

    def __getattr__(self, name):
        raise Boom()


class ShadowTensor(torch.Tensor):
    def __eq__(self, other):
        return True

    def __repr__(self):
        raise Boom()


def raises_value_error(*args):
    raise ValueError("nope")


def exits(*args):
    sys.exit(3)


def raises_boom(*args):
    raise Boom()


def raises_system_exit_with_liar(*args):
    raise SystemExit(Liar())


def returns_generator(*args):
    yield from args


def mutates_its_input(*args):
    for a in args:
        if isinstance(a, torch.Tensor):
            a.data.fill_(float("nan"))
    return args[0]


def returns_input(*args):
    return args[0]


def returns_inputs_grad(*args):
    x = args[0].clone().requires_grad_(True) if args[0].is_floating_point() else args[0]
    return x.grad


HUGE = torch.zeros(3_000_000)
HOSTILE = [Liar(), LyingClass(), ListSubclass([1, 2]), EvilCallable(), torch.zeros(3).as_subclass(ShadowTensor),
           HUGE, torch.zeros(3_000_000, requires_grad=True), torch.empty(0), torch.zeros(2, 0, 3), torch.ones(()),
           torch.ones(3, device="meta"), torch.zeros(4).to_sparse(), object(), type, print, len, Ellipsis,
           raises_value_error, exits, raises_boom, raises_system_exit_with_liar, returns_generator,
           mutates_its_input, returns_input, returns_inputs_grad, lambda *a: None, lambda *a: Liar(),
           lambda *a: HUGE, lambda *a: (Liar(), Liar(), Liar()), lambda *a: [[[[1]]]], lambda *a: "A",
           lambda *a: float("nan"), lambda *a: 10 ** 400, lambda *a: torch.full((2, 2), float("inf")),
           lambda: 1, lambda x, y, z, w, v: 1]


@st.composite
def tensors(draw):
    shape = draw(st.lists(st.integers(0, 5), max_size=4))
    dtype = draw(st.sampled_from(DTYPES))
    values = torch.randn(shape, generator=torch.Generator().manual_seed(draw(st.integers(0, 2 ** 31))))
    tensor = (values * 10).to(dtype)
    if dtype.is_floating_point and draw(st.booleans()):
        tensor.requires_grad_(True)
        if draw(st.booleans()):
            tensor = tensor * 2  # a non-leaf that carries the graph
    if tensor.is_floating_point() and tensor.numel() and draw(st.booleans()):
        tensor = tensor.detach().clone()
        tensor.view(-1)[0] = draw(st.sampled_from([float("nan"), float("inf"), -float("inf"), 0.0]))
    return tensor


# Drawn by index: hypothesis would call repr() on sampled_from's elements, and these lie about it.
def pick_hostile(index):
    return HOSTILE[index]


hostile = st.integers(0, len(HOSTILE) - 1).map(pick_hostile)


def wraps(values):
    """Functions that return one of the values, whatever they are called with."""
    return values.map(lambda value: (lambda *args: value))


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=10 ** 300),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50), st.binary(max_size=10),
                    st.complex_numbers(allow_nan=True))
answers = st.recursive(st.one_of(scalars, tensors(), hostile),
                       lambda children: st.one_of(st.lists(children, max_size=4),
                                                  st.lists(children, max_size=4).map(tuple),
                                                  st.dictionaries(st.text(max_size=3), children, max_size=3),
                                                  wraps(children)),
                       max_leaves=8)


def assert_clear_verdict(verdict):
    assert isinstance(verdict, Verdict)
    assert verdict.status in STATUSES
    assert isinstance(verdict.detail, str) and verdict.detail
    assert str(verdict) and verdict._repr_html_()
    assert "检查器自身出错" not in verdict.detail and "checker itself failed" not in verdict.detail, verdict.detail


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
@SETTINGS
@given(answer=answers, lang=st.one_of(st.sampled_from([None, "zh", "en", "EN", "fr", ""]), scalars))
def test_any_answer_gets_a_clear_verdict(exercise_id, answer, lang):
    assert_clear_verdict(check(exercise_id, answer, lang=lang))


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
@pytest.mark.parametrize("index", range(len(HOSTILE)))  # by index: pytest itself would trip over LyingClass
def test_each_hostile_answer_gets_a_clear_verdict(exercise_id, index):
    assert_clear_verdict(check(exercise_id, HOSTILE[index]))


@SETTINGS
@given(exercise_id=st.one_of(st.none(), st.text(max_size=20), st.integers(), hostile),
       answer=scalars)
def test_an_unknown_exercise_id_is_named_not_raised(exercise_id, answer):
    verdict = check(exercise_id, answer)
    assert_clear_verdict(verdict)
    assert verdict.status == "fail"
