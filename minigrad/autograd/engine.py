"""The backward pass: reverse-mode chain rule over the recorded graph.

1. Order the tensors that lead to the roots topologically, by an iterative depth-first
   search (no recursion, so a chain of 100,000 ops is fine).
2. Walk them from the roots down. Each tensor's gradient is complete when it is reached,
   because every consumer comes earlier in the order. Run the tensor's hooks; a leaf
   then accumulates it into ``.grad``, a non-leaf hands it to its node's backward formula,
   whose results are summed back to each input's shape and dtype and added to the
   inputs' gradients.
3. Free each node as soon as it has passed its gradient on, unless ``retain_graph``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minigrad.autograd.grad_mode import set_grad_enabled
from minigrad import ops
from minigrad.tensor import Tensor, _new


def _toposort(roots: Sequence[Tensor]) -> list[Tensor]:
    """Tensors requiring grad that the roots depend on, each after all its consumers."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False) for root in reversed(roots)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        stack.append((tensor, True))
        node = tensor.grad_fn
        if node is not None:
            if node.inputs is None:
                raise RuntimeError(
                    f"Trying to backward through the graph a second time (or directly access "
                    f"saved tensors after they have already been freed): {node.name()} was "
                    f"released by an earlier backward. Specify retain_graph=True if you need "
                    f"to backward through the graph a second time or if you need to access "
                    f"saved tensors after calling backward.")
            for child in node.inputs:
                if child._requires_grad and id(child) not in seen:
                    stack.append((child, False))
    order.reverse()
    return order


def _check_versions(tensor: Tensor) -> None:
    node = tensor.grad_fn
    assert node is not None
    for counter, version in node.versions:
        if counter[0] != version:
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by "
                f"an inplace operation: a tensor saved by {node.name()} (for the output of "
                f"shape {tuple(tensor.shape)}) is at version {counter[0]}; expected version "
                f"{version} instead.")


def _run_hooks(tensor: Tensor, grad: Any, create_graph: bool) -> Any:
    """Apply the tensor's hooks (each may replace the gradient) and ``retain_grad``."""
    if tensor._hooks:
        wrapped = grad if create_graph else _new(grad)
        for hook in list(tensor._hooks):
            result = hook(wrapped)
            if result is not None:
                if tuple(result.shape) != tuple(tensor.shape):
                    raise RuntimeError(f"hook returned a gradient of shape {tuple(result.shape)}"
                                       f" for a tensor of shape {tuple(tensor.shape)}")
                wrapped = result
        grad = wrapped if create_graph else wrapped._data
    if tensor._retains_grad:
        tensor.grad = grad if create_graph else _new(grad.copy())
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any, create_graph: bool) -> None:
    """Add ``grad`` into ``leaf.grad``: in place when possible, a fresh tensor otherwise."""
    if create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        return
    if leaf.grad is None:
        # the array may be shared (a formula can pass one gradient to several inputs) or a
        # read-only broadcast view: the leaf gets a copy it owns
        leaf.grad = _new(np.array(grad, dtype=leaf.dtype, copy=True))
        return
    old = leaf.grad._data
    if old.flags.writeable and old.shape == grad.shape and not leaf.grad._requires_grad:
        np.add(old, grad, out=old, casting="unsafe")
        leaf.grad._vc[0] += 1
    else:
        leaf.grad = _new(old + grad)


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, capture: dict[int, int] | None = None) -> list[Any]:
    """Backpropagate ``root_grads`` from ``roots``.

    With ``capture`` (id of tensor -> position), the gradients of those tensors are returned
    in a list instead of being accumulated into the leaves (``autograd.grad``).
    """
    xp = ops.TENSOR_XP if create_graph else ops.ARRAY_XP
    captured: list[Any] = [None] * (len(capture) if capture else 0)
    grads: dict[int, Any] = {}
    for root, grad in zip(roots, root_grads):
        key = id(root)
        grads[key] = grad if key not in grads else grads[key] + grad
    order = _toposort(roots)
    with set_grad_enabled(create_graph):
        for tensor in order:
            grad = grads.pop(id(tensor), None)
            if grad is None:
                continue
            if tensor._hooks or tensor._retains_grad:
                grad = _run_hooks(tensor, grad, create_graph)
            node = tensor.grad_fn
            if capture is not None and id(tensor) in capture:
                captured[capture[id(tensor)]] = grad
            if node is None:
                if capture is None:
                    _accumulate_leaf(tensor, grad, create_graph)
                continue
            if node.versions:
                _check_versions(tensor)
            inputs = node.inputs
            assert inputs is not None
            if create_graph:
                results = node.formula(xp, grad, tensor, inputs, node.needs, *node.saved)
            else:
                results = node.formula(xp, grad, tensor._data, [t._data for t in inputs],
                                       node.needs, *node.saved)
            for child, child_grad, need in zip(inputs, results, node.needs):
                if not need or child_grad is None:
                    continue
                if child_grad.shape != child.shape:
                    child_grad = xp.sum_to(child_grad, child.shape)
                if child_grad.dtype != child.dtype:
                    child_grad = xp.cast(child_grad, child.dtype)
                key = id(child)
                if key in grads:
                    grads[key] = grads[key] + child_grad
                else:
                    grads[key] = child_grad
            if not retain_graph:
                node.release()
    return captured


