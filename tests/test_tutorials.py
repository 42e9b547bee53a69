"""The five tutorials: published numbers, and hand-derived backprop == autograd + SGD.

For every trainable tutorial the hand-derived NumPy rule, minigrad and PyTorch start from the
same float64 weights and must agree after every single step, which pins down that the rule
is exactly one SGD step on the loss the module docstring names.
"""

from __future__ import annotations

import numpy as np
import pytest

import minigrad
from minigrad.tutorials import (
    graph_lines,
    max_relative_difference,
    predictions_at,
    sigmoid,
    train,
    trajectory,
)
from minigrad.tutorials import t000_sigmoid_and_feed_forward as t000
from minigrad.tutorials import t001_neurons as t001
from minigrad.tutorials import t002_perceptron as t002
from minigrad.tutorials import t003_single_neuron as t003
from minigrad.tutorials import t004_exam_scores as t004

torch = pytest.importorskip("torch")

TRAINABLE = [t001, t002, t003, t004]
STEP_TOLERANCE = 1e-12


def assert_prints_as(value: float, published: str) -> None:
    """``value`` rounded to as many decimals as ``published`` shows equals it."""
    decimals = len(published.split(".")[1])
    assert round(float(value), decimals) == float(published), (value, published)


# --- 000: sigmoid, weights, biases, feed-forward -------------------------------------------


def test_000_sigmoid_grid_and_curves():
    x = t000.sigmoid_grid()
    assert x.shape == (160,) and x[0] == -8 and abs(x[-1] - 7.9) < 1e-12
    by_weight = t000.weight_effect(x)
    assert list(by_weight) == ["w = 0.5", "w = 1.0", "w = 2.0"]
    # A larger weight gives a steeper curve: compare the rise over the grid's middle cell.
    middle = np.searchsorted(x, 0.0)
    rises = [curve[middle + 1] - curve[middle - 1] for curve in by_weight.values()]
    assert rises[0] < rises[1] < rises[2]
    by_bias = t000.bias_effect(x)
    assert list(by_bias) == ["b = -8.0", "b = 0.0", "b = 8.0"]
    # The bias moves the half-way point to x = -b / w.
    for (label, curve), bias in zip(by_bias.items(), (-8.0, 0.0, 8.0), strict=True):
        crossing = np.interp(0.5, curve, x)
        assert abs(crossing - (-bias / 5.0)) < 0.01, label


def test_000_published_output():
    output = t000.looped_feed_forward(t000.INPUT, t000.WEIGHTS, t000.BIASES)
    assert output.shape == (1,)
    # 0.835456 is printed as 0.8354: the tutorial cuts the digits off rather than rounding.
    assert f"{output[0]:.10f}".startswith(t000.PUBLISHED_OUTPUT)


@pytest.mark.parametrize("net", ["3-3-1", "10-100-50-10-100"])
def test_000_looped_vectorized_minigrad_agree(net):
    if net == "3-3-1":
        x, weights, biases = t000.INPUT, t000.WEIGHTS, t000.BIASES
    else:
        x, weights, biases = t000.random_network()
        assert [w.shape for w in weights] == [(100, 10), (50, 100), (10, 50), (100, 10)]
    looped = t000.looped_feed_forward(x, weights, biases)
    vectorized = t000.vectorized_feed_forward(x, weights, biases)
    with_minigrad = t000.minigrad_feed_forward(t000.build_network(weights, biases), x)
    with_torch = t000.minigrad_feed_forward(t000.build_network(weights, biases, torch), x, torch)
    for other in (vectorized, with_minigrad, with_torch):
        assert other.shape == looped.shape
        np.testing.assert_allclose(other, looped, rtol=1e-12, atol=0)


# --- 001: neurons ----------------------------------------------------------------------------


