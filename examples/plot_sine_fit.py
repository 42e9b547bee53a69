"""
Fitting a noisy sine with an MLP
================================

Regression in its simplest form: 80 points of ``sin(x)`` with Gaussian noise on
``[-pi, pi]``, a 1-32-32-1 ``tanh`` network, the mean squared error, and Adam with the whole
data set as the batch. The fit is compared with the noiseless curve it never saw.
"""

import matplotlib.pyplot as plt
import numpy as np
from _plotting import loss_curves

import minigrad
from minigrad import nn, optim

minigrad.manual_seed(0)
rng = np.random.default_rng(0)

# %%
# The data
# --------
# Inputs and targets are column vectors, shape ``(80, 1)``: a batch of 80 one-feature
# examples, which is what ``nn.Linear(1, ...)`` expects.

x = np.sort(rng.uniform(-np.pi, np.pi, 80)).astype(np.float32)
y = (np.sin(x) + rng.normal(0, 0.15, x.shape)).astype(np.float32)
inputs = minigrad.from_numpy(x).reshape(-1, 1)
targets = minigrad.from_numpy(y).reshape(-1, 1)

# %%
# Training
# --------

model = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(),
                      nn.Linear(32, 1))
loss_fn = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=0.01)

losses = []
for _ in range(500):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

# %%
# The fit
# -------
# The training loss levels off at the level of the noise, whose variance is
# 0.15² ≈ 0.0225 (dotted): no function of ``x`` can predict the noise, and the little the
# loss goes below that line is the network starting to follow it on these 80 samples. The
# error against the noiseless sine on a fine grid measures what it actually learned.

grid = np.linspace(-np.pi, np.pi, 400, dtype=np.float32)
with minigrad.no_grad():
    fitted = model(minigrad.from_numpy(grid).reshape(-1, 1)).reshape(-1).numpy()
true_error = float(np.mean((fitted - np.sin(grid)) ** 2))
print(f"final training mse: {losses[-1]:.4f}")
print(f"mse against the noiseless sine: {true_error:.4f}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
left.scatter(x, y, s=12, color="0.5", label="noisy samples")
left.plot(grid, np.sin(grid), "k--", label="sin(x)")
left.plot(grid, fitted, color="C3", linewidth=2, label="MLP")
left.legend()
left.set_title("fit")
loss_curves(right, {"MSE": losses}, title="training loss")
right.axhline(0.15**2, color="0.5", linestyle=":", label="noise variance")
right.legend()
fig.tight_layout()
plt.show()
