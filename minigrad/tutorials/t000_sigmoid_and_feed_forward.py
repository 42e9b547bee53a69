"""Tutorial 000: the sigmoid, weights and biases, and the feed-forward pass.

Source: "How to train a neural network in Python", which builds up to a feed-forward pass and
stops there, so nothing here is trained. What carries over:

* the sigmoid on ``x = -8, -7.9, ..., 7.9`` and how a weight ``w`` (0.5, 1, 2) changes its
  slope while a bias ``b`` (-8, 0, 8, with ``w = 5``) shifts where it switches on;
* a 3-3-1 network whose hidden weights are rows of 0.2, 0.4 and 0.6, whose output weights are
  all 0.5 and whose biases are 0.8 (hidden) and 0.2 (output); on ``x = [1.5, 2.0, 3.0]`` its
  output is 0.8354 (:data:`PUBLISHED_OUTPUT`), the exact 0.835456 cut to four decimals;
* a node-by-node feed-forward with Python loops against a vectorised one (``W @ h + b`` per
  layer), timed on that net and on a 10-100-50-10-100 net, where the tutorial reports 41 ms
  against 84 µs, "500 times" faster.

Mapping to minigrad
-------------------
Here the tutorial's matrices are already laid out ``(out, in)`` (it computes ``W.dot(h)``),
which is ``nn.Linear.weight``'s layout, so they go into ``Linear(in, out)`` untransposed,
the bias vectors into ``Linear.bias``, and each layer is followed by ``nn.Sigmoid``. Unlike the
later tutorials, this network has biases.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable, Sequence
from types import ModuleType

import numpy as np

import minigrad

from ._common import build_sigmoid_mlp, sigmoid

__all__ = [
    "BIASES",
    "INPUT",
    "LAYER_SIZES",
    "PUBLISHED_OUTPUT",
    "PUBLISHED_SPEEDUP",
    "PUBLISHED_TIMINGS",
    "WEIGHTS",
    "bias_effect",
    "build_network",
    "looped_feed_forward",
    "median_seconds",
    "minigrad_feed_forward",
    "random_network",
    "sigmoid_grid",
    "time_feed_forward",
    "vectorized_feed_forward",
    "weight_effect",
]

#: Both layers' weights, ``(out, in)``: hidden node i takes every input with weight 0.2 * i,
#: the output node takes every hidden node with weight 0.5.
WEIGHTS: tuple[np.ndarray, np.ndarray] = (
    np.repeat([[0.2], [0.4], [0.6]], 3, axis=1),
    np.full((1, 3), 0.5),
)
BIASES: tuple[np.ndarray, np.ndarray] = (np.full(3, 0.8), np.array([0.2]))
INPUT = np.array([1.5, 2.0, 3.0])
PUBLISHED_OUTPUT = "0.8354"
#: Widths of the larger net the tutorial times.
LAYER_SIZES = (10, 100, 50, 10, 100)
#: The tutorial's timings in seconds: the looped pass on the 3-3-1 net, and both passes on
#: the large net, with the speed-up it claims for the latter.
PUBLISHED_TIMINGS = {"looped 3-3-1": 40e-6, "looped large": 41e-3, "vectorized large": 84e-6}
PUBLISHED_SPEEDUP = 500


def sigmoid_grid() -> np.ndarray:
    """The tutorial's plotting grid, -8 to 8 (exclusive) in steps of 0.1."""
    return np.arange(-8, 8, 0.1)


def weight_effect(
    x: np.ndarray, weights: Sequence[float] = (0.5, 1.0, 2.0)
) -> dict[str, np.ndarray]:
    """``sigmoid(w * x)`` for each weight, keyed by a legend label: ``w`` sets the slope."""
    return {f"w = {w}": sigmoid(w * x) for w in weights}


def bias_effect(
    x: np.ndarray, weight: float = 5.0, biases: Sequence[float] = (-8.0, 0.0, 8.0)
) -> dict[str, np.ndarray]:
    """``sigmoid(w * x + b)`` for each bias: ``b`` moves the switch-on point to ``x = -b / w``."""
    return {f"b = {b}": sigmoid(weight * x + b) for b in biases}


def looped_feed_forward(
    x: Sequence[float] | np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
) -> np.ndarray:
    """Feed ``x`` forward one node and one connection at a time, in pure Python loops.

    Written to be slow on purpose: it is the baseline the tutorial times against the
    vectorised pass.
    """
    values = list(x)
    for weight, bias in zip(weights, biases, strict=True):
        n_out, n_in = weight.shape
        next_values = []
        for node in range(n_out):
            total = bias[node]
            for source in range(n_in):
                total += weight[node, source] * values[source]
            next_values.append(1.0 / (1.0 + np.exp(-total)))
        values = next_values
    return np.array(values)


def vectorized_feed_forward(
    x: np.ndarray, weights: Sequence[np.ndarray], biases: Sequence[np.ndarray]
) -> np.ndarray:
    """The same pass with one matrix-vector product per layer."""
    h = np.asarray(x, dtype=np.float64)
    for weight, bias in zip(weights, biases, strict=True):
        h = sigmoid(weight @ h + bias)
    return h


def build_network(
    weights: Sequence[np.ndarray] = WEIGHTS,
    biases: Sequence[np.ndarray] = BIASES,
    lib: ModuleType = minigrad,
):
    """The network as ``nn.Sequential`` of ``Linear`` (with bias) and ``Sigmoid`` layers."""
    return build_sigmoid_mlp(weights, biases, lib=lib)


def minigrad_feed_forward(model, x: np.ndarray, lib: ModuleType = minigrad) -> np.ndarray:
    """Run ``model`` on the 1-D input ``x`` without recording a graph; return NumPy."""
    with lib.no_grad():
        return model(lib.tensor(np.asarray(x), dtype=lib.float64)).numpy()


def random_network(
    sizes: Sequence[int] = LAYER_SIZES, seed: int = 0
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """An input and random ``(out, in)`` weights and biases for a net of the given widths.

    The tutorial does not say how its large net was filled; values in [-1, 1) keep the
    sigmoids away from saturation, which is all that matters for timing.
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, sizes[0])
    weights = [
        rng.uniform(-1, 1, (n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    biases = [rng.uniform(-1, 1, n_out) for n_out in sizes[1:]]
    return x, weights, biases


def median_seconds(
    function: Callable[[], object], repeat: int = 7, number: int | None = None
) -> float:
    """Median wall time of one call of ``function``.

    Each of ``repeat`` rounds times ``number`` calls (chosen so a round takes ~0.05 s when
    not given); the median of the rounds resists the odd slow round.
    """
    timer = timeit.Timer(function)
    if number is None:
        number, _ = timer.autorange()
        number = max(1, number // 4)
    rounds = timer.repeat(repeat=repeat, number=number)
    return float(np.median(rounds)) / number


def time_feed_forward(
    x: np.ndarray,
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    repeat: int = 5,
) -> dict[str, float]:
    """Median seconds per forward pass: looped, vectorised, and minigrad under ``no_grad``."""
    model = build_network(weights, biases)
    passes = {
        "looped": lambda: looped_feed_forward(x, weights, biases),
        "vectorized": lambda: vectorized_feed_forward(x, weights, biases),
        "minigrad": lambda: minigrad_feed_forward(model, x),
    }
    return {name: median_seconds(run, repeat=repeat) for name, run in passes.items()}
