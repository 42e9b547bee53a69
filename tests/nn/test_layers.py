"""Layers against PyTorch: values and gradients in float64, on hypothesis-drawn shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from nn_parity import VALUES, assert_close, batches, check, check_module

import minigrad
import minigrad.nn as nn


@given(data=st.data(), in_features=st.integers(1, 5), out_features=st.integers(1, 5),
       bias=st.booleans(), lead=st.integers(1, 3))
def test_linear_matches_torch(data, in_features, out_features, bias, lead):
    shape = data.draw(array_shapes(min_dims=lead, max_dims=lead, min_side=1, max_side=4))
    x = data.draw(arrays(np.float64, (*shape, in_features), elements=VALUES))
    ours = nn.Linear(in_features, out_features, bias=bias, dtype=minigrad.float64)
    theirs = torch.nn.Linear(in_features, out_features, bias=bias, dtype=torch.float64)
    check_module(ours, theirs, x)


def test_linear_is_one_fused_node():
    layer = nn.Linear(3, 2)
    assert layer(minigrad.randn(4, 3)).grad_fn.name() == "AddmmBackward0"


def test_linear_layout_and_default_init():
    minigrad.manual_seed(0)
    layer = nn.Linear(400, 300)
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert layer.weight.dtype == minigrad.float32 and layer.weight.requires_grad
    bound = 1 / math.sqrt(400)
    for param in (layer.weight, layer.bias):
        values = param.detach().numpy()
        assert np.abs(values).max() <= bound
        # uniform on [-bound, bound]: standard deviation bound / sqrt(3)
        assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert abs(layer.weight.detach().numpy().mean()) < 0.01 * bound
    assert nn.Linear(2, 3, bias=False).bias is None


def test_linear_init_follows_the_seed():
    minigrad.manual_seed(7)
    first = nn.Linear(4, 3).weight.detach().numpy().copy()
    minigrad.manual_seed(7)
    assert np.array_equal(nn.Linear(4, 3).weight.detach().numpy(), first)
    assert not np.array_equal(nn.Linear(4, 3).weight.detach().numpy(), first)


def test_linear_dtype_and_reset_parameters():
    layer = nn.Linear(2, 3, dtype=minigrad.float64)
    assert layer.weight.dtype == layer.bias.dtype == minigrad.float64
    before = layer.weight.detach().numpy().copy()
    layer.reset_parameters()
    assert not np.array_equal(layer.weight.detach().numpy(), before)
    assert layer.weight.grad_fn is None


ACTIVATIONS = [
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU()),
    (lambda: nn.LeakyReLU(0.2), lambda: torch.nn.LeakyReLU(0.2)),
    (lambda: nn.Identity(), lambda: torch.nn.Identity()),
]


@pytest.mark.parametrize("make", ACTIVATIONS)
@given(x=batches(min_dims=0))
def test_elementwise_layers_match_torch(make, x):
    ours, theirs = make[0](), make[1]()
    check_module(ours, theirs, x)


@pytest.mark.parametrize("name", ["Softmax", "LogSoftmax"])
@given(data=st.data())
def test_softmax_layers_match_torch(name, data):
    x = data.draw(batches())
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check_module(getattr(nn, name)(dim=dim), getattr(torch.nn, name)(dim=dim), x)


@given(data=st.data())
def test_flatten_matches_torch(data):
    x = data.draw(batches(min_dims=1, max_dims=5))
    start = data.draw(st.integers(-x.ndim, x.ndim - 1))
    end = data.draw(st.integers(-x.ndim, x.ndim - 1))
    if start % x.ndim > end % x.ndim:
        start, end = end, start
    check_module(nn.Flatten(start, end), torch.nn.Flatten(start, end), x)
    assert nn.Flatten()(minigrad.zeros(2, 3, 4)).shape == (2, 12)


def test_relu_inplace_overwrites_its_input():
    x = minigrad.tensor([-1.0, 2.0, 0.0], requires_grad=True)
    hidden = x * 1
    out = nn.ReLU(inplace=True)(hidden)
    assert out is hidden
    assert hidden.tolist() == [0.0, 2.0, 0.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


# ---------------------------------------------------------------------- dropout
def test_dropout_is_identity_in_eval_mode():
    layer = nn.Dropout(0.5).eval()
    x = minigrad.randn(10, 10)
    assert layer(x) is x


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest():
    minigrad.manual_seed(0)
    p = 0.3
    x = minigrad.ones(200, 200, dtype=minigrad.float64, requires_grad=True)
    out = nn.Dropout(p)(x)
    values = out.detach().numpy()
    kept = values != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-15)
    out.sum().backward()
    # the gradient is the same mask, scaled
    np.testing.assert_array_equal(x.grad.numpy(), values)


def test_dropout_follows_the_seed_and_edge_probabilities():
    x = minigrad.randn(50)
    minigrad.manual_seed(3)
    first = nn.Dropout()(x).numpy().copy()
    minigrad.manual_seed(3)
    assert np.array_equal(nn.Dropout()(x).numpy(), first)
    assert np.array_equal(nn.Dropout(0.0)(x).numpy(), x.numpy())
    assert not nn.Dropout(1.0)(x).numpy().any()
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1"):
            nn.Dropout(p)


def test_dropout_respects_training_flag_of_a_parent():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.9))
    x = minigrad.ones(3, 4)
    model.eval()
    assert np.array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())
    model.train()
    minigrad.manual_seed(0)
    assert (model(x).detach().numpy() == 0).mean() > 0.5


def test_linear_rejects_mismatched_inputs_clearly():
    with pytest.raises(RuntimeError, match=r"\(5, 3\).*\(2, 4\)"):
        nn.Linear(4, 2)(minigrad.randn(5, 3))


def test_check_module_notices_a_wrong_gradient():
    """The parity helper itself fails when gradients differ."""
    class Doubled(nn.Module):
        def forward(self, x):
            return minigrad.tanh(x) + x.detach()  # value tanh(x) + x, gradient of tanh only

    x = np.linspace(-1, 1, 5)
    with pytest.raises(AssertionError):
        check(Doubled(), lambda t: torch.tanh(t) + t, x)
    assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]))
