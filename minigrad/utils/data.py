"""Datasets and minibatches, as in ``torch.utils.data``.

A :class:`Dataset` maps an index to a sample; a :class:`DataLoader` draws the indices (in
order, or shuffled by minigrad's seeded generator), groups them into batches and collates
each batch into tensors with :func:`default_collate`. A :class:`TensorDataset` (alone or
inside a :class:`Subset`) is sliced a whole batch at a time, with one NumPy fancy index per
tensor, so iterating minibatches costs no Python loop over the samples.

Examples
--------
>>> dataset = TensorDataset(features, labels)
>>> train, test = random_split(dataset, [0.8, 0.2])
>>> for x, y in DataLoader(train, batch_size=32, shuffle=True):
...     loss = loss_fn(model(x), y)
"""

from __future__ import annotations

import bisect
import copy
import itertools
import math
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping, MutableSequence, Sequence
from typing import Any, Generic, TypeVar

import numpy as np

from minigrad import ops
from minigrad.creation import as_array, randperm, tensor
from minigrad.dtypes import float64
from minigrad.random import Generator, get_rng
from minigrad.tensor import Tensor, _new

__all__ = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset",
           "default_collate", "random_split"]

T_co = TypeVar("T_co", covariant=True)
BatchReader = Callable[[np.ndarray], Any]


class Dataset(Generic[T_co]):
    """A map from indices to samples: subclasses define ``__getitem__`` and ``__len__``.

    ``dataset_a + dataset_b`` is their :class:`ConcatDataset`.
    """

    def __getitem__(self, index: int) -> T_co:
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        return ConcatDataset([self, other])


