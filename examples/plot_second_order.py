"""
Second order: Hessian-vector products and Newton's method
=========================================================

``autograd.grad(..., create_graph=True)`` records the backward pass itself as a graph, so
the gradient it returns can be differentiated again. Differentiating ``gradient · v``
gives the Hessian-vector product ``H v`` without ever forming ``H``; with the two unit
vectors it gives the whole 2x2 Hessian of a function of two variables, enough for Newton's
method.

The function is a gentle Rosenbrock valley,

.. math::

   f(a, b) = (1 - a)^2 + 5 (b - a^2)^2,

minimal at ``(1, 1)``, whose derivatives are easy to write by hand, so every number autograd
produces can be compared with the closed form.
"""

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad import autograd


def f(p):
    a, b = p[0], p[1]
    return (1 - a) ** 2 + 5 * (b - a**2) ** 2


def closed_form_gradient(a, b):
    return np.array([-2 * (1 - a) - 20 * a * (b - a**2), 10 * (b - a**2)])


def closed_form_hessian(a, b):
    return np.array([[2 - 20 * b + 60 * a**2, -20 * a], [-20 * a, 10.0]])


# %%
# A Hessian-vector product
# ------------------------
# The first ``grad`` keeps its graph (``create_graph=True``); the second differentiates the
# scalar ``gradient · v`` through it.

point = minigrad.tensor([-1.2, 1.0], dtype=minigrad.float64, requires_grad=True)
v = minigrad.tensor([0.3, -0.7], dtype=minigrad.float64)
(gradient,) = autograd.grad(f(point), point, create_graph=True)
(hvp,) = autograd.grad((gradient * v).sum(), point)
expected = closed_form_hessian(-1.2, 1.0) @ v.numpy()
print("H v by autograd:   ", hvp.numpy())
print("H v in closed form:", expected)
print(f"max |autograd - closed form| for H v: {np.abs(hvp.numpy() - expected).max():.1e}")

# %%
# Newton's method
# ---------------
# Each step solves ``H step = -gradient`` with the Hessian assembled from two
# Hessian-vector products. Near the minimum Newton's method converges quadratically: the
# number of correct digits roughly doubles per step.


def gradient_and_hessian(p):
    """The gradient and the Hessian of ``f`` at ``p``, by autograd only."""
    p = minigrad.tensor(p, dtype=minigrad.float64, requires_grad=True)
    (gradient,) = autograd.grad(f(p), p, create_graph=True)
    rows = [autograd.grad((gradient * unit).sum(), p, retain_graph=True)[0].numpy()
            for unit in minigrad.eye(2, dtype=minigrad.float64)]
    return gradient.detach().numpy(), np.stack(rows)


newton_path = [np.array([-1.2, 1.0])]
worst = 0.0
print(f"{'step':>4} {'a':>10} {'b':>10} {'f':>10} {'|gradient|':>11}")
for step in range(10):
    p = newton_path[-1]
    gradient, hessian = gradient_and_hessian(p)
    worst = max(worst, np.abs(gradient - closed_form_gradient(*p)).max(),
                np.abs(hessian - closed_form_hessian(*p)).max())
    with minigrad.no_grad():
        value = f(minigrad.tensor(p)).item()
    print(f"{step:4d} {p[0]:10.6f} {p[1]:10.6f} {value:10.2e} {np.linalg.norm(gradient):11.2e}")
    newton_path.append(p - np.linalg.solve(hessian, gradient))
print(f"max |autograd - closed form| over the gradients and Hessians: {worst:.1e}")
print("newton end point:", np.round(newton_path[-1], 8))

# %%
# Newton's path against gradient descent
# --------------------------------------
# Gradient descent, with a step size small enough to be stable across the valley, needs
# hundreds of steps along its curved floor; Newton's steps rescale by the curvature and
# take a few. Pure Newton is not a descent method, though: far from the minimum it can
# step uphill (step 4 above), which is why practical second-order methods add a line
# search or a trust region.

descent_path = [np.array([-1.2, 1.0])]
for _ in range(300):
    p = minigrad.tensor(descent_path[-1], requires_grad=True)
    f(p).backward()
    descent_path.append(descent_path[-1] - 0.02 * p.grad.numpy())
print(f"gradient descent after 300 steps: {np.round(descent_path[-1], 4)}")

a, b = np.meshgrid(np.linspace(-1.6, 1.6, 300), np.linspace(-0.4, 2.2, 300))
values = (1 - a) ** 2 + 5 * (b - a**2) ** 2
fig, ax = plt.subplots(figsize=(7, 5))
ax.contour(a, b, values, levels=np.logspace(-2, 2, 15), cmap="viridis", linewidths=0.8)
for path, style, label in ((descent_path, "C1.-", "gradient descent, 300 steps"),
                           (newton_path, "C3o-", "Newton, 10 steps")):
    path = np.array(path)
    ax.plot(path[:, 0], path[:, 1], style, markersize=4, label=label)
ax.plot(1, 1, "k*", markersize=12, label="minimum (1, 1)")
ax.set_xlabel("a")
ax.set_ylabel("b")
ax.legend(loc="lower right")
plt.show()
