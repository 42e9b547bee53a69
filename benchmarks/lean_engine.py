"""What B1's target costs: a minimal tape engine, with and without PyTorch's per-op checks.

B1 times ``(a * b + c).sum()`` and its backward on one element. This script times, side by
side in one process (medians of interleaved rounds, one thread):

- hand-written NumPy (B1's baseline);
- ``lean``: the least a tape engine does: a tensor and a node per op, a heap-ordered
  backward, gradients summed into ``.grad``;
- ``checked``: the same engine, plus the bookkeeping minigrad does for PyTorch's semantics:
  grad mode and dtype checks, version counters that catch an in-place change of a saved
  array, the graph released as backward goes, gradient shape and dtype checks, hook slots,
  and a leaf adopting its first gradient only when nothing else holds it;
- minigrad itself.

Run from the repository root: ``python benchmarks/lean_engine.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import timeit
from collections.abc import Callable
from heapq import heappop, heappush
from pathlib import Path
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before NumPy is imported
import numpy as np  # noqa: E402

ONE = np.ones(())


def make_engine(checked: bool) -> type:
    """A tensor type for ``a * b + c`` and ``sum``; ``checked`` adds minigrad's bookkeeping."""
    sequence = itertools.count()
    grad_mode = [True]

    class Node:
        __slots__ = ("arrays", "edges", "needs", "versions", "sequence", "pending", "hooks")

        def __init__(self, arrays: tuple, edges: tuple, needs: tuple, versions: list) -> None:
            self.arrays, self.edges, self.needs, self.versions = arrays, edges, needs, versions
            self.sequence, self.pending, self.hooks = next(sequence), None, None

        def release(self) -> None:
            self.arrays = ()
            for counter, _ in self.versions:
                counter[1] -= 1  # minigrad unlocks an array when no node saves it any more
            self.versions = []

    class Mul(Node):
        def backward(self, grad: Any) -> tuple:
            a, b = self.arrays
            return grad * b if self.needs[0] else None, grad * a if self.needs[1] else None

    class Add(Node):
        def backward(self, grad: Any) -> tuple:
            return grad, grad

    class Sum(Node):
        def backward(self, grad: Any) -> tuple:
            out = np.empty(self.arrays[0].shape, self.arrays[0].dtype)
            out[...] = grad
            return (out,)

    class Tensor:
        __slots__ = ("data", "requires_grad", "grad", "grad_fn", "version", "hooks")

        def __init__(self, data: np.ndarray, requires_grad: bool = False) -> None:
            self.data, self.requires_grad, self.grad, self.grad_fn = data, requires_grad, None, None
            self.version, self.hooks = [0, 0], None  # version, nodes saving the array

        def binary(self, node_type: type, data: np.ndarray, other: Tensor, save: bool) -> Tensor:
            if checked and self.data.dtype != other.data.dtype:
                raise TypeError("mixed dtypes")  # (minigrad promotes them instead)
            out = Tensor(data)
            if checked and not grad_mode[0]:
                return out
            needs = (self.requires_grad, other.requires_grad)
            if needs[0] or needs[1]:
                versions = []
                if checked and save:
                    for tensor in (self, other):
                        tensor.version[1] += 1
                        versions.append((tensor.version, tensor.version[0]))
                out.grad_fn = node_type((self.data, other.data), (edge(self), edge(other)),
                                        needs, versions)
                out.requires_grad = True
            return out

        def __mul__(self, other: Tensor) -> Tensor:
            return self.binary(Mul, self.data * other.data, other, True)

        def __add__(self, other: Tensor) -> Tensor:
            return self.binary(Add, self.data + other.data, other, False)

        def sum(self) -> Tensor:
            out = Tensor(np.add.reduce(self.data, None))
            if (grad_mode[0] or not checked) and self.requires_grad:
                out.grad_fn = Sum((self.data,), (edge(self),), (True,), [])
                out.requires_grad = True
            return out

        def backward(self) -> None:
            self.grad_fn.pending = ONE
            heap, leaves = [(-self.grad_fn.sequence, self.grad_fn)], {}
            grad_mode[0] = False
            try:
                while heap:
                    node = heappop(heap)[1]
                    grad, node.pending = node.pending, None
                    if checked:
                        if node.hooks:
                            raise NotImplementedError
                        for counter, version in node.versions:
                            if counter[0] != version:
                                raise RuntimeError("a saved array was modified in place")
                    for edge, array, child in zip(node.edges, node.arrays, node.backward(grad)):
                        if edge is None or child is None:
                            continue
                        if checked and (child.shape != array.shape or child.dtype != array.dtype):
                            raise RuntimeError("gradient of the wrong shape or dtype")
                        if type(edge) is Tensor:
                            entry = leaves.get(id(edge))
                            if entry is None:
                                leaves[id(edge)] = [edge, child]
                            else:
                                entry[1] = entry[1] + child
                        elif edge.pending is None:
                            edge.pending = child
                            heappush(heap, (-edge.sequence, edge))
                        else:
                            edge.pending = edge.pending + child
                    if checked:
                        node.release()
            finally:
                grad_mode[0] = True
            adopted = {id(ONE)}
            for leaf, grad in leaves.values():
                if leaf.grad is None:
                    owned = not checked or (id(grad) not in adopted and grad.base is None)
                    leaf.grad = Tensor(grad if owned else grad.copy())
                    adopted.add(id(grad))
                elif not checked or (leaf.grad.data.flags.writeable and not leaf.hooks):
                    np.add(leaf.grad.data, grad, out=leaf.grad.data)
                    leaf.grad.version[0] += 1
                else:
                    leaf.grad = Tensor(leaf.grad.data + grad)

    def edge(tensor: Tensor) -> Any:
        return tensor.grad_fn or (tensor if tensor.requires_grad else None)

    return Tensor


