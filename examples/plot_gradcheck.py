"""
Gradient checking a custom Function
===================================

``minigrad.autograd.Function`` lets you add an op by writing its forward and its backward
by hand, as ``torch.autograd.Function`` does. A hand-written backward is easy to get
wrong, and the error is silent: training still runs, only worse. ``gradcheck`` compares
the backward with central finite differences of the forward, element by element of the
Jacobian, and names the entry that disagrees most.

Here the op is softplus, ``log(1 + exp(x))``, whose derivative is the sigmoid. We check a
correct implementation, then one with a plausible slip in the backward.
"""

import matplotlib.pyplot as plt
import numpy as np

import minigrad
from minigrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck

# %%
# A correct custom Function
# -------------------------
# ``forward`` runs without recording a graph; whatever ``backward`` needs is saved on
# ``ctx``. ``backward`` receives the gradient of the loss with respect to the output and
# returns one gradient per input. Written with minigrad ops, it can itself be
# differentiated, which ``gradgradcheck`` relies on.


class Softplus(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        # log(1 + exp(x)) overflows for large x; this form is equal and stays finite
        return x.clamp(min=0) + (1 + (-x.abs()).exp()).log()

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.sigmoid()


# %%
# ``gradcheck`` wants double precision: with float32 the finite differences themselves are
# too noisy to judge a gradient by.

x = minigrad.linspace(-3, 3, 7, dtype=minigrad.float64).requires_grad_()
print("gradcheck(Softplus):", gradcheck(Softplus.apply, (x,)))
print("gradgradcheck(Softplus):", gradgradcheck(Softplus.apply, (x,)))

# %%
# A backward with a bug
# ---------------------
# A classic slip: differentiating ``log(1 + exp(x))`` and forgetting the inner
# derivative's denominator, which leaves ``exp(x)`` instead of ``exp(x) / (1 + exp(x))``.
# Near ``x = -3`` the two differ by a few percent only (``exp(x)`` is small either way), easy
# to miss by eye; for positive ``x`` the error explodes. The Jacobian check catches both.


class BuggySoftplus(Softplus):
    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * x.exp()


print("gradcheck(BuggySoftplus, raise_exception=False):",
      gradcheck(BuggySoftplus.apply, (x,), raise_exception=False))
try:
    gradcheck(BuggySoftplus.apply, (x,))
except GradcheckError as error:
    print("gradcheck(BuggySoftplus) raised GradcheckError:")
    print(error)

# %%
# What the check compared
# -----------------------
# The derivative each backward reports, against a finite difference of the forward
# (which is the same for both: only the backward is wrong).


def reported_derivative(function, points):
    inputs = minigrad.tensor(points, requires_grad=True)
    function.apply(inputs).sum().backward()
    return inputs.grad.numpy()


grid = np.linspace(-3, 3, 200)
step = 1e-6
with minigrad.no_grad():
    plus = Softplus.apply(minigrad.tensor(grid + step)).numpy()
    minus = Softplus.apply(minigrad.tensor(grid - step)).numpy()
numerical = (plus - minus) / (2 * step)

fig, ax = plt.subplots(figsize=(6.5, 4))
ax.plot(grid, numerical, "k", linewidth=4, alpha=0.3, label="finite difference")
ax.plot(grid, reported_derivative(Softplus, grid), "C0", label="Softplus.backward")
ax.plot(grid, reported_derivative(BuggySoftplus, grid), "C3--", label="BuggySoftplus.backward")
ax.set_ylim(-0.1, 3)
ax.set_xlabel("x")
ax.set_title("d softplus(x) / dx")
ax.legend()
plt.show()
