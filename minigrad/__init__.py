"""minigrad: a small, fast, honest autograd framework on NumPy, with PyTorch's names."""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from minigrad.dtypes import (
    bool, double, float, float16, float32, float64, get_default_dtype, half, int, int8, int16,
    int32, int64, long, promote_types, set_default_dtype, short, uint8,
)
from minigrad.tensor import Tensor, is_tensor
from minigrad.random import Generator, default_generator, initial_seed, manual_seed, seed
from minigrad.creation import (
    arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like, linspace, ones,
    ones_like, rand, rand_like, randint, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from minigrad.ops import (
    abs, absolute, add, allclose, amax, amin, argmax, argmin, broadcast_to, cat, ceil, clamp,
    clip, clone, concat, concatenate, cos, detach, div, divide, dot, eq, equal, exp, expand,
    flatten, floor, floor_divide, gather, ge, greater, greater_equal, gt, isfinite, isnan, le,
    less, less_equal, linear, log, log_softmax, logical_and, logical_not, logical_or,
    logsumexp, lt, masked_fill, matmul, max, maximum, mean, min, minimum, mm, mul, multiply,
    ne, neg, negative, not_equal, permute, pow, relu, remainder, reshape, round, sigmoid,
    sign, sin, softmax, sqrt, squeeze, stack, std, sub, subtract, sum, swapaxes, swapdims, t,
    tanh, transpose, true_divide, trunc, unflatten, unsqueeze, var, view_as, where,
)
from minigrad.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad import autograd, nn, optim, utils

if _TYPE_CHECKING:  # at run time, __getattr__ below imports them on first use
    from minigrad.serialization import load, save

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # save and load need zipfile and json: imported on first use, for a faster import
    if name in ("save", "load"):
        from minigrad import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
