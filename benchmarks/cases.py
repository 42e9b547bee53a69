"""The workloads B1-B6, each written once per framework.

Every framework gets the same data, the same starting parameters and the same sequence of
updates, so that after a run their parameters agree (the harness checks it). A workload
factory builds fresh state (untimed) and returns a :class:`Workload`, whose ``run()`` is
the timed unit and whose ``state()`` returns the arrays compared across frameworks.

* ``numpy``: hand-written NumPy backprop, as tight as hand-written code gets: the fewest
  ufunc calls the maths needs, constant factors of the loss and the learning rate kept where
  an engine would have them (so that it is the limit for a NumPy engine, not a different
  algorithm), but no Python-level bookkeeping.
* ``minigrad`` and ``torch``: one function, given the library as ``lib``, written the way a
  user writes it: ``nn.Sequential``, ``nn.MSELoss`` / ``nn.CrossEntropyLoss``, ``optim.SGD``,
  ``zero_grad(); loss.backward(); step()``.
* ``mygrad`` and ``autograd`` (HIPS), only when installed: B1-B3, written functionally
  since neither has ``nn`` modules.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from types import ModuleType
from typing import Any, NamedTuple

import numpy as np

AUTOGRAD_LIBS = ("minigrad", "torch")
OPTIONAL_LIBS = ("mygrad", "autograd")


class Workload(NamedTuple):
    """One framework's instance of a benchmark: ``run()`` is timed, ``state()`` compared."""

    run: Callable[[], object]
    state: Callable[[], list[np.ndarray]]


Factory = Callable[[], Workload]


@dataclass
class Case:
    """A benchmark: its workload per framework and the target for minigrad's ratio.

    ``target_stat`` says which statistic the ratio to the baseline is taken on: the median,
    or the minimum where medians wander (BLAS-bound work on a shared machine).
    ``beat_torch`` marks the cases where minigrad must also be faster than PyTorch.
    """

    key: str
    title: str
    unit: str
    factories: dict[str, Factory]
    baseline: str = "numpy"
    target: float | None = None
    target_stat: str = "median"
    beat_torch: bool = False
    flops: float | None = None
    tolerance: float = 1e-9


