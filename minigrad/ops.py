"""Every differentiable op: its forward on NumPy arrays, and its backward formula beside it.

A forward function converts its operands (:func:`_operands` applies PyTorch's dtype
promotion), computes the result with NumPy, and calls :func:`record`, which attaches a
node only when grad mode is on and some input requires grad.

A backward formula, made a Node type by ``@derivative``, is called as
``formula(xp, grad, out, inputs, needs, *saved)`` and returns one gradient per input.
Formulas are written once against a NumPy-like namespace ``xp``: ``numpy`` itself during
an ordinary backward (arrays in, arrays out: fast), :data:`TENSOR_XP` under
``create_graph=True`` (Tensors in, Tensors out: the backward is itself recorded, so it can
be differentiated again). Gradients may keep a broadcast shape and a promoted dtype: the
engine sums and casts each back to its input in one place.

Adding an op: write the forward, write its formula with ``@derivative`` next to it, export
it in ``minigrad/__init__.py`` (and as a method in ``tensor.py``), and add it to the op
table in ``tests/test_ops.py``, which checks it against PyTorch and finite differences.
"""

from __future__ import annotations

import builtins
import math
from collections import namedtuple
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from minigrad import dtypes
from minigrad.autograd.grad_mode import _mode, no_grad
from minigrad.tensor import Tensor, _new, derivative, record

Dim = int | Sequence[int] | None
return_types = SimpleNamespace(
    max=namedtuple("max", ["values", "indices"]),
    min=namedtuple("min", ["values", "indices"]),
)


# ---------------------------------------------------------------------- operands
_PLAIN_NUMBERS = (builtins.float, builtins.int)


def _priority(array: np.ndarray) -> int:
    return 2 if array.ndim else 1


def _constant(value: Any, dtype: np.dtype) -> Tensor:
    return _new(np.asarray(value, dtype=dtype))


def _operands(name: str, input: Any, other: Any) -> tuple[Tensor, Tensor, np.ndarray, np.ndarray]:
    """Two operands as tensors, plus their arrays in PyTorch's result dtype.

    The tensors (the graph's inputs) keep their dtype; only the arrays computed with are
    converted. Python scalars and NumPy arrays become constant tensors.
    """
    if isinstance(input, Tensor) and isinstance(other, Tensor):
        a, b = input, other
        if a._data.dtype == b._data.dtype:
            return a, b, a._data, b._data
        dtype = dtypes.result_type((a._data.dtype, _priority(a._data)),
                                   (b._data.dtype, _priority(b._data)))
    elif type(other) in _PLAIN_NUMBERS and isinstance(input, Tensor) \
            and input._data.dtype.kind == "f":
        # float tensor and Python number (``y * 0.5``): the tensor's dtype wins
        x = input._data
        y = np.asarray(other, x.dtype)
        return input, _new(y), x, y
    elif type(input) in _PLAIN_NUMBERS and isinstance(other, Tensor) \
            and other._data.dtype.kind == "f":
        y = other._data
        x = np.asarray(input, y.dtype)
        return _new(x), other, x, y
    else:
        kinds = []
        for value in (input, other):
            if isinstance(value, Tensor):
                kinds.append((value._data.dtype, _priority(value._data)))
            elif isinstance(value, np.ndarray):
                if value.dtype not in dtypes._SUPPORTED:
                    raise TypeError(f"{name}: unsupported operand dtype {value.dtype}")
                kinds.append((value.dtype, _priority(value)))
            elif isinstance(value, (builtins.bool, builtins.int, builtins.float, np.generic)):
                kinds.append((dtypes.scalar_dtype(value), 0))
            else:
                raise TypeError(f"{name}: unsupported operand type(s): "
                                f"{type(input).__name__} and {type(other).__name__}")
        dtype = dtypes.result_type(*kinds)
        a = input if isinstance(input, Tensor) else _constant(input, dtype)
        b = other if isinstance(other, Tensor) else _constant(other, dtype)
    return a, b, a._data.astype(dtype, copy=False), b._data.astype(dtype, copy=False)


def _tensor(name: str, value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{name}(): argument 'input' must be Tensor, not {type(value).__name__}")


def _broadcast_error(name: str, a: Tensor, b: Tensor) -> RuntimeError:
    return RuntimeError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                        "broadcast together")


def _cross(a: Tensor, b: Tensor) -> tuple[Tensor, ...]:
    """What a product-like formula reads: each operand only if the other needs a gradient
    (so ``h.mul_(3)`` saves nothing of ``h`` and leaves its history usable)."""
    if a._requires_grad:
        return (b, a) if b._requires_grad else (b,)
    return (a,)


def _binary(name: str, node_type: type, ufunc: Callable[..., Any], input: Any, other: Any,
            save: bool) -> Tensor:
    a, b, x, y = _operands(name, input, other)
    try:
        data = ufunc(x, y)
    except ValueError:
        raise _broadcast_error(name, a, b) from None
    return record(node_type, data, (a, b), save=_cross(a, b) if save else ())


# ---------------------------------------------------------------------- arithmetic
@derivative
def AddBackward0(xp, grad, out, inputs, needs):
    return grad, grad


@derivative
def SubBackward0(xp, grad, out, inputs, needs):
    return grad, -grad if needs[1] else None


@derivative
def MulBackward0(xp, grad, out, inputs, needs):
    a, b = inputs
    return grad * b if needs[0] else None, grad * a if needs[1] else None


@derivative
def DivBackward0(xp, grad, out, inputs, needs):
    a, b = inputs
    return grad / b if needs[0] else None, -grad * a / (b * b) if needs[1] else None


def add(input: Any, other: Any, alpha: float = 1) -> Tensor:
    """``input + alpha * other``, broadcasting."""
    if alpha != 1:
        other = mul(other, alpha)
    return _binary("add", AddBackward0, np.add, input, other, save=False)


def _is_bool(value: Any) -> bool:
    if isinstance(value, Tensor):
        return value._data.dtype.kind == "b"
    return isinstance(value, (builtins.bool, np.bool_))


def sub(input: Any, other: Any, alpha: float = 1) -> Tensor:
    """``input - alpha * other``, broadcasting."""
    if _is_bool(input) or _is_bool(other):
        raise RuntimeError("sub: subtraction, the `-` operator, with a bool tensor is not "
                           "supported. If you are trying to invert a mask, use the `~` or "
                           "`logical_not()` operator instead.")
    if alpha != 1:
        other = mul(other, alpha)
    return _binary("sub", SubBackward0, np.subtract, input, other, save=False)


def mul(input: Any, other: Any) -> Tensor:
    """Elementwise product, broadcasting."""
    return _binary("mul", MulBackward0, np.multiply, input, other, save=True)


def div(input: Any, other: Any, rounding_mode: str | None = None) -> Tensor:
    """True division (integers give the default float dtype), broadcasting."""
    if rounding_mode is not None:
        return floor_divide(input, other) if rounding_mode == "floor" else \
            trunc(div(input, other))
    a, b, x, y = _operands("div", input, other)
    if x.dtype.kind != "f":
        x = x.astype(dtypes.get_default_dtype())
        y = y.astype(x.dtype)
    with np.errstate(divide="ignore", invalid="ignore"):
        try:
            data = np.true_divide(x, y)
        except ValueError:
            raise _broadcast_error("div", a, b) from None
    return record(DivBackward0, data, (a, b), save=(b, a) if b._requires_grad else (b,))


true_divide = divide = div
subtract = sub
multiply = mul


@derivative
def NegBackward0(xp, grad, out, inputs, needs):
    return (-grad,)


