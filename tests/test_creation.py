"""Making tensors: ``tensor``'s dtype inference, the factories, and the repr, against torch."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad

torch = pytest.importorskip("torch")


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def assert_same(mine: Any, theirs: Any, exact: bool = True) -> None:
    """Same shape, dtype and values (exactly, or to float32-ish precision)."""
    assert tuple(mine.shape) == tuple(theirs.shape), (mine.shape, theirs.shape)
    assert dtype_name(mine.dtype) == dtype_name(theirs.dtype), (mine.dtype, theirs.dtype)
    expected = theirs.detach().numpy()
    if exact:
        np.testing.assert_array_equal(mine.detach().numpy(), expected)
    else:
        with np.errstate(under="ignore"):  # rtol * a tiny value underflows, harmlessly
            np.testing.assert_allclose(mine.detach().numpy(), expected, rtol=1e-6, atol=1e-6)


# ---------------------------------------------------------------------- tensor()
DATA = {
    "float": 1.5, "int": 2, "bool": True, "floats": [1.0, 2.0], "ints": [1, 2],
    "bools": [True, False], "ints_and_floats": [1, 2.5], "bools_and_ints": [True, 2],
    "nested": [[1, 2], [3, 4]], "nested_tuple": ((1.5,), (2.5,)), "empty": [],
    "empty_nested": [[]], "negative": [-1, -2**40], "big_float": [1e300],
    "float64_array": np.array([1.5, 2.5]), "float32_array": np.ones((2, 2), np.float32),
    "float16_array": np.ones(3, np.float16), "int32_array": np.arange(3, dtype=np.int32),
    "int64_array": np.arange(3), "uint8_array": np.arange(3, dtype=np.uint8),
    "bool_array": np.array([True, False]), "empty_int_array": np.zeros(0, dtype=np.int32),
    "float64_scalar": np.float64(1.5), "int32_scalar": np.int32(3),
    "numpy_floats_in_list": [np.float64(1.0), np.float64(2.0)],
    "numpy_and_python_floats": [1.0, np.float64(2.0)], "float32_and_float": [np.float32(1), 2.5],
    "int32_scalars": [np.int32(1), np.int32(2)], "int32_and_int": [np.int32(1), 2],
    "float16_and_int": [[np.float16(1)], [2]], "int64_and_float": [np.int64(1), 2.5],
    "0d_array": np.array(2.5),
}


@pytest.mark.parametrize("name", sorted(DATA))
def test_tensor_infers_dtype_like_torch(name: str) -> None:
    data = DATA[name]
    assert_same(minigrad.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("name", ["float", "ints", "floats", "int64_array", "bools"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_tensor_with_explicit_dtype(name: str, dtype: str) -> None:
    data = DATA[name]
    assert_same(minigrad.tensor(data, dtype=getattr(minigrad, dtype)),
                torch.tensor(data, dtype=getattr(torch, dtype)))


def test_tensor_truncates_floats_to_ints_like_torch() -> None:
    data = [1.7, -1.7, 2.5]
    assert_same(minigrad.tensor(data, dtype=minigrad.int64),
                torch.tensor(data, dtype=torch.int64))


def test_tensor_copies_and_nested_tensors_are_accepted() -> None:
    array = np.ones(3)
    t = minigrad.tensor(array)
    array[0] = 5.0
    assert t.tolist() == [1.0, 1.0, 1.0]
    stacked = minigrad.tensor([minigrad.tensor(1.0), minigrad.tensor(2.0)])
    assert_same(stacked, torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]))
    mixed = minigrad.tensor([minigrad.tensor(1.0, dtype=minigrad.float64), 2.0])
    assert_same(mixed, torch.tensor([torch.tensor(1.0, dtype=torch.float64), 2.0]))


def test_python_floats_follow_the_default_dtype() -> None:
    try:
        torch.set_default_dtype(torch.float64)
        minigrad.set_default_dtype(minigrad.float64)
        for name in ("float", "floats", "ints_and_floats", "empty", "float32_array", "ints"):
            assert_same(minigrad.tensor(DATA[name]), torch.tensor(DATA[name]))
        for name, make in FACTORIES.items():
            assert_same(make(minigrad), make(torch), exact="linspace" not in name)
        for name in ("floats", "float64", "empty", "empty_int", "int32", "requires_grad"):
            assert repr(REPRS[name](minigrad)).replace("minigrad.", "torch.") == \
                repr(REPRS[name](torch))
        assert "dtype=minigrad.float32" in repr(minigrad.ones(2, dtype=minigrad.float32))
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("data", [[[1, 2], [3]], "text", [1, "2"], {"a": 1}, None],
                         ids=["ragged", "string", "mixed_string", "dict", "none"])
def test_tensor_rejects_what_torch_rejects(data: Any) -> None:
    with pytest.raises(Exception) as theirs:
        torch.tensor(data)
    with pytest.raises((theirs.type, TypeError, ValueError)) as mine:
        minigrad.tensor(data)
    assert "numpy" not in str(mine.value).lower(), mine.value


def test_requires_grad_only_on_floating_point() -> None:
    assert minigrad.tensor([1.0], requires_grad=True).requires_grad
    assert minigrad.zeros(2, requires_grad=True).is_leaf
    for make in (lambda: minigrad.tensor([1, 2], requires_grad=True),
                 lambda: minigrad.tensor([True], requires_grad=True),
                 lambda: minigrad.arange(3, requires_grad=True),
                 lambda: minigrad.tensor([1, 2]).requires_grad_()):
        with pytest.raises(RuntimeError, match="floating point"):
            make()


# ---------------------------------------------------------------------- factories
FACTORIES: dict[str, Callable[[Any], Any]] = {
    "zeros": lambda lib: lib.zeros(2, 3),
    "zeros_tuple": lambda lib: lib.zeros((2, 3)),
    "zeros_list": lambda lib: lib.zeros([0, 3]),
    "zeros_0d": lambda lib: lib.zeros(()),
    "zeros_int": lambda lib: lib.zeros(2, dtype=lib.int64),
    "ones": lambda lib: lib.ones(3),
    "ones_bool": lambda lib: lib.ones((2,), dtype=lib.bool),
    "ones_float64": lambda lib: lib.ones(2, 2, dtype=lib.float64),
    "full_float": lambda lib: lib.full((2, 2), 1.5),
    "full_int": lambda lib: lib.full((3,), 7),
    "full_bool": lambda lib: lib.full((2,), True),
    "full_dtype": lambda lib: lib.full([2], 2, dtype=lib.float64),
    "full_int_size": lambda lib: lib.full((4,), -1.25),
    "eye": lambda lib: lib.eye(3),
    "eye_rect": lambda lib: lib.eye(2, 4),
    "eye_int": lambda lib: lib.eye(3, dtype=lib.int64),
    "eye_empty": lambda lib: lib.eye(0),
    "arange_int": lambda lib: lib.arange(5),
    "arange_start_end": lambda lib: lib.arange(2, 7),
    "arange_step": lambda lib: lib.arange(10, 0, -3),
    "arange_float": lambda lib: lib.arange(5.0),
    "arange_float_step": lambda lib: lib.arange(0, 1, 0.1),
    "arange_uneven": lambda lib: lib.arange(0, 1, 0.3),
    "arange_half": lambda lib: lib.arange(1, 2.5, 0.5),
    "arange_dtype": lambda lib: lib.arange(4, dtype=lib.float64),
    "arange_empty": lambda lib: lib.arange(3, 3),
    "linspace": lambda lib: lib.linspace(0, 1, 5),
    "linspace_one": lambda lib: lib.linspace(-1, 1, 1),
    "linspace_none": lambda lib: lib.linspace(0, 1, 0),
    "linspace_float64": lambda lib: lib.linspace(-3, 10, 7, dtype=lib.float64),
    "zeros_like": lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.int32)),
    "ones_like": lambda lib: lib.ones_like(lib.zeros(2, 1)),
    "ones_like_dtype": lambda lib: lib.ones_like(lib.zeros(2), dtype=lib.float64),
    "full_like": lambda lib: lib.full_like(lib.zeros(3, dtype=lib.int64), 4),
    "full_like_float": lambda lib: lib.full_like(lib.zeros(3), 0.5),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_factory_matches_torch(name: str) -> None:
    make = FACTORIES[name]
    # linspace's values are computed differently in torch: equal to float32 precision
    assert_same(make(minigrad), make(torch), exact="linspace" not in name)


@settings(max_examples=25)
@given(start=st.integers(-10, 10), length=st.integers(0, 20), step=st.sampled_from(
    [1, 2, 3, -1, -2, 0.5, 0.25, 0.1, -0.3, 1.5]))
def test_arange_lengths_and_values_match_torch(start: int, length: int, step: float) -> None:
    end = start + length * step * 0.97
    assert_same(minigrad.arange(start, end, step), torch.arange(start, end, step), exact=False)


@settings(max_examples=25)
@given(start=st.floats(-10, 10, allow_subnormal=False),
       end=st.floats(-10, 10, allow_subnormal=False), steps=st.integers(0, 12))
def test_linspace_matches_torch(start: float, end: float, steps: int) -> None:
    assert_same(minigrad.linspace(start, end, steps, dtype=minigrad.float64),
                torch.linspace(start, end, steps, dtype=torch.float64), exact=False)


def test_factories_reject_bad_sizes() -> None:
    with pytest.raises(RuntimeError, match="-1"):
        minigrad.zeros(2, -1)
    with pytest.raises(TypeError):
        minigrad.ones(2.5)
    with pytest.raises(RuntimeError, match="step"):
        minigrad.arange(0, 1, 0)


@pytest.mark.parametrize("name", ["rand", "randn"])
def test_random_factories(name: str) -> None:
    make = getattr(minigrad, name)
    minigrad.manual_seed(3)
    first = make(2, 3)
    minigrad.manual_seed(3)
    assert np.array_equal(first.numpy(), make((2, 3)).numpy())  # seeded runs repeat
    assert first.shape == (2, 3) and first.dtype == minigrad.float32
    assert make(4, dtype=minigrad.float64).dtype == minigrad.float64
    like = getattr(minigrad, f"{name}_like")(minigrad.zeros(5, dtype=minigrad.float64))
    assert like.shape == (5,) and like.dtype == minigrad.float64
    assert make(2, requires_grad=True).requires_grad
    if name == "rand":
        values = make(1000).numpy()
        assert values.min() >= 0 and values.max() < 1


def test_from_numpy_shares_memory_and_keeps_dtype() -> None:
    array = np.arange(3, dtype=np.int32)
    t = minigrad.from_numpy(array)
    array[0] = 10
    assert t.dtype == minigrad.int32 and t.tolist() == [10, 1, 2]


# ---------------------------------------------------------------------- repr
REPRS: dict[str, Callable[[Any], Any]] = {
    "floats": lambda lib: lib.tensor([1.0, 2.0]),
    "fractions": lambda lib: lib.tensor([1.5, -2.25, 0.125]),
    "scalar": lambda lib: lib.tensor(3.0),
    "scalar_fraction": lambda lib: lib.tensor(0.1),
    "int_scalar": lambda lib: lib.tensor(3),
    "bool_scalar": lambda lib: lib.tensor(True),
    "ints": lambda lib: lib.tensor([1, -2, 300]),
    "bools": lambda lib: lib.tensor([True, False]),
    "matrix": lambda lib: lib.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "matrix_fractions": lambda lib: lib.tensor([[0.5, 1.25], [-3.0, 4.75]]),
    "cube": lambda lib: lib.arange(8).reshape(2, 2, 2),
    "float64": lambda lib: lib.tensor([1.0, 2.5], dtype=lib.float64),
    "float64_scalar": lambda lib: lib.tensor(1.5, dtype=lib.float64),
    "float16": lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float16),
    "int32": lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    "uint8": lambda lib: lib.tensor([1, 2], dtype=lib.uint8),
    "requires_grad": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    "requires_grad_float64": lambda lib: lib.tensor([1.0], dtype=lib.float64,
                                                    requires_grad=True),
    "grad_fn": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    "grad_fn_exp": lambda lib: lib.tensor([1.0, 2.0], requires_grad=True).exp(),
    "empty": lambda lib: lib.tensor([]),
    "empty_2d": lambda lib: lib.zeros(2, 0),
    "empty_int": lambda lib: lib.zeros(0, dtype=lib.int64),
    "empty_float64": lambda lib: lib.zeros(0, dtype=lib.float64),
    "big": lambda lib: lib.tensor([1e10, 1.0]),
    "small": lambda lib: lib.tensor([1e-5, 1.0]),
    "tiny_only": lambda lib: lib.tensor([1e-7, 3e-7]),
    "negative_zero": lambda lib: lib.tensor([-1.0, 0.0]),
    "nan_inf": lambda lib: lib.tensor([float("nan"), float("inf"), -float("inf"), 1.0]),
    "nan_fraction": lambda lib: lib.tensor([float("nan"), 0.5]),
    "zeros": lambda lib: lib.zeros(3),
    "wide": lambda lib: lib.arange(30.0),
    "long": lambda lib: lib.arange(2000),
    "long_floats": lambda lib: lib.arange(2000.0) / 7,
    "long_matrix": lambda lib: lib.arange(3000.0).reshape(1000, 3) / 3,
    "long_cube": lambda lib: lib.arange(4000).reshape(10, 20, 20),
    "wrapped_suffix": lambda lib: lib.arange(12.0, dtype=lib.float64) / 3,
    "ratio_over_1000": lambda lib: lib.tensor([2000.0, 1.0]),
    "ratio_fractions": lambda lib: lib.tensor([0.001, 2.5]),
    "matrix_nan": lambda lib: lib.tensor([[float("nan"), 1.5], [2.0, -0.25]]),
    "float16_sci": lambda lib: lib.tensor([1e-5, 100.0], dtype=lib.float16),
}


@settings(max_examples=40)
@given(array=hnp.arrays(st.sampled_from([np.float32, np.float64, np.int64, np.bool_]),
                        hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6),
                        elements={"allow_subnormal": False}),
       requires_grad=st.booleans())
def test_repr_of_drawn_tensors_matches_torch(array: np.ndarray, requires_grad: bool) -> None:
    requires_grad &= array.dtype.kind == "f"
    mine = minigrad.tensor(array, requires_grad=requires_grad)
    theirs = torch.tensor(array, requires_grad=requires_grad)
    # "minigrad." is 3 characters longer than "torch.": a suffix near the 80th column may
    # go on the next line in one and not the other
    assert one_line_suffixes(repr(mine).replace("minigrad.", "torch.")) == \
        one_line_suffixes(repr(theirs))


def one_line_suffixes(text: str) -> str:
    return re.sub(r",\n +(size|dtype|grad_fn|requires_grad)=", r", \1=", text)


@pytest.mark.parametrize("name", sorted(REPRS))
def test_repr_matches_torch(name: str) -> None:
    make = REPRS[name]
    assert repr(make(minigrad)).replace("minigrad.", "torch.") == repr(make(torch))
