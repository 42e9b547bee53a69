"""Making tensors: ``tensor``, the factories (``zeros``, ``randn``, ...) and the repr."""

from __future__ import annotations

import builtins
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
        try:
            array = np.array(_unwrap(data))
        except ValueError as error:
            raise ValueError(f"tensor(): cannot build a tensor from {type(data).__name__} "
                             f"data: {error}") from None
        if dtype is None:
            if array.dtype.kind == "f" or (array.size == 0 and array.dtype.kind != "b"):
                dtype = dtypes.get_default_dtype()
            elif array.dtype.kind in "iu":
                dtype = dtypes.int64
    if dtype is not None:
        if array.dtype.kind not in "fiub":
            raise TypeError(f"tensor(): can't convert data of dtype {array.dtype}")
        return array.astype(dtypes.as_dtype(dtype), copy=copy)
    if array.dtype not in dtypes._SUPPORTED:
        raise TypeError(f"tensor(): can't convert data of dtype {array.dtype} "
                        "(supported: float16/32/64, int8/16/32/64, uint8, bool)")
    return array.copy() if copy else array


def _unwrap(data: Any) -> Any:
    """Replace tensors nested in lists by their arrays, so NumPy can stack them."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap(item) for item in data]
    return data


def _finish(array: np.ndarray, requires_grad: bool) -> Tensor:
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
    return _finish(as_array(data, dtype), requires_grad)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like ``tensor`` but shares memory with a NumPy array or tensor when it can."""
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
    return _finish(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones (default float dtype)."""
    return _finish(np.ones(_shape(size, "ones"), _float_dtype(dtype)), requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None,
          requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (zeros here: NumPy's ``empty`` would leak old memory)."""
    return _finish(np.zeros(_shape(size, "empty"), _float_dtype(dtype)), requires_grad)


def full(size: Size, fill_value: Any, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor filled with ``fill_value``; its dtype follows the value as in PyTorch."""
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value)
    shape = _shape((size,) if isinstance(size, builtins.int) else tuple(size), "full")
    return _finish(np.full(shape, fill_value, dtypes.as_dtype(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The ``n x m`` identity matrix."""
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad)


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
    return _finish(np.arange(start, end, step).astype(dtypes.as_dtype(dtype)), requires_grad)


def linspace(start: float, end: float, steps: int, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` (both included)."""
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative, got {steps}")
    return _finish(np.linspace(start, end, steps, dtype=_float_dtype(dtype)), requires_grad)


def rand(*size: Any, generator: Generator | None = None, dtype: Any = None,
         device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from minigrad's generator."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).random(_shape(size, "rand")).astype(dtype, copy=False)
    return _finish(array, requires_grad)


def randn(*size: Any, generator: Generator | None = None, dtype: Any = None,
          device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from minigrad's generator."""
    dtype = _float_dtype(dtype)
    array = get_rng(generator).standard_normal(_shape(size, "randn")).astype(dtype, copy=False)
    return _finish(array, requires_grad)


def randint(low: int, high: int | None = None, size: Size = (),
            generator: Generator | None = None, dtype: Any = None,
            device: Any = None) -> Tensor:
    """Integers drawn uniformly from ``[low, high)`` (int64 by default)."""
    if high is None:
        low, high = 0, low
    shape = _shape((size,) if isinstance(size, builtins.int) else tuple(size), "randint")
    array = get_rng(generator).integers(low, high, shape)
    return _new(array.astype(dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)))


def randperm(n: int, generator: Generator | None = None, dtype: Any = None,
             device: Any = None) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64)."""
    array = get_rng(generator).permutation(n)
    return _new(array.astype(dtypes.int64 if dtype is None else dtypes.as_dtype(dtype)))


def _like(name: str, make: Any) -> Any:
    def like(input: Tensor, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
        dtype = input.dtype if dtype is None else dtypes.as_dtype(dtype)
        if name in ("rand_like", "randn_like") and dtype.kind != "f":
            raise RuntimeError(f"{name}: expected a floating point dtype, got {dtype}")
        return make(input.shape, dtype=dtype, requires_grad=requires_grad)

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
def _float_format(data: np.ndarray) -> Any:
    """Choose PyTorch's look for floats: ``1.``, ``0.1235`` or ``1.2346e+08``."""
    finite = np.abs(data[np.isfinite(data)]).astype(np.float64)
    if finite.size == 0:
        return lambda x: _special(x) or f"{x:.4f}"
    big, small = finite.max(), finite[finite > 0].min() if (finite > 0).any() else 0.0
    if np.all(finite == np.round(finite)) and big < 1e8:
        return lambda x: _special(x) or f"{x:.0f}."
    if big >= 1e8 or (small and small < 1e-4) or (small and big / small > 1e3 and big > 1e4):
        return lambda x: _special(x) or f"{x:.4e}"
    return lambda x: _special(x) or f"{x:.4f}"


def _special(x: float) -> str:
    if np.isnan(x):
        return "nan"
    if np.isinf(x):
        return "inf" if x > 0 else "-inf"
    return ""


def format_tensor(t: Tensor) -> str:
    """PyTorch's repr: ``tensor([1., 2.], requires_grad=True)``, elements padded to one width."""
    data = t._data
    if data.dtype.kind == "f":
        element = _float_format(data)
    elif data.dtype.kind == "b":
        element = lambda x: "True" if x else "False"  # noqa: E731
    else:
        element = str
    if data.size == 0:
        body = "[]"
    else:
        shown = data.reshape(-1)
        if shown.size > 1000:  # NumPy summarises these: measure only what it shows
            shown = np.concatenate([shown[:3], shown[-3:]])
        width = builtins.max(len(element(v)) for v in shown.tolist())
        pad = lambda x: element(x).rjust(width)  # noqa: E731
        body = np.array2string(data, separator=", ", prefix="tensor(",
                               formatter={"all": pad}, threshold=1000, edgeitems=3,
                               max_line_width=80)
    extras = []
    if data.size == 0 and data.ndim != 1:
        extras.append(f"size={tuple(data.shape)}")
    default = dtypes.get_default_dtype()
    if data.dtype not in (default, dtypes.int64, dtypes.bool):
        extras.append(f"dtype=minigrad.{data.dtype.name}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"
