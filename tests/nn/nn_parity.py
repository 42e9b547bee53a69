"""Run one computation in minigrad and in PyTorch (float64) and compare values and gradients.

Both sides get the same arrays; float arrays become leaf tensors that require grad, integer
arrays (class targets) plain tensors. A non-scalar output is backpropagated with the same
seeded random cotangent on both sides, so that every output element's gradient path counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import minigrad

REL = 1e-10

# no tiny magnitudes: their products underflow, which NumPy reports as a warning
VALUES = st.floats(-5, 5).map(lambda v: 0.0 if abs(v) < 1e-6 else v)


def batches(min_dims: int = 1, max_dims: int = 4,
            values: st.SearchStrategy[float] = VALUES) -> st.SearchStrategy[np.ndarray]:
    """Float64 arrays of 1 to 4 elements a side."""
    shapes = array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=values))


ROUND_OFF = 1e-13  # values this small are cancellation noise of O(1) terms, in either library


def assert_close(actual: Any, expected: Any, rel: float = REL) -> None:
    """Equal to ``rel`` relative to the largest magnitude in ``expected`` (shapes equal),
    or both within round-off of zero (a gradient that cancels to 0 comes out as 1e-18)."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    finite = expected[np.isfinite(expected)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    with np.errstate(under="ignore"):
        np.testing.assert_allclose(actual, expected, rtol=rel,
                                   atol=max(rel * scale, ROUND_OFF))


def to_minigrad_state(state: dict[str, torch.Tensor]) -> dict[str, minigrad.Tensor]:
    """A PyTorch state dict as minigrad tensors (copies, same dtypes)."""
    return {key: minigrad.tensor(value.detach().numpy()) for key, value in state.items()}


def _leaves(arrays: Sequence[np.ndarray]) -> tuple[list[minigrad.Tensor], list[torch.Tensor]]:
    ours, theirs = [], []
    for array in arrays:
        array = np.asarray(array)
        grad = array.dtype.kind == "f"
        ours.append(minigrad.tensor(array, requires_grad=grad))
        theirs.append(torch.tensor(array, requires_grad=grad))
    return ours, theirs


def _backward_both(ours: minigrad.Tensor, theirs: torch.Tensor) -> None:
    cotangent = np.random.default_rng(0).standard_normal(tuple(theirs.shape))
    ours.backward(minigrad.tensor(cotangent))
    theirs.backward(torch.tensor(cotangent))


def check(ours_fn: Callable[..., minigrad.Tensor], theirs_fn: Callable[..., torch.Tensor],
          *arrays: np.ndarray, rel: float = REL) -> None:
    """``ours_fn`` and ``theirs_fn`` give the same value and input gradients on ``arrays``."""
    ours_in, theirs_in = _leaves(arrays)
    ours_out, theirs_out = ours_fn(*ours_in), theirs_fn(*theirs_in)
    assert_close(ours_out.detach().numpy(), theirs_out.detach().numpy(), rel)
    if not theirs_out.requires_grad:
        return
    _backward_both(ours_out, theirs_out)
    for ours, theirs in zip(ours_in, theirs_in, strict=True):
        if theirs.requires_grad:
            assert_close(ours.grad.numpy(), theirs.grad.numpy(), rel)


def check_module(ours: minigrad.nn.Module, theirs: torch.nn.Module, *arrays: np.ndarray,
                 rel: float = REL) -> None:
    """Same parameters (copied from ``theirs``), same output, input and parameter gradients."""
    ours.load_state_dict(to_minigrad_state(theirs.state_dict()))
    check(ours, theirs, *arrays, rel=rel)
    grads = {name: p.grad for name, p in theirs.named_parameters()}
    for name, param in ours.named_parameters():
        assert_close(param.grad.numpy(), grads[name].numpy(), rel)
