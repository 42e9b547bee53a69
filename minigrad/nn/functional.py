"""Layers and losses as functions, like ``torch.nn.functional`` (import it as ``F``).

The activations are minigrad's ops. The losses are composed from ops where that is exact
and fast (``mse_loss`` is ``(input - target)`` squared and reduced: three nodes), and are
ops of their own where PyTorch uses a formula that a composition cannot reproduce: the
binary cross-entropies use ``log1p`` and PyTorch's own gradient formulas, so that values
and gradients match PyTorch to rounding even where the loss is tiny.

Every loss takes ``reduction='mean' | 'sum' | 'none'``. The elementwise losses refuse a
target whose shape differs from the input's (PyTorch only warns, then broadcasts, which
silently computes a different loss).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minigrad import dtypes, ops
from minigrad.autograd.grad_mode import is_grad_enabled
from minigrad.ops import linear, log_softmax, sigmoid, softmax, tanh
from minigrad.random import get_rng
from minigrad.tensor import Tensor, _new, derivative, record

__all__ = [
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "dropout",
    "l1_loss", "leaky_relu", "linear", "log_softmax", "mse_loss", "nll_loss", "one_hot",
    "relu", "sigmoid", "softmax", "tanh",
]

_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------- activations
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(input, 0)`` elementwise; ``inplace=True`` overwrites ``input``."""
    if inplace:
        return ops._inplace("relu_", input, ops.relu)
    return ops.relu(input)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``input`` where positive, ``negative_slope * input`` elsewhere.

    One multiplication by a constant mask of ones and slopes, so the gradient is
    ``negative_slope`` at 0, as in PyTorch.
    """
    def compute(x: Tensor) -> Tensor:
        slopes = np.where(x._data > 0, 1.0, negative_slope).astype(x.dtype, copy=False)
        return ops.mul(x, _new(slopes))

    if inplace:
        return ops._inplace("leaky_relu_", input, compute)
    return compute(ops._tensor("leaky_relu", input))


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    Does nothing unless ``training``. The mask is drawn from minigrad's default generator
    (seed it with ``minigrad.manual_seed``).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input

    def compute(x: Tensor) -> Tensor:
        if p == 1.0:
            noise = np.zeros(x.shape, x.dtype)
        else:
            draw = np.float64 if x.dtype == dtypes.float64 else np.float32
            keep = get_rng().random(x.shape, dtype=draw) < 1.0 - p
            noise = keep.astype(x.dtype) / x.dtype.type(1.0 - p)
        return ops.mul(x, _new(noise))

    if inplace:
        return ops._inplace("dropout_", input, compute)
    return compute(ops._tensor("dropout", input))


# ---------------------------------------------------------------------- loss helpers
def _check_reduction(reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction "
                         f"(expected one of {', '.join(_REDUCTIONS)})")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return ops.mean(loss)
    if reduction == "sum":
        return ops.sum(loss)
    return loss


def _check_pair(name: str, input: Any, target: Any) -> None:
    """Both tensors, of one shape."""
    for role, value in (("input", input), ("target", target)):
        if not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{role}' must be Tensor, not "
                            f"{type(value).__name__}")
    if input.shape != target.shape:
        raise ValueError(
            f"{name}(): target shape {tuple(target.shape)} differs from input shape "
            f"{tuple(input.shape)}. PyTorch would broadcast them (with only a warning) and "
            "compute a different loss than intended; reshape one of them, e.g. "
            "target.view_as(input).")


def _constant_array(name: str, role: str, value: Tensor | None, dtype: np.dtype,
                    shape: tuple[int, ...]) -> np.ndarray | None:
    """A weight tensor's array in ``dtype``, checked to broadcast to ``shape``."""
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): '{role}' must be a Tensor, not {type(value).__name__}")
    if value._requires_grad and is_grad_enabled():
        raise RuntimeError(f"{name}(): the derivative for '{role}' is not implemented; "
                           f"pass {role}.detach()")
    try:
        fits = np.broadcast_shapes(value.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name}(): {role} of shape {tuple(value.shape)} does not broadcast "
                         f"to the input's shape {tuple(shape)}")
    return value._data.astype(dtype, copy=False)


