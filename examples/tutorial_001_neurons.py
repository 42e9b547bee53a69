"""
Tutorial 001: from one neuron to a trained two-layer network
============================================================

A sigmoid neuron with weights ``[0, 1]`` and bias 4, then a 2-2-1 network of such neurons,
then a network with one hidden layer of four units trained by the tutorial's hand-derived
rule, whose error term carries a factor 2. That factor makes the rule one SGD step with
learning rate 1 on ``MSELoss(reduction='sum')``, which we check step by step against
minigrad. The logic lives in :mod:`minigrad.tutorials.t001_neurons`.
"""

from minigrad.tutorials import side_by_side
from minigrad.tutorials import t000_sigmoid_and_feed_forward as t000
from minigrad.tutorials import t001_neurons as t001

# %%
# One neuron and a 2-2-1 network
# ------------------------------
# ``f(0 * 2 + 1 * 3 + 4) = f(7)`` and ``f(f(3))``: NumPy gives the tutorial's printed values
# to the last digit, and the same layers in minigrad agree.

print(f"neuron:  {t001.neuron_output()!r} (tutorial {t001.PUBLISHED_NEURON})")
print(f"network: {t001.two_two_one_output()!r} (tutorial {t001.PUBLISHED_NETWORK})")
neuron = t000.minigrad_feed_forward(t001.build_neuron(), t001.NEURON_INPUT)
network = t000.minigrad_feed_forward(t001.build_two_two_one(), t001.NEURON_INPUT)
print(f"minigrad: neuron {float(neuron[0])!r}, network {float(network[0])!r}")

# %%
# Training with the hand-derived rule and with SGD
# ------------------------------------------------
# The tutorial gives no data; we use four three-input examples whose target is the XOR of
# the first two inputs, and seeded starting weights uniform on [0, 1).

steps = 1500
worst, hand, autograd = side_by_side(t001.SETUP, steps)
print(f"after {steps} steps: mean squared error {hand.mean_squared_error():.2e}")
print(
    "predictions:",
    hand.predict(t001.SETUP.inputs).ravel().round(3),
    "targets:",
    t001.SETUP.targets.ravel(),
)
print(f"max relative difference, hand-derived vs minigrad, over all steps: {worst:.1e}")
