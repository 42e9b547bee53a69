"""
XOR with a two-layer network
============================

Exclusive-or is the classic function that no single linear unit can compute: the points
``(0, 0)`` and ``(1, 1)`` belong to one class, ``(0, 1)`` and ``(1, 0)`` to the other, and
no straight line separates them. One hidden layer is enough. Here a 2-4-1 network with
``tanh`` hidden units learns it with ``BCEWithLogitsLoss`` and plain gradient descent with
momentum, and we draw the curved boundary it finds.
"""

import matplotlib.pyplot as plt
import numpy as np
from _plotting import decision_boundary, loss_curves, probabilities

import minigrad
from minigrad import nn, optim

minigrad.manual_seed(0)

# %%
# The four examples
# -----------------

inputs = minigrad.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
targets = minigrad.tensor([[0.0], [1.0], [1.0], [0.0]])

# %%
# The network and its training
# ----------------------------
# The model outputs a logit (a score before the sigmoid); ``BCEWithLogitsLoss`` applies the
# sigmoid inside the loss, which is more accurate than a ``Sigmoid`` layer followed by
# ``BCELoss`` when the network becomes confident.

model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
loss_fn = nn.BCEWithLogitsLoss()
optimizer = optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

losses = []
for _ in range(300):
    optimizer.zero_grad()
    loss = loss_fn(model(inputs), targets)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

predicted = probabilities(model, inputs.numpy())
print("probabilities of class 1:", np.round(predicted, 3))
print("xor predictions:", (predicted > 0.5).astype(int), "targets:",
      targets.reshape(-1).numpy().astype(int))
print(f"final loss: {losses[-1]:.2e}")

# %%
# The decision boundary
# ---------------------
# Each hidden unit draws one line through the plane; the output unit combines the two
# half-planes into a band that holds the two points of class 1.

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
decision_boundary(left, lambda grid: probabilities(model, grid), inputs.numpy(),
                  targets.reshape(-1).numpy(), title="learned XOR (shade: P(class 1))")
loss_curves(right, {"BCE": losses}, title="training loss")
fig.tight_layout()
plt.show()