# ---------------------------------------------------------------------- regression losses
def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or elementwise) squared error ``(input - target) ** 2``.

    Examples
    --------
    >>> F.mse_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _check_reduction(reduction)
    _check_pair("mse_loss", input, target)
    diff = ops.sub(input, target)
    return _reduce(ops.mul(diff, diff), reduction)


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or elementwise) absolute error ``|input - target|``."""
    _check_reduction(reduction)
    _check_pair("l1_loss", input, target)
    return _reduce(ops.abs(ops.sub(input, target)), reduction)


# ---------------------------------------------------------------------- binary cross-entropy
_BCE_EPSILON = 1e-12  # PyTorch's floor on x * (1 - x) in the gradient


@derivative
def BinaryCrossEntropyBackward0(xp, grad, out, inputs, needs, weight):
    x, y = inputs
    grad_x = grad_y = None
    if needs[0]:
        spread = (1 - x) * x
        grad_x = grad * (x - y) / xp.where(spread > _BCE_EPSILON, spread, _BCE_EPSILON)
    if needs[1]:
        grad_y = -grad * xp.log(x / (1 - x))
    if weight is not None:
        grad_x = None if grad_x is None else grad_x * weight
        grad_y = None if grad_y is None else grad_y * weight
    return grad_x, grad_y


def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
                         reduction: str = "mean") -> Tensor:
    """``-weight * (target * log(input) + (1 - target) * log(1 - input))``.

    ``input`` holds probabilities in [0, 1]. As in PyTorch, each log is clamped to at
    least -100, so that an input of exactly 0 or 1 gives a finite loss.
    """
    _check_reduction(reduction)
    _check_pair("binary_cross_entropy", input, target)
    x = input._data
    if x.dtype.kind != "f":
        raise TypeError(f"binary_cross_entropy(): input must be floating point, got {x.dtype}")
    if np.any((x < 0) | (x > 1)):
        raise RuntimeError("binary_cross_entropy(): all elements of input should be between "
                           "0 and 1")
    y = target._data.astype(x.dtype, copy=False)
    w = _constant_array("binary_cross_entropy", "weight", weight, x.dtype, x.shape)
    with np.errstate(divide="ignore"):
        data = (y - 1) * np.maximum(np.log1p(-x), -100) - y * np.maximum(np.log(x), -100)
    if w is not None:
        data = data * w
    loss = record(BinaryCrossEntropyBackward0, data, (input, target), w, save=(input, target))
    return _reduce(loss, reduction)


@derivative
def BinaryCrossEntropyWithLogitsBackward0(xp, grad, out, inputs, needs, weight, pos_weight):
    x, y = inputs
    grad_x = grad_y = None
    if needs[0]:
        with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709: 1 / inf is the limit 0
            probability = 1 / (1 + xp.exp(-x))
        if pos_weight is None:
            grad_x = grad * (probability - y)
        else:
            scaled = pos_weight * y
            grad_x = grad * ((scaled + 1 - y) * probability - scaled)
    if needs[1]:
        if pos_weight is None:
            grad_y = -grad * x
        else:
            # log(1 + exp(-|x|)) loses only what is below rounding of the other term here
            softplus = xp.log(1 + xp.exp(xp.where(x < 0, x, -x)))
            log_sigmoid = xp.where(x < 0, x, 0.0) - softplus
            grad_y = grad * ((log_sigmoid - x) - pos_weight * log_sigmoid)
    if weight is not None:
        grad_x = None if grad_x is None else grad_x * weight
        grad_y = None if grad_y is None else grad_y * weight
    return grad_x, grad_y


def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, *, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)``, computed stably from the logits.

    Elementwise ``(1 - y) * x - (1 + (pos_weight - 1) * y) * log_sigmoid(x)``, with
    ``log_sigmoid(x) = min(x, 0) - log1p(exp(-|x|))``; without ``pos_weight`` that is
    ``max(x, 0) - x * y + log1p(exp(-|x|))``. No overflow for any logit, and no loss of
    precision where the loss is tiny. ``pos_weight`` (broadcast along the last dims, e.g.
    one per class) weighs the positive examples.
    """
    name = "binary_cross_entropy_with_logits"
    _check_reduction(reduction)
    _check_pair(name, input, target)
    x = input._data
    if x.dtype.kind != "f":
        raise TypeError(f"{name}(): input must be floating point, got {x.dtype}")
    y = target._data.astype(x.dtype, copy=False)
    w = _constant_array(name, "weight", weight, x.dtype, x.shape)
    pw = _constant_array(name, "pos_weight", pos_weight, x.dtype, x.shape)
    with np.errstate(over="ignore"):
        log_sigmoid = np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))
    if pw is not None:
        log_sigmoid = log_sigmoid * ((pw - 1) * y + 1)
    data = (1 - y) * x - log_sigmoid
    if w is not None:
        data = data * w
    loss = record(BinaryCrossEntropyWithLogitsBackward0, data, (input, target), w, pw,
                  save=(input, target))
    return _reduce(loss, reduction)