def test_001_published_neuron_and_network():
    # The tutorial prints full reprs; the NumPy computation gives them bit for bit.
    assert repr(t001.neuron_output()) == t001.PUBLISHED_NEURON
    assert repr(t001.two_two_one_output()) == t001.PUBLISHED_NETWORK
    for lib in (minigrad, torch):
        neuron = t000.minigrad_feed_forward(t001.build_neuron(lib), t001.NEURON_INPUT, lib)
        network = t000.minigrad_feed_forward(t001.build_two_two_one(lib), t001.NEURON_INPUT, lib)
        np.testing.assert_allclose(neuron, [float(t001.PUBLISHED_NEURON)], rtol=1e-15)
        np.testing.assert_allclose(network, [float(t001.PUBLISHED_NETWORK)], rtol=1e-15)


# --- every trainable tutorial: hand-derived == minigrad == torch, step by step --------------


def test_loss_scales_match_the_rules():
    # "2 * (y - o)" is SGD on the summed squared error; "(y - o)" on half of it.
    assert t001.SETUP.loss_scale == 1.0
    assert t002.SETUP.loss_scale == t003.SETUP.loss_scale == t004.SETUP.loss_scale == 0.5


@pytest.mark.parametrize("tutorial", TRAINABLE, ids=lambda t: t.__name__.split(".")[-1])
def test_hand_derived_equals_sgd_every_step(tutorial):
    setup = tutorial.SETUP
    start = setup.initial_weights()
    hand = setup.hand_derived(start)
    with_minigrad = setup.autograd(start)
    with_torch = setup.autograd(start, lib=torch)
    assert max_relative_difference(with_minigrad.weights(), start) == 0
    assert max_relative_difference(with_torch.weights(), start) == 0
    steps = 300
    runs = zip(
        trajectory(hand, steps),
        trajectory(with_minigrad, steps),
        trajectory(with_torch, steps),
        strict=True,
    )
    for step, (expected, got_minigrad, got_torch) in enumerate(runs, start=1):
        assert max_relative_difference(got_minigrad, expected) <= STEP_TOLERANCE, step
        assert max_relative_difference(got_torch, expected) <= STEP_TOLERANCE, step
    # The weights did move: agreement is not the trivial kind.
    assert max_relative_difference(hand.weights(), start) > 1e-3


def test_initial_weights_are_fresh_copies():
    setup = t004.SETUP
    net = setup.hand_derived()
    net.step()
    np.testing.assert_array_equal(setup.initial_weights()[0], t004.initial_weights()[0])
    assert max_relative_difference(net.weights(), setup.initial_weights()) > 0


# --- 002: perceptron -------------------------------------------------------------------------


def test_002_random_state_matches_legacy_global_seed():
    saved = np.random.get_state()
    try:
        np.random.seed(1)
        legacy = 2 * np.random.random((3, 1)) - 1
    finally:
        np.random.set_state(saved)
    np.testing.assert_array_equal(t002.initial_weights()[0], legacy)


def test_002_published_predictions():
    checkpoints = list(t002.PUBLISHED_PREDICTIONS)
    hand = predictions_at(t002.SETUP.hand_derived(), t002.QUERY, checkpoints)
    with_minigrad = predictions_at(t002.SETUP.autograd(), t002.QUERY, checkpoints)
    for iterations, published in t002.PUBLISHED_PREDICTIONS.items():
        assert_prints_as(hand[iterations], published)
        assert_prints_as(with_minigrad[iterations], published)


# --- 003: single neuron ----------------------------------------------------------------------


def test_003_trained_neuron_answers_the_unseen_input():
    hand = train(t003.SETUP.hand_derived(), t003.ITERATIONS)
    prediction = float(hand.predict(t003.QUERY)[0])
    # No published number; the neuron learns "output = first input", so [1, 0, 0] -> ~1.
    assert 0.9999 < prediction < 1.0
    assert hand.mean_squared_error() < 1e-4
    # minigrad's run is checked step by step above; 15,000 of its steps would add seconds.


# --- 004: exam scores ------------------------------------------------------------------------