def installed(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def load(name: str) -> ModuleType:
    """Import ``minigrad`` or ``torch`` with its ``nn`` and ``optim`` (``lib.nn`` works)."""
    lib = importlib.import_module(name)
    importlib.import_module(f"{name}.nn")
    importlib.import_module(f"{name}.optim")
    return lib


def _snapshot(tensors: Sequence[Any]) -> list[np.ndarray]:
    """Copies of the arrays behind minigrad or torch tensors."""
    return [np.array(t.detach().numpy()) for t in tensors]


def _set_parameters(lib: ModuleType, model: Any, arrays: Sequence[np.ndarray]) -> None:
    """Overwrite the model's parameters, in order, with the shared starting values."""
    with lib.no_grad():
        for parameter, array in zip(model.parameters(), arrays, strict=True):
            parameter.copy_(lib.tensor(array))


# ====================================================================== B1: tiny graphs
def tiny_data(size: int) -> list[np.ndarray]:
    return list(np.random.default_rng(size).uniform(-1, 1, (3, size)))


def tiny_numpy(arrays: list[np.ndarray]) -> Workload:
    """``(a * b + c).sum()`` and its gradients, accumulated like ``.grad``."""
    a, b, c = (x.copy() for x in arrays)
    grads = [np.zeros_like(a) for _ in range(3)]
    grad_a, grad_b, grad_c = grads

    def run() -> object:
        out = (a * b + c).sum()
        np.add(grad_a, b, out=grad_a)
        np.add(grad_b, a, out=grad_b)
        np.add(grad_c, 1.0, out=grad_c)
        return out

    return Workload(run, lambda: [g.copy() for g in grads])


def tiny_autograd(lib: ModuleType, arrays: list[np.ndarray]) -> Workload:
    a, b, c = (lib.tensor(x, requires_grad=True) for x in arrays)

    def run() -> object:
        out = (a * b + c).sum()
        out.backward()
        return out

    return Workload(run, lambda: _snapshot([a.grad, b.grad, c.grad]))


def tiny_loss(xp: Any, params: Sequence[Any]) -> Any:
    a, b, c = params
    return xp.sum(a * b + c)


# ====================================================================== B1: a chain of 33 ops
CHAIN_ROUNDS = 8  # four ops per round, then one sum: 33 ops


def chain_data() -> list[np.ndarray]:
    """``x`` followed by the weights and biases of the rounds, four elements each."""
    return list(np.random.default_rng(33).uniform(-1, 1, (1 + 2 * CHAIN_ROUNDS, 4)))


def chain_numpy(arrays: list[np.ndarray]) -> Workload:
    """``y = tanh(y * w + b) * 0.5`` eight times, then ``sum``; backward by hand."""
    x, *rest = (a.copy() for a in arrays)
    weights, biases = rest[0::2], rest[1::2]
    grads = [np.zeros_like(x) for _ in arrays]
    grad_x, grad_weights, grad_biases = grads[0], grads[1::2], grads[2::2]
    layers = list(zip(weights, biases, grad_weights, grad_biases, strict=True))

    def run() -> object:
        saved = []
        y = x
        for w, b, _, _ in layers:
            t = np.tanh(y * w + b)
            saved.append((y, t))
            y = t * 0.5
        out = y.sum()
        grad = 1.0
        for (w, _, grad_w, grad_b), (y_in, t) in zip(reversed(layers), reversed(saved)):
            grad_t = grad * 0.5
            grad_z = grad_t * (1.0 - t * t)
            np.add(grad_b, grad_z, out=grad_b)
            np.add(grad_w, grad_z * y_in, out=grad_w)
            grad = grad_z * w
        np.add(grad_x, grad, out=grad_x)
        return out

    return Workload(run, lambda: [g.copy() for g in grads])


def chain_loss(xp: Any, params: Sequence[Any]) -> Any:
    """The chain, for any array namespace with ``tanh`` and ``sum``."""
    y, *rest = params
    for w, b in zip(rest[0::2], rest[1::2], strict=True):
        y = xp.tanh(y * w + b) * 0.5
    return xp.sum(y)


def chain_autograd(lib: ModuleType, arrays: list[np.ndarray]) -> Workload:
    params = [lib.tensor(a, requires_grad=True) for a in arrays]

    def run() -> object:
        out = chain_loss(lib, params)
        out.backward()
        return out

    return Workload(run, lambda: _snapshot([p.grad for p in params]))


# ====================================================================== B2, B3: sigmoid nets
def exam_data() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Tutorial 004: scaled inputs and targets, ``nn.Linear``-layout weights, the lr.

    The tutorial's rule is one SGD step with lr 1 on half the summed squared error; with
    ``nn.MSELoss()`` (the mean over 3 examples) the same step needs lr 1.5.
    """
    from minigrad.tutorials import t004_exam_scores as t004

    weights = [w.T.copy() for w in t004.initial_weights()]
    return t004.INPUTS, t004.TARGETS, weights, 1.5


def neuron_data() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], float]:
    """Tutorial 003: four examples, three inputs, one sigmoid neuron; lr 2 with the mean."""
    from minigrad.tutorials import t003_single_neuron as t003

    weights = [w.T.copy() for w in t003.initial_weights()]
    return t003.SETUP.inputs, t003.SETUP.targets, weights, 2.0


def exam_numpy(inputs: np.ndarray, targets: np.ndarray, weights: list[np.ndarray],
               lr: float, steps: int) -> Workload:
    """2-3-1 sigmoid net without biases, MSE, full-batch SGD, written out by hand."""
    params = [w.copy() for w in weights]
    scale = 2.0 / targets.size  # d mean(diff**2) / d diff = 2 diff / n

    def run() -> object:
        w1, w2 = params  # locals, updated in place
        for _ in range(steps):
            h = 1.0 / (1.0 + np.exp(-(inputs @ w1.T)))
            out = 1.0 / (1.0 + np.exp(-(h @ w2.T)))
            diff = out - targets
            loss = np.vdot(diff, diff) / diff.size
            grad_z2 = diff * scale * out * (1.0 - out)
            grad_z1 = (grad_z2 @ w2) * h * (1.0 - h)
            w2 -= lr * (grad_z2.T @ h)
            w1 -= lr * (grad_z1.T @ inputs)
        return loss

    return Workload(run, lambda: [w.copy() for w in params])


def neuron_numpy(inputs: np.ndarray, targets: np.ndarray, weights: list[np.ndarray],
                 lr: float, steps: int) -> Workload:
    """3->1 sigmoid neuron without bias, MSE, full-batch SGD, written out by hand."""
    params = [w.copy() for w in weights]
    scale = 2.0 / targets.size

    def run() -> object:
        (w,) = params
        for _ in range(steps):
            out = 1.0 / (1.0 + np.exp(-(inputs @ w.T)))
            diff = out - targets
            loss = np.vdot(diff, diff) / diff.size
            grad_z = diff * scale * out * (1.0 - out)
            w -= lr * (grad_z.T @ inputs)
        return loss

    return Workload(run, lambda: [w.copy() for w in params])


def sigmoid_net_autograd(lib: ModuleType, inputs: np.ndarray, targets: np.ndarray,
                         weights: list[np.ndarray], lr: float, steps: int) -> Workload:
    """``Sequential(Linear(bias=False), Sigmoid(), ...)``, ``MSELoss``, ``SGD``.

    The model comes from the tutorials' ``build_sigmoid_mlp``, which writes exactly that.
    """
    from minigrad.tutorials import build_sigmoid_mlp

    nn, optim = lib.nn, lib.optim
    model = build_sigmoid_mlp(weights, lib=lib)
    criterion = nn.MSELoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    x, y = lib.tensor(inputs), lib.tensor(targets)

    def run() -> object:
        for _ in range(steps):
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
        return loss

    return Workload(run, lambda: _snapshot(list(model.parameters())))


def sigmoid_net_loss(xp: Any, params: Sequence[Any], inputs: Any, targets: Any) -> Any:
    """The bias-free sigmoid net's mean squared error, for any array namespace."""
    h = inputs
    for weight in params:
        h = 1.0 / (1.0 + xp.exp(-(h @ weight.T)))
    diff = h - targets
    return xp.mean(diff * diff)


# ====================================================================== optional libraries
def functional_workload(name: str, loss: Callable[[Any, Sequence[Any]], Any],
                        arrays: Sequence[np.ndarray], lr: float | None,
                        steps: int = 1) -> Workload:
    """MyGrad or HIPS autograd: ``steps`` of forward, backward and (with ``lr``) SGD.

    Without ``lr`` the gradients are only computed (B1); ``state()`` returns the
    parameters after training, or the last gradients when there is no update.
    """
    params = [a.copy() for a in arrays]
    grads: list[np.ndarray] = []
    if name == "autograd":
        import autograd
        import autograd.numpy as anp

        value_and_grad = autograd.value_and_grad(lambda p: loss(anp, p))

        def step() -> object:
            value, grads[:] = value_and_grad(params)
            if lr is not None:
                for param, grad in zip(params, grads, strict=True):
                    param -= lr * grad
            return value
    elif name == "mygrad":
        import mygrad

        def step() -> object:
            tensors = [mygrad.tensor(p) for p in params]
            value = loss(mygrad, tensors)
            value.backward()
            grads[:] = [np.array(t.grad) for t in tensors]
            if lr is not None:
                for param, grad in zip(params, grads, strict=True):
                    param -= lr * grad
            return value
    else:
        raise ValueError(f"no functional workload for {name!r}")

    def run() -> object:
        for _ in range(steps):
            value = step()
        return value

    return Workload(run, lambda: [p.copy() for p in (params if lr is not None else grads)])


# ====================================================================== B4, B5: MLPs
def mlp_parameters(sizes: Sequence[int], dtype: Any, seed: int) -> list[np.ndarray]:
    """``nn.Linear``'s default initialisation (uniform, bound 1/sqrt(fan_in)), seeded."""
    rng = np.random.default_rng(seed)
    params = []
    for n_in, n_out in pairwise(sizes):
        bound = 1.0 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype))
        params.append(rng.uniform(-bound, bound, n_out).astype(dtype))
    return params