def workloads(arrays: list[np.ndarray]) -> dict[str, tuple[Callable[[], Any], Callable[[], list]]]:
    """Each contender's B1-1 step and a way to read its accumulated gradients."""
    import minigrad

    a, b, c = (x.copy() for x in arrays)
    grads = [np.zeros_like(x) for x in arrays]

    def numpy_step() -> Any:
        out = (a * b + c).sum()
        np.add(grads[0], b, out=grads[0])
        np.add(grads[1], a, out=grads[1])
        np.add(grads[2], 1.0, out=grads[2])
        return out

    result = {"numpy": (numpy_step, lambda: grads)}
    libraries = {"lean": make_engine(False), "checked": make_engine(True),
                 "minigrad": lambda x: minigrad.tensor(x, requires_grad=True)}
    for name, make in libraries.items():
        ta, tb, tc = (make(x.copy()) for x in arrays)
        if name != "minigrad":
            for t in (ta, tb, tc):
                t.requires_grad = True
        result[name] = ((lambda ta=ta, tb=tb, tc=tc: (ta * tb + tc).sum().backward()),
                        (lambda ts=(ta, tb, tc): [np.asarray(t.grad.data) for t in ts]))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds")
    parser.add_argument("--calls", type=int, default=20000, help="calls per round")
    args = parser.parse_args(argv)
    arrays = list(np.random.default_rng(1).uniform(-1, 1, (3, 1)))
    contenders = workloads(arrays)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, (step, _) in contenders.items():
            samples[name].append(timeit.timeit(step, number=args.calls) / args.calls)
    expected = contenders["numpy"][1]()
    base = statistics.median(samples["numpy"])
    print(f"B1-1, (a * b + c).sum() forward and backward, median of {args.rounds} rounds")
    ok = True
    for name, times in samples.items():
        agrees = all(np.allclose(g, e) for g, e in zip(contenders[name][1](), expected))
        ok &= agrees
        median = statistics.median(times)
        print(f"{name:10s} {median * 1e6:7.2f} us  {median / base:5.2f}x  "
              f"{'agrees' if agrees else 'DIFFERS'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
