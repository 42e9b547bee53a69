"""
Tutorial 002: a three-input perceptron
======================================

One sigmoid unit without bias learns that the output equals the third input. Its weights
start as ``2 * random((3, 1)) - 1`` after ``seed(1)``; the tutorial publishes its prediction
for ``[1, 0, 1]`` after 10, 100 and 10,000 iterations. The update ``X.T @ ((y - o) * o * (1 - o))``
is one SGD step with learning rate 1 on half the summed squared error. The logic lives in
:mod:`minigrad.tutorials.t002_perceptron`.
"""

from minigrad.tutorials import predictions_at, side_by_side
from minigrad.tutorials import t002_perceptron as t002

# %%
# The published predictions
# -------------------------

checkpoints = list(t002.PUBLISHED_PREDICTIONS)
hand = predictions_at(t002.SETUP.hand_derived(), t002.QUERY, checkpoints)
with_minigrad = predictions_at(t002.SETUP.autograd(), t002.QUERY, checkpoints)
for iterations, published in t002.PUBLISHED_PREDICTIONS.items():
    print(
        f"{iterations:>6} iterations: hand-derived {hand[iterations]:.8f}, "
        f"minigrad {with_minigrad[iterations]:.8f}, tutorial {published}"
    )

# %%
# Step-by-step agreement
# ----------------------

worst, _, _ = side_by_side(t002.SETUP, 1000)
print(f"max relative difference of the weights over 1000 steps: {worst:.1e}")