def neg(input: Tensor) -> Tensor:
    """``-input``."""
    input = _tensor("neg", input)
    if input.dtype.kind == "b":
        raise RuntimeError("neg: negation of a bool tensor is not supported, use ~ instead")
    return record(NegBackward0, np.negative(input._data), (input,))


negative = neg


@derivative
def PowBackward0(xp, grad, out, inputs, needs):
    base, exponent = inputs
    grad_base = grad_exponent = None
    if needs[0]:
        grad_base = xp.where(exponent == 0, 0.0, grad * exponent * base ** (exponent - 1))
    if needs[1]:
        grad_exponent = xp.where((base == 0) & (exponent >= 0), 0.0, grad * out * xp.log(base))
    return grad_base, grad_exponent


def pow(input: Any, exponent: Any) -> Tensor:
    """``input ** exponent``, elementwise, broadcasting."""
    a, b, x, y = _operands("pow", input, exponent)
    if x.dtype.kind == "b" and not isinstance(exponent, builtins.bool):
        # NumPy would answer in int8; PyTorch only takes a bool tensor to a Python bool power
        raise NotImplementedError(f"pow: not implemented for bool base {tuple(a.shape)} and "
                                  f"exponent {tuple(b.shape)}")
    if x.dtype.kind in "iu" and (y < 0).any():
        raise RuntimeError("pow: integers to negative integer powers are not allowed")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        try:
            data = np.power(x, y)
        except ValueError:
            raise _broadcast_error("pow", a, b) from None
    if data.dtype != x.dtype:  # bool ** bool
        data = data.astype(x.dtype)
    return record(PowBackward0, data, (a, b), save=(a, b), save_out=b._requires_grad)


# ---------------------------------------------------------------------- elementwise
# NumPy's warnings (overflow to inf, log of 0, ...) that PyTorch does not give. As a
# decorator, np.errstate costs about half of a ``with`` block: ops on hot paths use it.
# (From NumPy 2.0 on, one errstate object may decorate many functions, even nested ones.)
_quiet = np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")
_quiet_exp, _quiet_log, _quiet_sqrt = _quiet(np.exp), _quiet(np.log), _quiet(np.sqrt)


def _unary(name: str, node_type: type, ufunc: Callable[..., Any], input: Any,
           save_input: bool = False, save_out: bool = False) -> Tensor:
    """An elementwise op of floats (pass ``_quiet(ufunc)`` for one that may warn)."""
    input = _tensor(name, input)
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(dtypes.get_default_dtype())
    return record(node_type, ufunc(x), (input,), save=(input,) if save_input else (),
                  save_out=save_out)


@derivative
def AbsBackward0(xp, grad, out, inputs, needs):
    return (grad * xp.sign(inputs[0]),)


def abs(input: Tensor) -> Tensor:
    """Elementwise absolute value (the gradient at 0 is 0, as in PyTorch)."""
    input = _tensor("abs", input)
    return record(AbsBackward0, np.abs(input._data), (input,), save=(input,))


absolute = abs


@derivative
def ExpBackward0(xp, grad, out, inputs, needs):
    return (grad * out,)


def exp(input: Tensor) -> Tensor:
    """Elementwise ``e ** input``."""
    return _unary("exp", ExpBackward0, _quiet_exp, input, save_out=True)


@derivative
def LogBackward0(xp, grad, out, inputs, needs):
    return (grad / inputs[0],)


def log(input: Tensor) -> Tensor:
    """Elementwise natural logarithm (``-inf`` at 0, ``nan`` below, silently as in PyTorch)."""
    return _unary("log", LogBackward0, _quiet_log, input, save_input=True)


@derivative
def SqrtBackward0(xp, grad, out, inputs, needs):
    return (grad / (2 * out),)


def sqrt(input: Tensor) -> Tensor:
    """Elementwise square root."""
    return _unary("sqrt", SqrtBackward0, _quiet_sqrt, input, save_out=True)


@derivative
def SinBackward0(xp, grad, out, inputs, needs):
    return (grad * xp.cos(inputs[0]),)


def sin(input: Tensor) -> Tensor:
    """Elementwise sine."""
    return _unary("sin", SinBackward0, np.sin, input, save_input=True)


@derivative
def CosBackward0(xp, grad, out, inputs, needs):
    return (-grad * xp.sin(inputs[0]),)


def cos(input: Tensor) -> Tensor:
    """Elementwise cosine."""
    return _unary("cos", CosBackward0, np.cos, input, save_input=True)


@derivative
def SigmoidBackward0(xp, grad, out, inputs, needs):
    return (grad * out * (1 - out),)


@_quiet
def _sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-x) overflows to inf for x < -709, and 1 / (1 + inf) is exactly 0: the limit is
    # right, only the warning is spurious. One buffer, computed in place.
    if x.ndim == 0:
        return 1 / (1 + np.exp(-x))
    out = np.negative(x)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def sigmoid(input: Tensor) -> Tensor:
    """Elementwise logistic function ``1 / (1 + exp(-input))``, stable at any magnitude."""
    return _unary("sigmoid", SigmoidBackward0, _sigmoid, input, save_out=True)


@derivative
def TanhBackward0(xp, grad, out, inputs, needs):
    return (grad * (1 - out * out),)


