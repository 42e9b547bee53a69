"""The Tensor: a NumPy array, plus the node of the graph that produced it.

Every op that sees an input requiring grad (with grad mode on) builds its output with
:func:`record`, which attaches a :class:`Node`: the op's backward formula, its input
tensors and whatever else the formula needs. ``loss.backward()`` walks these nodes in
topological order (see ``minigrad/autograd/engine.py``).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from minigrad import dtypes

Scalar = int | float | bool


class Node:
    """One recorded op: the ``grad_fn`` of the tensor it produced.

    Subclasses are made by :func:`derivative`, one per backward formula, and are named like
    PyTorch's (``MulBackward0``). A node holds:

    - ``inputs``: the op's input tensors, and ``arrays``: their arrays when it ran (the
      values the formula reads during an ordinary backward);
    - ``edges``: where each input's gradient goes, fixed when the op ran: the input's own
      node, the input itself if it is a leaf that requires grad, or None;
    - ``needs``: which inputs require grad; ``saved``: the op's extra arguments; ``out``:
      the output array, for formulas that read it;
    - ``versions``: a ``(counter, version, array)`` triple for each array the formula reads,
      so that an in-place change made before ``backward()`` is caught;
    - ``sequence``: its creation number, which orders the backward pass;
    - ``hooks`` and ``retained``: hooks and ``retain_grad`` of the output tensor;
    - ``pending``: the gradient gathered so far while backward runs.

    Backward without ``retain_graph`` releases the node (its arrays can be freed); so does
    the node's deletion.
    """

    __slots__ = ("inputs", "arrays", "edges", "needs", "saved", "out", "versions", "sequence",
                 "hooks", "retained", "pending")
    formula: Callable[..., tuple[Any, ...]]

    def __init__(self, inputs: tuple[Tensor, ...], arrays: tuple[np.ndarray, ...],
                 edges: tuple[Any, ...], needs: tuple[bool, ...], saved: tuple[Any, ...],
                 out: np.ndarray | None, versions: list[Any]) -> None:
        self.inputs: tuple[Tensor, ...] | None = inputs
        self.arrays = arrays
        self.edges = edges
        self.needs = needs
        self.saved = saved
        self.out = out
        self.versions = versions
        self.sequence = next(_sequence)
        self.hooks: list[Callable[[Tensor], Tensor | None]] | None = None
        self.retained: Any = None
        self.pending: Any = None  # the gradient gathered so far during a backward pass

    def name(self) -> str:
        """The op's name, as PyTorch gives it (``"MulBackward0"``)."""
        return type(self).__name__

    @property
    def next_functions(self) -> tuple[tuple[Any, int], ...]:
        """Where this node passes gradients: nodes, ``AccumulateGrad`` for leaves, or None."""
        return tuple((AccumulateGrad(edge) if isinstance(edge, Tensor) else edge, 0)
                     for edge in self.edges)

    def release(self) -> None:
        """Drop the inputs and saved values; unlock arrays no other live node saves."""
        self.inputs = None
        self.arrays = ()
        self.saved = ()
        self.out = None
        for counter, _, array in self.versions:
            counter[1] -= 1
            if counter[2] and counter[1] == 0:
                _set_writeable(array, True)
        self.versions = []

    def __del__(self) -> None:
        if self.versions:
            self.release()

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"


class AccumulateGrad:
    """Stands for a leaf in ``next_functions``: the gradient is accumulated into it."""

    next_functions: tuple[tuple[Any, int], ...] = ()

    def __init__(self, variable: Tensor) -> None:
        self.variable = variable

    def name(self) -> str:
        return "AccumulateGrad"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AccumulateGrad) and other.variable is self.variable

    def __hash__(self) -> int:
        return id(self.variable)

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


_sequence = itertools.count()


def _set_writeable(array: np.ndarray, flag: bool) -> None:
    # (a try block costs nothing here; contextlib.suppress builds a context manager per call)
    try:  # noqa: SIM105
        array.setflags(write=flag)
    except ValueError:  # a view of a read-only array stays read-only
        pass


