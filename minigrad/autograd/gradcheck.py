"""Check analytical gradients against central finite differences, as PyTorch's gradcheck."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minigrad.autograd.engine import grad as autograd_grad
from minigrad.tensor import Tensor, _new


class GradcheckError(RuntimeError):
    """Raised by gradcheck when a Jacobian does not match (a RuntimeError, as in PyTorch)."""


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _outputs(func: Callable[..., Any], inputs: Sequence[Any]) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobians(func: Callable[..., Any], inputs: Sequence[Any], eps: float,
                         ) -> list[list[np.ndarray]]:
    """``result[i][j]``: d output j / d input i, shape (input size, output size).

    ``func`` runs with grad mode on, because it may itself differentiate (gradgradcheck).
    """
    outputs = _outputs(func, inputs)
    jacobians: list[list[np.ndarray]] = []
    for tensor in inputs:
        if not (isinstance(tensor, Tensor) and tensor.requires_grad):
            jacobians.append([])
            continue
        columns: list[list[np.ndarray]] = [[] for _ in outputs]
        array = tensor._data
        writeable = array.flags.writeable
        array.setflags(write=True)
        for position in np.ndindex(array.shape):
            original = array[position]
            array[position] = original + eps
            plus = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            array[position] = original - eps
            minus = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            array[position] = original
            for j in range(len(outputs)):
                columns[j].append(((plus[j] - minus[j]) / (2 * eps)).reshape(-1))
        array.setflags(write=writeable)
        jacobians.append([np.stack(column) if column else np.zeros((0, outputs[j]._data.size))
                          for j, column in enumerate(columns)])
    return jacobians


def _analytical_jacobians(func: Callable[..., Any], inputs: Sequence[Any],
                          ) -> list[list[np.ndarray]]:
    outputs = _outputs(func, inputs)
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    result = [[np.zeros((t._data.size, o._data.size)) for o in outputs] for t in checked]
    for j, output in enumerate(outputs):
        if not output.requires_grad:
            continue
        for m in range(output._data.size):
            seed = np.zeros(output._data.size, dtype=output.dtype)
            seed[m] = 1
            grads = autograd_grad([output], checked, [_new(seed.reshape(output.shape))],
                                  retain_graph=True, allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    result[i][j][:, m] = g._data.reshape(-1)
    full: list[list[np.ndarray]] = []
    position = 0
    for tensor in inputs:
        if isinstance(tensor, Tensor) and tensor.requires_grad:
            full.append(result[position])
            position += 1
        else:
            full.append([])
    return full


def gradcheck(func: Callable[..., Any], inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, **ignored: Any) -> bool:
    """Compare the gradients that autograd computes with central finite differences.

    Parameters
    ----------
    func : callable
        Takes the inputs, returns a Tensor or a tuple of Tensors.
    inputs : Tensor or tuple
        The arguments; those that require grad are checked.
    eps, atol, rtol : float
        Step of the differences, and the tolerance ``|a - n| <= atol + rtol * |n|``.
    raise_exception : bool
        Raise a :class:`GradcheckError` naming the output, the input and the worst element
        on a mismatch (default), or return False.

    Returns
    -------
    bool
        True if every Jacobian matches.
    """
    inputs = _as_tuple(inputs)
    for i, tensor in enumerate(inputs):
        if isinstance(tensor, Tensor) and tensor.requires_grad and tensor.dtype != np.float64:
            warnings.warn(f"Input #{i} requires gradient and is not a double precision "
                          "floating point. This check will likely fail if all the inputs are "
                          "not of double precision floating point.", stacklevel=2)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _analytical_jacobians(func, inputs)
    for i, (num_i, ana_i) in enumerate(zip(numerical, analytical)):
        for j, (num, ana) in enumerate(zip(num_i, ana_i)):
            error = np.abs(ana - num) - (atol + rtol * np.abs(num))
            if error.size and (error > 0).any() or np.isnan(ana).any() != np.isnan(num).any():
                worst = np.unravel_index(np.nanargmax(error), error.shape) if error.size else ()
                message = (f"Jacobian mismatch for output {j} with respect to input {i},\n"
                           f"numerical:{_new(num)}\nanalytical:{_new(ana)}\n"
                           f"worst element: input element {worst[0]}, output element "
                           f"{worst[1]}: numerical {num[worst]:.8g}, analytical "
                           f"{ana[worst]:.8g}\n")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func: Callable[..., Any], inputs: Any, grad_outputs: Any = None, *,
                  eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, **ignored: Any) -> bool:
    """Check second derivatives: :func:`gradcheck` applied to the gradient of ``func``.

    ``grad_outputs`` (random if not given) are treated as further inputs, as in PyTorch.
    """
    inputs = _as_tuple(inputs)
    outputs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = tuple(_new(rng.standard_normal(o.shape).astype(o.dtype))
                             .requires_grad_() for o in outputs)
    grad_outputs = _as_tuple(grad_outputs)
    count = len(inputs)

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        differentiable = [a for a in args[:count] if isinstance(a, Tensor) and a.requires_grad]
        grads = autograd_grad([o for o in _outputs(func, args[:count]) if o.requires_grad],
                              differentiable,
                              list(args[count:]), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivatives, inputs + grad_outputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
