"""What the five tutorials share: the sigmoid, one bias-free sigmoid network trained two ways.

Every trainable tutorial builds a stack of bias-free linear layers, each followed by a sigmoid,
and nudges the weights with a rule it derives by hand. :class:`HandDerivedNet` is that rule in
plain NumPy; :class:`AutogradNet` is the same network as ``nn.Linear``/``nn.Sigmoid`` layers whose
gradient comes from autograd and whose update is one ``optim.SGD`` step. Both expose ``step()``
and ``weights()`` so that their weights can be compared after every step.

Weights are kept in the tutorials' layout, ``(in_features, out_features)`` with ``X @ W``;
``nn.Linear`` stores ``(out_features, in_features)``, so the autograd side transposes on the way
in and on the way out.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

import numpy as np

import minigrad
import minigrad.nn  # so that ``minigrad.nn``/``minigrad.optim`` resolve as attributes of ``lib``
import minigrad.optim

__all__ = [
    "AutogradNet",
    "HandDerivedNet",
    "Trainable",
    "TrainingSetup",
    "build_sigmoid_mlp",
    "graph_lines",
    "max_relative_difference",
    "predictions_at",
    "sigmoid",
    "sigmoid_slope",
    "side_by_side",
    "train",
    "trajectory",
]


def sigmoid(x: np.ndarray | float) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def sigmoid_slope(activation: np.ndarray) -> np.ndarray:
    """Derivative of the sigmoid expressed through its *output* ``s``: ``s * (1 - s)``.

    The tutorials keep only the activations, so they write the derivative this way; it is
    also exactly what autograd's sigmoid backward multiplies by.
    """
    return activation * (1.0 - activation)


def max_relative_difference(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> float:
    """Largest ``max|a_i - b_i| / max|b_i|`` over a list of weight matrices.

    Relative to each matrix's largest entry rather than entry by entry, so a weight that
    happens to cross zero does not blow the ratio up.
    """
    if len(a) != len(b):
        raise ValueError(f"got {len(a)} and {len(b)} weight matrices")
    worst = 0.0
    for left, right in zip(a, b, strict=True):
        left, right = np.asarray(left), np.asarray(right)
        if left.shape != right.shape:
            raise ValueError(f"shapes differ: {left.shape} vs {right.shape}")
        scale = float(np.max(np.abs(right))) or 1.0
        worst = max(worst, float(np.max(np.abs(left - right))) / scale)
    return worst


class Trainable(Protocol):
    """Anything the step-by-step comparison can drive."""

    def step(self) -> None: ...

    def weights(self) -> list[np.ndarray]: ...

    def predict(self, x: np.ndarray) -> np.ndarray: ...


def train(net: Trainable, steps: int) -> Trainable:
    """Take ``steps`` training steps and return ``net``."""
    for _ in range(steps):
        net.step()
    return net


def trajectory(net: Trainable, steps: int) -> Iterator[list[np.ndarray]]:
    """Take ``steps`` training steps, yielding copies of the weights after each one."""
    for _ in range(steps):
        net.step()
        yield net.weights()


def graph_lines(output) -> list[str]:
    """The graph recorded behind ``output``, one indented line per node, output first.

    Works on minigrad and torch tensors alike through ``grad_fn``, ``name()`` and
    ``next_functions``; a node reached twice is listed once. Walked with an explicit stack,
    so deep graphs do not hit the recursion limit.
    """
    lines: list[str] = []
    seen: set[object] = set()
    stack = [(output.grad_fn, 0)]
    while stack:
        node, depth = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        lines.append("    " * depth + node.name())
        # A leaf's AccumulateGrad has no inputs; minigrad's lacks the attribute altogether.
        children = getattr(node, "next_functions", ())
        # Reversed so that the first input is printed first.
        stack.extend((child, depth + 1) for child, _ in reversed(children))
    return lines


def predictions_at(
    net: Trainable, query: np.ndarray, checkpoints: Sequence[int]
) -> dict[int, float]:
    """Train ``net`` on, recording its scalar prediction for ``query`` at each step count.

    ``checkpoints`` are total step counts from where ``net`` is now, e.g. ``(10, 100)``.
    """
    predictions = {}
    done = 0
    for checkpoint in sorted(checkpoints):
        train(net, checkpoint - done)
        done = checkpoint
        predictions[checkpoint] = float(np.ravel(net.predict(query))[0])
    return predictions


class HandDerivedNet:
    """A bias-free sigmoid network trained with the tutorials' hand-derived rule.

    Parameters
    ----------
    weights : sequence of ndarray
        One ``(in, out)`` matrix per layer; copied, so the caller's arrays stay untouched.
    inputs, targets : ndarray
        The whole training set; every step uses all of it at once.
    error_scale : float
        The factor in front of ``(targets - output)``: 1 in tutorials 002, 003 and 004,
        2 in tutorial 001. It decides which loss the rule descends (see :meth:`step`).

    Examples
    --------
    >>> net = HandDerivedNet([np.zeros((2, 1))], np.eye(2), np.ones((2, 1)), error_scale=1.0)
    >>> net.step(); net.weights()[0].ravel().tolist()
    [0.125, 0.125]
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        inputs: np.ndarray,
        targets: np.ndarray,
        error_scale: float = 1.0,
    ) -> None:
        self.layers = [np.array(w, dtype=np.float64) for w in weights]
        self.inputs = np.asarray(inputs, dtype=np.float64)
        self.targets = np.asarray(targets, dtype=np.float64)
        self.error_scale = float(error_scale)

    def activations(self, x: np.ndarray) -> list[np.ndarray]:
        """The input followed by every layer's sigmoid output."""
        outputs = [np.asarray(x, dtype=np.float64)]
        for weight in self.layers:
            outputs.append(sigmoid(outputs[-1] @ weight))
        return outputs

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for ``x`` (one row or a batch of rows)."""
        return self.activations(x)[-1]

    def mean_squared_error(self) -> float:
        """``mean((targets - output)**2)`` over the training set, the loss tutorial 004 prints."""
        return float(np.mean(np.square(self.targets - self.predict(self.inputs))))

    def step(self) -> None:
        """One pass of the hand-derived rule over the whole training set.

        The output delta is ``error_scale * (targets - output) * s'(output)``. Going backwards,
        each layer's increment is ``layer_input.T @ delta`` and the delta for the layer below
        is ``(delta @ W.T) * s'(layer_input)``, computed with the weights as they were before
        this step. All increments are added at the end. This is gradient descent with step
        size 1 on ``error_scale / 2 * sum((output - targets)**2)``.
        """
        outputs = self.activations(self.inputs)
        delta = self.error_scale * (self.targets - outputs[-1]) * sigmoid_slope(outputs[-1])
        increments = []
        for depth in range(len(self.layers) - 1, -1, -1):
            layer_input = outputs[depth]
            increments.append(layer_input.T @ delta)
            if depth > 0:
                delta = (delta @ self.layers[depth].T) * sigmoid_slope(layer_input)
        for weight, increment in zip(self.layers, reversed(increments), strict=True):
            weight += increment

    def weights(self) -> list[np.ndarray]:
        """Copies of the weight matrices, ``(in, out)`` each."""
        return [w.copy() for w in self.layers]


def build_sigmoid_mlp(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray] | None = None,
    lib: ModuleType = minigrad,
):
    """``Sequential(Linear, Sigmoid, Linear, Sigmoid, ...)`` in float64 with given parameters.

    Parameters
    ----------
    weights : sequence of ndarray
        One matrix per layer in ``nn.Linear``'s own layout, ``(out, in)``.
    biases : sequence of ndarray, optional
        One vector per layer; without them the layers are built with ``bias=False``.
    lib : module
        ``minigrad`` (default) or ``torch``: the two share the API, so the same code builds both.
    """
    if biases is not None and len(biases) != len(weights):
        raise ValueError(f"got {len(weights)} weight matrices but {len(biases)} bias vectors")
    layers = []
    state = {}
    for index, weight in enumerate(weights):
        out_features, in_features = np.shape(weight)
        layers += [
            lib.nn.Linear(in_features, out_features, bias=biases is not None, dtype=lib.float64),
            lib.nn.Sigmoid(),
        ]
        # Each Linear sits at an even position, its Sigmoid right after it.
        state[f"{2 * index}.weight"] = lib.tensor(np.asarray(weight), dtype=lib.float64)
        if biases is not None:
            state[f"{2 * index}.bias"] = lib.tensor(np.asarray(biases[index]), dtype=lib.float64)
    model = lib.nn.Sequential(*layers)
    model.load_state_dict(state)
    return model


class AutogradNet:
    """The same bias-free network as :class:`HandDerivedNet`, trained by autograd and SGD.

    Parameters
    ----------
    weights : sequence of ndarray
        One ``(in, out)`` matrix per layer, the tutorials' layout.
    inputs, targets : ndarray
        The whole training set.
    loss_scale : float
        The loss is ``loss_scale * MSELoss(reduction='sum')``; with ``lr=1``, a scale of
        ``error_scale / 2`` reproduces :class:`HandDerivedNet` step for step.
    lr : float
        SGD learning rate; the tutorials all use 1.
    lib : module
        ``minigrad`` (default) or ``torch``.
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        inputs: np.ndarray,
        targets: np.ndarray,
        loss_scale: float = 0.5,
        lr: float = 1.0,
        lib: ModuleType = minigrad,
    ) -> None:
        self.lib = lib
        self.model = build_sigmoid_mlp([np.asarray(w).T for w in weights], lib=lib)
        self.inputs = lib.tensor(np.asarray(inputs), dtype=lib.float64)
        self.targets = lib.tensor(np.asarray(targets), dtype=lib.float64)
        self.loss_scale = float(loss_scale)
        self.criterion = lib.nn.MSELoss(reduction="sum")
        self.optimizer = lib.optim.SGD(self.model.parameters(), lr=lr)

    def loss(self):
        """The training loss as a graph-carrying scalar tensor."""
        return self.loss_scale * self.criterion(self.model(self.inputs), self.targets)

    def step(self) -> None:
        """Forward, backward and one SGD update."""
        self.optimizer.zero_grad()
        self.loss().backward()
        self.optimizer.step()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """The network's output for ``x`` as a NumPy array, without recording a graph."""
        with self.lib.no_grad():
            return self.model(self.lib.tensor(np.asarray(x), dtype=self.lib.float64)).numpy()

    def mean_squared_error(self) -> float:
        """``mean((targets - output)**2)`` over the training set."""
        output = self.predict(self.inputs.numpy())
        return float(np.mean(np.square(self.targets.numpy() - output)))

    def weights(self) -> list[np.ndarray]:
        """Copies of the weight matrices, transposed back to the tutorials' ``(in, out)``."""
        linears = [m for m in self.model if isinstance(m, self.lib.nn.Linear)]
        return [m.weight.detach().numpy().T.copy() for m in linears]


