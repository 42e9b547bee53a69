"""The five source tutorials, each rebuilt twice: hand-derived NumPy and minigrad autograd.

Modules
-------
t000_sigmoid_and_feed_forward
    The sigmoid, weight and bias effects, a 3-3-1 feed-forward pass; loops vs vectors.
t001_neurons
    One neuron, a 2-2-1 network, and a 3-4-1 net trained on summed squared error.
t002_perceptron
    A three-input perceptron and its published predictions after 10, 100, 10,000 steps.
t003_single_neuron
    A seeded single neuron trained 15,000 times on the whole set.
t004_exam_scores
    A 2-3-1 net predicting an exam score; saving its weights.

Each trainable tutorial exposes ``SETUP``, a :class:`TrainingSetup` whose ``hand_derived()``
and ``autograd()`` build the two versions from the same starting weights; both have
``step()`` and ``weights()``. The module docstrings say which loss and learning rate turn
the tutorial's update rule into exactly one ``optim.SGD`` step; ``docs/backprop_to_autograd.rst``
works through tutorial 004 in detail.
"""

from . import (
    t000_sigmoid_and_feed_forward,
    t001_neurons,
    t002_perceptron,
    t003_single_neuron,
    t004_exam_scores,
)
from ._common import (
    AutogradNet,
    HandDerivedNet,
    TrainingSetup,
    build_sigmoid_mlp,
    graph_lines,
    max_relative_difference,
    predictions_at,
    side_by_side,
    sigmoid,
    sigmoid_slope,
    train,
    trajectory,
)

__all__ = [
    "AutogradNet",
    "HandDerivedNet",
    "TrainingSetup",
    "build_sigmoid_mlp",
    "graph_lines",
    "max_relative_difference",
    "predictions_at",
    "sigmoid",
    "sigmoid_slope",
    "side_by_side",
    "t000_sigmoid_and_feed_forward",
    "t001_neurons",
    "t002_perceptron",
    "t003_single_neuron",
    "t004_exam_scores",
    "train",
    "trajectory",
]
