"""Making tensors: ``tensor``, the factories (``zeros``, ``randn``, ...) and the repr."""

from __future__ import annotations

import builtins
import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.random import Generator, get_rng
from minigrad.tensor import Tensor, _new

Size = int | Sequence[int]


def as_array(data: Any, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Convert ``data`` to an array with PyTorch's dtype inference.

    Python floats become the default dtype, Python ints int64 and bools bool; NumPy arrays
    and scalars keep their dtype. An explicit ``dtype`` wins.
    """
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        items, inferred = _unwrap(data)
        try:
            array = np.array(items)
        except ValueError as error:
            raise ValueError(f"tensor(): cannot build a tensor from {type(data).__name__} "
                             f"data: {error}") from None
        if dtype is None and inferred != _UNKNOWN:
            dtype = dtypes.get_default_dtype() if inferred is None else inferred
    if dtype is not None:
        if array.dtype.kind not in "fiub":
            raise TypeError(f"tensor(): can't convert data of dtype {array.dtype}")
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):  # as PyTorch
            return array.astype(dtypes.as_dtype(dtype), copy=copy)
    if array.dtype not in dtypes._SUPPORTED:
        raise TypeError(f"tensor(): can't convert data of dtype {array.dtype} "
                        "(supported: float16/32/64, int8/16/32/64, uint8, bool)")
    return array.copy() if copy else array


_UNKNOWN = np.dtype(object)  # an item of no dtype minigrad knows: NumPy reports the error


def _unwrap(data: Any) -> tuple[Any, np.dtype | None]:
    """Replace tensors nested in lists by their arrays, so NumPy can stack them, and infer
    PyTorch's dtype for the whole (None for no items).

    As in PyTorch, the dtype is the promotion of every item's: Python floats count as the
    default dtype, ints as int64, bools as bool; arrays, tensors and NumPy scalars keep
    theirs (``[np.float64(1.0), 2.0]`` is float64).
    """
    if isinstance(data, (list, tuple)):
        items, found = [], set[Any]()
        for item in data:
            value, dtype = _unwrap(item)
            items.append(value)
            found.add(dtype)
        found.discard(None)
        if _UNKNOWN in found or not found:
            return items, _UNKNOWN if found else None
        return items, functools.reduce(dtypes.promote_types, found)
    if isinstance(data, Tensor):
        return data._data, data._data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return data, data.dtype
    if isinstance(data, (builtins.bool, builtins.int, builtins.float)):
        return data, dtypes.scalar_dtype(data)
    return data, _UNKNOWN


def _check_device(device: Any) -> None:
    if device is not None and str(device) != "cpu":
        raise RuntimeError(f"minigrad runs on the cpu only, not on {device!r}")


def _finish(array: np.ndarray, requires_grad: bool, device: Any = None) -> Tensor:
    _check_device(device)
    out = _new(array)
    if requires_grad:
        out.requires_grad = True
    return out


def tensor(data: Any, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Build a tensor from data (a list, number, array or tensor); the data is copied.

    Examples
    --------
    >>> minigrad.tensor([1.0, 2.0], requires_grad=True)
    tensor([1., 2.], requires_grad=True)
    """
    return _finish(as_array(data, dtype), requires_grad, device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
    _check_device(device)
    if isinstance(data, Tensor) and (dtype is None or dtypes.as_dtype(dtype) == data.dtype):
        return data
    array = as_array(data, dtype, copy=False)
    out = _new(array)
    out._vc[2] = array is data  # the caller holds the array: lock it while saved
    return out


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with a NumPy array (the dtype is kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(array).__name__}")
    return as_tensor(array)


def _shape(size: tuple[Any, ...], name: str) -> tuple[int, ...]:
    """Accept both ``zeros(2, 3)`` and ``zeros((2, 3))``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (builtins.int, np.integer)) or isinstance(n, builtins.bool):
            raise TypeError(f"{name}(): size must be ints, got {size!r}")
        if n < 0:
            raise RuntimeError(f"{name}(): negative dimension {n} in size {size!r}")
    return tuple(builtins.int(n) for n in size)


def _float_dtype(dtype: Any) -> np.dtype:
    return dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype)


def zeros(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros (default float dtype)."""
    return _finish(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), requires_grad, device)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (default float dtype)."""
    return _finish(np.ones(_shape(size, "ones"), _float_dtype(dtype)), requires_grad, device)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here: NumPy's ``empty`` would leak old memory)."""
    return _finish(np.zeros(_shape(size, "empty"), _float_dtype(dtype)), requires_grad, device)


def full(size: Size, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value as in PyTorch."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    shape = _shape((size,) if isinstance(size, builtins.int) else tuple(size), "full")
    return _finish(np.full(shape, fill_value, dtypes.as_dtype(dtype)), requires_grad, device)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (excluded) by ``step``; int64 if all are ints."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if dtype is None:
        integral = all(isinstance(v, (builtins.int, np.integer)) for v in (start, end, step))
        dtype = dtypes.int64 if integral else dtypes.get_default_dtype()
    values = np.arange(start, end, step).astype(dtypes.as_dtype(dtype))
    return _finish(values, requires_grad, device)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad, device)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from minigrad's generator."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).random(_shape(size, "rand")).astype(dtype, copy=False)
    return _finish(array, requires_grad, device)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's generator."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).standard_normal(_shape(size, "randn")).astype(dtype, copy=False)
    return _finish(array, requires_grad, device)


def randint(low: int, high: int | None = None, size: Size = (),
            generator: Generator | None = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` (int64 by default)."""
    _check_device(device)
    if high is None:
        low, high = 0, low
    shape = _shape((size,) if isinstance(size, builtins.int) else tuple(size), "randint")
    array = get_rng(generator).integers(low, high, shape)
    return _new(array.astype(dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)))


def randperm(n: int, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of the integers ``0`` to ``n - 1`` (int64)."""
    _check_device(device)
    array = get_rng(generator).permutation(n)
    return _new(array.astype(dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)))


def _like(name: str, make: Any) -> Any:
    def like(input: Tensor, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
        dtype = input.dtype if dtype is None else dtypes.as_dtype(dtype)
        if name in ("rand_like", "randn_like") and dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point dtype, got {dtype}")
        return make(input.shape, dtype=dtype, device=device, requires_grad=requires_grad)

    like.__name__ = like.__qualname__ = name
    like.__doc__ = f"Like ``{name[:-5]}`` with the shape (and by default dtype) of ``input``."
    return like


zeros_like = _like("zeros_like", zeros)
ones_like = _like("ones_like", ones)
empty_like = _like("empty_like", empty)
rand_like = _like("rand_like", rand)
randn_like = _like("randn_like", randn)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """A tensor like ``input`` filled with ``fill_value``."""
    dtype = input.dtype if dtype is None else dtype
    return full(input.shape, fill_value, dtype=dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------- repr
# A port of PyTorch's printing (torch/_tensor_str.py, default print options), so that a
# tensor prints exactly as PyTorch's would, with "minigrad." where PyTorch says "torch.".
_PRECISION, _THRESHOLD, _EDGEITEMS, _LINEWIDTH = 4, 1000, 3, 80


class _Formatter:
    """Formats the elements of one tensor in PyTorch's style, right-aligned to one width.

    Integers print as ``1``; floats as ``1.`` when all are integral, ``0.1235``, or
    ``1.2346e+08`` when the nonzero finite magnitudes span more than 1000x, exceed 1e8 or
    fall below 1e-4. The width is that of the widest nonzero finite element.
    """

    def __init__(self, data: np.ndarray) -> None:
        self.floating = data.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.width = True, False, 1
        if not self.floating:
            self.width = builtins.max(len(f"{v}") for v in data.reshape(-1).tolist())
            return
        values = data[np.isfinite(data) & (data != 0)].astype(np.float64)
        if values.size == 0:
            return
        magnitudes = np.abs(values)
        big, small = magnitudes.max(), magnitudes.min()
        self.int_mode = builtins.bool(np.all(values == np.ceil(values)))
        with np.errstate(over="ignore"):  # 1e300 / 1e-300 is inf: more than 1000 indeed
            self.sci_mode = builtins.bool(big / small > 1000.0 or big > 1.0e8 or small < 1e-4)
        if self.sci_mode:
            texts = [f"{v:.{_PRECISION}e}" for v in values.tolist()]
        elif self.int_mode:
            texts = [f"{v:.0f}." for v in values.tolist()]
        else:
            texts = [f"{v:.{_PRECISION}f}" for v in values.tolist()]
        self.width = builtins.max(1, *map(len, texts))

    def format(self, value: Any) -> str:
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:.{_PRECISION}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if np.isinf(value) or np.isnan(value) else ".")
        else:
            text = f"{value:.{_PRECISION}f}"
        return text.rjust(self.width)


def _edges(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows (the first and last items of each dim)."""
    if data.ndim == 0:
        return data
    rows = list(range(len(data)))
    if len(data) > 2 * _EDGEITEMS:
        rows = rows[:_EDGEITEMS] + rows[-_EDGEITEMS:]
    if data.ndim == 1:
        return data[rows]
    return np.stack([_edges(data[i]) for i in rows])


def _body(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    """The nested brackets, wrapped at 80 columns and summarised as PyTorch does."""
    if data.ndim == 0:
        return formatter.format(data.item())
    cut = summarize and len(data) > 2 * _EDGEITEMS
    if data.ndim == 1:
        values = data.tolist()
        items = [formatter.format(v) for v in values]
        if cut:
            items = items[:_EDGEITEMS] + [" ..."] + items[-_EDGEITEMS:]
        per_line = builtins.max(1, (_LINEWIDTH - indent) // (formatter.width + 2))
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    rows = [_body(row, indent + 1, summarize, formatter) for row in data]
    if cut:
        rows = rows[:_EDGEITEMS] + ["..."] + rows[-_EDGEITEMS:]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(rows) + "]"


def format_tensor(t: Tensor) -> str:
    """PyTorch's repr: ``tensor([1., 2.], requires_grad=True)``."""
    data = t._data
    prefix = "tensor("
    suffixes = []
    default = dtypes.get_default_dtype()
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        shows_dtype = data.dtype != default  # no element to tell an int64 from a float
    else:
        summarize = data.size > _THRESHOLD
        formatter = _Formatter(_edges(data) if summarize else data)
        body = _body(data, len(prefix), summarize, formatter)
        shows_dtype = data.dtype not in (default, dtypes.int64, dtypes.bool)
    if shows_dtype:
        suffixes.append(f"dtype=minigrad.{data.dtype.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body
    line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:  # each on the same line while it fits in 80 columns
        if line + len(suffix) + 2 > _LINEWIDTH:
            text += ",\n" + " " * len(prefix) + suffix
            line = len(prefix) + len(suffix)
        else:
            text += ", " + suffix
            line += len(suffix) + 2
    return text + ")"
