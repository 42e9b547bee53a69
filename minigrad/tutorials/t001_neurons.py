"""Tutorial 001: one neuron, a 2-2-1 network of them, and a two-layer net trained by backprop.

Source: "Neural Networks in Python: How to Write and Train". Its published numbers:

* a neuron with weights ``[0, 1]`` and bias 4 maps ``[2, 3]`` to ``f(7)``, printed as
  0.9990889488055994 (:data:`PUBLISHED_NEURON`);
* three such neurons with bias 0, two hidden and one output, map ``[2, 3]`` to
  ``f(f(3))``, printed as 0.7216325609518421 (:data:`PUBLISHED_NETWORK`);
* a network with one hidden layer of 4 sigmoid units and a sigmoid output, weights drawn
  uniformly from [0, 1), biases taken as zero, trained with

  ``d_W2 = h.T @ (2 * (y - o) * o * (1 - o))``,
  ``d_W1 = X.T @ ((2 * (y - o) * o * (1 - o)) @ W2.T * h * (1 - h))``,
  ``W1 += d_W1; W2 += d_W2``.

The tutorial names neither its training data nor a seed. We train on a four-example,
three-input set whose target is the XOR of the first two inputs (the third is constant 1),
starting from ``RandomState(0)`` draws; those choices are ours.

Mapping to minigrad
-------------------
The factor 2 is the derivative of a square, so the rule is gradient descent on the plain
summed squared error: one ``optim.SGD(lr=1)`` step on ``nn.MSELoss(reduction='sum')`` of
``Sequential(Linear(3, 4, bias=False), Sigmoid(), Linear(4, 1, bias=False), Sigmoid())``.
The two single-neuron examples have biases (4, then 0); the trained network has none. The
tutorial's ``W1`` is ``(3, 4)``, the transpose of the first ``Linear``'s ``(4, 3)`` weight.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

import minigrad

from ._common import TrainingSetup, build_sigmoid_mlp, sigmoid

__all__ = [
    "HIDDEN_UNITS",
    "NEURON_BIAS",
    "NEURON_INPUT",
    "NEURON_WEIGHTS",
    "PUBLISHED_NETWORK",
    "PUBLISHED_NEURON",
    "SETUP",
    "Neuron",
    "build_neuron",
    "build_two_two_one",
    "initial_weights",
    "neuron_output",
    "two_two_one_output",
]

NEURON_WEIGHTS = np.array([0.0, 1.0])
NEURON_BIAS = 4.0
NEURON_INPUT = np.array([2.0, 3.0])
PUBLISHED_NEURON = "0.9990889488055994"
PUBLISHED_NETWORK = "0.7216325609518421"
HIDDEN_UNITS = 4


class Neuron:
    """A single sigmoid unit: ``f(weights . inputs + bias)``."""

    def __init__(self, weights: np.ndarray, bias: float) -> None:
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = float(bias)

    def __call__(self, inputs: np.ndarray) -> float:
        return float(sigmoid(np.dot(self.weights, inputs) + self.bias))


def neuron_output(inputs: np.ndarray = NEURON_INPUT) -> float:
    """The tutorial's lone neuron (weights ``[0, 1]``, bias 4) on ``inputs``."""
    return Neuron(NEURON_WEIGHTS, NEURON_BIAS)(inputs)


def two_two_one_output(inputs: np.ndarray = NEURON_INPUT) -> float:
    """Two hidden neurons feeding one output neuron, all with weights ``[0, 1]`` and bias 0."""
    first, second, output = (Neuron(NEURON_WEIGHTS, 0.0) for _ in range(3))
    return output(np.array([first(inputs), second(inputs)]))


def build_neuron(lib: ModuleType = minigrad):
    """The lone neuron as ``Sequential(Linear(2, 1), Sigmoid())``."""
    return build_sigmoid_mlp([NEURON_WEIGHTS[None, :]], [np.array([NEURON_BIAS])], lib=lib)


def build_two_two_one(lib: ModuleType = minigrad):
    """The 2-2-1 network: both layers' rows are ``[0, 1]``, all biases zero."""
    hidden = np.vstack([NEURON_WEIGHTS, NEURON_WEIGHTS])
    return build_sigmoid_mlp([hidden, NEURON_WEIGHTS[None, :]], [np.zeros(2), np.zeros(1)], lib=lib)


def initial_weights(seed: int = 0) -> list[np.ndarray]:
    """``(3, 4)`` and ``(4, 1)`` matrices uniform on [0, 1), as the tutorial draws them."""
    rng = np.random.RandomState(seed)
    return [rng.rand(3, HIDDEN_UNITS), rng.rand(HIDDEN_UNITS, 1)]


#: The training problem; ``SETUP.hand_derived()`` and ``SETUP.autograd()`` build the two nets.
SETUP = TrainingSetup(
    inputs=np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64),
    targets=np.array([[0], [1], [1], [0]], dtype=np.float64),
    initial_weights=initial_weights,
    error_scale=2.0,
)
