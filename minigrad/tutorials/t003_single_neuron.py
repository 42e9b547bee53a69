"""Tutorial 003: the starter's guide's single neuron, trained 15,000 times on the whole set.

Source: "A Starter's guide to Neural Networks in Python". In words only, it describes one
sigmoid neuron with three inputs, random starting weights from a seeded generator, the
sigmoid's derivative taken from its output as ``x * (1 - x)``, and an "error weighted
derivative" update repeated 15,000 times with the whole training set processed at once.
Its cost is the sum of squared errors.

The text we have gives no data, no seed value and no prediction, so there is no published
number to reproduce. We fill the gaps with the setting this family of tutorials uses: the
four examples ``[0, 0, 1] -> 0``, ``[1, 1, 1] -> 1``, ``[1, 0, 1] -> 1``, ``[0, 1, 1] -> 0``
(the target is the first input), weights ``2 * random((3, 1)) - 1`` from seed 1 as in
tutorial 002, and the unseen input ``[1, 0, 0]`` (:data:`QUERY`), for which the trained
neuron should answer close to 1.

Mapping to minigrad
-------------------
The update is tutorial 002's rule, ``W += X.T @ ((y - o) * o * (1 - o))``: one
``optim.SGD(lr=1)`` step on ``0.5 * nn.MSELoss(reduction='sum')`` of
``Sequential(Linear(3, 1, bias=False), Sigmoid())``. The summed squared error the tutorial
names as its cost differs only by that factor 1/2, which a learning rate of 0.5 on the full
sum would absorb. No bias.
"""

from __future__ import annotations

import numpy as np

from ._common import TrainingSetup
from .t002_perceptron import signed_uniform

__all__ = ["ITERATIONS", "QUERY", "SETUP", "initial_weights"]

ITERATIONS = 15_000
QUERY = np.array([1.0, 0.0, 0.0])


def initial_weights() -> list[np.ndarray]:
    """Starting ``(3, 1)`` weights, uniform on [-1, 1) from seed 1."""
    return [signed_uniform((3, 1), seed=1)]


#: The training problem; ``SETUP.hand_derived()`` and ``SETUP.autograd()`` build the two nets.
SETUP = TrainingSetup(
    inputs=np.array([[0, 0, 1], [1, 1, 1], [1, 0, 1], [0, 1, 1]], dtype=np.float64),
    targets=np.array([[0], [1], [1], [0]], dtype=np.float64),
    initial_weights=initial_weights,
    error_scale=1.0,
)
