"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and decay."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer, _subtract_scaled_
from minigrad.tensor import _new


class SGD(Optimizer):
    """Gradient descent with optional momentum, exactly as ``torch.optim.SGD``.

    Per parameter and step, with ``g`` its gradient::

        g = -g if maximize else g
        g = g + weight_decay * p
        if momentum:
            b = g                                      (first step)
            b = momentum * b + (1 - dampening) * g     (later steps)
            g = g + momentum * b if nesterov else b
        p = p - lr * g

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float
        Learning rate.
    momentum, dampening, weight_decay : float
        As in the rule above (all 0 by default).
    nesterov : bool
        Nesterov momentum (needs ``momentum > 0`` and ``dampening == 0``).
    maximize : bool
        Ascend the objective instead of descending it.

    Examples
    --------
    >>> optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> optimizer.zero_grad(); loss_fn(model(x), y).backward(); optimizer.step()
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize}
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            maximize = group["maximize"]
            for param in self._params_with_grad(group):
                grad = param.grad._data  # type: ignore[union-attr]
                if maximize:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * param._data
                if momentum != 0:
                    state = self.state[param]
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        state["momentum_buffer"] = buffer = _new(np.array(grad, copy=True))
                    else:
                        array = buffer._data
                        array *= momentum
                        array += grad if dampening == 0 else (1 - dampening) * grad
                        buffer._vc[0] += 1
                    grad = grad + momentum * buffer._data if nesterov else buffer._data
                _subtract_scaled_(param, grad, lr)
        return loss