class TensorDataset(Dataset[tuple[Tensor, ...]]):
    """The rows of tensors of equal length: ``dataset[i]`` is ``(t[i] for t in tensors)``.

    Examples
    --------
    >>> dataset = TensorDataset(minigrad.randn(100, 3), minigrad.randint(0, 2, (100,)))
    >>> x, y = dataset[0]
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        for position, item in enumerate(tensors):
            if not isinstance(item, Tensor) or item.ndim == 0:
                what = ("a 0-d tensor" if isinstance(item, Tensor)
                        else f"a {type(item).__name__}")
                raise TypeError(f"TensorDataset expects tensors with a first dimension, got "
                                f"{what} at position {position}")
        sizes = [item.shape[0] for item in tensors]
        if len(set(sizes)) > 1:
            raise ValueError(f"TensorDataset: size mismatch between tensors: their first "
                             f"dimensions are {sizes}, shapes "
                             f"{[tuple(item.shape) for item in tensors]}")
        self.tensors = tensors

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(item[index] for item in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch_reader(self) -> BatchReader:
        # what default_collate makes of the samples, as a list like PyTorch's
        return lambda indices: [item[indices] for item in self.tensors]


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]  # type: ignore[index]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        return len(self.indices)

    def _batch_reader(self) -> BatchReader | None:
        read = _reader(self.dataset)
        if read is None:
            return None
        positions = np.asarray(self.indices, dtype=np.int64)
        return lambda indices: read(positions[indices])


class ConcatDataset(Dataset[T_co]):
    """The datasets one after the other."""

    def __init__(self, datasets: Sequence[Dataset[T_co]]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        size = len(self)
        if not -size <= index < size:
            raise IndexError(f"index {index} is out of range for a ConcatDataset of {size}")
        index %= size
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _reader(dataset: Any) -> BatchReader | None:
    """A function reading the collated batch for an index array at once, if ``dataset`` has one.

    Datasets offer it with a ``_batch_reader()`` method (which may return None). It is used
    only when the class defining that method also defines the ``__getitem__`` in use, so a
    subclass that changes how samples are read is read sample by sample.
    """
    for klass in type(dataset).__mro__:
        if "__getitem__" in vars(klass) or "_batch_reader" in vars(klass):
            if "_batch_reader" in vars(klass):
                return dataset._batch_reader()
            return None
    return None


def random_split(dataset: Dataset[T_co], lengths: Sequence[int | float],
                 generator: Generator | None = None) -> list[Subset[T_co]]:
    """Split ``dataset`` at random into non-overlapping subsets of the given lengths.

    ``lengths`` may be fractions summing to 1: each split then gets
    ``floor(fraction * len(dataset))`` samples and the remainder is dealt out one by one
    from the first split, as in PyTorch.

    Examples
    --------
    >>> generator = minigrad.Generator().manual_seed(0)
    >>> train, test = random_split(dataset, [0.8, 0.2], generator=generator)
    """
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
        counts = [math.floor(total * fraction) for fraction in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an "
                              "empty dataset.", stacklevel=2)
    else:
        counts = [int(length) for length in lengths]
        if any(count != length or count < 0 for count, length in zip(counts, lengths, strict=True)):
            raise ValueError(f"random_split: lengths must be non-negative integers or "
                             f"fractions summing to 1, got {list(lengths)}")
    if sum(counts) != total:
        raise ValueError(f"random_split: the lengths {list(lengths)} sum to {sum(counts)}, "
                         f"but the dataset has {total} samples")
    order = randperm(total, generator=generator).tolist()
    starts = [0, *itertools.accumulate(counts)]
    return [Subset(dataset, order[start:stop]) for start, stop in itertools.pairwise(starts)]


_UNCOLLATABLE = re.compile(r"[SaUO]")  # string, bytes and object arrays
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as PyTorch's ``default_collate`` does.

    Tensors and NumPy arrays are stacked along a new first dim; Python ints and bools become
    an int64 or bool tensor, floats a float64 tensor, NumPy scalars a tensor of their dtype;
    strings are kept as the list; dicts are collated key by key, and sequences position by
    position (a batch of tuples gives a list, like PyTorch; named tuples keep their type).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return ops.stack(batch, 0)
    if isinstance(elem, np.ndarray):
        if _UNCOLLATABLE.search(elem.dtype.str):
            raise TypeError(_COLLATE_ERROR.format(elem.dtype))
        return _new(as_array(np.stack(batch), copy=False))
    if isinstance(elem, (np.bool_, np.number)):
        return _new(as_array(np.asarray(batch), copy=False))
    if isinstance(elem, float):
        return tensor(batch, dtype=float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, Mapping):
        collated = {key: default_collate([sample[key] for sample in batch]) for key in elem}
        try:
            if isinstance(elem, MutableMapping):
                mapping = copy.copy(elem)
                mapping.update(collated)
                return mapping
            return type(elem)(collated)  # type: ignore[call-arg]
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a named tuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch, strict=True)))
    if isinstance(elem, Sequence):
        sizes = {len(sample) for sample in batch}
        if len(sizes) > 1:
            raise RuntimeError(f"each element in list of batch should be of equal size, got "
                               f"sizes {sorted(sizes)}")
        columns = [default_collate(samples) for samples in zip(*batch, strict=True)]
        if isinstance(elem, tuple):
            return columns
        try:
            if isinstance(elem, MutableSequence):
                sequence = copy.copy(elem)
                sequence[:] = columns
                return sequence
            return type(elem)(columns)  # type: ignore[call-arg]
        except TypeError:
            return columns
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


class DataLoader:
    """Iterate over a dataset in minibatches.

    Parameters
    ----------
    dataset : Dataset
        Anything with ``__getitem__`` and ``__len__``.
    batch_size : int
        Samples per batch (the last batch may be smaller, see ``drop_last``).
    shuffle : bool
        Draw a new random order every epoch, from ``generator`` or, when it is None, from
        minigrad's default generator (so that ``minigrad.manual_seed`` repeats runs).
    drop_last : bool
        Leave out the last batch when it is smaller than ``batch_size``.
    collate_fn : callable, optional
        Merges a list of samples into a batch; :func:`default_collate` when None.
    generator : minigrad.Generator, optional
        The source of the shuffling order.
    num_workers, pin_memory
        Accepted for compatibility with PyTorch and ignored: batches are read in the
        calling process (the whole-batch indexing of tensor datasets is fast anyway).

    Examples
    --------
    >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    >>> for xb, yb in loader:
    ...     ...
    """

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False, *,
                 drop_last: bool = False, collate_fn: Callable[[list[Any]], Any] | None = None,
                 generator: Generator | None = None, num_workers: int = 0,
                 pin_memory: bool = False) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative; "
                             f"got {num_workers!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.drop_last = drop_last
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.generator = generator
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        size = len(self.dataset)
        return size // self.batch_size if self.drop_last else -(-size // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        size = len(self.dataset)
        order = get_rng(self.generator).permutation(size) if self.shuffle else np.arange(size)
        read = _reader(self.dataset) if self.collate_fn is default_collate else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if read is not None:
                yield read(indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices.tolist()])