def test_004_scaling():
    np.testing.assert_array_equal(np.round(t004.INPUTS, 8), t004.PUBLISHED_SCALED_INPUTS)
    np.testing.assert_array_equal(t004.TARGETS.ravel(), [0.92, 0.86, 0.89])
    np.testing.assert_array_equal(t004.QUERY, [0.5, 1.0])


def test_004_worked_example():
    example = t004.worked_example()
    published = t004.PUBLISHED_WORKED_EXAMPLE
    for value, printed in zip(example["hidden_sums"], published["hidden_sums"], strict=True):
        assert_prints_as(value, printed)
    first, middle, last = example["hidden_activations"]
    assert_prints_as(first, published["hidden_activations"][0])
    assert_prints_as(last, published["hidden_activations"][2])
    # The tutorial prints "S(7.5) = 1.000553084" for the middle unit; a sigmoid never
    # exceeds 1, and the unit's sum is 3.9.
    assert float(published["hidden_activations"][1]) > 1
    assert_prints_as(middle, "0.980159694")
    assert_prints_as(example["output_sum_from_rounded"][0], published["output_sum_from_rounded"])
    assert_prints_as(example["output_from_rounded"][0], published["output_from_rounded"])
    assert_prints_as(example["output"][0], "0.8567468")


def test_004_thousand_iterations_reduce_the_printed_loss():
    for net in (t004.SETUP.hand_derived(), t004.SETUP.autograd()):
        losses = [net.mean_squared_error()]
        for _ in range(10):
            train(net, 100)
            losses.append(net.mean_squared_error())
        assert all(later < earlier for earlier, later in zip(losses[:-1], losses[1:], strict=True))
        assert losses[-1] < 1e-4 < losses[0]


def test_004_long_run_fits_and_predicts_about_0918():
    published = t004.PUBLISHED_LONG_RUN
    hand = train(t004.SETUP.hand_derived(), published["iterations"])
    assert hand.mean_squared_error() < 1e-12
    prediction = float(hand.predict(t004.QUERY)[0])
    # The tutorial's start was unseeded; the limit depends on the start (see the module).
    assert abs(prediction - published["prediction"]) < 1e-3
    assert_prints_as(prediction, "0.91827")


def test_004_weights_saved_as_checkpoint_and_text(tmp_path):
    net = train(t004.SETUP.autograd(), 1000)
    checkpoint = tmp_path / "exam_net.pt"
    t004.save_checkpoint(net, checkpoint)
    restored = t004.load_checkpoint(checkpoint)
    assert max_relative_difference(restored, net.weights()) == 0
    # A restored network carries on exactly where the saved one was.
    resumed = t004.SETUP.autograd(restored)
    np.testing.assert_array_equal(resumed.predict(t004.QUERY), net.predict(t004.QUERY))

    paths = t004.save_weights_text(net.weights(), tmp_path)
    assert [p.name for p in paths] == ["w1.txt", "w2.txt"]
    from_text = [np.loadtxt(p).reshape(w.shape) for p, w in zip(paths, net.weights(), strict=True)]
    assert max_relative_difference(from_text, net.weights()) == 0


@pytest.mark.parametrize("lib", [minigrad, torch], ids=["minigrad", "torch"])
def test_graph_lines_show_the_network(lib):
    lines = graph_lines(t004.SETUP.autograd(lib=lib).loss())
    names = [line.strip() for line in lines]
    assert names[0] == "MulBackward0"  # the 0.5 in front of the loss
    assert names.count("SigmoidBackward0") == 2 and names.count("MmBackward0") == 2
    # Indentation grows along the path from the loss down to the first layer's product.
    depths = [len(line) - len(line.lstrip()) for line in lines]
    assert depths[0] == 0 and max(depths) >= 4 * 5


def test_sigmoid_helper():
    np.testing.assert_allclose(sigmoid(np.array([-np.inf, 0.0, np.inf])), [0.0, 0.5, 1.0])
