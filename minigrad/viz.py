"""The graph drawn and explained.

- :func:`to_dot` (and :func:`make_dot`, torchviz's name) draws the graph behind a tensor as
  Graphviz DOT text: one box per tensor (shape, dtype, parameter name, gradient norm once
  ``backward()`` has run) and one ellipse per op, named like its ``grad_fn``. No
  dependency: paste the text into any Graphviz viewer, or :func:`render` it to SVG/PNG
  through the ``graphviz`` package.
- :func:`explain_backward` replays a backward pass step by step, in the order the engine
  visits the graph, with each op's local derivative rule and the gradients it receives and
  passes on: the chain rule that autograd applies, written out.

``backward()`` releases the graph it walked: to draw or explain a graph after ``backward()``,
call ``backward(retain_graph=True)``. A released op is drawn as such, without its inputs.

Examples
--------
>>> w = minigrad.tensor([0.5, -1.0], requires_grad=True)
>>> x = minigrad.tensor([2.0, 3.0])
>>> y = (w * x).sigmoid().sum()
>>> print(explain_backward(y, params={"w": w, "x": x}))   # doctest: +SKIP
>>> y.backward(retain_graph=True)
>>> render(to_dot(y, params={"w": w, "x": x}), "graph.svg")   # doctest: +SKIP
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minigrad import ops
from minigrad.autograd.engine import _collect, _modified_error, _root_grads
from minigrad.autograd.function import _function_formula
from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Node, Tensor, _edge

__all__ = ["Dot", "Explanation", "Flow", "Step", "explain_backward", "make_dot", "render",
           "to_dot"]

# ---------------------------------------------------------------------- names and walking
Names = Mapping[str, Tensor] | Iterable[tuple[str, Tensor]]
"""Names for tensors: a dict of name -> Tensor, or (name, tensor) pairs."""


def _names(module: Any, params: Any) -> dict[int, str]:
    """Map id(tensor) -> name from a module (``named_parameters()``) and a name -> tensor map."""
    names: dict[int, str] = {}
    for source in (module, params):
        if source is None:
            continue
        if hasattr(source, "named_parameters"):
            pairs: Iterable[Any] = source.named_parameters()
        elif isinstance(source, Mapping):
            pairs = source.items()
        elif isinstance(source, Iterable):  # (name, tensor) pairs: model.named_parameters()
            pairs = source
        else:
            raise TypeError(f"viz: expected a module with named_parameters() or a dict of "
                            f"name -> Tensor, got {type(source).__name__}")
        for name, tensor in pairs:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"viz: {name!r} should name a Tensor, got "
                                f"{type(tensor).__name__}")
            names.setdefault(id(tensor), str(name))  # a shared tensor keeps its first name
    return names


def _roots(tensors: Tensor | Sequence[Tensor], caller: str) -> list[Tensor]:
    roots = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    for root in roots:
        if not isinstance(root, Tensor):
            raise TypeError(f"{caller}: expected a Tensor or a sequence of Tensors, got "
                            f"{type(root).__name__}")
    return roots


def _walk(roots: Sequence[Tensor]) -> list[Tensor]:
    """Every tensor the roots were computed from, constants included, inputs first.

    An iterative depth-first search (the engine's, minus its filter on ``requires_grad``),
    so that deep graphs do not hit Python's recursion limit. A released node has no inputs.
    """
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
        inputs = node.inputs if node is not None else None
        for child in reversed(inputs or ()):
            if id(child) not in seen:
                stack.append((child, False))
    return order


def _kind(tensor: Tensor) -> str:
    return f"{tuple(tensor.shape)} {tensor.dtype}"


# ---------------------------------------------------------------------- DOT


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _attrs(**attrs: str) -> str:
    return " ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


def _tensor_label(tensor: Tensor, name: str | None, show_grad: bool) -> str:
    lines = [name] if name else []
    lines.append(_kind(tensor))
    if tensor._data.size == 1:
        lines.append(f"value {tensor._data.item():.6g}")
    if show_grad and tensor.grad is not None:
        lines.append(f"grad norm {float(np.linalg.norm(tensor.grad._data)):.6g}")
    return "\n".join(lines)


def to_dot(tensor: Tensor | Sequence[Tensor], module: Any = None,
           params: Names | None = None, show_grad: bool = True) -> str:
    """The graph behind ``tensor`` as Graphviz DOT text.

    Each tensor is a box (``t0``, ``t1``, ... in the order they were computed) showing its
    name, shape and dtype, its value when it has one element, and with ``show_grad`` the
    norm of its ``.grad`` (leaves after ``backward()``, and non-leaf tensors that called
    ``retain_grad()``). Each op is an ellipse named like its ``grad_fn``
    (``MulBackward0``), with an arrow from each input (labelled with the input's position
    when the op has several) and one to its output. Colours: the output is green,
    leaves requiring grad (parameters) blue, tensors not requiring grad (data, constants)
    dashed.

    Parameters
    ----------
    tensor : Tensor or sequence of Tensor
        The output(s) whose graph is drawn.
    module : object with ``named_parameters()``, optional
        Labels its parameters with their names (``"fc1.weight"``), e.g. a ``minigrad.nn.Module``.
    params : dict of str -> Tensor, or (name, tensor) pairs, optional
        More names, for any tensor of the graph (torchviz's ``params``): inputs,
        intermediate results, parameters.
    show_grad : bool
        Show the norm of each tensor's ``.grad``.

    Notes
    -----
    ``backward()`` releases the graph: call ``backward(retain_graph=True)`` to draw it
    afterwards. A released op is drawn dashed, marked "released", without its inputs.

    Examples
    --------
    >>> print(to_dot(loss, module=model))     # doctest: +SKIP
    >>> render(to_dot(loss, module=model), "graph.svg")   # doctest: +SKIP
    """
    roots = _roots(tensor, "to_dot")
    names = _names(module, params)
    order = _walk(roots)
    ids = {id(t): f"t{i}" for i, t in enumerate(order)}
    root_ids = {id(root) for root in roots}
    lines = ["digraph minigrad {", '  node [fontname="Helvetica" fontsize="10"]',
             '  edge [fontname="Helvetica" fontsize="9"]']
    for i, item in enumerate(order):
        name = names.get(id(item))
        if name is None and id(item) in root_ids:
            name = "output"
        if id(item) in root_ids:
            style = {"style": "filled", "fillcolor": "darkolivegreen1"}
        elif item.grad_fn is None and item.requires_grad:
            style = {"style": "filled", "fillcolor": "lightblue"}
        elif item.grad_fn is None:
            style = {"style": "dashed"}
        else:
            style = {}
        label = _tensor_label(item, name, show_grad)
        lines.append(f"  t{i} [{_attrs(label=label, shape='box', **style)}]")
        node = item.grad_fn
        if node is None:
            continue
        if node.inputs is None:
            op = _attrs(label=f"{node.name()}\n(released)", shape="ellipse", style="dashed")
            lines.append(f"  op{i} [{op}]")
        else:
            op = _attrs(label=node.name(), shape="ellipse", style="filled",
                        fillcolor="lightgrey")
            lines.append(f"  op{i} [{op}]")
            several = len(node.inputs) > 1
            for position, child in enumerate(node.inputs):
                edge = f" [{_attrs(label=str(position))}]" if several else ""
                lines.append(f"  {ids[id(child)]} -> op{i}{edge}")
        lines.append(f"  op{i} -> t{i}")
    lines.append("}")
    return "\n".join(lines) + "\n"


class Dot:
    """DOT text with torchviz's ``Digraph`` essentials: ``.source`` and ``.render()``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def render(self, filename: str | Path, format: str = "svg") -> Path:
        """Draw to ``filename`` (see :func:`render`) and return its path."""
        return render(self.source, filename, format)

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"Dot({self.source!r})"


def make_dot(var: Tensor | Sequence[Tensor], params: Names | None = None,
             show_grad: bool = True) -> Dot:
    """torchviz's ``make_dot``: ``make_dot(y, params=dict(model.named_parameters()))``.

    Returns a :class:`Dot` whose ``.source`` is :func:`to_dot`'s text and whose
    ``.render(filename, format)`` draws it.
    """
    return Dot(to_dot(var, params=params, show_grad=show_grad))


def render(graph: str | Dot | Tensor, path: str | Path, format: str = "svg") -> Path:
    """Draw a graph to an image file with Graphviz, returning the file's path.

    Parameters
    ----------
    graph : str, Dot or Tensor
        DOT text (from :func:`to_dot`), a :class:`Dot`, or a tensor (drawn by
        ``to_dot(graph)``).
    path : str or Path
        The file to write; ``.{format}`` is appended when it has no suffix.
    format : str
        Any format Graphviz writes: ``"svg"``, ``"png"``, ``"pdf"``, ...

    Raises
    ------
    ImportError
        When the ``graphviz`` Python package is missing.
    RuntimeError
        When Graphviz's ``dot`` program is not installed.
    """
    if isinstance(graph, Tensor):
        source = to_dot(graph)
    elif isinstance(graph, Dot):
        source = graph.source
    elif isinstance(graph, str):
        source = graph
    else:
        raise TypeError(f"render: expected DOT text, a Dot or a Tensor, got "
                        f"{type(graph).__name__}")
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            "minigrad.viz.render needs the graphviz Python package and Graphviz's `dot` "
            "program: `pip install graphviz`, plus Graphviz itself (`apt install graphviz`, "
            "`brew install graphviz` or `conda install graphviz`). Without them, to_dot() "
            "still gives the DOT text, which any Graphviz viewer draws.") from None
    try:
        image = graphviz.Source(source).pipe(format=format)
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(
            "minigrad.viz.render: Graphviz's `dot` program was not found on the PATH; install "
            "Graphviz (`apt install graphviz`, `brew install graphviz` or `conda install "
            "graphviz`).") from error
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(f".{format}")
    target.write_bytes(image)
    return target


# ---------------------------------------------------------------------- rules

_LEGEND = ("g is the gradient arriving at a step (d output / d this tensor); a, b are the "
           "op's inputs 0 and 1; out is the op's output")

_RULES: dict[str, tuple[str, str]] = {
    "AccumulateGrad": ("a leaf: backward() adds the gradient it receives into its .grad",
                       "leaf.grad = g if leaf.grad is None else leaf.grad + g"),
    "AddBackward0": ("addition passes the gradient through unchanged to both inputs",
                     "da = g,  db = g"),
    "SubBackward0": ("subtraction passes the gradient to the first input and its negative to "
                     "the second", "da = g,  db = -g"),
    "MulBackward0": ("product rule: each factor receives the gradient times the other factor",
                     "da = g * b,  db = g * a"),
    "DivBackward0": ("quotient rule: d(a/b)/da = 1/b and d(a/b)/db = -a/b^2",
                     "da = g / b,  db = -g * a / b^2"),
    "NegBackward0": ("negation flips the sign of the gradient", "da = -g"),
    "PowBackward0": ("power rule for the base, exponential rule for the exponent",
                     "da = g * b * a^(b-1),  db = g * out * log(a)"),
    "AbsBackward0": ("|a| has slope sign(a) (taken as 0 at 0)", "da = g * sign(a)"),
    "ExpBackward0": ("exp is its own derivative, so the op reuses its output",
                     "da = g * out        (out = exp(a))"),
    "LogBackward0": ("d log(a)/da = 1/a", "da = g / a"),
    "SqrtBackward0": ("d sqrt(a)/da = 1 / (2 sqrt(a)), read from the output",
                      "da = g / (2 * out)"),
    "SinBackward0": ("d sin(a)/da = cos(a)", "da = g * cos(a)"),
    "CosBackward0": ("d cos(a)/da = -sin(a)", "da = -g * sin(a)"),
    "SigmoidBackward0": ("the sigmoid's slope is sigmoid(a) * (1 - sigmoid(a)), read from "
                         "the output", "da = g * out * (1 - out)"),
    "TanhBackward0": ("tanh's slope is 1 - tanh(a)^2, read from the output",
                      "da = g * (1 - out^2)"),
    "ReluBackward0": ("ReLU lets the gradient through where the output is positive and "
                      "blocks it elsewhere", "da = g * (out > 0)"),
    "ClampBackward1": ("clamp lets the gradient through where the input was inside "
                       "[min, max] and blocks it where it was clipped",
                       "da = g * (min <= a <= max)"),
    "MaximumBackward0": ("the larger input receives the gradient; ties split it evenly",
                         "da = g * [a > b] + g/2 * [a == b],  db = g * [b > a] + g/2 * [a == b]"),
    "MinimumBackward0": ("the smaller input receives the gradient; ties split it evenly",
                         "da = g * [a < b] + g/2 * [a == b],  db = g * [b < a] + g/2 * [a == b]"),
    "WhereBackward0": ("where(cond, a, b) sends the gradient to a where cond holds and to b "
                       "elsewhere", "da = where(cond, g, 0),  db = where(cond, 0, g)"),
    "MmBackward0": ("matrix product: the gradient is multiplied by the other factor, "
                    "transposed (1-D operands act as vectors)", "dA = g @ B^T,  dB = A^T @ g"),
    "AddmmBackward0": ("linear layer out = x @ W^T + bias: the matrix-product rule for x and W; "
                       "the bias receives g, summed over the batch",
                       "dx = g @ W,  dW = g^T @ x,  dbias = sum of g over the batch"),
    "SumBackward0": ("a sum sends the gradient, unchanged, to every element it added "
                     "(broadcast back to the input's shape)", "da = broadcast(g, a.shape)"),
    "MeanBackward0": ("a mean of N elements sends g / N to each of them",
                      "da = broadcast(g, a.shape) / N"),
    "VarBackward0": ("variance: each element's slope is 2 (a - mean(a)) / (N - correction)",
                     "da = g * 2 * (a - mean(a)) / (N - correction)"),
    "StdBackward0": ("standard deviation: the variance's slope divided by 2 std (0 where std "
                     "is 0)", "da = g * (a - mean(a)) / ((N - correction) * out)"),
    "AmaxBackward0": ("a maximum sends the gradient to the element(s) holding it, split evenly "
                      "between ties", "da = g * [a == out] / (number of ties)"),
    "MaxBackward0": ("max along a dim sends the gradient to the selected index",
                     "da = zeros_like(a) with g scattered at the argmax indices"),
    "GatherBackward0": ("gather sends each picked value's gradient back to where it came from "
                        "(repeats add up)", "da = scatter_add(zeros_like(a), dim, index, g)"),
    "ScatterAddBackward0": ("scatter-add: each added value receives the gradient at the "
                            "position it was added to", "dvalues = take_along_axis(g, index, dim)"),
    "SoftmaxBackward0": ("softmax: the vector-Jacobian product of its Jacobian "
                         "diag(out) - out out^T", "da = out * (g - sum(g * out, dim))"),
    "LogSoftmaxBackward0": ("log-softmax: the gradient minus softmax(a) times its sum",
                            "da = g - exp(out) * sum(g, dim)"),
    "LogsumexpBackward0": ("logsumexp spreads the gradient by softmax(a)",
                           "da = g * exp(a - out)"),
    "ViewBackward0": ("a reshape moves no numbers: the gradient is reshaped back",
                      "da = g.reshape(a.shape)"),
    "PermuteBackward0": ("a permutation of dims: the gradient is permuted back",
                         "da = g.permute(inverse of dims)"),
    "ExpandBackward0": ("expand copies values: the copies' gradients are summed back",
                        "da = g summed over the expanded dims"),
    "IndexBackward0": ("indexing: the gradient is written back at the indexed positions "
                       "(repeated indices add up), zero elsewhere",
                       "da = zeros_like(a);  da[index] += g"),
    "IndexAddBackward0": ("the values added at an index receive the gradient there",
                          "dvalues = g[index]"),
    "IndexPutBackward0": ("a[index] = v: overwritten positions of a receive nothing, v "
                          "receives the gradient at index",
                          "da = where(written, 0, g),  dv = g[index]"),
    "CatBackward0": ("cat: the gradient is sliced back into the pieces",
                     "d(piece i) = the slice of g along dim that piece i filled"),
    "StackBackward0": ("stack: each stacked tensor receives its slice of the gradient",
                       "d(tensor i) = g[..., i, ...] along dim"),
    "CloneBackward0": ("a copy passes the gradient through unchanged", "da = g"),
    "ToCopyBackward0": ("a dtype conversion passes the gradient through, converted back to "
                        "the input's dtype", "da = g.to(a.dtype)"),
}
# Node types that share a formula share a rule.
for _alias, _source in {"AminBackward0": "AmaxBackward0", "MaxBackward1": "AmaxBackward0",
                        "MinBackward1": "AmaxBackward0", "MinBackward0": "MaxBackward0",
                        "SumBackward1": "SumBackward0", "MeanBackward1": "MeanBackward0"}.items():
    _RULES[_alias] = _RULES[_source]


def _rule(node: Node | None) -> tuple[str, str]:
    if node is None:
        return _RULES["AccumulateGrad"]
    name = node.name()
    if name in _RULES:
        return _RULES[name]
    if type(node).formula is _function_formula:
        function = node.saved[0].__name__ if node.saved else name
        return (f"a custom Function: {function}.backward computes the gradients",
                f"(da, db, ...) = {function}.backward(ctx, g)")
    return (f"no rule written for {name} in minigrad.viz: its backward formula computes the "
            "vector-Jacobian product", f"see {name}'s formula")


# ---------------------------------------------------------------------- explanation


@dataclass(frozen=True)
class Flow:
    """What a step passes to one input of its op.

    ``gradient`` is None when the input needs none; it is summed back to the input's shape
    (``reduced_from`` is then the broadcast shape the formula returned) and cast to its
    dtype, as the engine does. ``to_step`` is the number of the step that receives it.
    """

    position: int
    tensor: Tensor
    label: str
    gradient: np.ndarray | None
    reduced_from: tuple[int, ...] | None
    to_step: int | None


@dataclass(frozen=True)
class Step:
    """One node visited by backward: the op (``node``, the ``grad_fn`` of ``tensor``; None
    and ``op`` ``"AccumulateGrad"`` for a leaf), the gradient its tensor received
    (``gradient``, summed over ``sources``, the numbers of the steps that sent it; empty for
    the output) and what the op passed on (``flows``)."""

    number: int
    op: str
    label: str
    tensor: Tensor
    node: Node | None
    rule: str
    formula: str
    gradient: np.ndarray | None
    sources: tuple[int, ...]
    flows: tuple[Flow, ...]
    notes: tuple[str, ...]


def _format(array: np.ndarray, max_values: int, indent: str) -> str:
    """The values, or for more than ``max_values`` of them, corners and the norm."""
    if array.ndim == 0:
        return f"{array.item():.6g}"
    # about max_values numbers in all: edgeitems at both ends of every dim
    edge = max(1, int(max_values ** (1 / array.ndim)) // 2)
    text = np.array2string(array, precision=6, separator=", ", threshold=max_values,
                           edgeitems=edge, max_line_width=90)
    if array.size > max_values:
        text += f"  (norm {float(np.linalg.norm(array)):.6g})"
    return text.replace("\n", "\n" + indent)


def _list(numbers: Sequence[int]) -> str:
    words = [str(n) for n in numbers]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


class Explanation:
    """A backward pass, step by step: ``.steps`` (a tuple of :class:`Step`) and ``str()``.

    ``gradient(tensor)`` is the gradient backward computes for ``tensor`` (for a leaf, what
    it adds into ``.grad``).
    """

    def __init__(self, steps: Sequence[Step], seed: np.ndarray, seeded: bool,
                 max_values: int) -> None:
        self.steps = tuple(steps)
        self._seed = seed
        self._seeded = seeded
        self._max_values = max_values

    def gradient(self, tensor: Tensor) -> np.ndarray | None:
        """The gradient of the output with respect to ``tensor`` (None if it gets none)."""
        for step in self.steps:
            if step.tensor is tensor or (step.node is not None and step.node is tensor.grad_fn):
                return step.gradient
        raise ValueError(f"explanation: no step handles this tensor ({_kind(tensor)}): it is "
                         "not in the graph or does not require grad")

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __str__(self) -> str:
        width = self._max_values
        root = self.steps[0]
        start = (f"seeded with the given gradient {_format(self._seed, width, '  ')}"
                 if self._seeded else "seeded with d output / d output = 1")
        lines = [f"Backward pass from {root.label} ({_kind(root.tensor)}), {start}.",
                 textwrap.fill(f"Steps in the order backward visits them: each tensor after "
                               f"every op that used it. {_LEGEND}.", 96), ""]
        for step in self.steps:
            named = "" if step.label == f"{step.op} output" else f"{step.label}, "
            lines.append(f"step {step.number}: {step.op} -> {named}{_kind(step.tensor)}")
            lines.append(textwrap.fill(f"  rule:     {step.rule}", 96,
                                       subsequent_indent=" " * 12))
            lines.append(f"  formula:  {step.formula}")
            if step.gradient is None:
                lines.append("  g:        none reached this tensor: nothing to do")
            else:
                if len(step.sources) > 1:
                    lines.append(f"  g:        the sum of the gradients from steps "
                                 f"{_list(step.sources)}")
                elif step.sources:
                    lines.append(f"  g:        from step {step.sources[0]}")
                lines.append(f"  g =       {_format(step.gradient, width, ' ' * 12)}")
            for flow in step.flows:
                where = f", to step {flow.to_step}" if flow.to_step is not None else ""
                head = f"  input {flow.position} ({flow.label}, {_kind(flow.tensor)}{where})"
                if flow.gradient is None:
                    lines.append(f"{head}: needs no gradient")
                    continue
                summed = ""
                if flow.reduced_from is not None:
                    summed = (f" [formula gave shape {flow.reduced_from}, summed back to "
                              f"{tuple(flow.tensor.shape)}]")
                lines.append(f"{head} gets{summed}:")
                lines.append(f"      {_format(flow.gradient, width, '      ')}")
            lines.extend(f"  note:     {note}" for note in step.notes)
        return "\n".join(lines)

    __repr__ = __str__


def explain_backward(tensor: Tensor, module: Any = None,
                     params: Names | None = None, gradient: Any = None,
                     max_values: int = 12) -> Explanation:
    """Replay the backward pass of ``tensor`` step by step, without changing anything.

    Each step is a tensor in the order backward visits them (the engine's topological
    order from the output): the op that made it (its ``grad_fn`` name, or
    ``AccumulateGrad`` for a leaf), that op's local derivative rule in words and as a
    formula, the gradient the tensor receives (the sum of what its consumers sent), and what
    the op passes on to each input. The numbers are computed by the engine's own backward
    formulas, so they equal what ``tensor.backward(gradient)`` produces; no ``.grad`` is
    touched, hooks are not run, and the graph is not released.

    Parameters
    ----------
    tensor : Tensor
        The output to differentiate (one element, unless ``gradient`` is given).
    module, params :
        Names for tensors, as in :func:`to_dot`.
    gradient : Tensor or array, optional
        The gradient to start from, as in ``backward(gradient)``.
    max_values : int
        Gradients with more elements are abbreviated in the text (``.steps`` has them all).

    Returns
    -------
    Explanation
        ``print()`` it for the text; ``.steps`` holds the same as :class:`Step` objects.

    Raises
    ------
    RuntimeError
        As ``backward()`` would: the output does not require grad, the graph was already
        released by a backward without ``retain_graph=True``, or a saved tensor was modified
        in place.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"explain_backward: expected a Tensor, got {type(tensor).__name__}")
    (seed,) = _root_grads([tensor], None if gradient is None else [gradient], False)
    names = _names(module, params)
    root = _edge(tensor)
    nodes, leaves = _collect([root])  # the engine's order: nodes, then the leaves
    order: list[Node | Tensor] = [*nodes, *leaves]
    number = {id(item): i for i, item in enumerate(order, 1)}
    # a node does not hold its output tensor; the ops that consumed it do
    outputs = {id(root): tensor}
    for consumer in nodes:
        for edge, child in zip(consumer.edges, consumer.inputs or (), strict=False):
            outputs.setdefault(id(edge), child)

    def label(item: Tensor) -> str:
        if id(item) in names:
            return names[id(item)]
        if item is tensor:
            return "output"
        if item.grad_fn is not None:
            return f"{item.grad_fn.name()} output"
        return "leaf" if item.requires_grad else "constant"

    grads: dict[int, Any] = {id(root): seed}
    sources: dict[int, list[int]] = {}
    steps = []
    # the engine's loop (run_backward without create_graph), recording instead of accumulating
    with no_grad():
        for step_number, item in enumerate(order, 1):
            grad = grads.pop(id(item), None)
            node = item if isinstance(item, Node) else None
            output = outputs[id(item)]
            flows = []
            if node is not None and grad is not None:
                for counter, version, *_ in node.versions:
                    if counter[0] != version:
                        raise _modified_error(node, counter[0], version)
                inputs = node.inputs
                assert inputs is not None  # _collect raised for a released node
                results = node.formula(ops.ARRAY_XP, grad, node.out, node.arrays, node.needs,
                                       *node.saved)
                for position, (edge, child, child_grad) in enumerate(
                        zip(node.edges, inputs, results, strict=False)):
                    reduced_from = None
                    if edge is None or child_grad is None:
                        child_grad = None
                    else:
                        if child_grad.shape != child.shape:
                            reduced_from = tuple(child_grad.shape)
                            child_grad = ops.ARRAY_XP.sum_to(child_grad, child.shape)
                        if child_grad.dtype != child.dtype:
                            child_grad = ops.ARRAY_XP.cast(child_grad, child.dtype)
                        key = id(edge)
                        grads[key] = grads[key] + child_grad if key in grads else child_grad
                        sources.setdefault(key, []).append(step_number)
                    flows.append(Flow(position, child, label(child),
                                      None if child_grad is None else np.array(child_grad),
                                      reduced_from, number.get(id(edge))))
            steps.append(Step(step_number, "AccumulateGrad" if node is None else node.name(),
                              label(output), output, node, *_rule(node),
                              None if grad is None else np.array(grad),
                              tuple(sources.get(id(item), ())), tuple(flows),
                              _notes(output, node)))
    return Explanation(steps, np.array(seed), gradient is not None, max_values)


def _notes(tensor: Tensor, node: Node | None) -> tuple[str, ...]:
    """What backward does at this step beyond the formula, which the explanation leaves out."""
    notes = []
    hooks = tensor.hooks if node is None else node.hooks
    if hooks:
        notes.append(f"{len(hooks)} hook(s) registered: backward() runs them here and they "
                     "may change g; this explanation does not run them")
    if node is not None and node.retained is not None:
        notes.append("retain_grad(): backward() stores g in this tensor's .grad")
    if node is None and tensor.grad is not None:
        notes.append(f".grad already holds a gradient (norm "
                     f"{float(np.linalg.norm(tensor.grad._data)):.6g}): backward() adds g to "
                     "it (set .grad to None first to get g alone)")
    return tuple(notes)
