"""Adam and AdamW, with PyTorch's update rules (bias correction, AMSGrad, weight decay)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from minigrad.optim.optimizer import Optimizer, _update_
from minigrad.tensor import Tensor, _new


class Adam(Optimizer):
    """Adam, exactly as ``torch.optim.Adam``.

    Per parameter, at step ``t`` (from 1), with ``g`` its gradient::

        g = -g if maximize else g
        p = p * (1 - lr * weight_decay)      if decoupled_weight_decay (AdamW)
        g = g + weight_decay * p             otherwise
        m = m + (1 - beta1) * (g - m)
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)                if amsgrad (then used instead of v)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    The state of each parameter is ``step`` (a float32 scalar tensor, as in PyTorch),
    ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with AMSGrad, ``max_exp_avg_sq``.

    Parameters
    ----------
    params : iterable
        Parameters or parameter groups (see :class:`Optimizer`).
    lr : float
        Learning rate.
    betas : (float, float)
        Decay rates of the first and second moment estimates.
    eps : float
        Added to the denominator for stability.
    weight_decay : float
        L2 penalty (added to the gradient), or decoupled decay with
        ``decoupled_weight_decay=True``.
    amsgrad : bool
        Use the running maximum of the second moment (AMSGrad).
    maximize : bool
        Ascend the objective instead of descending it.
    decoupled_weight_decay : bool
        Shrink the parameters directly, as AdamW does.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, maximize: bool = False,
                 decoupled_weight_decay: bool = False) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "betas": tuple(betas), "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def _state_of(self, param: Tensor, amsgrad: bool) -> dict[str, Any]:
        state = self.state[param]
        if not state:
            state["step"] = _new(np.zeros((), np.float32))
            state["exp_avg"] = _new(np.zeros(param.shape, param.dtype))
            state["exp_avg_sq"] = _new(np.zeros(param.shape, param.dtype))
            if amsgrad:
                state["max_exp_avg_sq"] = _new(np.zeros(param.shape, param.dtype))
        return state

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns the closure's loss, if any."""
        loss = self._evaluate(closure)
        for group in self.param_groups:
            lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
            weight_decay, amsgrad = group["weight_decay"], group["amsgrad"]
            maximize, decoupled = group["maximize"], group["decoupled_weight_decay"]
            for param in self._params_with_grad(group):
                grad = param.grad._data  # type: ignore[union-attr]
                if maximize:
                    grad = -grad
                state = self._state_of(param, amsgrad)
                step_count = state["step"]
                step_count._data += 1
                step_count._vc[0] += 1
                if weight_decay != 0:
                    if decoupled:
                        _update_(param, np.multiply, 1 - lr * weight_decay)
                    else:
                        grad = grad + weight_decay * param._data
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                m, v = exp_avg._data, exp_avg_sq._data
                m += (1 - beta1) * (grad - m)
                v *= beta2
                v += (1 - beta2) * grad * grad
                exp_avg._vc[0] += 1
                exp_avg_sq._vc[0] += 1
                t = float(step_count._data)
                step_size = lr / (1 - beta1**t)
                bias_correction2_sqrt = (1 - beta2**t) ** 0.5
                if amsgrad:
                    running_max = state["max_exp_avg_sq"]
                    np.maximum(running_max._data, v, out=running_max._data)
                    running_max._vc[0] += 1
                    v = running_max._data
                denominator = np.sqrt(v)
                denominator /= bias_correction2_sqrt
                denominator += eps
                np.divide(m, denominator, out=denominator)
                denominator *= step_size
                _update_(param, np.subtract, denominator)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr * weight_decay`` each step).

    Exactly ``torch.optim.AdamW``; ``weight_decay`` defaults to 0.01. See :class:`Adam`.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)
