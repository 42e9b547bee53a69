"""Tutorial 002: a single-layer perceptron with three inputs and one sigmoid output.

Source: an article on implementing the training process of an artificial neural network
in Python. The training set has three examples, ``[0, 1, 1] -> 1``, ``[1, 0, 0] -> 0`` and
``[1, 0, 1] -> 1`` (the target is the third input). Weights start as
``2 * random((3, 1)) - 1`` after NumPy's legacy ``seed(1)``, and each iteration adds
``X.T @ ((y - o) * o * (1 - o))``. The published
predictions for ``[1, 0, 1]`` (:data:`PUBLISHED_PREDICTIONS`) are 0.65980921 after 10
iterations, 0.87680541 after 100 and 0.9897704 after 10,000; the tutorial prints them as
NumPy does, to 8 decimals with trailing zeros dropped, and all three reproduce.

We draw from ``np.random.RandomState(1)``, which is the generator behind the legacy
``np.random.seed``/``np.random.random`` and gives the same numbers without touching global
state.

Mapping to minigrad
-------------------
``(y - o) * o * (1 - o)`` is minus the derivative of ``(o - y)**2 / 2`` through the sigmoid,
so the rule is one ``optim.SGD(lr=1)`` step on ``0.5 * nn.MSELoss(reduction='sum')`` of
``Sequential(Linear(3, 1, bias=False), Sigmoid())``. There is no bias; the tutorial's
``(3, 1)`` weight is the transpose of the ``Linear``'s ``(1, 3)``.
"""

from __future__ import annotations

import numpy as np

from ._common import TrainingSetup

__all__ = ["PUBLISHED_PREDICTIONS", "QUERY", "SEED", "SETUP", "initial_weights", "signed_uniform"]

SEED = 1
QUERY = np.array([1.0, 0.0, 1.0])
#: Iterations -> the prediction for :data:`QUERY`, as the tutorial prints it.
PUBLISHED_PREDICTIONS = {10: "0.65980921", 100: "0.87680541", 10_000: "0.9897704"}


def signed_uniform(shape: tuple[int, ...], seed: int = SEED) -> np.ndarray:
    """Uniform on [-1, 1): ``2 * random(shape) - 1`` from a fresh ``RandomState(seed)``."""
    return 2 * np.random.RandomState(seed).random_sample(shape) - 1


def initial_weights() -> list[np.ndarray]:
    """The tutorial's starting ``(3, 1)`` weights."""
    return [signed_uniform((3, 1))]


#: The training problem; ``SETUP.hand_derived()`` and ``SETUP.autograd()`` build the two nets.
SETUP = TrainingSetup(
    inputs=np.array([[0, 1, 1], [1, 0, 0], [1, 0, 1]], dtype=np.float64),
    targets=np.array([[1], [0], [1]], dtype=np.float64),
    initial_weights=initial_weights,
    error_scale=1.0,
)
