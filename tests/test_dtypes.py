"""PyTorch's type promotion: minigrad's result dtypes against torch's, over a grid of operands.

Each operand kind is built in both libraries: tensors of every dtype with dimensions or
0-d, Python scalars, NumPy scalars. For every op and every pair that involves a tensor,
the result dtype must be torch's, or both libraries must refuse the pair.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import minigrad
from minigrad import dtypes

torch = pytest.importorskip("torch")

DTYPES = ["bool", "uint8", "int16", "int32", "int64", "float16", "float32", "float64"]


def tensor_kind(dtype: str, ndim: int) -> Callable[[Any], Any]:
    shape = (2,) * ndim

    def make(lib: Any) -> Any:
        return lib.ones(shape, dtype=getattr(lib, dtype))

    make.__name__ = f"{dtype}_{ndim}d"
    return make


def scalar_kind(value: Any) -> Callable[[Any], Any]:
    def make(lib: Any) -> Any:
        return value

    make.__name__ = f"{type(value).__module__}.{type(value).__name__}"
    return make


TENSORS = [tensor_kind(d, n) for d in DTYPES for n in (1, 0)]
# (not np.bool_: torch takes a NumPy bool for a float, minigrad for a bool, as NumPy does)
SCALARS = [scalar_kind(v) for v in (True, 3, 2.5, np.float64(2.5), np.float32(0.5),
                                     np.int64(3), np.int32(2))]
PAIRS = [(a, b) for a, b in itertools.product(TENSORS + SCALARS, repeat=2)
         if a in TENSORS or b in TENSORS]

BINARY = {
    "add": lambda lib, a, b: a + b,
    "sub": lambda lib, a, b: a - b,
    "mul": lambda lib, a, b: lib.mul(a, b),
    "div": lambda lib, a, b: a / b,
    "pow": lambda lib, a, b: a ** b,
    "maximum": lambda lib, a, b: lib.maximum(a, b),
    "where": lambda lib, a, b: lib.where(lib.ones(2, dtype=lib.bool), a, b),
    "eq": lambda lib, a, b: a == b,
    "lt": lambda lib, a, b: a < b,
}


def dtype_name(dtype: Any) -> str:
    return str(dtype).removeprefix("torch.")


def outcome(lib: Any, op: Callable[..., Any], *makers: Callable[[Any], Any]) -> str:
    """The result dtype's name, or the name of the exception type raised.

    torch's NotImplementedError ("not implemented for 'Bool'") is a RuntimeError, and
    minigrad may raise either.
    """
    try:
        result = op(lib, *(make(lib) for make in makers))
    except NotImplementedError:
        return "RuntimeError"
    except Exception as error:  # the type is compared with torch's
        return type(error).__name__
    return dtype_name(result.dtype)


# Where torch refuses and minigrad gives the obvious answer on purpose.
EXTENSIONS = {
    ("maximum", "scalar"),  # torch.maximum takes no Python scalars
    ("abs", "bool"),  # abs of a bool is itself
    ("argmax", "bool"),  # the first True
}


def extension(name: str, *makers: Callable[[Any], Any]) -> bool:
    kinds = {"scalar" if make in SCALARS else make.__name__.split("_")[0] for make in makers}
    return any((name, kind) in EXTENSIONS for kind in kinds)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_op_result_dtypes_match_torch(name: str) -> None:
    op = BINARY[name]
    mismatches = []
    for a, b in PAIRS:
        mine, theirs = outcome(minigrad, op, a, b), outcome(torch, op, a, b)
        if mine != theirs and not (theirs.endswith("Error") and extension(name, a, b)):
            mismatches.append(f"{a.__name__} {name} {b.__name__}: minigrad {mine}, "
                              f"torch {theirs}")
    assert not mismatches, "\n".join(mismatches)


UNARY = {
    "neg": lambda lib, x: -x,
    "abs": lambda lib, x: lib.abs(x),
    "exp": lambda lib, x: lib.exp(x),
    "sqrt": lambda lib, x: lib.sqrt(x),
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "sum": lambda lib, x: x.sum(),
    "sum_dim": lambda lib, x: x.sum(dim=-1),
    "mean": lambda lib, x: x.mean(),
    "amax": lambda lib, x: x.amax(dim=-1),
    "argmax": lambda lib, x: x.argmax(),
    "clamp": lambda lib, x: lib.clamp(x, 0, 1),
    "clamp_float": lambda lib, x: lib.clamp(x, 0.5, 1.5),
    "relu": lambda lib, x: lib.relu(x),
    "reshape": lambda lib, x: x.reshape(-1),
    "cat": lambda lib, x: lib.cat([x.reshape(-1), x.reshape(-1)]),
    "cat_mixed": lambda lib, x: lib.cat([x.reshape(-1), lib.ones(1, dtype=lib.int32)]),
    "stack_mixed": lambda lib, x: lib.stack([x, lib.ones(x.shape, dtype=lib.float16)]),
    "softmax": lambda lib, x: lib.softmax(x, -1),
    "logsumexp": lambda lib, x: lib.logsumexp(x, -1),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_op_result_dtypes_match_torch(name: str) -> None:
    op = UNARY[name]
    mismatches = []
    for make in TENSORS:
        mine, theirs = outcome(minigrad, op, make), outcome(torch, op, make)
        if mine != theirs and not (theirs.endswith("Error") and extension(name, make)):
            mismatches.append(f"{name}({make.__name__}): minigrad {mine}, torch {theirs}")
    assert not mismatches, "\n".join(mismatches)


def test_documented_rules() -> None:
    """The rules the issue names, spelled out (the grid above covers them all)."""
    f32, f64 = minigrad.ones(2), minigrad.ones(2, dtype=minigrad.float64)
    ints = minigrad.tensor([1, 2])
    assert (f32 * 2.0).dtype == minigrad.float32  # Python scalars don't promote
    assert (f32 * np.float64(2.0)).dtype == minigrad.float32
    assert (ints / ints).dtype == minigrad.float32  # int / int is a float
    assert (ints + 1.5).dtype == minigrad.float32
    assert (ints + 1).dtype == minigrad.int64
    assert (f32 + minigrad.tensor(1.0, dtype=minigrad.float64)).dtype == minigrad.float32
    assert (minigrad.tensor(1.0) + f64).dtype == minigrad.float64
    assert (minigrad.tensor([True]) + 1).dtype == minigrad.int64
    assert (minigrad.tensor([True]) + minigrad.tensor([True])).dtype == minigrad.bool


def test_python_floats_follow_the_default_dtype() -> None:
    try:
        torch.set_default_dtype(torch.float64)
        minigrad.set_default_dtype(minigrad.float64)
        for make in (tensor_kind("int64", 1), tensor_kind("bool", 0), tensor_kind("float32", 1)):
            for op in (BINARY["add"], BINARY["div"]):
                assert outcome(minigrad, op, make, scalar_kind(2.5)) == \
                    outcome(torch, op, make, scalar_kind(2.5))
        assert minigrad.tensor(1.5).dtype == minigrad.float64
        assert (minigrad.tensor([1]) / 2).dtype == minigrad.float64
    finally:
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("a, b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promote_types_matches_torch(a: str, b: str) -> None:
    assert dtype_name(minigrad.promote_types(getattr(minigrad, a), getattr(minigrad, b))) == \
        dtype_name(torch.promote_types(getattr(torch, a), getattr(torch, b)))


def test_set_default_dtype_rejects_integers() -> None:
    with pytest.raises(TypeError, match="floating"):
        minigrad.set_default_dtype(minigrad.int64)
    assert minigrad.get_default_dtype() == minigrad.float32


def test_dtype_objects_are_numpy_dtypes() -> None:
    assert minigrad.float32 == np.dtype("float32") and minigrad.double == minigrad.float64
    assert minigrad.long == minigrad.int64 and minigrad.half == minigrad.float16
    assert dtypes.as_dtype("float64") == minigrad.float64
    assert dtypes.as_dtype(np.int32) == minigrad.int32
    with pytest.raises(TypeError, match="complex128"):
        dtypes.as_dtype(np.complex128)
