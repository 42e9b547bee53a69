"""Custom ops: subclass :class:`Function` with a static ``forward`` and ``backward``."""

from __future__ import annotations

from typing import Any

from minigrad.autograd.grad_mode import _mode, no_grad
from minigrad.tensor import Node, Tensor, _new, record


class FunctionCtx:
    """What ``forward`` leaves for ``backward``: saved tensors and any attribute you set."""

    needs_input_grad: tuple[bool, ...]

    def __init__(self) -> None:
        self.to_save: tuple[Tensor | None, ...] = ()
        self.saved_tensors: tuple[Tensor | None, ...] = ()

    def save_for_backward(self, *tensors: Tensor | None) -> None:
        """Keep tensors for ``backward`` (read them back from ``ctx.saved_tensors``).

        Their versions are checked: changing one in place before backward raises.
        """
        for tensor in tensors:
            if tensor is not None and not isinstance(tensor, Tensor):
                raise TypeError(f"save_for_backward can only save tensors, but argument "
                                f"{type(tensor).__name__} was given")
        self.to_save = tensors

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Accepted for compatibility: minigrad's Function has one differentiable output."""

    def set_materialize_grads(self, value: bool) -> None:
        """Accepted for compatibility: gradients reaching ``backward`` are always tensors."""


def _function_formula(xp: Any, grad: Any, out: Any, inputs: Any, needs: tuple[bool, ...],
                      function: type[Function], ctx: FunctionCtx, positions: tuple[int, ...],
                      ) -> tuple[Any, ...]:
    """Call the user's ``backward`` and pick the gradients of the tensor arguments."""
    tensor_mode = isinstance(grad, Tensor)
    grads = function.backward(ctx, grad if tensor_mode else _new(grad))
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(ctx.needs_input_grad):
        raise RuntimeError(f"function {function.__name__}Backward returned an incorrect number "
                           f"of gradients (expected {len(ctx.needs_input_grad)}, got "
                           f"{len(grads)})")
    picked = []
    for position, input_value in zip(positions, inputs):
        value = grads[position]
        if value is not None and tuple(value.shape) != tuple(input_value.shape):
            raise RuntimeError(f"Function {function.__name__}Backward returned an invalid "
                               f"gradient at index {position} - got {list(value.shape)} but "
                               f"expected shape compatible with {list(input_value.shape)}")
        picked.append(None if value is None else value if tensor_mode else value._data)
    return tuple(picked)


class Function:
    """Base class of custom differentiable ops, as ``torch.autograd.Function``.

    Examples
    --------
    >>> class Square(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, grad):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * grad
    >>> y = Square.apply(minigrad.tensor(3.0, requires_grad=True))
    """

    _node_type: type[Node] | None = None

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement forward")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("subclasses of Function must implement backward")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Run ``forward`` without recording, then record one node for the whole op."""
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return one Tensor, got "
                            f"{type(out).__name__} (minigrad's Function has a single output)")
        positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
        inputs = tuple(args[i] for i in positions)
        if not (_mode.enabled and any(ctx.needs_input_grad)):
            return out
        # a saved output is kept as a detached alias: the node must not refer to its output
        ctx.saved_tensors = tuple(t.detach() if t is out else t for t in ctx.to_save)
        saved = tuple(t for t in ctx.saved_tensors if t is not None)
        node_type = cls.__dict__.get("_node_type") or _make_node_type(cls)
        return record(node_type, out._data, inputs, cls, ctx, positions, save=saved)


def _make_node_type(function: type[Function]) -> type[Node]:
    node_type = type(f"{function.__name__}Backward", (Node,),
                     {"__slots__": (), "formula": staticmethod(_function_formula)})
    function._node_type = node_type
    return node_type
