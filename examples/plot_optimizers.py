"""
Optimizers compared on one problem
==================================

The same network, started from the same weights, trained on the same data by four
optimizers from ``minigrad.optim``: plain SGD, SGD with momentum, SGD with Nesterov
momentum, and Adam. The problem is scikit-learn's ``make_circles``, one ring of points
inside another, classified by a 2-16-1 ``tanh`` network on all 400 points at once.
"""

import matplotlib.pyplot as plt
from _plotting import decision_boundary, loss_curves, probabilities
from sklearn.datasets import make_circles

import minigrad
from minigrad import nn, optim

points, labels = make_circles(n_samples=400, noise=0.08, factor=0.5, random_state=0)
inputs = minigrad.tensor(points, dtype=minigrad.float32)
targets = minigrad.tensor(labels, dtype=minigrad.float32).reshape(-1, 1)

# %%
# One training run per optimizer
# ------------------------------
# Reseeding minigrad's generator before building the model gives every optimizer the same
# initial weights, so the curves differ only by the update rule. The three SGD variants
# share a learning rate; Adam normalises its steps and uses a smaller one.

OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.5),
    "SGD + momentum": lambda params: optim.SGD(params, lr=0.5, momentum=0.9),
    "SGD + Nesterov": lambda params: optim.SGD(params, lr=0.5, momentum=0.9, nesterov=True),
    "Adam": lambda params: optim.Adam(params, lr=0.05),
}


def train(make_optimizer, steps=300):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    optimizer = make_optimizer(model.parameters())
    loss_fn = nn.BCEWithLogitsLoss()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model, losses


results = {name: train(make) for name, make in OPTIMIZERS.items()}
for name, (model, losses) in results.items():
    accuracy = float(((probabilities(model, points) > 0.5) == labels).mean())
    below = next((step for step, value in enumerate(losses, 1) if value < 0.1), None)
    reached = f"at step {below}" if below else f"not within {len(losses)} steps"
    print(f"{name:15s} final loss {losses[-1]:.4f}  accuracy {accuracy:.3f}  "
          f"loss below 0.1 {reached}")

# %%
# The loss curves
# ---------------
# Plain SGD crawls along the flat start of the loss. Momentum accumulates a velocity
# there and gets through several times sooner; on this smooth problem Nesterov's
# look-ahead changes little. Adam's per-weight step sizes make it the fastest from the
# first steps. The boundary plain SGD has reached by the end is on the right.

fig, (curves, boundary) = plt.subplots(1, 2, figsize=(11, 4.2))
loss_curves(curves, {name: losses for name, (_, losses) in results.items()},
            title="training loss (same start, same data)")
slowest = results["SGD"][0]
decision_boundary(boundary, lambda grid: probabilities(slowest, grid), points, labels,
                  title="plain SGD after 300 steps")
fig.tight_layout()
plt.show()
