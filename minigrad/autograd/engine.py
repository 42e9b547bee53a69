"""The backward pass: reverse-mode chain rule over the recorded graph.

1. Nodes are numbered as they are recorded, so decreasing numbers are a topological
   order. Everything is iterative: no recursion, so a chain of 100,000 ops is fine.
2. Walk the nodes from the roots down, highest number first (a heap). A node's gradient
   is complete when it is reached, because every consumer comes earlier. Run its
   output's hooks, call its backward formula, sum each result back to its input's shape
   and dtype, and add it to the gradient of the edge it goes to.
3. Free each node as soon as it has passed its gradient on, unless ``retain_graph``.
4. Finally, accumulate into each leaf's ``.grad`` the total its edges received.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.autograd.grad_mode import _mode
from minigrad.tensor import Node, Tensor, _edge, _new


def _collect(edges: Sequence[Any]) -> tuple[list[Node], list[Tensor]]:
    """The nodes the roots depend on, in the order backward visits them (each before the
    nodes of its inputs), and the leaves in the order their first gradient arrives.
    (``minigrad.viz`` uses it to explain a backward pass.)
    """
    numbered: list[tuple[int, Node]] = []
    seen: set[int] = set()
    stack = list(edges)
    while stack:
        edge = stack.pop()
        key = id(edge)
        if key in seen or isinstance(edge, Tensor):
            continue
        seen.add(key)
        if edge.inputs is None:
            raise _released_error(edge)
        numbered.append((-edge.sequence, edge))
        for child in edge.edges:
            if child is not None:
                stack.append(child)
    numbered.sort()  # sequence numbers are unique: nodes are never compared
    order = [node for _, node in numbered]
    leaves: dict[int, Tensor] = {}
    for edge in [*edges, *(child for node in order for child in node.edges)]:
        if isinstance(edge, Tensor):
            leaves.setdefault(id(edge), edge)
    return order, list(leaves.values())


def _modified_error(node: Node, version: int, expected: int) -> RuntimeError:
    return RuntimeError(
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: a tensor saved by {node.name()} is at version {version}; "
        f"expected version {expected} instead. Hint: do the in-place op out of place, or "
        f"clone the tensor before modifying it.")


def _run_hooks(hooks: list[Any] | None, retained: Any, grad: Any, shape: tuple[int, ...],
               create_graph: bool) -> Any:
    """Apply a tensor's hooks (each may replace the gradient), then ``retain_grad``."""
    if hooks:
        wrapped = grad if create_graph else _new(grad)
        for hook in list(hooks):
            result = hook(wrapped)
            if result is not None:
                if tuple(result.shape) != tuple(shape):
                    raise RuntimeError(f"hook returned a gradient of shape {tuple(result.shape)}"
                                       f" for a tensor of shape {tuple(shape)}")
                wrapped = result
        grad = wrapped if create_graph else wrapped._data
    tensor = retained() if retained is not None else None
    if tensor is not None:
        tensor.grad = grad if create_graph else _new(np.array(grad, copy=True))
    return grad


def _accumulate_leaf(leaf: Tensor, grad: Any, create_graph: bool, owned: bool) -> None:
    """Add ``grad`` into ``leaf.grad``: in place when possible, a fresh tensor otherwise.

    ``owned`` says that nothing else refers to the array, so a first gradient can be kept
    as it is instead of copied (a saving of one parameter-sized copy per step).
    """
    if create_graph:
        leaf.grad = grad if leaf.grad is None else leaf.grad + grad
        return
    if leaf.grad is None:
        if not (owned and type(grad) is np.ndarray and grad.base is None
                and grad.flags.writeable and grad.dtype == leaf.dtype):
            grad = np.array(grad, dtype=leaf.dtype, copy=True)
        leaf.grad = _new(grad)
        return
    old = leaf.grad._data
    if old.flags.writeable and old.shape == grad.shape and not leaf.grad._requires_grad:
        np.add(old, grad, out=old, casting="unsafe")
        leaf.grad._vc[0] += 1
    else:
        leaf.grad = _new(old + grad)


def _as_output(node: Node) -> Tensor | None:
    """The node's output as a tensor of the graph (for formulas under create_graph)."""
    if node.out is None:
        return None
    out = _new(node.out)
    out.grad_fn, out._requires_grad = node, True
    return out


def _released_error(node: Node) -> RuntimeError:
    return RuntimeError(
        f"Trying to backward through the graph a second time (or directly access saved "
        f"tensors after they have already been freed): {node.name()} was released by an "
        f"earlier backward. Specify retain_graph=True if you need to backward through the "
        f"graph a second time or if you need to access saved tensors after calling backward.")