def _root_grads(roots: Sequence[Tensor], grad_outputs: Sequence[Any] | None,
                create_graph: bool) -> list[Any]:
    """Check the roots and build the gradient each starts from (ones for scalars)."""
    result = []
    for i, root in enumerate(roots):
        if not isinstance(root, Tensor):
            raise TypeError(f"backward: expected Tensor outputs, got {type(root).__name__}")
        if not root._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn" if i == 0 else
                               f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        given = None if grad_outputs is None else grad_outputs[i]
        if given is None:
            if root._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs "
                                   f"(the output has shape {tuple(root.shape)}); pass "
                                   f"`gradient` of that shape")
            grad: Any = np.ones(root.shape, dtype=root.dtype)
            result.append(_new(grad) if create_graph else grad)
            continue
        if not isinstance(given, Tensor):
            given = _new(np.asarray(given, dtype=root.dtype))
        if given.shape != root.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{tuple(given.shape)} and output[{i}] has a shape of "
                               f"{tuple(root.shape)}.")
        if given.dtype.kind != "f":
            raise RuntimeError(f"grad_output[{i}] must be a floating point tensor, got "
                               f"{given.dtype}")
        result.append(given if create_graph else given._data)
    return result


def backward(tensors: Sequence[Tensor], grad_tensors: Sequence[Any] | None = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: Sequence[Tensor] | None = None) -> None:
    """Accumulate the gradients of ``tensors`` into the leaves' ``.grad``.

    Like ``torch.autograd.backward``; see :meth:`Tensor.backward`.
    """
    if isinstance(tensors, Tensor):
        tensors = [tensors]
    if isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    retain = create_graph if retain_graph is None else retain_graph
    roots = list(tensors)
    starts = _root_grads(roots, grad_tensors, create_graph)
    if inputs is None:
        run_backward(roots, starts, retain, create_graph)
        return
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    captured = run_backward(roots, starts, retain, create_graph,
                            {id(t): i for i, t in enumerate(inputs)})
    for tensor, grad in zip(inputs, captured):
        if grad is not None:
            _accumulate_leaf(tensor, grad, create_graph)


def grad(outputs: Tensor | Sequence[Tensor], inputs: Tensor | Sequence[Tensor],
         grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple[Tensor | None, ...]:
    """Return the gradients of ``outputs`` with respect to ``inputs`` (no ``.grad`` is touched).

    Parameters
    ----------
    outputs, inputs : Tensor or sequence of Tensor
    grad_outputs : Tensor or sequence, optional
        The gradient with respect to each output (needed for non-scalar outputs).
    retain_graph : bool, optional
        Keep the graph for another backward (defaults to ``create_graph``).
    create_graph : bool
        Record the backward pass so that the results can be differentiated again.
    allow_unused : bool
        Return None for inputs the outputs do not depend on, instead of raising.
    materialize_grads : bool
        Return zeros instead of None for unused inputs.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor._requires_grad:
            raise RuntimeError(f"grad: input {i} does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    starts = _root_grads(outputs, grad_outputs, create_graph)
    captured = run_backward(outputs, starts, retain, create_graph,
                            {id(t): i for i, t in enumerate(inputs)})
    result: list[Tensor | None] = []
    for i, (tensor, value) in enumerate(zip(inputs, captured)):
        if value is None:
            if materialize_grads:
                result.append(_new(np.zeros(tensor.shape, tensor.dtype)))
                continue
            if not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}, shape "
                                   f"{tuple(tensor.shape)}) appears to not have been used in "
                                   "the graph. Set allow_unused=True if this is the desired "
                                   "behavior.")
            result.append(None)
        elif create_graph:
            result.append(value)
        else:
            result.append(_new(np.array(value, copy=True)))
    return tuple(result)

