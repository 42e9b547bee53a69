"""
Tutorial 003: a seeded single neuron, 15,000 iterations
=======================================================

The starter's guide describes, in words only, one sigmoid neuron with three inputs trained
15,000 times on its whole training set with the "error weighted derivative" rule. It names
no data and publishes no number, so we supply the usual four examples (target = first
input) and ask about the unseen input ``[1, 0, 0]``. The rule is the same as tutorial 002's:
SGD with learning rate 1 on half the summed squared error. The logic lives in
:mod:`minigrad.tutorials.t003_single_neuron`.
"""

from minigrad.tutorials import side_by_side
from minigrad.tutorials import t003_single_neuron as t003

# %%
# Train both versions side by side
# --------------------------------

worst, hand, autograd = side_by_side(t003.SETUP, t003.ITERATIONS)
print("trained weights:", hand.weights()[0].ravel().round(4))
print(
    f"prediction for {t003.QUERY}: hand-derived {hand.predict(t003.QUERY)[0]:.8f}, "
    f"minigrad {autograd.predict(t003.QUERY)[0]:.8f}"
)
print(f"max relative difference over {t003.ITERATIONS} steps: {worst:.1e}")
