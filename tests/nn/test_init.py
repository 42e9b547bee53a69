"""``minigrad.nn.init``: PyTorch's gains, fans and bounds, drawn from minigrad's generator."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis.extra.numpy import array_shapes

import minigrad
import minigrad.nn as nn
from minigrad.nn import init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d", "sigmoid", "tanh", "relu",
                  "leaky_relu", "selu"]


@pytest.mark.parametrize("nonlinearity", NONLINEARITIES)
def test_calculate_gain_matches_torch(nonlinearity):
    assert init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)


@pytest.mark.parametrize("slope", [0, 0.2, 3, math.sqrt(5)])
def test_leaky_relu_gain_with_a_slope(slope):
    assert init.calculate_gain("leaky_relu", slope) == \
        torch.nn.init.calculate_gain("leaky_relu", slope)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@given(shape=array_shapes(min_dims=2, max_dims=5, min_side=1, max_side=4))
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(minigrad.zeros(shape))
    assert ours == torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(minigrad.zeros(3))


def expected_std(name, shape, **options):
    """The standard deviation PyTorch's scheme targets (from torch's own formulas)."""
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))
    if name.startswith("xavier"):
        return options.get("gain", 1.0) * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if options.get("mode", "fan_in") == "fan_in" else fan_out
    gain = torch.nn.init.calculate_gain(options.get("nonlinearity", "leaky_relu"),
                                        options.get("a", 0))
    return gain / math.sqrt(fan)


SCHEMES = [
    ("xavier_uniform_", {}), ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}), ("kaiming_uniform_", {}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", {}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}),
]


@pytest.mark.parametrize(("name", "options"), SCHEMES)
def test_schemes_have_torchs_spread(name, options):
    shape = (300, 200)
    minigrad.manual_seed(0)
    values = getattr(init, name)(minigrad.empty(*shape, dtype=minigrad.float64),
                                 **options).numpy()
    std = expected_std(name, shape, **options)
    assert abs(values.std() - std) < 0.02 * std
    assert abs(values.mean()) < 0.02 * std
    if name.endswith("uniform_"):
        bound = math.sqrt(3) * std
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.99 * bound


def test_uniform_normal_constant():
    minigrad.manual_seed(0)
    values = init.uniform_(minigrad.empty(10000, dtype=minigrad.float64), -2, 3).numpy()
    assert values.min() >= -2 and values.max() < 3 and abs(values.mean() - 0.5) < 0.05
    values = init.normal_(minigrad.empty(10000, dtype=minigrad.float64), 1, 2).numpy()
    assert abs(values.mean() - 1) < 0.1 and abs(values.std() - 2) < 0.1
    assert init.constant_(minigrad.empty(3), 0.5).tolist() == [0.5] * 3
    assert init.zeros_(minigrad.ones(2)).tolist() == [0.0, 0.0]
    assert init.ones_(minigrad.zeros(2)).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("name", ["uniform_", "normal_", "xavier_uniform_", "kaiming_normal_"])
def test_initialisation_follows_the_seed_and_the_generator(name):
    minigrad.manual_seed(5)
    first = getattr(init, name)(minigrad.empty(3, 4)).numpy().copy()
    minigrad.manual_seed(5)
    assert np.array_equal(getattr(init, name)(minigrad.empty(3, 4)).numpy(), first)
    generator = minigrad.Generator().manual_seed(5)
    assert np.array_equal(
        getattr(init, name)(minigrad.empty(3, 4), generator=generator).numpy(), first)


@pytest.mark.parametrize("name", ["uniform_", "normal_", "constant_", "zeros_", "ones_",
                                  "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                                  "kaiming_normal_"])
def test_parameters_are_filled_in_place_outside_the_graph(name):
    layer = nn.Linear(3, 2)
    weight = layer.weight
    arguments = (0.5,) if name == "constant_" else ()
    assert getattr(init, name)(weight, *arguments) is weight
    assert layer.weight is weight and weight.grad_fn is None and weight.requires_grad


def test_zero_element_tensors_are_left_alone_with_a_warning():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(minigrad.empty(0, 3))


def test_mode_names_ignore_case():
    minigrad.manual_seed(1)
    upper = init.kaiming_normal_(minigrad.empty(4, 3), mode="FAN_OUT").numpy().copy()
    minigrad.manual_seed(1)
    assert np.array_equal(init.kaiming_normal_(minigrad.empty(4, 3), mode="fan_out").numpy(),
                          upper)


def test_bad_mode():
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(minigrad.empty(4, 3), mode="fan_avg")