def tanh(input: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent."""
    return _unary("tanh", TanhBackward0, np.tanh, input, save_out=True)


@derivative
def ReluBackward0(xp, grad, out, inputs, needs):
    return (grad * (out > 0),)


def relu(input: Tensor) -> Tensor:
    """Elementwise ``max(input, 0)``."""
    input = _tensor("relu", input)
    if input._data.dtype.kind == "b":
        raise RuntimeError("relu: not implemented for bool tensors")
    return record(ReluBackward0, np.maximum(input._data, 0), (input,), save_out=True)


@derivative
def MaskBackward(xp, grad, out, inputs, needs, mask):
    return (grad * mask,)


ClampBackward1 = type("ClampBackward1", (MaskBackward,), {"__slots__": ()})


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp every element into ``[min, max]``; the gradient passes where it was inside."""
    input = _tensor("clamp", input)
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input if min is None else maximum(input, min)
        return out if max is None else minimum(out, max)
    x = input._data
    bounds = [(dtypes.scalar_dtype(bound), 0) for bound in (min, max) if bound is not None]
    data = np.clip(x, min, max).astype(dtypes.result_type((x.dtype, _priority(x)), *bounds),
                                       copy=False)
    mask = np.ones(x.shape, dtype=bool)
    if min is not None:
        mask &= x >= min
    if max is not None:
        mask &= x <= max
    return record(ClampBackward1, data, (input,), mask)


clip = clamp


@derivative
def MaximumBackward0(xp, grad, out, inputs, needs, share):
    # share is 1 where the first input won, 0.5 on ties (PyTorch splits ties evenly)
    return grad * share if needs[0] else None, grad * (1 - share) if needs[1] else None


MinimumBackward0 = type("MinimumBackward0", (MaximumBackward0,), {"__slots__": ()})


def _extremum(name: str, node_type: type, pick: Callable[..., Any], input: Any,
              other: Any) -> Tensor:
    a, b, x, y = _operands(name, input, other)
    try:
        data = pick(x, y)
    except ValueError:
        raise _broadcast_error(name, a, b) from None
    share = None
    if _mode.enabled and (a._requires_grad or b._requires_grad):
        share = np.where(x == y, 0.5, (data == x).astype(np.float64)).astype(data.dtype)
    return record(node_type, data, (a, b), share)


def maximum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise maximum, broadcasting (ties share the gradient evenly)."""
    return _extremum("maximum", MaximumBackward0, np.maximum, input, other)


def minimum(input: Tensor, other: Tensor) -> Tensor:
    """Elementwise minimum, broadcasting (ties share the gradient evenly)."""
    return _extremum("minimum", MinimumBackward0, np.minimum, input, other)


@derivative
def WhereBackward0(xp, grad, out, inputs, needs, condition):
    return (None,
            xp.where(condition, grad, 0.0) if needs[1] else None,
            xp.where(condition, 0.0, grad) if needs[2] else None)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """Pick from ``input`` where ``condition`` is True, else from ``other``, broadcasting."""
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {cond.dtype}")
    a, b, x, y = _operands("where", input, other)
    try:
        data = np.where(cond, x, y)
    except ValueError:
        raise RuntimeError(f"where: condition {cond.shape}, input {tuple(a.shape)} and other "
                           f"{tuple(b.shape)} cannot be broadcast together") from None
    return record(WhereBackward0, data, (_new(cond), a, b), cond)


# ---------------------------------------------------------------------- matmul
@derivative
def MmBackward0(xp, grad, out, inputs, needs):
    a, b = inputs
    grad_a = grad_b = None
    if a.ndim == 1 and b.ndim == 1:
        return (grad * b if needs[0] else None, grad * a if needs[1] else None)
    if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
        column = grad.reshape((*grad.shape, 1))
        if needs[0]:
            grad_a = column * b
        if needs[1]:
            grad_b = (xp.swapaxes(a, -1, -2) @ column).reshape(grad.shape[:-1] + b.shape)
        return grad_a, grad_b
    if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
        row = grad.reshape((*grad.shape[:-1], 1, grad.shape[-1]))
        if needs[0]:
            grad_a = (row @ xp.swapaxes(b, -1, -2)).reshape(grad.shape[:-1] + a.shape)
        if needs[1]:
            grad_b = a.reshape((a.shape[0], 1)) * row
        return grad_a, grad_b
    if needs[0]:
        grad_a = grad @ xp.swapaxes(b, -1, -2)
    if needs[1]:
        grad_b = xp.swapaxes(a, -1, -2) @ grad
    return grad_a, grad_b


def matmul(input: Tensor, other: Tensor) -> Tensor:
    """Matrix product with NumPy's rules: 1-D operands, 2-D, and batches that broadcast."""
    a, b, x, y = _operands("matmul", input, other)
    if x.ndim == 0 or y.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{tuple(a.shape)} and {tuple(b.shape)}")
    try:
        data = np.matmul(x, y)
    except ValueError:
        raise RuntimeError(f"matmul: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                           f"multiplied ({x.shape[-1]} != "
                           f"{y.shape[-2] if y.ndim > 1 else y.shape[0]})") from None
    return record(MmBackward0, data, (a, b), save=_cross(a, b))


def mm(input: Tensor, mat2: Tensor) -> Tensor:
    """Product of two matrices."""
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError(f"mm: expected 2-D tensors, got shapes {tuple(input.shape)} and "
                           f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def dot(input: Tensor, other: Tensor) -> Tensor:
    """Inner product of two 1-D tensors."""
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"dot: expected 1-D tensors, got shapes {tuple(input.shape)} and "
                           f"{tuple(other.shape)}")
    return matmul(input, other)


@derivative
def AddmmBackward0(xp, grad, out, inputs, needs):
    x, weight = inputs[0], inputs[1]
    rows = grad
    if grad.ndim != 2:  # leading dims of any number are folded into one batch dim
        rows = grad.reshape((-1, grad.shape[-1]))
        x = x.reshape((-1, x.shape[-1]))
    grad_input = grad @ weight if needs[0] else None
    grad_weight = rows.T @ x if needs[1] else None
    if len(inputs) == 2:
        return grad_input, grad_weight
    return grad_input, grad_weight, xp.sum(rows, (0,), False) if needs[2] else None


# Without a bias, PyTorch's graph shows a matrix product: keep its name.
LinearMmBackward0 = type("MmBackward0", (AddmmBackward0,), {"__slots__": ()})


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input @ weight.T + bias`` as one node (PyTorch's ``nn.functional.linear``).

    ``input`` has shape ``(..., in_features)``, ``weight`` ``(out_features, in_features)``
    and ``bias`` (optional) ``(out_features,)``.
    """
    x, w = _tensor("linear", input)._data, _tensor("linear", weight)._data
    b = None if bias is None else _tensor("linear", bias)._data
    if w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1] or \
            (b is not None and b.shape != (w.shape[0],)):
        raise RuntimeError(
            f"linear: input {tuple(x.shape)}, weight {tuple(w.shape)} and bias "
            f"{None if b is None else tuple(b.shape)} do not fit (expected input "
            f"(..., {w.shape[-1] if w.ndim else '?'}), weight (out, in), bias (out,))")
    if x.dtype != w.dtype or (b is not None and b.dtype != w.dtype):
        raise RuntimeError(f"linear: expected input, weight and bias of one dtype, got "
                           f"{x.dtype}, {w.dtype} and {None if b is None else b.dtype}")
    data = x @ w.T
    if bias is None:
        return record(LinearMmBackward0, data, (input, weight), save=_cross(input, weight))
    data += bias._data
    return record(AddmmBackward0, data, (input, weight, bias), save=_cross(input, weight))


# ---------------------------------------------------------------------- reductions
def _dims(name: str, dim: Dim, ndim: int) -> tuple[int, ...]:
    """Normalise ``dim`` (int, tuple or None for all) to sorted non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, (builtins.int, np.integer)) else tuple(dim)
    if not dims:
        return tuple(range(ndim))
    bound = builtins.max(ndim, 1)
    result = []
    for d in dims:
        if not -bound <= d < bound:
            raise IndexError(f"{name}: dimension out of range (expected to be in range of "
                             f"[{-bound}, {bound - 1}], but got {d})")
        result.append(d % bound)
    if len(set(result)) != len(result):
        raise RuntimeError(f"{name}: dim {dims} appears multiple times in the list of dims")
    return tuple(sorted(result)) if ndim else ()


def _kept(grad: Any, shape: tuple[int, ...], axes: tuple[int, ...], keepdim: bool) -> Any:
    """Give a reduced gradient back its reduced axes as size-1 dims."""
    if keepdim or not axes:
        return grad
    return grad.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


@derivative
def SumBackward1(xp, grad, out, inputs, needs, axes, keepdim):
    shape = inputs[0].shape
    return (xp.broadcast_to(_kept(grad, shape, axes, keepdim), shape),)


# PyTorch names the full reduction ...Backward0 and the one over dims ...Backward1
SumBackward0 = type("SumBackward0", (SumBackward1,), {"__slots__": ()})


def sum(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (an int, a tuple, or None for all); integers sum to int64."""
    input = _tensor("sum", input)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    x = input._data
    if dim is None and not keepdim:  # the common case, kept cheap
        data = np.add.reduce(x, None, np.int64 if x.dtype.kind in "iub" else None)
        return record(SumBackward0, data, (input,), (), False)
    axes = _dims("sum", dim, input.ndim)
    data = x.sum(axis=axes, keepdims=keepdim, dtype=np.int64 if x.dtype.kind in "iub" else None)
    return record(SumBackward1, data, (input,), axes, keepdim)


def _count(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    return math.prod([shape[a] for a in axes])


def _require_float(name: str, input: Tensor) -> None:
    if input._data.dtype.kind != "f":
        raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be a "
                           f"floating point dtype. Got: {input._data.dtype}")


@derivative
def MeanBackward1(xp, grad, out, inputs, needs, axes, keepdim, count):
    shape = inputs[0].shape
    return (xp.broadcast_to(_kept(grad, shape, axes, keepdim) / count, shape),)


def mean(input: Tensor, dim: Dim = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Mean over ``dim``; floating-point tensors only (as in PyTorch)."""
    input = _tensor("mean", input)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    _require_float("mean", input)
    axes = _dims("mean", dim, input.ndim)
    count = _count(input.shape, axes)
    total = np.add.reduce(input._data, axes, keepdims=keepdim)  # type: ignore[call-overload]
    # no elements give nan, as in PyTorch (0 / 0 would warn)
    data = total / input._data.dtype.type(count) if count else total * np.nan
    node = MeanBackward0 if dim is None else MeanBackward1
    return record(node, data, (input,), axes, keepdim, count)


MeanBackward0 = type("MeanBackward0", (MeanBackward1,), {"__slots__": ()})


@derivative
def VarBackward0(xp, grad, out, inputs, needs, axes, keepdim, scale):
    # scale: 2 / (N - correction), inf or negative without degrees of freedom, as in PyTorch
    (x,) = inputs
    centered = x - xp.sum(x, axes, True) / _count(x.shape, axes)
    with np.errstate(invalid="ignore"):  # inf * 0
        return (_kept(grad, x.shape, axes, keepdim) * centered * scale,)


@derivative
def StdBackward0(xp, grad, out, inputs, needs, axes, keepdim, scale):
    # d std = d var / (2 std), and 0 where std is 0 (PyTorch's choice, not 0 / 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = xp.where(out == 0, 0.0, grad / (2 * out))
    return VarBackward0.formula(xp, grad, out, inputs, needs, axes, keepdim, scale)


def var(input: Tensor, dim: Dim = None, *, correction: float | None = None,
        keepdim: bool = False, unbiased: bool | None = None) -> Tensor:
    """Variance over ``dim`` with Bessel's ``correction`` (1 by default, as in PyTorch)."""
    return _moment("var", VarBackward0, input, dim, correction, keepdim, unbiased)


def _moment(name: str, node_type: type, input: Tensor, dim: Dim, correction: float | None,
            keepdim: bool, unbiased: bool | None) -> Tensor:
    """The variance (``VarBackward0``) or its square root (``StdBackward0``)."""
    input = _tensor(name, input)
    _require_float(name, input)
    if isinstance(dim, builtins.bool):  # var(x, False): the old ``unbiased`` position
        unbiased, dim = dim, None
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = _dims(name, dim, input.ndim)
    dof = _count(input.shape, axes) - correction
    x = input._data
    with np.errstate(invalid="ignore", divide="ignore"):
        centered = x - np.mean(x, axis=axes, keepdims=True) if x.size else x
        data = np.sum(centered * centered, axis=axes, keepdims=keepdim) / \
            x.dtype.type(builtins.max(dof, 0))
        scale = float(np.float64(2) / dof)
    if node_type is StdBackward0:
        return record(node_type, np.sqrt(data), (input,), axes, keepdim, scale,
                      save=(input,), save_out=True)
    return record(node_type, data, (input,), axes, keepdim, scale, save=(input,))


def std(input: Tensor, dim: Dim = None, *, correction: float | None = None,
        keepdim: bool = False, unbiased: bool | None = None) -> Tensor:
    """Standard deviation: the square root of :func:`var` (its gradient is 0 where it is 0)."""
    return _moment("std", StdBackward0, input, dim, correction, keepdim, unbiased)


@derivative
def AmaxBackward0(xp, grad, out, inputs, needs, axes, keepdim, share):
    # share: 1 / (number of ties) at the positions holding the extremum, 0 elsewhere
    return (_kept(grad, share.shape, axes, keepdim) * share,)


AminBackward0 = type("AminBackward0", (AmaxBackward0,), {"__slots__": ()})
MaxBackward1 = type("MaxBackward1", (AmaxBackward0,), {"__slots__": ()})
MinBackward1 = type("MinBackward1", (AmaxBackward0,), {"__slots__": ()})


def _reduce_extremum(name: str, node_type: type, reduce: Callable[..., Any], input: Tensor,
                     dim: Dim, keepdim: bool) -> Tensor:
    input = _tensor(name, input)
    axes = _dims(name, dim, input.ndim)
    x = input._data
    if x.size == 0 and (dim is None or not isinstance(dim, (builtins.int, np.integer))
                        and not tuple(dim)):
        raise RuntimeError(f"{name}(): expected a reduction dim to be specified for an empty "
                           f"tensor of shape {tuple(x.shape)}")
    if builtins.any(x.shape[a] == 0 for a in axes):
        raise IndexError(f"{name}(): expected a non-empty reduction, got shape "
                         f"{tuple(x.shape)} reduced over dims {axes}")
    data = reduce(x, axis=axes, keepdims=True)
    share = None
    if _mode.enabled and input._requires_grad:
        hits = (x == data) | (np.isnan(x) & np.isnan(data))
        share = (hits / np.sum(hits, axis=axes, keepdims=True)).astype(x.dtype)
    if not keepdim:
        data = data.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return record(node_type, data, (input,), axes, keepdim, share)


def amax(input: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """Maximum over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _reduce_extremum("amax", AmaxBackward0, np.max, input, dim, keepdim)


def amin(input: Tensor, dim: Dim = (), keepdim: bool = False) -> Tensor:
    """Minimum over ``dim`` (all dims by default); ties share the gradient evenly."""
    return _reduce_extremum("amin", AminBackward0, np.min, input, dim, keepdim)


@derivative
def GatherBackward0(xp, grad, out, inputs, needs, dim, index, keepdim):
    if not keepdim:
        grad = grad.reshape(index.shape)
    return (xp.scatter_add(inputs[0].shape, dim, index, grad),)


MaxBackward0 = type("MaxBackward0", (GatherBackward0,), {"__slots__": ()})
MinBackward0 = type("MinBackward0", (GatherBackward0,), {"__slots__": ()})


def _max_min(name: str, input: Tensor, dim: Any, keepdim: bool, other: Any) -> Any:
    input = _tensor(name, input)
    if isinstance(dim, Tensor) or other is not None:
        return (maximum if name == "max" else minimum)(input, dim if other is None else other)
    if dim is None:
        node = MaxBackward1 if name == "max" else MinBackward1
        return _reduce_extremum(name, node, np.max if name == "max" else np.min,
                                input, None, False)
    (axis,) = _dims(name, dim, input.ndim) or (0,)
    x = input._data
    if x.ndim and x.shape[axis] == 0:
        raise IndexError(f"{name}(): cannot reduce over the empty dim {dim} of shape "
                         f"{tuple(x.shape)}")
    index = (np.argmax if name == "max" else np.argmin)(x, axis=axis, keepdims=True) \
        if x.ndim else np.zeros((), dtype=np.int64)
    values = np.take_along_axis(x, index, axis) if x.ndim else x
    node = MaxBackward0 if name == "max" else MinBackward0
    if not keepdim and x.ndim:
        values, kept_index = values.squeeze(axis), index.squeeze(axis)
    else:
        kept_index = index
    result = record(node, values, (input,), axis, index, keepdim)
    return getattr(return_types, name)(result, _new(kept_index.astype(np.int64)))


def max(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``max(x)``: the maximum; ``max(x, dim)``: (values, indices); ``max(x, y)``: maximum."""
    return _max_min("max", input, dim, keepdim, other)


def min(input: Tensor, dim: Any = None, keepdim: bool = False, *, other: Any = None) -> Any:
    """``min(x)``: the minimum; ``min(x, dim)``: (values, indices); ``min(x, y)``: minimum."""
    return _max_min("min", input, dim, keepdim, other)


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """Pick ``input`` values along ``dim`` at ``index`` (int64), like ``torch.gather``."""
    input = _tensor("gather", input)
    (axis,) = _dims("gather", dim, input.ndim) or (0,)
    idx = index._data if isinstance(index, Tensor) else np.asarray(index)
    if idx.dtype.kind not in "iu" or idx.ndim != input.ndim:
        raise RuntimeError(f"gather(): index must be an integer tensor with as many dims as "
                           f"input {tuple(input.shape)}, got {idx.dtype} {tuple(idx.shape)}")
    if builtins.any(n > size for i, (n, size) in enumerate(zip(idx.shape, input.shape))
                    if i != axis):
        raise RuntimeError(f"gather(): index {tuple(idx.shape)} must be no larger than input "
                           f"{tuple(input.shape)} apart from dim {dim}")
    size = input.shape[axis] if input.ndim else 1
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"gather(): index {bad} is out of bounds for dim {dim} with size "
                           f"{size}")
    data = input._data[_along(idx, axis)]
    return record(GatherBackward0, data, (input,), axis, idx, True)


@derivative
def ScatterAddBackward0(xp, grad, out, inputs, needs, dim, index):
    return (None, xp.take_along_axis(grad, index, dim))


def _scatter_add(shape: tuple[int, ...], dim: int, index: np.ndarray, values: Tensor) -> Tensor:
    """Zeros of ``shape`` with ``values`` added along ``dim`` at ``index`` (differentiable)."""
    data = np.zeros(shape, dtype=values.dtype)
    np.add.at(data, _along(index, dim), values._data)
    return record(ScatterAddBackward0, data, (_new(data), values), dim, index)


def _along(index: np.ndarray, dim: int) -> tuple[Any, ...]:
    """The fancy index that selects ``index`` along ``dim``, as ``torch.gather`` does.

    Unlike ``np.take_along_axis`` it does not broadcast: an index smaller than the input in
    the other dims selects only its own positions there.
    """
    if index.ndim == 0:  # a 0-d tensor has a single position
        return ()
    grids: list[Any] = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Indices of the maxima (int64), of the flattened tensor if ``dim`` is None."""
    return _arg("argmax", np.argmax, input, dim, keepdim)


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:
    """Indices of the minima (int64), of the flattened tensor if ``dim`` is None."""
    return _arg("argmin", np.argmin, input, dim, keepdim)


def _arg(name: str, pick: Callable[..., Any], input: Tensor, dim: int | None,
         keepdim: bool) -> Tensor:
    input = _tensor(name, input)
    x = input._data
    if x.size == 0:
        raise RuntimeError(f"{name}(): expected a non-empty tensor, got shape {tuple(x.shape)}")
    if dim is None:
        data = np.asarray(pick(x))
        if keepdim:
            data = data.reshape((1,) * x.ndim)
    else:
        (axis,) = _dims(name, dim, x.ndim) or (0,)
        data = pick(x, axis=axis, keepdims=keepdim) if x.ndim else np.asarray(0)
    return _new(data.astype(np.int64))


# ---------------------------------------------------------------------- softmax family
@derivative
def SoftmaxBackward0(xp, grad, out, inputs, needs, axes):
    return (out * (grad - xp.sum(grad * out, axes, True)),)


@derivative
def LogSoftmaxBackward0(xp, grad, out, inputs, needs, axes):
    return (grad - xp.exp(out) * xp.sum(grad, axes, True),)


@derivative
def LogsumexpBackward0(xp, grad, out, inputs, needs, axes, keepdim):
    (x,) = inputs
    return (_kept(grad, x.shape, axes, keepdim) * xp.exp(x - _kept(out, x.shape, axes, keepdim)),)


def _shift(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max over ``axes`` (kept), with non-finite maxima replaced by 0 for stability."""
    peak = x.max(axis=axes, keepdims=True) if x.size else np.zeros((1,) * x.ndim, x.dtype)
    return np.where(np.isfinite(peak), peak, 0)


def _logsumexp(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    peak = _shift(x, axes)
    with np.errstate(divide="ignore", under="ignore"):
        return np.log(np.exp(x - peak).sum(axis=axes, keepdims=True)) + peak


def _softmax_input(name: str, input: Tensor, dim: int | None,
                   dtype: Any) -> tuple[Tensor, tuple[int, ...]]:
    """The input (cast to ``dtype``) and the axes to normalise over: ``(dim,)``, or ``()``
    for a 0-d tensor."""
    input = _tensor(name, input)
    if dtype is not None:
        input = cast(input, dtypes.as_dtype(dtype))
    _require_float(name, input)
    if dim is None:
        raise TypeError(f"{name}(): missing the 'dim' argument (PyTorch's implicit dim "
                        "choice is deprecated; pass dim explicitly)")
    return input, _dims(name, dim, input.ndim)


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``dim``, computed stably."""
    input, axes = _softmax_input("softmax", input, dim, dtype)
    x = input._data
    with np.errstate(under="ignore", invalid="ignore"):  # all -inf gives nan, as in PyTorch
        shifted = np.exp(x - _shift(x, axes))
        data = shifted / shifted.sum(axis=axes, keepdims=True)
    return record(SoftmaxBackward0, data, (input,), axes, save_out=True)


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:
    """``x - logsumexp(x)`` along ``dim``, computed stably."""
    input, axes = _softmax_input("log_softmax", input, dim, dtype)
    shifted = input._data - _shift(input._data, axes)
    # the max is subtracted first: x - logsumexp(x) would round to the precision of the max
    with np.errstate(divide="ignore", under="ignore", invalid="ignore"):
        data = shifted - np.log(np.exp(shifted).sum(axis=axes, keepdims=True))
    return record(LogSoftmaxBackward0, data, (input,), axes, save_out=True)


def logsumexp(input: Tensor, dim: Dim, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``dim``, computed stably."""
    input = _tensor("logsumexp", input)
    x = input._data if input._data.dtype.kind == "f" else \
        input._data.astype(dtypes.get_default_dtype())
    axes = _dims("logsumexp", dim, input.ndim)
    data = _logsumexp(x, axes)
    if not keepdim:
        data = data.reshape(tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return record(LogsumexpBackward0, data, (input,), axes, keepdim, save=(input,),
                  save_out=True)


# ---------------------------------------------------------------------- shapes
@derivative
def ViewBackward0(xp, grad, out, inputs, needs):
    return (grad.reshape(inputs[0].shape),)


def _view_of(input: Tensor, data: np.ndarray, node_type: type = ViewBackward0,
             *saved: Any) -> Tensor:
    """Record a shape op whose result shares memory (and the version counter) with input."""
    out = record(node_type, data, (input,), *saved)
    if data.base is not None:
        out._vc = input._vc
    return out


def _size_args(name: str, shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if not builtins.all(isinstance(n, (builtins.int, np.integer)) for n in shape):
        raise TypeError(f"{name}(): shape must be ints, got {shape!r}")
    return tuple(builtins.int(n) for n in shape)


def reshape(input: Tensor, *shape: Any) -> Tensor:
    """The same data in a new shape (one dim may be -1, inferred)."""
    input = _tensor("reshape", input)
    size = _size_args("reshape", shape)
    try:
        data = input._data.reshape(size)
    except ValueError:
        raise RuntimeError(f"reshape: shape {list(size)} is invalid for input of size "
                           f"{input._data.size} (shape {tuple(input.shape)})") from None
    return _view_of(input, data)


view = reshape


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims ``start_dim..end_dim`` into one."""
    input = _tensor("flatten", input)
    if input.ndim == 0:
        return reshape(input, 1)
    start, end = _dims("flatten", start_dim, input.ndim)[0], _dims("flatten", end_dim,
                                                                   input.ndim)[0]
    if start > end:
        raise RuntimeError("flatten(): start_dim cannot come after end_dim")
    shape = input.shape
    return reshape(input, *shape[:start], -1 if 0 not in shape else
                   _count(shape, tuple(range(start, end + 1))), *shape[end + 1:])


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dim ``dim`` into ``sizes``."""
    (axis,) = _dims("unflatten", dim, input.ndim)
    return reshape(input, *input.shape[:axis], *sizes, *input.shape[axis + 1:])


def unsqueeze(input: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dim at ``dim``."""
    input = _tensor("unsqueeze", input)
    bound = input.ndim + 1
    if not -bound <= dim < bound:
        raise IndexError(f"unsqueeze: dimension out of range (expected to be in range of "
                         f"[{-bound}, {bound - 1}], but got {dim})")
    dim %= bound
    return reshape(input, *input.shape[:dim], 1, *input.shape[dim:])


def squeeze(input: Tensor, dim: Dim = None) -> Tensor:
    """Remove size-1 dims (all, or those in ``dim``; others in ``dim`` are left alone)."""
    input = _tensor("squeeze", input)
    axes = _dims("squeeze", dim, input.ndim)
    return reshape(input, *[n for i, n in enumerate(input.shape) if not (i in axes and n == 1)])


@derivative
def PermuteBackward0(xp, grad, out, inputs, needs, axes):
    return (xp.transpose(grad, tuple(np.argsort(axes))),)


def permute(input: Tensor, *dims: Any) -> Tensor:
    """Reorder the dims."""
    input = _tensor("permute", input)
    axes = _size_args("permute", dims)
    if sorted(a % builtins.max(input.ndim, 1) for a in axes) != list(range(input.ndim)):
        raise RuntimeError(f"permute: dims {axes} are not a permutation of the "
                           f"{input.ndim} dims of shape {tuple(input.shape)}")
    axes = tuple(a % input.ndim for a in axes)
    return _view_of(input, input._data.transpose(axes), PermuteBackward0, axes)


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dims."""
    input = _tensor("transpose", input)
    if input.ndim == 0:
        _dims("transpose", (dim0,), 1)
        return _view_of(input, input._data[...], PermuteBackward0, ())
    axes = list(range(input.ndim))
    a, b = _dims("transpose", dim0, input.ndim)[0], _dims("transpose", dim1, input.ndim)[0]
    axes[a], axes[b] = axes[b], axes[a]
    return permute(input, *axes)


swapaxes = swapdims = transpose


def t(input: Tensor) -> Tensor:
    """Transpose a tensor of at most 2 dims."""
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return transpose(input, 0, 1) if input.ndim == 2 else input


@derivative
def ExpandBackward0(xp, grad, out, inputs, needs):
    return (grad,)  # the engine sums the gradient back to the input's shape


def expand(input: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to a larger shape without copying (-1 keeps a dim)."""
    input = _tensor("expand", input)
    size = _size_args("expand", sizes)
    lead = len(size) - input.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(size)}) must be "
                           f"greater or equal to the number of dimensions ({input.ndim})")
    shape = tuple(input.shape[i - lead] if n == -1 and i >= lead else n
                  for i, n in enumerate(size))
    try:
        data = np.broadcast_to(input._data, shape)
    except ValueError:
        raise RuntimeError(f"expand: shape {tuple(input.shape)} cannot be expanded to "
                           f"{size}") from None
    return _view_of(input, data, ExpandBackward0)


def broadcast_to(input: Tensor, size: Sequence[int]) -> Tensor:
    return expand(input, *size)


def expand_as(input: Tensor, other: Tensor) -> Tensor:
    return expand(input, *other.shape)


def view_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, *other.shape)


def reshape_as(input: Tensor, other: Tensor) -> Tensor:
    return reshape(input, *other.shape)


# ---------------------------------------------------------------------- indexing
def _index(index: Any) -> Any:
    """Turn tensors inside an index into arrays, checking their dtypes."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        index = index._data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind not in "iub":
        raise IndexError(f"tensors used as indices must be long, int or bool, got {index.dtype}")
    return index


def _steps(index: Any) -> tuple[Any, ...]:
    """The index as PyTorch applies it: integers first, as selections, then the arrays.

    NumPy counts integers beside arrays as advanced indices too, which moves the result's
    dims when a slice separates them: ``x[0, :, [1, 2]]`` of shape (m, n, k) is (2, n) in
    NumPy and (n, 2) in PyTorch. Indexing with each step in turn gives PyTorch's result.
    """
    if not isinstance(index, tuple):
        return (index,)
    arrays = [isinstance(i, np.ndarray) for i in index]
    ints = [isinstance(i, (builtins.int, np.integer)) and not isinstance(i, builtins.bool)
            for i in index]
    if not (builtins.any(arrays) and builtins.any(ints)):
        return (index,)
    selections, rest = [], []
    for item, is_array, is_int in zip(index, arrays, ints):
        if is_array:  # left to the second step; a mask spans as many dims as it has
            selections += [slice(None)] * (item.ndim if item.dtype == np.bool_ else 1)
            rest.append(item)
        elif is_int:  # selected by the first step: its dim is gone
            selections.append(item)
        else:  # slices and None act in the first step, Ellipsis in both
            selections.append(item)
            rest.append(Ellipsis if item is Ellipsis else slice(None))
    return tuple(selections), tuple(rest)


def _select(array: Any, steps: tuple[Any, ...]) -> Any:
    for step in steps:
        array = array[step]
    return array


_BASIC_INDEX = (slice, builtins.int)  # exact types: a bool is a mask, not an int


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return builtins.all(i is None or i is Ellipsis or isinstance(i, (slice, builtins.int))
                        for i in items)


@derivative
def IndexBackward0(xp, grad, out, inputs, needs, index):
    return (xp.index_add(inputs[0].shape, index, grad),)


def getitem(input: Tensor, index: Any) -> Tensor:
    """``input[index]``: ints, slices, None, Ellipsis, integer and boolean arrays.

    As in PyTorch, repeated integer indices accumulate their gradients.
    """
    basic = type(index) in _BASIC_INDEX  # a minibatch's ``x[i:j]``: nothing to convert
    if not basic:
        index = _index(index)
        steps = _steps(index)
        if len(steps) > 1:
            return getitem(getitem(input, steps[0]), steps[1])
        basic = _is_basic(index)
    try:
        data = input._data[index]
    except IndexError as error:
        raise IndexError(f"index {index!r} is out of range for a tensor of shape "
                         f"{tuple(input.shape)}: {error}") from None
    if basic:
        if type(data) is not np.ndarray:  # every dim taken by an int: NumPy gives a scalar
            data = input._data[(*(index if isinstance(index, tuple) else (index,)), ...)]
        return _view_of(input, data, IndexBackward0, index)
    return record(IndexBackward0, data, (input,), index)


@derivative
def IndexAddBackward0(xp, grad, out, inputs, needs, index):
    return (None, grad[index])


def _index_add(shape: tuple[int, ...], index: Any, values: Tensor) -> Tensor:
    """Zeros of ``shape`` plus ``values`` at ``index``, accumulating repeats (differentiable)."""
    zeros = np.zeros(shape, dtype=values.dtype)
    np.add.at(zeros, index, values._data)
    return record(IndexAddBackward0, zeros, (_new(zeros), values), index)


@derivative
def IndexPutBackward0(xp, grad, out, inputs, needs, steps, written):
    return (xp.where(written, 0.0, grad) if needs[0] else None,
            _select(grad, steps) if needs[1] else None)


def index_put(input: Tensor, index: Any, values: Any) -> Tensor:
    """A copy of ``input`` with ``values`` written at ``index`` (out of place)."""
    index = _index(index)
    steps = _steps(index)  # all but the last are basic: they give views to write through
    a, b, x, y = _operands("index_put", input, values)
    data = x.astype(input.dtype, copy=True)
    try:
        _select(data, steps[:-1])[steps[-1]] = y
    except (IndexError, ValueError) as error:
        raise RuntimeError(f"setitem: cannot write values of shape {tuple(b.shape)} at index "
                           f"{index!r} of a tensor of shape {tuple(a.shape)}: {error}") from None
    written = np.zeros(data.shape, dtype=bool)
    _select(written, steps[:-1])[steps[-1]] = True
    return record(IndexPutBackward0, data, (a, b), steps, written)


@derivative
def CatBackward0(xp, grad, out, inputs, needs, dim):
    grads, start = [], 0
    for tensor, need in zip(inputs, needs):
        stop = start + tensor.shape[dim]
        grads.append(grad[(slice(None),) * dim + (slice(start, stop),)] if need else None)
        start = stop
    return tuple(grads)


def _same_dtype(name: str, tensors: Sequence[Tensor]) -> list[np.ndarray]:
    if not tensors:
        raise RuntimeError(f"{name}(): expected a non-empty list of Tensors")
    for t in tensors:
        _tensor(name, t)
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.promote_types(dtype, t.dtype)
    return [t._data.astype(dtype, copy=False) for t in tensors]


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    tensors = tuple(tensors)
    arrays = _same_dtype("cat", tensors)
    (axis,) = _dims("cat", dim, tensors[0].ndim)
    try:
        data = np.concatenate(arrays, axis=axis)
    except ValueError:
        raise RuntimeError(f"cat(): shapes {[tuple(t.shape) for t in tensors]} do not match "
                           f"except in dim {dim}") from None
    return record(CatBackward0, data, tensors, axis)


concat = concatenate = cat


@derivative
def StackBackward0(xp, grad, out, inputs, needs, dim):
    return tuple(grad[(slice(None),) * dim + (i,)] if need else None
                 for i, need in enumerate(needs))


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join tensors of one shape along a new dim."""
    tensors = tuple(tensors)
    arrays = _same_dtype("stack", tensors)
    bound = tensors[0].ndim + 1
    if not -bound <= dim < bound:
        raise IndexError(f"stack: dimension out of range (expected to be in range of "
                         f"[{-bound}, {bound - 1}], but got {dim})")
    try:
        data = np.stack(arrays, axis=dim)
    except ValueError:
        raise RuntimeError(f"stack expects each tensor to be equal size, got shapes "
                           f"{[tuple(t.shape) for t in tensors]}") from None
    return record(StackBackward0, data, tensors, dim % bound)


# ---------------------------------------------------------------------- copies, dtypes
@derivative
def CloneBackward0(xp, grad, out, inputs, needs):
    return (grad,)


ToCopyBackward0 = type("ToCopyBackward0", (CloneBackward0,), {"__slots__": ()})


def clone(input: Tensor) -> Tensor:
    """A copy that stays in the graph."""
    return record(CloneBackward0, input._data.copy(), (input,))


def cast(input: Tensor, dtype: np.dtype) -> Tensor:
    """``input`` converted to ``dtype``; the gradient is converted back (the engine does)."""
    if input._data.dtype == dtype:
        return input
    if dtype.kind != "f" and input._requires_grad and _mode.enabled:
        out = _new(input._data.astype(dtype))  # integer results carry no gradient
        return out
    return record(ToCopyBackward0, input._data.astype(dtype), (input,))


def detach(input: Tensor) -> Tensor:
    return input.detach()


# ---------------------------------------------------------------------- no gradient
def _compare(name: str, ufunc: Callable[..., Any], input: Any, other: Any) -> Tensor:
    a, b, x, y = _operands(name, input, other)
    try:
        return _new(np.asarray(ufunc(x, y)))
    except ValueError:
        raise _broadcast_error(name, a, b) from None


def eq(input: Any, other: Any) -> Tensor:
    """Elementwise ``==`` (a bool tensor, no gradient)."""
    return _compare("eq", np.equal, input, other)


def ne(input: Any, other: Any) -> Tensor:
    return _compare("ne", np.not_equal, input, other)


def lt(input: Any, other: Any) -> Tensor:
    return _compare("lt", np.less, input, other)


def le(input: Any, other: Any) -> Tensor:
    return _compare("le", np.less_equal, input, other)


def gt(input: Any, other: Any) -> Tensor:
    return _compare("gt", np.greater, input, other)


def ge(input: Any, other: Any) -> Tensor:
    return _compare("ge", np.greater_equal, input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def logical_and(input: Any, other: Any) -> Tensor:
    return _compare("logical_and", np.logical_and, input, other)


def logical_or(input: Any, other: Any) -> Tensor:
    return _compare("logical_or", np.logical_or, input, other)


def logical_not(input: Tensor) -> Tensor:
    if input.dtype.kind != "b":
        raise RuntimeError(f"~ (logical_not) needs a bool tensor, got {input.dtype}")
    return _new(np.logical_not(input._data))


def equal(input: Tensor, other: Tensor) -> bool:
    """True if both tensors have the same shape and elements."""
    return input.shape == other.shape and builtins.bool(np.array_equal(input._data, other._data))


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    return builtins.bool(np.allclose(input._data, other._data, rtol, atol, equal_nan))


def isnan(input: Tensor) -> Tensor:
    return _new(np.isnan(input._data))


def isfinite(input: Tensor) -> Tensor:
    return _new(np.isfinite(input._data))


def _not_differentiable(name: str, ufunc: Callable[..., Any], *operands: Any) -> Tensor:
    """Ops whose gradient is zero almost everywhere: refuse to hide that in a graph."""
    if _mode.enabled and builtins.any(isinstance(o, Tensor) and o._requires_grad
                                      for o in operands):
        raise RuntimeError(f"{name}: the op is not differentiable; call it on detached tensors "
                           "or under minigrad.no_grad()")
    if len(operands) == 1:
        return _new(np.asarray(ufunc(operands[0]._data)))
    a, b, x, y = _operands(name, *operands)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _new(np.asarray(ufunc(x, y)))


def floor_divide(input: Any, other: Any) -> Tensor:
    return _not_differentiable("floor_divide", np.floor_divide, input, other)


def remainder(input: Any, other: Any) -> Tensor:
    return _not_differentiable("remainder", np.remainder, input, other)


def sign(input: Tensor) -> Tensor:
    return _not_differentiable("sign", np.sign, input)


def floor(input: Tensor) -> Tensor:
    return _not_differentiable("floor", np.floor, input)


def ceil(input: Tensor) -> Tensor:
    return _not_differentiable("ceil", np.ceil, input)


def round(input: Tensor) -> Tensor:
    return _not_differentiable("round", np.round, input)


def trunc(input: Tensor) -> Tensor:
    return _not_differentiable("trunc", np.trunc, input)


# ---------------------------------------------------------------------- in place
def _write(target: Tensor, result: np.ndarray, name: str) -> None:
    """Copy ``result`` into ``target``'s array in place and bump its version."""
    if result.shape != target.shape:
        raise RuntimeError(f"{name}: output with shape {tuple(target.shape)} doesn't match "
                           f"the broadcast shape {tuple(result.shape)}")
    if not np.can_cast(result.dtype, target.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the "
                           f"desired output type {target.dtype}")
    array = target._data
    locked = not array.flags.writeable
    if locked:  # saved by a graph: write anyway (the version check reports it at backward)
        try:
            array.flags.writeable = True
        except ValueError:  # a read-only view (e.g. expand): give the tensor its own copy
            target._data = array = array.copy()
            locked = False
    np.copyto(array, result, casting="same_kind")
    if locked:
        array.flags.writeable = False
    target._vc[0] += 1


def _inplace(name: str, target: Tensor, compute: Callable[[Tensor], Tensor],
             *operands: Any) -> Tensor:
    """Run ``compute`` out of place and write its result into ``target``.

    When the op is recorded, ``target`` takes over the result's node, and the node sees
    the old value through an alias: the same array, version counter and history.
    """
    target = _tensor(name, target)
    recording = _mode.enabled and (target._requires_grad or builtins.any(
        isinstance(o, Tensor) and o._requires_grad for o in operands))
    if not recording:
        with no_grad():
            _write(target, compute(target)._data, name)
        return target
    if target.grad_fn is None and target._requires_grad:
        raise RuntimeError(f"{name}: a leaf Variable that requires grad is being used in an "
                           "in-place operation.")
    if target._data.base is not None:
        raise RuntimeError(f"{name}: minigrad does not track views; this tensor shares memory "
                           "with another, so write the op out of place instead")
    old = _new(target._data)
    old._vc, old.grad_fn, old._requires_grad = target._vc, target.grad_fn, target._requires_grad
    result = compute(old)
    _write(target, result._data, name)
    target.grad_fn, target._requires_grad = result.grad_fn, True
    return target


def add_(input: Tensor, other: Any, alpha: float = 1) -> Tensor:
    """In-place ``input += alpha * other``."""
    return _inplace("add_", input, lambda old: add(old, other, alpha=alpha), other)


def sub_(input: Tensor, other: Any, alpha: float = 1) -> Tensor:
    """In-place ``input -= alpha * other``."""
    return _inplace("sub_", input, lambda old: sub(old, other, alpha=alpha), other)


def mul_(input: Tensor, other: Any) -> Tensor:
    """In-place ``input *= other``."""
    return _inplace("mul_", input, lambda old: mul(old, other), other)


def div_(input: Tensor, other: Any) -> Tensor:
    """In-place ``input /= other``."""
    return _inplace("div_", input, lambda old: div(old, other), other)


def pow_(input: Tensor, exponent: Any) -> Tensor:
    return _inplace("pow_", input, lambda old: pow(old, exponent), exponent)


def clamp_(input: Tensor, min: Any = None, max: Any = None) -> Tensor:
    return _inplace("clamp_", input, lambda old: clamp(old, min, max), min, max)


def copy_(input: Tensor, src: Any) -> Tensor:
    """Copy ``src`` (broadcast to this shape) into the tensor in place."""
    every = np.ones(input.shape, dtype=bool)
    return _inplace("copy_", input, lambda old: where(every, src, old), src)


def fill_(input: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` in place."""
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                           f"with {value.ndim} dimensions.")
    return copy_(input, value)


def zero_(input: Tensor) -> Tensor:
    """Fill with zeros in place."""
    return fill_(input, 0)


def setitem_(input: Tensor, index: Any, value: Any) -> None:
    """``input[index] = value``, recorded like PyTorch's ``CopySlices``."""
    _inplace("setitem", input, lambda old: index_put(old, index, value), value)


def _random_(name: str, input: Tensor, draw: Callable[[np.random.Generator], np.ndarray],
             generator: Any) -> Tensor:
    from minigrad.random import get_rng

    return _inplace(name, input, lambda old: _new(np.asarray(draw(get_rng(generator)))))


def uniform_(input: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill in place with samples from U(a, b) (minigrad's generator)."""
    return _random_("uniform_", input, lambda rng: rng.uniform(a, b, input.shape), generator)


def normal_(input: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fill in place with samples from N(mean, std**2) (minigrad's generator)."""
    return _random_("normal_", input, lambda rng: rng.normal(mean, std, input.shape), generator)


# ---------------------------------------------------------------------- backward namespaces
def _sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum a broadcast gradient back to ``shape`` (NumPy arrays or Tensors)."""
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and x.shape[i + lead] != 1)
    if isinstance(x, Tensor):
        return reshape(sum(x, axes, keepdim=True), *shape) if axes else reshape(x, *shape)
    return np.add.reduce(x, axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


def _expand(x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``x`` broadcast to ``shape`` as a new array (cheaper than np.broadcast_to's wrapper
    on small arrays, and the result is writable)."""
    out = np.empty(shape, dtype=x.dtype)
    out[...] = x
    return out


def _array_scatter_add(shape: tuple[int, ...], dim: int, index: np.ndarray,
                       values: np.ndarray) -> np.ndarray:
    data = np.zeros(shape, dtype=values.dtype)
    np.add.at(data, _along(index, dim), values)
    return data


def _array_index_add(shape: tuple[int, ...], index: Any, values: np.ndarray) -> np.ndarray:
    data = np.zeros(shape, dtype=values.dtype)
    if _is_basic(index):
        data[index] = values
    else:
        np.add.at(data, index, values)
    return data


def _array_softmax(x: np.ndarray, dim: int) -> np.ndarray:
    out = _quiet_exp(x - x.max(axis=dim, keepdims=True))
    out /= out.sum(axis=dim, keepdims=True)
    return out


ARRAY_XP = SimpleNamespace(
    exp=_quiet_exp, log=np.log, sin=np.sin, cos=np.cos, sign=np.sign, where=np.where,
    sum=lambda x, axes, keepdim: np.add.reduce(x, axes, keepdims=keepdim),
    broadcast_to=_expand, swapaxes=lambda x, a, b: x.swapaxes(a, b),
    transpose=lambda x, axes: x.transpose(axes),
    sum_to=_sum_to, cast=lambda x, dtype: x.astype(dtype),
    take_along_axis=lambda x, index, dim: x[_along(index, dim)], scatter_add=_array_scatter_add,
    index_add=_array_index_add, softmax=_array_softmax,
)
"""NumPy, as backward formulas see it during an ordinary backward."""

TENSOR_XP = SimpleNamespace(
    exp=exp, log=log, sin=sin, cos=cos, sign=lambda x: sign(x.detach()), where=where,
    sum=sum, broadcast_to=broadcast_to, swapaxes=transpose, transpose=permute,
    sum_to=_sum_to, cast=cast,
    take_along_axis=lambda x, index, dim: gather(x, dim, _new(index)),
    scatter_add=_scatter_add, index_add=_index_add, softmax=softmax,
)
"""minigrad's ops with NumPy's signatures: backward formulas under ``create_graph=True``."""


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:
    """``input`` with ``value`` written where ``mask`` is True (out of place)."""
    return where(mask, cast(_constant(value, input.dtype), input.dtype)
                 if not isinstance(value, Tensor) else value, input)


def masked_fill_(input: Tensor, mask: Any, value: Any) -> Tensor:
    return _inplace("masked_fill_", input, lambda old: masked_fill(old, mask, value), value)