def derivative(formula: Callable[..., tuple[Any, ...]]) -> type[Node]:
    """Make a Node type from a backward formula, named after the formula.

    The formula is called as ``formula(xp, grad, out, inputs, needs, *saved)`` and returns
    one gradient per input (None where ``needs`` is False). ``xp`` is NumPy during an
    ordinary backward, where ``grad``, ``out`` and ``inputs`` are arrays; under
    ``create_graph=True`` it is minigrad's own NumPy-like namespace and they are Tensors,
    so the same formula records a differentiable graph. Gradients may keep a broadcast
    shape: the engine sums them back to each input's shape.
    """
    return type(formula.__name__, (Node,), {"__slots__": (), "formula": staticmethod(formula)})


class Tensor:
    """An n-dimensional array that can record the ops applied to it.

    Construct tensors with :func:`minigrad.tensor` (which copies its data) or the factory
    functions (``zeros``, ``randn``, ...). ``Tensor(data)`` also works.

    Examples
    --------
    >>> x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("_data", "_requires_grad", "grad", "grad_fn", "_vc", "hooks",
                 "_retains_grad", "__weakref__")
    if TYPE_CHECKING:  # the op methods are attached below, from minigrad.ops
        def __getattr__(self, name: str) -> Any: ...

    __array_priority__ = 1000  # make NumPy defer to Tensor's reflected operators
    __array_ufunc__ = None

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        from minigrad.creation import as_array

        self._data = as_array(data, dtype, copy=False)
        self.grad: Tensor | None = None
        self.grad_fn: Node | None = None
        self._vc = [0, 0, not isinstance(data, Tensor) and self._data is data]
        self.hooks: list[Callable[[Tensor], Tensor | None]] | None = None  # leaves' hooks
        self._retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    # ------------------------------------------------------------------ basics
    @property
    def data(self) -> Tensor:
        """A tensor sharing this one's array and version counter, outside the graph."""
        return self.detach()

    @data.setter
    def data(self, value: Tensor | np.ndarray) -> None:
        if isinstance(value, Tensor):
            self._data = value._data
        else:
            self._data = np.asarray(value)
            self._vc[2] = True

    @property
    def requires_grad(self) -> bool:
        """Whether gradients are computed for this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to "
                "use a computed variable in a subgraph that doesn't require differentiation "
                "use var_no_grad = var.detach().")
        if value and self._data.dtype.kind != "f":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, "
                f"got dtype {self._data.dtype}")
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Set ``requires_grad`` in place and return self."""
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True for tensors not produced by a recorded op (user-created, or detached)."""
        return self.grad_fn is None

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def T(self) -> Tensor:
        """The tensor with its dimensions reversed."""
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        """The tensor with its last two dimensions swapped."""
        return ops.transpose(self, -2, -1)

    @property
    def _version(self) -> int:
        return self._vc[0]

    @property
    def device(self) -> str:
        return "cpu"

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the size of one dimension."""
        return self.shape if dim is None else self.shape[dim]

    def dim(self) -> int:
        return self.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self) -> int:
        return self.numel()

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def is_floating_point(self) -> bool:
        return self._data.dtype.kind == "f"

    def item(self) -> Scalar:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self) -> np.ndarray:
        """The underlying array, shared with the tensor (no copy).

        While a graph saves this array for backward, it is read-only.
        """
        if self._requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. "
                "Use tensor.detach().numpy() instead.")
        return _escape(self)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if self._requires_grad:
            raise RuntimeError(
                "Can't convert a Tensor that requires grad to a NumPy array. "
                "Use tensor.detach().numpy() instead.")
        return _escape(self) if dtype is None else self._data.astype(dtype)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self._data.size} elements is ambiguous")
        return bool(self._data)

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from minigrad.creation import format_tensor

        return format_tensor(self)

    # ------------------------------------------------------------------ graph
    def detach(self) -> Tensor:
        """A new leaf tensor sharing this one's array (and version counter)."""
        out = _new(self._data)
        out._vc = self._vc
        return out

    def detach_(self) -> Tensor:
        """Detach this tensor from the graph in place: it becomes a leaf."""
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor after ``backward()``."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None and not self._retains_grad:
            self._retains_grad = True
            self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> _RemovableHandle:
        """Call ``hook(grad)`` when this tensor's gradient is computed.

        The hook may return a tensor that replaces the gradient. Returns a handle whose
        ``remove()`` unregisters the hook.
        """
        if not self._requires_grad:
            raise RuntimeError(
                "cannot register a hook on a tensor that doesn't require gradient")
        owner: Any = self if self.grad_fn is None else self.grad_fn
        if owner.hooks is None:
            owner.hooks = []
        owner.hooks.append(hook)
        return _RemovableHandle(owner.hooks, hook)

    def backward(self, gradient: Tensor | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Sequence[Tensor] | None = None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of the leaves.

        Parameters
        ----------
        gradient : Tensor, optional
            The gradient with respect to this tensor; needed unless it has one element.
        retain_graph : bool, optional
            Keep the graph for another backward (defaults to ``create_graph``).
        create_graph : bool
            Record the backward pass, so that gradients can be differentiated again.
        inputs : sequence of Tensor, optional
            Accumulate only into these tensors' ``.grad``.
        """
        _backward([self], None if gradient is None else [gradient], retain_graph,
                  create_graph, inputs)

    # ------------------------------------------------------------------ dtype
    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """Return the tensor in another dtype (``to(dtype)``); devices other than cpu fail."""
        dtype = kwargs.pop("dtype", None)
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg not in ("float16", "float32", "float64"):
                if arg != "cpu":
                    raise RuntimeError(f"minigrad runs on the cpu only, not on {arg!r}")
            else:
                dtype = arg
        kwargs.pop("device", None)
        kwargs.pop("copy", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        if dtype is None:
            return self
        return ops.cast(self, dtypes.as_dtype(dtype))

    def type(self, dtype: Any = None) -> Any:
        if dtype is None:
            return f"minigrad.{self.dtype.name}"
        return self.to(dtype)

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool)

    def cpu(self) -> Tensor:
        return self

    def clone(self) -> Tensor:
        """A copy that stays in the graph (its gradient flows back to this tensor)."""
        return ops.clone(self)

    def contiguous(self) -> Tensor:
        return self

    # ------------------------------------------------------------------ operators
    def __add__(self, other: Any) -> Tensor:
        return ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return ops.sub(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return ops.sub(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return ops.mul(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return ops.mul(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return ops.div(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return ops.div(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return ops.pow(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return ops.pow(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return ops.matmul(other, self)

    def __neg__(self) -> Tensor:
        return ops.neg(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return ops.abs(self)

    def __getitem__(self, index: Any) -> Tensor:
        return ops.getitem(self, index)

    def __setitem__(self, index: Any, value: Any) -> None:
        ops.setitem_(self, index, value)

    def __iadd__(self, other: Any) -> Tensor:
        return ops.add_(self, other)

    def __isub__(self, other: Any) -> Tensor:
        return ops.sub_(self, other)

    def __imul__(self, other: Any) -> Tensor:
        return ops.mul_(self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return ops.div_(self, other)

    def __floordiv__(self, other: Any) -> Tensor:
        return ops.floor_divide(self, other)

    def __mod__(self, other: Any) -> Tensor:
        return ops.remainder(self, other)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.eq(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return ops.ne(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return ops.lt(self, other)

    def __le__(self, other: Any) -> Tensor:
        return ops.le(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return ops.gt(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return ops.ge(self, other)

    def __invert__(self) -> Tensor:
        return ops.logical_not(self)

    def __and__(self, other: Any) -> Tensor:
        return ops.logical_and(self, other)

    def __or__(self, other: Any) -> Tensor:
        return ops.logical_or(self, other)


class _RemovableHandle:
    """Returned by ``register_hook``: ``remove()`` unregisters the hook."""

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _escape(tensor: Tensor) -> np.ndarray:
    """Hand the array to the user: from now on, saving it for backward locks it."""
    counter = tensor._vc
    counter[2] = True
    if counter[1]:
        _set_writeable(tensor._data, False)
    return tensor._data


def _new(data: np.ndarray) -> Tensor:
    """Wrap an array in a leaf tensor without checks (internal fast path)."""
    out = Tensor.__new__(Tensor)
    out._data = data
    out._requires_grad = False
    out.grad = None
    out.grad_fn = None
    out._vc = [0, 0, False]  # version, number of nodes saving the array, array escaped
    out.hooks = None
    out._retains_grad = False
    return out


def _edge(tensor: Tensor) -> Any:
    """Where a gradient for ``tensor`` goes: its node, itself if a leaf needing grad, or None."""
    node = tensor.grad_fn
    if node is not None:
        return node
    return tensor if tensor._requires_grad else None


def record(node_type: type[Node], data: Any, inputs: tuple[Tensor, ...], *saved: Any,
           save: tuple[Tensor, ...] = (), save_out: bool = False) -> Tensor:
    """Wrap an op's result, attaching a node when grad mode is on and an input needs grad.

    ``save`` names the input tensors whose arrays the backward formula reads, and
    ``save_out`` says whether it reads the output's. Their versions are recorded, so that
    an in-place change before ``backward()`` raises. An array the user can reach directly
    (through ``numpy()`` or ``from_numpy``) is made read-only while a node saves it, so
    that writing into it fails loudly instead of silently corrupting the gradient.
    """
    if type(data) is not np.ndarray:
        data = np.asarray(data)
    out = _new(data)
    if not _mode.enabled:
        return out
    # The common arities, spelled out for speed: one, two, or three (Linear with a bias).
    if len(inputs) == 2:
        first, second = inputs
        needs: tuple[bool, ...] = (first._requires_grad, second._requires_grad)
        if not (needs[0] or needs[1]):
            return out
        edges: tuple[Any, ...] = (_edge(first), _edge(second))
        arrays: tuple[np.ndarray, ...] = (first._data, second._data)
    elif len(inputs) == 1:
        (first,) = inputs
        if not first._requires_grad:
            return out
        needs, edges, arrays = (True,), (first.grad_fn or first,), (first._data,)
    elif len(inputs) == 3:
        first, second, third = inputs
        needs = (first._requires_grad, second._requires_grad, third._requires_grad)
        if True not in needs:
            return out
        edges = (_edge(first), _edge(second), _edge(third))
        arrays = (first._data, second._data, third._data)
    else:
        needs = tuple([t._requires_grad for t in inputs])
        if True not in needs:
            return out
        edges = tuple([_edge(t) for t in inputs])
        arrays = tuple([t._data for t in inputs])
    if save_out:
        save = (*save, out)
    versions = []
    for tensor in save:
        counter = tensor._vc
        counter[1] += 1
        if counter[2]:
            _set_writeable(tensor._data, False)
        versions.append((counter, counter[0], tensor._data))
    out.grad_fn = node_type(inputs, arrays, edges, needs, saved, data if save_out else None,
                            versions)
    out._requires_grad = True
    return out


def is_tensor(obj: Any) -> bool:
    """Return True if ``obj`` is a minigrad Tensor."""
    return isinstance(obj, Tensor)


# Imported last: both build on Tensor (record reads the grad mode, methods call the ops).
from minigrad import ops  # noqa: E402
from minigrad.autograd.engine import backward as _backward  # noqa: E402
from minigrad.autograd.grad_mode import _mode  # noqa: E402

# Operators that are the op itself: one call less on the hottest path.
Tensor.__add__ = ops.add  # type: ignore[method-assign]
Tensor.__sub__ = ops.sub  # type: ignore[method-assign]
Tensor.__mul__ = ops.mul  # type: ignore[method-assign]
Tensor.__truediv__ = ops.div  # type: ignore[method-assign]
Tensor.__matmul__ = ops.matmul  # type: ignore[method-assign]
Tensor.__pow__ = ops.pow  # type: ignore[method-assign]
Tensor.__neg__ = ops.neg  # type: ignore[method-assign]
Tensor.__getitem__ = ops.getitem  # type: ignore[method-assign]

# Methods that are the op of the same name with the tensor as first argument.
for _name in (
    "add", "sub", "mul", "div", "true_divide", "pow", "neg", "abs", "exp", "log", "sqrt",
    "sin", "cos", "sigmoid", "tanh", "relu", "clamp", "clip", "maximum", "minimum",
    "matmul", "mm", "dot", "sum", "mean", "var", "std", "max", "min", "amax", "amin",
    "argmax", "argmin", "softmax", "log_softmax", "logsumexp", "reshape", "view", "flatten",
    "unflatten", "unsqueeze", "squeeze", "permute", "transpose", "t", "expand", "expand_as",
    "view_as", "reshape_as", "gather", "masked_fill", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_and", "logical_or", "logical_not", "equal", "allclose", "isnan", "isfinite",
    "sign", "floor", "ceil", "round", "trunc", "add_", "sub_", "mul_", "div_", "pow_",
    "clamp_", "copy_", "fill_", "zero_", "uniform_", "normal_", "masked_fill_",
    "floor_divide", "remainder", "swapaxes",
):
    setattr(Tensor, _name, getattr(ops, _name))
