"""
Tutorial 000: the sigmoid and the feed-forward pass
===================================================

The first tutorial builds a network without training it: the sigmoid, what a weight and a
bias do to it, and a feed-forward pass through a 3-3-1 network written twice, once node by
node with Python loops and once with one matrix product per layer. We add a third version,
the same network as minigrad ``nn.Linear`` and ``nn.Sigmoid`` layers, and time all three.
The logic lives in :mod:`minigrad.tutorials.t000_sigmoid_and_feed_forward`.
"""

import matplotlib.pyplot as plt

from minigrad.tutorials import max_relative_difference, sigmoid
from minigrad.tutorials import t000_sigmoid_and_feed_forward as t000

# %%
# The sigmoid
# -----------
# It rises smoothly from 0 to 1, so it has a derivative everywhere, which gradient-based
# training needs.

x = t000.sigmoid_grid()
fig, ax = plt.subplots()
ax.plot(x, sigmoid(x))
ax.set_xlabel("x")
ax.set_ylabel("sigmoid(x)")
plt.show()

# %%
# A weight sets the slope, a bias sets where it switches on
# ----------------------------------------------------------
# With one input, the node computes ``sigmoid(w * x + b)``. Scaling by ``w`` makes the step
# sharper or softer; adding ``b`` moves the half-way point to ``x = -b / w``.

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for label, curve in t000.weight_effect(x).items():
    left.plot(x, curve, label=label)
left.set_title("weight only")
for label, curve in t000.bias_effect(x).items():
    right.plot(x, curve, label=label)
right.set_title("w = 5 with a bias")
for ax in (left, right):
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
left.set_ylabel("node output")
plt.show()

# %%
# The 3-3-1 network
# -----------------
# Hidden weights in rows of 0.2, 0.4 and 0.6, output weights 0.5, biases 0.8 and 0.2.

looped = t000.looped_feed_forward(t000.INPUT, t000.WEIGHTS, t000.BIASES)
vectorized = t000.vectorized_feed_forward(t000.INPUT, t000.WEIGHTS, t000.BIASES)
model = t000.build_network()
with_minigrad = t000.minigrad_feed_forward(model, t000.INPUT)
print(model)
print(
    f"output: looped {looped[0]:.10f}, vectorised {vectorized[0]:.10f}, "
    f"minigrad {with_minigrad[0]:.10f} (tutorial: {t000.PUBLISHED_OUTPUT})"
)
print(
    "max relative difference to the looped pass:",
    max_relative_difference([vectorized, with_minigrad], [looped, looped]),
)

# %%
# Loops against vectors
# ---------------------
# Median time of one forward pass, on the 3-3-1 net and on a random 10-100-50-10-100 net.
# The tutorial reports about 40 µs for the looped 3-3-1 pass, and 41 ms against 84 µs on
# the large net, "500 times" faster. Your numbers depend on the machine; what should carry
# over is the shape: on a tiny net the per-call overhead dominates and the gap is small,
# on the large one the Python loops fall far behind.

print("tutorial: " + ", ".join(f"{k} {v * 1e6:.0f} µs" for k, v in t000.PUBLISHED_TIMINGS.items()))
nets = {
    "3-3-1": (t000.INPUT, t000.WEIGHTS, t000.BIASES),
    "10-100-50-10-100": t000.random_network(),
}
for name, (x_in, weights, biases) in nets.items():
    seconds = t000.time_feed_forward(x_in, weights, biases)
    outputs = [
        t000.vectorized_feed_forward(x_in, weights, biases),
        t000.minigrad_feed_forward(t000.build_network(weights, biases), x_in),
    ]
    reference = t000.looped_feed_forward(x_in, weights, biases)
    agreement = max_relative_difference(outputs, [reference, reference])
    print(f"{name}: " + ", ".join(f"{k} {v * 1e6:.1f} µs" for k, v in seconds.items()))
    print(
        f"    looped / vectorised = {seconds['looped'] / seconds['vectorized']:.0f}x, "
        f"looped / minigrad = {seconds['looped'] / seconds['minigrad']:.1f}x, "
        f"minigrad / vectorised = {seconds['minigrad'] / seconds['vectorized']:.1f}x; "
        f"outputs agree to {agreement:.1e}"
    )