def _gather(leaf_grads: dict[int, list[Any]], leaf: Tensor, grad: Any) -> None:
    """Add ``grad`` to what the leaf has received so far in this backward pass."""
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, grad]
    else:
        entry[1] = entry[1] + grad


def _gather_node(heap: list[tuple[int, Node]], node: Node, grad: Any) -> None:
    """Give a node its first gradient: it waits in the heap until its turn."""
    if node.inputs is None:
        raise _released_error(node)
    node.pending = grad
    heappush(heap, (-node.sequence, node))


def run_backward(roots: Sequence[Tensor], root_grads: Sequence[Any], retain_graph: bool,
                 create_graph: bool, capture: Sequence[Tensor] | None = None) -> list[Any]:
    """Backpropagate ``root_grads`` from ``roots``.

    Nodes wait in a heap keyed by their sequence number and each node's gradient gathers
    in its ``pending`` slot: the highest-numbered node is always complete, since all its
    consumers were recorded after it (see :func:`_collect`). Leaves gather theirs in a dict
    and accumulate into ``.grad`` at the end. With ``capture``, the gradients reaching
    those tensors are returned, in that order, instead of touching any ``.grad``
    (``autograd.grad``).
    """
    xp = ops.TENSOR_XP if create_graph else ops.ARRAY_XP
    heap: list[tuple[int, Node]] = []
    leaf_grads: dict[int, list[Any]] = {}  # id -> [leaf, gradient]
    for root, grad in zip(roots, root_grads):
        edge = _edge(root)
        if isinstance(edge, Tensor):
            _gather(leaf_grads, edge, grad)
        else:
            _gather_node(heap, edge, grad)
    wanted = {id(_edge(t)): i for i, t in enumerate(capture)} if capture is not None else None
    captured: list[Any] = [None] * (len(capture) if capture is not None else 0)
    previous_mode = _mode.enabled
    _mode.enabled = create_graph
    try:
        while heap:
            node = heappop(heap)[1]
            grad = node.pending
            node.pending = None
            if node.hooks or node.retained is not None:
                grad = _run_hooks(node.hooks, node.retained, grad, grad.shape, create_graph)
            if wanted is not None and id(node) in wanted:
                captured[wanted[id(node)]] = grad
            for counter, version, _ in node.versions:
                if counter[0] != version:
                    raise _modified_error(node, counter[0], version)
            arrays = node.arrays
            if create_graph:
                results = node.formula(xp, grad, _as_output(node), node.inputs, node.needs,
                                       *node.saved)
            else:
                results = node.formula(xp, grad, node.out, arrays, node.needs, *node.saved)
            for edge, array, child_grad in zip(node.edges, arrays, results):
                if edge is None or child_grad is None:
                    continue
                if child_grad.shape != array.shape:
                    child_grad = xp.sum_to(child_grad, array.shape)
                if child_grad.dtype is not array.dtype and child_grad.dtype != array.dtype:
                    child_grad = xp.cast(child_grad, array.dtype)
                if isinstance(edge, Tensor):
                    _gather(leaf_grads, edge, child_grad)
                elif edge.pending is None:
                    _gather_node(heap, edge, child_grad)
                else:
                    edge.pending = edge.pending + child_grad
            if not retain_graph:
                node.release()
        # A formula may pass one array on to several inputs (addition does), and the
        # caller's root gradient belongs to the caller: a leaf adopts only what is its own.
        shared = {id(grad) for grad in root_grads}
        for leaf, grad in leaf_grads.values():
            if leaf.hooks:  # a hook may return an array its caller keeps
                grad = _run_hooks(leaf.hooks, None, grad, leaf.shape, create_graph)
                shared.add(id(grad))
            if wanted is None:
                _accumulate_leaf(leaf, grad, create_graph, id(grad) not in shared)
                shared.add(id(grad))
            elif id(leaf) in wanted:
                captured[wanted[id(leaf)]] = grad
    finally:
        _mode.enabled = previous_mode
        for _, node in heap:  # an error left nodes waiting: clear their gradients
            node.pending = None
    return captured


_ONES = {dtype: np.ones((), dtype) for dtype in (np.dtype("float16"), np.dtype("float32"),
                                                  np.dtype("float64"))}
for _one in _ONES.values():
    _one.setflags(write=False)


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
            one = _ONES[root._data.dtype]  # shared and read-only
            if root._data.ndim:
                one = one.reshape(root.shape)
            result.append(_new(one.copy()) if create_graph else one)
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
    captured = run_backward(roots, starts, retain, create_graph, inputs)
    for tensor, grad in zip(inputs, captured):
        if grad is not None:
            _accumulate_leaf(tensor, grad, create_graph, owned=False)


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
    captured = run_backward(outputs, starts, retain, create_graph, inputs)
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

