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
@derivative
def MseLossBackward0(xp, grad, out, inputs, needs, scale):
    x, y = inputs
    grad_x = (x - y) * scale * grad
    return grad_x if needs[0] else None, -grad_x if needs[1] else None


def mse_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or elementwise) squared error ``(input - target) ** 2``.

    One node, as in PyTorch (training loops call it often): the gradient is
    ``2 * (input - target)``, divided by the number of elements for ``'mean'``.

    Examples
    --------
    >>> F.mse_loss(minigrad.tensor([1.0, 2.0]), minigrad.tensor([1.0, 4.0]))
    tensor(2.)
    """
    _check_reduction(reduction)
    _check_pair("mse_loss", input, target)
    a, b, x, y = ops._operands("mse_loss", input, target)
    diff = x - y
    scale = 2.0
    if reduction == "none":
        data = diff * diff
    else:
        data = np.vdot(diff, diff)  # the sum of squares, without a squares array
        if reduction == "mean":
            count = diff.size
            data = data / count if count else np.nan  # nan for no elements, as in PyTorch
            scale = 2.0 / count if count else 0.0
        data = np.asarray(data, diff.dtype)
    return record(MseLossBackward0, data, (a, b), scale, save=(a, b))


def l1_loss(input: Tensor, target: Tensor, *, reduction: str = "mean") -> Tensor:
    """Mean (or summed, or elementwise) absolute error ``|input - target|``."""
    _check_reduction(reduction)
    _check_pair("l1_loss", input, target)
    return _reduce(ops.abs(ops.sub(input, target)), reduction)


# ---------------------------------------------------------------------- binary cross-entropy
# PyTorch's floor on x * (1 - x) in the gradient: 1e-12, stored as a float32
_BCE_EPSILON = float(np.float32(1e-12))


@derivative
def BinaryCrossEntropyBackward0(xp, grad, out, inputs, needs, weight):
    x, y = inputs
    grad_x = grad_y = None
    if needs[0]:
        spread = (1 - x) * x
        grad_x = grad * (x - y) / xp.where(spread > _BCE_EPSILON, spread, _BCE_EPSILON)
    if needs[1]:
        with np.errstate(divide="ignore"):  # infinite where the input is exactly 0 or 1
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
    if not np.all((x >= 0) & (x <= 1)):  # nan fails too, as in PyTorch
        raise RuntimeError("binary_cross_entropy(): all elements of input should be between "
                           "0 and 1")
    if target.dtype != x.dtype:
        raise RuntimeError(f"binary_cross_entropy(): expected a target of the input's dtype "
                           f"{x.dtype}, got {target.dtype}")
    y = target._data
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
        # exp(-x) is inf for x < -709 and 1 / inf the right limit, 0: no warning wanted
        with np.errstate(over="ignore", under="ignore"):
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
    x, y = input._data, target._data
    if x.dtype.kind != "f" or y.dtype.kind != "f":
        raise RuntimeError(f"{name}(): input and target must be floating point, got "
                           f"{x.dtype} and {y.dtype}")
    if x.dtype != y.dtype:  # computed in the wider dtype, as in PyTorch
        x, y = (a.astype(np.promote_types(x.dtype, y.dtype), copy=False) for a in (x, y))
    w = _constant_array(name, "weight", weight, x.dtype, x.shape)
    pw = _constant_array(name, "pos_weight", pos_weight, x.dtype, x.shape)
    with np.errstate(under="ignore"):  # exp(-|x|) underflows to 0 for |x| > 745: harmless
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
                  dtype: np.dtype) -> Tensor | None:
    """A per-class weight, checked: a Tensor of shape ``(classes,)`` in the input's dtype."""
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{name}(): 'weight' must be a Tensor, not {type(weight).__name__}")
    if weight.shape != (classes,):
        raise RuntimeError(f"{name}(): weight tensor should be defined either for all "
                           f"{classes} classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    if weight.dtype != dtype:
        raise RuntimeError(f"{name}(): expected a weight of the input's dtype {dtype}, got "
                           f"{weight.dtype}")
    return weight


def _class_dim(name: str, input: Any) -> int:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim == 0:
        raise ValueError(f"{name}(): input must have a class dimension, got a 0-d tensor")
    return 1 if input.ndim >= 2 else 0


def _pick(array: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
    """``array``'s entries at ``index`` along ``dim`` (``index`` has size 1 there)."""
    if array.ndim == 2 and dim == 1:  # the common (N, C) case, without the general machinery
        return array[np.arange(array.shape[0]), index[:, 0]][:, None]
    return np.take_along_axis(array, index, dim)


def _place(shape: tuple[int, ...], index: np.ndarray, values: np.ndarray,
           dim: int) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` written at ``index`` along ``dim``."""
    array = np.zeros(shape, values.dtype)
    if array.ndim == 2 and dim == 1:
        array[np.arange(shape[0]), index[:, 0]] = values[:, 0]
    else:
        np.put_along_axis(array, index, values, dim)
    return array


@derivative
def NllLossBackward0(xp, grad, out, inputs, needs, dim, index, target_coefficient,
                     class_coefficient, scale):
    # the loss is linear in the log-probabilities: their gradient is the (constant)
    # coefficients, times the incoming gradient spread along the class dim
    coefficients = _place(inputs[0].shape, index, target_coefficient, dim)
    if class_coefficient is not None:
        coefficients += class_coefficient
    if grad.ndim:  # reduction 'none': one gradient per target
        grad = grad.reshape(index.shape)
    return (coefficients * (grad * scale),)


def _index_loss(name: str, log_probs: Tensor, target: Any, weight: Tensor | None,
                ignore_index: int, reduction: str, label_smoothing: float) -> Tensor:
    """NLL (plus label smoothing) of class-index targets, as one node.

    Each element's loss is ``-(1 - smoothing) * weight[t] * log_probs[t]`` minus
    ``smoothing / C * sum_c weight[c] * log_probs[c]``, and 0 for ignored targets;
    ``'mean'`` divides the sum by the summed ``weight[t]`` of the targets that count.
    """
    dim = 1 if log_probs.ndim >= 2 else 0
    classes = log_probs.shape[dim]
    expected = log_probs.shape[:dim] + log_probs.shape[dim + 1:]
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}(): argument 'target' must be Tensor, not "
                        f"{type(target).__name__}")
    if target.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"{name}(): expected class-index targets of dtype int64 (or "
                           f"uint8), got {target.dtype}")
    if target.shape != expected:
        raise ValueError(f"{name}(): expected a target of shape {tuple(expected)} for input "
                         f"of shape {tuple(log_probs.shape)} (the input without its class "
                         f"dim {dim}), got target of shape {tuple(target.shape)}")
    x = log_probs._data
    t = target._data
    valid = t != ignore_index
    out_of_range = valid & ((t < 0) | (t >= classes))
    if out_of_range.any():
        raise IndexError(f"{name}(): Target {t[out_of_range].flat[0]} is out of bounds "
                         f"(the input has {classes} classes)")
    everything_valid = bool(valid.all())
    index = np.expand_dims(t if everything_valid else np.where(valid, t, 0), dim)
    weight = _class_weight(name, weight, classes, x.dtype)
    if weight is not None and weight._requires_grad and is_grad_enabled():
        raise RuntimeError(f"{name}(): the derivative for 'weight' is not implemented for "
                           f"class-index targets; pass weight.detach()")
    class_weight = None if weight is None else weight._data
    if class_weight is None:
        target_weight = np.ones(index.shape, x.dtype) if everything_valid else \
            np.expand_dims(valid, dim).astype(x.dtype)
    else:
        target_weight = class_weight[index] * np.expand_dims(valid, dim)
    target_coefficient = -(1 - label_smoothing) * target_weight
    elementwise = target_coefficient * _pick(x, index, dim)
    class_coefficient = None
    if label_smoothing:
        per_class = np.ones(classes, x.dtype) if class_weight is None else class_weight
        per_class = per_class.reshape((classes,) + (1,) * (x.ndim - dim - 1))
        class_coefficient = -(label_smoothing / classes) * per_class * \
            np.expand_dims(valid, dim)
        elementwise = elementwise + (x * class_coefficient).sum(axis=dim, keepdims=True)
    scale = 1.0
    if reduction == "none":
        data = elementwise.reshape(expected)
    else:
        data = elementwise.sum()
        if reduction == "mean":
            total_weight = target_weight.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                data = data / total_weight  # nan when nothing counts, as in PyTorch
            # PyTorch's gradient is zero, not nan, when every target is ignored
            scale = 1 / total_weight if total_weight else 0.0
    return record(NllLossBackward0, np.asarray(data, x.dtype), (log_probs,), dim, index,
                  target_coefficient, class_coefficient, scale)


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


@derivative
def FusedCrossEntropyBackward(xp, grad, out, inputs, needs, rows, labels, scale,
                              probabilities):
    # d/dx of mean(logsumexp(x) - x[labels]) is (softmax(x) - one_hot(labels)) / N
    (x,) = inputs
    if isinstance(x, Tensor):  # create_graph: the softmax must be recorded too
        one_hot = np.zeros(x.shape, x.dtype)
        one_hot[rows, labels] = 1
        return ((xp.softmax(x, 1) - one_hot) * (grad * scale),)
    weight = grad * scale
    result = probabilities * weight  # the forward's softmax, reused
    result[rows, labels] -= weight
    return (result,)


# PyTorch's graph shows NllLossBackward0 at the loss (its LogSoftmaxBackward0 is fused in)
CrossEntropyBackward = type("NllLossBackward0", (FusedCrossEntropyBackward,), {"__slots__": ()})


@ops._quiet  # inf - inf is nan, silently, as in PyTorch
def _fused_cross_entropy(input: Tensor, target: Tensor, reduction: str) -> Tensor | None:
    """The common case as one node: ``(N, C)`` float logits, int64 labels all in range,
    no weights, no smoothing. None when the general path must run."""
    x, labels = input._data, target._data
    if x.ndim != 2 or x.dtype.kind != "f" or labels.dtype != np.int64 or \
            labels.shape != x.shape[:1] or reduction == "none" or not x.size:
        return None
    if labels.view(np.uint64).max() >= x.shape[1]:  # negatives look huge as unsigned
        return None  # an ignored or invalid target: the general path handles or reports it
    rows = np.arange(len(labels))
    shifted = x - np.maximum.reduce(x, 1, keepdims=True)
    probabilities = np.exp(shifted)
    totals = np.add.reduce(probabilities, 1, keepdims=True)
    losses = np.log(totals)
    probabilities /= totals
    scale = 1.0 / len(labels) if reduction == "mean" else 1.0
    loss = (np.add.reduce(losses, None) - np.add.reduce(shifted[rows, labels], None)) * scale
    return record(CrossEntropyBackward, np.asarray(loss, x.dtype), (input,), rows, labels,
                  scale, probabilities, save=(input,))


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
    if weight is None and not label_smoothing and ignore_index < 0 and \
            isinstance(target, Tensor):
        fused = _fused_cross_entropy(input, target, reduction)
        if fused is not None:
            return fused
    log_probs = ops.log_softmax(input, dim)
    if not (isinstance(target, Tensor) and target.dtype.kind == "f"):
        return _index_loss("cross_entropy", log_probs, target, weight, ignore_index,
                           reduction, label_smoothing)
    if target.shape != input.shape:
        raise ValueError(f"cross_entropy(): class-probability targets must have the input's "
                         f"shape {tuple(input.shape)}, got {tuple(target.shape)}")
    if ignore_index != -100:
        raise RuntimeError("cross_entropy(): ignore_index is not supported for class-"
                           "probability (floating point) targets")
    classes = input.shape[dim]
    probabilities = target if not label_smoothing else \
        ops.add(ops.mul(target, 1 - label_smoothing), label_smoothing / classes)
    class_weight = _class_weight("cross_entropy", weight, classes, log_probs.dtype)
    coefficient: Any = -1.0 if class_weight is None else ops.neg(
        ops.reshape(class_weight, (classes,) + (1,) * (input.ndim - dim - 1)))
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

