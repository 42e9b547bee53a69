"""dtypes and PyTorch's type-promotion rules.

minigrad's dtypes are NumPy's ``np.dtype`` objects, so arrays and tensors interoperate
without conversion. What differs from NumPy is *promotion*: PyTorch lets Python scalars and
0-d tensors take part in an op without widening a dimensioned tensor of the same kind
(``float32_tensor * 2.0`` stays float32, ``int32_tensor + 1`` stays int32), and turns
Python floats into the default dtype rather than float64.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

float16 = half = np.dtype("float16")
float32 = float = np.dtype("float32")  # noqa: A001 (PyTorch's name)
float64 = double = np.dtype("float64")
int8 = np.dtype("int8")
uint8 = np.dtype("uint8")
int16 = short = np.dtype("int16")
int32 = int = np.dtype("int32")  # noqa: A001 (PyTorch's name)
int64 = long = np.dtype("int64")
bool = np.dtype("bool")  # noqa: A001 (PyTorch's name)

_SUPPORTED = {float16, float32, float64, int8, uint8, int16, int32, int64, bool}
_default_dtype = float32


def get_default_dtype() -> np.dtype:
    """Return the dtype that Python floats and float factories produce (float32 at start)."""
    return _default_dtype


def set_default_dtype(dtype: Any) -> None:
    """Set the default floating-point dtype (float16, float32 or float64), as in PyTorch."""
    global _default_dtype
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"set_default_dtype: only floating-point types are supported, got {dtype}")
    _default_dtype = dtype


def as_dtype(dtype: Any) -> np.dtype:
    """Turn a dtype-like (``minigrad.float32``, ``"float32"``, ``np.float32``) into an np.dtype."""
    try:
        result = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"not a dtype: {dtype!r}") from None
    if result not in _SUPPORTED:
        raise TypeError(f"minigrad does not support dtype {result}")
    return result


def is_floating(dtype: np.dtype) -> builtins.bool:
    return dtype.kind == "f"


def _category(dtype: np.dtype) -> builtins.int:
    """0 for bool, 1 for integers, 2 for floating point."""
    return 2 if dtype.kind == "f" else 0 if dtype.kind == "b" else 1


def promote_types(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's ``promote_types``: the float side wins over integers whatever their size."""
    if a == b:
        return a
    category_a, category_b = _category(a), _category(b)
    if category_a != category_b:
        return a if category_a > category_b else b
    return np.promote_types(a, b)


def scalar_dtype(value: Any) -> np.dtype:
    """The dtype PyTorch gives a Python scalar in an op: bool, int64, or the default float."""
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    if isinstance(value, (builtins.float, np.floating)):
        return _default_dtype
    raise TypeError(f"unsupported operand type: {type(value).__name__}")


def _combine(higher: np.dtype | None, lower: np.dtype | None) -> np.dtype | None:
    """Let a lower-priority group matter only when it is of a higher category."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if higher.kind == "f":
        return higher
    if higher.kind == "b" or lower.kind == "f":
        return promote_types(higher, lower)
    return higher


def result_type(*operands: tuple[np.dtype, builtins.int]) -> np.dtype:
    """PyTorch's ``result_type`` for operands given as ``(dtype, priority)`` pairs.

    Priority 2 is a tensor with dimensions, 1 a 0-d tensor, 0 a Python scalar. A group of
    lower priority only changes the result when it is of a higher category
    (bool < integer < floating point): ``int32_tensor * 2.5`` is float32, but
    ``float32_tensor * float64_scalar_tensor`` stays float32.
    """
    groups: list[np.dtype | None] = [None, None, None]
    for dtype, priority in operands:
        current = groups[priority]
        groups[priority] = dtype if current is None else promote_types(current, dtype)
    result = _combine(groups[2], _combine(groups[1], groups[0]))
    assert result is not None, "result_type needs at least one operand"
    return result
