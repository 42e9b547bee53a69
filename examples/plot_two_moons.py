"""
Two moons: watching the decision boundary form
==============================================

scikit-learn's ``make_moons`` draws two interleaved half-circles with noise: a small
problem a linear classifier cannot solve. A 2-16-16-1 ReLU network trained with Adam on
all 300 points at once bends its boundary around them; we take snapshots of the boundary
at a few moments of training to see it go from a random line to the two crescents.
"""

import matplotlib.pyplot as plt
from _plotting import decision_boundary, loss_curves, probabilities
from sklearn.datasets import make_moons

import minigrad
from minigrad import nn, optim

minigrad.manual_seed(0)

# %%
# The data
# --------

points, labels = make_moons(n_samples=300, noise=0.2, random_state=0)
inputs = minigrad.tensor(points, dtype=minigrad.float32)
targets = minigrad.tensor(labels, dtype=minigrad.float32).reshape(-1, 1)

# %%
# Training, with snapshots
# ------------------------
# ``probabilities`` evaluates the network on a grid under ``no_grad()``, so that the
# snapshots do not record anything into the graph of the next training step.

model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                      nn.Linear(16, 1))
loss_fn = nn.BCEWithLogitsLoss()
optimizer = optim.Adam(model.parameters(), lr=0.02)

snapshots = (0, 10, 30, 150)
fig, axes = plt.subplots(1, len(snapshots) + 1, figsize=(17, 3.6))
losses = []
for step in range(snapshots[-1] + 1):
    if step in snapshots:
        panel = axes[snapshots.index(step)]
        decision_boundary(panel, lambda grid: probabilities(model, grid), points, labels,
                          title=f"after {step} steps")
    if step == snapshots[-1]:
        break
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

loss_curves(axes[-1], {"BCE": losses}, title="training loss")
fig.tight_layout()
plt.show()

# %%
# The boundary over time, and the loss
# ------------------------------------
# Early on the boundary is nearly straight: a randomly initialised ReLU network is close to
# linear on this scale. It bends as the loss falls.

accuracy = float(((probabilities(model, points) > 0.5) == labels).mean())
print(f"final loss: {losses[-1]:.4f}")
print(f"training accuracy: {accuracy:.3f}")