def digits_data(dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 digits scaled to [0, 1], in a fixed shuffled order."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    order = np.random.default_rng(0).permutation(len(digits.target))
    return (digits.data[order] / 16.0).astype(dtype), digits.target[order].astype(np.int64)


def random_batches(sizes: Sequence[int], batch: int, steps: int,
                   seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """``steps * batch`` random float32 inputs and labels, to be cut into batches."""
    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((steps * batch, sizes[0]), dtype=np.float32)
    return inputs, rng.integers(0, sizes[-1], steps * batch)


def _cross_entropy_numpy(logits: np.ndarray, labels: np.ndarray) -> tuple[Any, np.ndarray]:
    """Mean cross-entropy and its gradient with respect to the logits."""
    n = len(labels)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - shifted[rows, labels].sum()) / n
    grad = exp / total
    grad[rows, labels] -= 1.0
    grad *= 1.0 / n
    return loss, grad


def mlp_numpy(inputs: np.ndarray, labels: np.ndarray, params: list[np.ndarray],
              batch: int, lr: float) -> Workload:
    """Linear/ReLU stack, cross-entropy, minibatch SGD over the data once per ``run()``."""
    params = [p.copy() for p in params]
    layers = list(zip(params[0::2], params[1::2], strict=True))
    last = len(layers) - 1

    def step(x: np.ndarray, y: np.ndarray) -> Any:
        activations = [x]
        h = x
        for i, (weight, bias) in enumerate(layers):
            h = h @ weight.T
            h += bias
            if i < last:
                np.maximum(h, 0, out=h)
            activations.append(h)
        loss, grad = _cross_entropy_numpy(h, y)
        for i in range(last, -1, -1):
            weight, bias = layers[i]
            layer_input = activations[i]
            grad_weight = grad.T @ layer_input
            grad_bias = grad.sum(axis=0)
            if i:
                grad = grad @ weight
                grad *= layer_input > 0
            grad_weight *= lr
            weight -= grad_weight
            grad_bias *= lr
            bias -= grad_bias
        return loss

    def run() -> object:
        for start in range(0, len(labels), batch):
            loss = step(inputs[start:start + batch], labels[start:start + batch])
        return loss

    return Workload(run, lambda: [p.copy() for p in params])


def mlp_autograd(lib: ModuleType, inputs: np.ndarray, labels: np.ndarray,
                 params: list[np.ndarray], batch: int, lr: float) -> Workload:
    """``Sequential(Linear, ReLU, ..., Linear)``, ``CrossEntropyLoss``, ``SGD``."""
    nn, optim = lib.nn, lib.optim
    dtype = lib.float32 if inputs.dtype == np.float32 else lib.float64
    layers: list[Any] = []
    for weight in params[0::2]:
        if layers:
            layers.append(nn.ReLU())
        out_features, in_features = weight.shape
        layers.append(nn.Linear(in_features, out_features, dtype=dtype))
    model = nn.Sequential(*layers)
    _set_parameters(lib, model, params)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.SGD(model.parameters(), lr=lr)
    x, y = lib.from_numpy(inputs), lib.from_numpy(labels)
    n = len(labels)

    def run() -> object:
        for start in range(0, n, batch):
            optimizer.zero_grad()
            loss = criterion(model(x[start:start + batch]), y[start:start + batch])
            loss.backward()
            optimizer.step()
        return loss

    return Workload(run, lambda: _snapshot(list(model.parameters())))


def mlp_flops(sizes: Sequence[int], samples: int) -> float:
    """Floating-point operations of the matrix products of a training pass over ``samples``.

    Forward and weight gradient for every layer, input gradient for all but the first.
    """
    products = [n_in * n_out for n_in, n_out in pairwise(sizes)]
    return 2.0 * samples * (3 * sum(products) - products[0])


def matmul_workload(shape: tuple[int, int, int], dtype: Any) -> Workload:
    """A bare ``(m, k) @ (k, n)`` product, the BLAS speed the MLP is measured against."""
    m, k, n = shape
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return Workload(lambda: a @ b, lambda: [])


# ====================================================================== B6: tutorial 000
def feed_forward_factories() -> dict[str, Factory]:
    """Tutorial 000's 10-100-50-10-100 sigmoid net: loops, vectors, minigrad, torch."""
    from minigrad.tutorials import t000_sigmoid_and_feed_forward as t000

    x, weights, biases = t000.random_network()

    def looped() -> Workload:
        return _output_workload(lambda: t000.looped_feed_forward(x, weights, biases))

    def vectorized() -> Workload:
        return _output_workload(lambda: t000.vectorized_feed_forward(x, weights, biases))

    def framework(name: str) -> Factory:
        def factory() -> Workload:
            lib = load(name)
            model = t000.build_network(weights, biases, lib=lib)
            return _output_workload(lambda: t000.minigrad_feed_forward(model, x, lib=lib))
        return factory

    return {"numpy": vectorized, "looped": looped,
            **{name: framework(name) for name in AUTOGRAD_LIBS}}


def _output_workload(forward: Callable[[], np.ndarray]) -> Workload:
    result: list[np.ndarray] = []

    def run() -> object:
        result[:] = [forward()]
        return result[0]

    return Workload(run, lambda: result)


# ====================================================================== the list
@dataclass(frozen=True)
class Sizes:
    """Workload sizes; ``--quick`` shrinks them to make a smoke test of a few seconds."""

    exam_steps: int = 1000
    neuron_steps: int = 10_000
    digits_batch: int = 64
    blas_widths: tuple[int, ...] = (784, 256, 256, 10)
    blas_batch: int = 128
    blas_steps: int = 50


QUICK = Sizes(exam_steps=20, neuron_steps=20, blas_steps=2)


def _factories(numpy: Factory, make: Callable[..., Workload], *args: Any) -> dict[str, Factory]:
    """The NumPy factory, and ``make(lib, *args)`` for minigrad and torch."""
    return {"numpy": numpy,
            **{name: (lambda name=name: make(load(name), *args)) for name in AUTOGRAD_LIBS}}


def _functional(loss: Callable[[Any, Sequence[Any]], Any], arrays: Sequence[np.ndarray],
                lr: float | None, steps: int = 1) -> dict[str, Factory]:
    """MyGrad and HIPS autograd versions, for those installed."""
    return {name: (lambda name=name: functional_workload(name, loss, arrays, lr, steps))
            for name in OPTIONAL_LIBS if installed(name)}


def tiny_case(size: int) -> Case:
    arrays = tiny_data(size)
    return Case(f"B1-{size}", f"B1 tiny graph (a * b + c).sum(), {size} element"
                f"{'s' if size > 1 else ''}", "forward + backward",
                {**_factories(lambda: tiny_numpy(arrays), tiny_autograd, arrays),
                 **_functional(tiny_loss, arrays, None)},
                target=2.5, beat_torch=True)


def chain_case() -> Case:
    arrays = chain_data()
    return Case("B1-chain", f"B1 chain of 33 ops ({CHAIN_ROUNDS} x tanh(y * w + b) * 0.5, "
                "sum), 4 elements", "forward + backward",
                {**_factories(lambda: chain_numpy(arrays), chain_autograd, arrays),
                 **_functional(chain_loss, arrays, None)},
                target=2.5, beat_torch=True)


def sigmoid_net_case(key: str, title: str, data: Callable[[], tuple[Any, ...]],
                     numpy_net: Callable[..., Workload], steps: int, target: float) -> Case:
    inputs, targets, weights, lr = data()

    def loss(xp: Any, params: Sequence[Any]) -> Any:
        return sigmoid_net_loss(xp, params, inputs, targets)

    return Case(key, title, f"{steps:,} full-batch SGD steps",
                {**_factories(lambda: numpy_net(inputs, targets, weights, lr, steps),
                              sigmoid_net_autograd, inputs, targets, weights, lr, steps),
                 **_functional(loss, weights, lr, steps)},
                target=target, beat_torch=True)


def digits_case(dtype: Any, batch: int, target: float, tolerance: float) -> Case:
    inputs, labels = digits_data(dtype)
    params = mlp_parameters((64, 128, 10), dtype, seed=4)
    name = np.dtype(dtype).name
    return Case(f"B4-{name}", f"B4 digits MLP 64-128-10, batch {batch}, {name}",
                f"one epoch ({len(labels):,} images)",
                _factories(lambda: mlp_numpy(inputs, labels, params, batch, 0.1),
                           mlp_autograd, inputs, labels, params, batch, 0.1),
                target=target, beat_torch=True, tolerance=tolerance)


def blas_case(sizes: Sizes) -> Case:
    widths, batch, steps = sizes.blas_widths, sizes.blas_batch, sizes.blas_steps
    inputs, labels = random_batches(widths, batch, steps)
    params = mlp_parameters(widths, np.float32, seed=5)
    return Case("B5", f"B5 MLP {'-'.join(map(str, widths))}, batch {batch}, float32 "
                "(BLAS-bound)", f"{steps} SGD steps",
                _factories(lambda: mlp_numpy(inputs, labels, params, batch, 0.01),
                           mlp_autograd, inputs, labels, params, batch, 0.01),
                target=1.05, target_stat="min", beat_torch=True, tolerance=1e-4,
                flops=mlp_flops(widths, steps * batch))


def feed_forward_case() -> Case:
    return Case("B6", "B6 tutorial 000 feed-forward, 10-100-50-10-100 sigmoid net",
                "one forward pass (no grad)", feed_forward_factories(), tolerance=1e-12)


def matmul_case(sizes: Sizes) -> Case:
    """The largest product of B5 alone: the BLAS speed B5's GFLOP/s is compared with."""
    m, k, n = sizes.blas_batch, sizes.blas_widths[0], sizes.blas_widths[1]
    return Case("B5-matmul", f"bare NumPy matmul ({m}x{k}) @ ({k}x{n}), float32", "one product",
                {"numpy": lambda: matmul_workload((m, k, n), np.float32)},
                flops=2.0 * m * k * n)


def build_cases(sizes: Sizes) -> list[tuple[str, Callable[[], Case]]]:
    """Every benchmark as ``(key prefix, builder)``, in the order of the report.

    Built on demand: loading the digits imports scikit-learn, which takes seconds.
    """
    return [
        ("B1-1", lambda: tiny_case(1)),
        ("B1-4", lambda: tiny_case(4)),
        ("B1-chain", chain_case),
        ("B2", lambda: sigmoid_net_case("B2", "B2 exam scores 2-3-1 sigmoid net, float64",
                                        exam_data, exam_numpy, sizes.exam_steps, 2.5)),
        ("B3", lambda: sigmoid_net_case("B3", "B3 single neuron 3->1, float64", neuron_data,
                                        neuron_numpy, sizes.neuron_steps, 3.5)),
        ("B4-float32", lambda: digits_case(np.float32, sizes.digits_batch, 1.5, 1e-4)),
        ("B4-float64", lambda: digits_case(np.float64, sizes.digits_batch, 1.25, 1e-9)),
        ("B5", lambda: blas_case(sizes)),
        ("B5-matmul", lambda: matmul_case(sizes)),
        ("B6", feed_forward_case),
    ]


def b5_workload(name: str, sizes: Sizes) -> Workload:
    """B5 for one framework alone, for the memory measurement in a fresh process."""
    return blas_case(sizes).factories[name]()