@dataclass(frozen=True)
class TrainingSetup:
    """One tutorial's training problem: data, starting weights and its rule's error scale.

    Attributes
    ----------
    inputs, targets : ndarray
        The training set, one example per row.
    initial_weights : callable
        Returns fresh ``(in, out)`` starting matrices, reproducibly (seeded).
    error_scale : float
        The factor in front of ``(targets - output)`` in the tutorial's rule.
    """

    inputs: np.ndarray
    targets: np.ndarray
    initial_weights: Callable[[], list[np.ndarray]]
    error_scale: float = 1.0

    @property
    def loss_scale(self) -> float:
        """Multiplier of ``MSELoss(reduction='sum')`` whose SGD step (lr=1) is the rule."""
        return self.error_scale / 2

    def hand_derived(self, weights: Sequence[np.ndarray] | None = None) -> HandDerivedNet:
        """The tutorial's NumPy network, from ``weights`` or the seeded initial weights."""
        start = self.initial_weights() if weights is None else weights
        return HandDerivedNet(start, self.inputs, self.targets, self.error_scale)

    def autograd(
        self, weights: Sequence[np.ndarray] | None = None, lib: ModuleType = minigrad
    ) -> AutogradNet:
        """The same network in ``lib`` (minigrad or torch), trained with SGD at lr=1."""
        start = self.initial_weights() if weights is None else weights
        return AutogradNet(start, self.inputs, self.targets, self.loss_scale, lr=1.0, lib=lib)


def side_by_side(
    setup: TrainingSetup, steps: int, lib: ModuleType = minigrad
) -> tuple[float, HandDerivedNet, AutogradNet]:
    """Train both versions of ``setup`` from the same start, ``steps`` steps each.

    Returns the worst :func:`max_relative_difference` between their weights over all steps,
    then the two trained networks.
    """
    start = setup.initial_weights()
    hand, autograd = setup.hand_derived(start), setup.autograd(start, lib=lib)
    worst = 0.0
    for expected, got in zip(trajectory(hand, steps), trajectory(autograd, steps), strict=True):
        worst = max(worst, max_relative_difference(got, expected))
    return worst, hand, autograd