# ---------------------------------------------------------------------- class losses
def _class_weight(name: str, weight: Tensor | None, classes: int,
                  dtype: np.dtype) -> np.ndarray | None:
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): 'weight' must be a Tensor, not {type(weight).__name__}")
    if weight.shape != (classes,):
        raise RuntimeError(f"{name}(): weight tensor should be defined either for all "
                           f"{classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    return weight._data.astype(dtype, copy=False)


def _class_dim(name: str, input: Any) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim == 0:
        raise ValueError(f"{name}(): input must have a class dimension, got a 0-d tensor")
    return 1 if input.ndim >= 2 else 0


def _index_loss(name: str, log_probs: Tensor, target: Any, weight: Tensor | None,
                ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
    """NLL (plus label smoothing) of class-index targets, as one weighted sum.

    The loss is ``sum(log_probs * coefficients)`` over the class dim, with constant
    coefficients: ``-(1 - smoothing) * weight[t]`` at each target class, minus
    ``smoothing / C * weight[c]`` for every class, and 0 on ignored targets. A
    multiplication and a sum are much faster than gathering and scattering indices.
    """
    dim = 1 if log_probs.ndim >= 2 else 0
    classes = log_probs.shape[dim]
    expected = log_probs.shape[:dim] + log_probs.shape[dim + 1:]
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}(): argument 'target' must be Tensor, not "
                        f"{type(target).__name__}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}(): class-index targets must be an integer tensor, got "
                        f"{target.dtype}")
    if target.shape != expected:
        raise ValueError(f"{name}(): expected a target of shape {tuple(expected)} for input "
                         f"of shape {tuple(log_probs.shape)} (the input without its class "
                         f"dim {dim}), got target of shape {tuple(target.shape)}")
    dtype = log_probs.dtype
    t = target._data
    valid = t != ignore_index
    out_of_range = valid & ((t < 0) | (t >= classes))
    if out_of_range.any():
        raise IndexError(f"{name}(): Target {t[out_of_range].flat[0]} is out of bounds "
                         f"(the input has {classes} classes)")
    safe = np.where(valid, t, 0)
    class_weight = _class_weight(name, weight, classes, dtype)
    target_weight = (np.ones(t.shape, dtype) if class_weight is None
                     else class_weight[safe]) * valid
    coefficients = np.zeros(log_probs.shape, dtype)
    np.put_along_axis(coefficients, np.expand_dims(safe, dim),
                      np.expand_dims(-(1 - label_smoothing) * target_weight, dim), axis=dim)
    if label_smoothing:
        per_class = np.ones(classes, dtype) if class_weight is None else class_weight
        per_class = per_class.reshape((classes,) + (1,) * (log_probs.ndim - dim - 1))
        coefficients -= (label_smoothing / classes) * per_class * np.expand_dims(valid, dim)
    loss = ops.mul(log_probs, _new(coefficients))
    if reduction == "none":
        return ops.sum(loss, dim)
    total = ops.sum(loss)
    return total if reduction == "sum" else ops.div(total, target_weight.sum())


def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class indices, given log-probabilities.

    ``input`` is ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` log-probabilities and
    ``target`` holds class indices of the input's shape without dim 1. Each element's loss
    is ``-weight[t] * input[n, t]``; targets equal to ``ignore_index`` count for nothing,
    and ``'mean'`` divides by the summed weight of the targets that count.
    """
    _check_reduction(reduction)
    _class_dim("nll_loss", input)
    return _index_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None, *,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Cross-entropy of unnormalised logits: ``nll_loss(log_softmax(input, dim=1), target)``.

    ``target`` holds class indices (an integer tensor shaped like ``input`` without its
    class dim 1), or class probabilities (a float tensor shaped like ``input``).
    ``label_smoothing`` mixes the target with the uniform distribution, as in PyTorch.

    Examples
    --------
    >>> logits = minigrad.tensor([[2.0, 0.5, -1.0]])
    >>> F.cross_entropy(logits, minigrad.tensor([0]))
    tensor(0.2413)
    """
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy(): label_smoothing must be between 0.0 and 1.0. "
                         f"Got: {label_smoothing}")
    dim = _class_dim("cross_entropy", input)
    log_probs = ops.log_softmax(input, dim)
    if not (isinstance(target, Tensor) and target.dtype.kind == "f"):
        return _index_loss("cross_entropy", log_probs, target, weight, ignore_index,
                           reduction, label_smoothing)
    if target.shape != input.shape:
        raise ValueError(f"cross_entropy(): class-probability targets must have the input's "
                         f"shape {tuple(input.shape)}, got {tuple(target.shape)}")
    classes = input.shape[dim]
    probabilities = target if not label_smoothing else \
        ops.add(ops.mul(target, 1 - label_smoothing), label_smoothing / classes)
    class_weight = _class_weight("cross_entropy", weight, classes, log_probs.dtype)
    coefficient: Any = -1.0 if class_weight is None else _new(
        -class_weight.reshape((classes,) + (1,) * (input.ndim - dim - 1)))
    loss = ops.sum(ops.mul(log_probs, ops.mul(probabilities, coefficient)), dim)
    if reduction == "none":
        return loss
    total = ops.sum(loss)
    return total if reduction == "sum" else ops.div(total, loss._data.size)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """``(..., num_classes)`` int64 tensor with a 1 at each index of ``tensor``.

    ``num_classes=-1`` takes one more than the largest index.
    """
    if not isinstance(tensor, Tensor) or tensor.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of integer type")
    t = tensor._data
    if num_classes == -1:
        if t.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(t.max()) + 1
    if t.size and t.min() < 0:
        raise RuntimeError("one_hot: Class values must be non-negative.")
    if t.size and t.max() >= num_classes:
        raise RuntimeError(f"one_hot: Class values must be smaller than num_classes "
                           f"({num_classes}), got {int(t.max())}.")
    return _new((t[..., None] == np.arange(num_classes)).astype(np.int64))

