"""minigrad.utils.data against torch.utils.data: batching, collation, shuffling, splits."""

import math
import warnings
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
import torch
import torch.utils.data as tdata
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def plain(obj):
    """A torch or minigrad batch as nested Python containers of NumPy arrays."""
    if isinstance(obj, (torch.Tensor, minigrad.Tensor)):
        return obj.detach().numpy()
    if isinstance(obj, dict):
        return type(obj)((key, plain(value)) for key, value in obj.items())
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(plain(value) for value in obj))
    if isinstance(obj, (list, tuple)):
        return type(obj)(plain(value) for value in obj)
    return obj


def assert_same(expected, actual):
    assert type(actual) is type(expected), (type(expected), type(actual))
    if isinstance(expected, np.ndarray):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        np.testing.assert_array_equal(actual, expected)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for e, a in zip(expected, actual, strict=True):
            assert_same(e, a)
    elif isinstance(expected, dict):
        assert list(actual) == list(expected)
        for key in expected:
            assert_same(expected[key], actual[key])
    else:
        assert actual == expected


def arrays(size, rng=None):
    rng = np.random.default_rng(0) if rng is None else rng
    return rng.standard_normal((size, 3, 2)), rng.integers(0, 5, size)


def datasets(x, y):
    """The same data as a minigrad and a torch TensorDataset."""
    return (TensorDataset(minigrad.from_numpy(x), minigrad.from_numpy(y)),
            tdata.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)))


# ---------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_indexes_every_tensor():
    x, y = arrays(6)
    dataset, _ = datasets(x, y)
    assert len(dataset) == 6
    sample = dataset[4]
    assert isinstance(sample, tuple) and len(sample) == 2
    np.testing.assert_array_equal(sample[0].numpy(), x[4])
    assert sample[1].item() == y[4]


def test_tensor_dataset_checks_its_tensors():
    with pytest.raises(ValueError, match=r"first dimensions are \[3, 4\].*\(3, 2\), \(4,\)"):
        TensorDataset(minigrad.zeros(3, 2), minigrad.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="ndarray at position 1"):
        TensorDataset(minigrad.zeros(3), np.zeros(3))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="0-d tensor at position 0"):
        TensorDataset(minigrad.tensor(1.0))


# ---------------------------------------------------------------------------- DataLoader
@settings(max_examples=30)
@given(st.integers(0, 23), st.integers(1, 8), st.booleans())
def test_batches_match_torch_when_not_shuffling(size, batch_size, drop_last):
    x, y = arrays(size)
    ours, theirs = datasets(x, y)
    loader = DataLoader(ours, batch_size=batch_size, drop_last=drop_last)
    reference = tdata.DataLoader(theirs, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(reference)
    batches = [plain(batch) for batch in loader]
    assert len(batches) == len(loader)
    assert_same([plain(batch) for batch in reference], batches)


class Records(Dataset):
    """Samples of every kind default_collate knows (the same for torch and minigrad)."""

    Pair = namedtuple("Pair", "left right")

    def __init__(self, tensor):
        self.tensor = tensor

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return {"int": i, "float": i / 2, "bool": i % 2 == 0, "str": f"s{i}",
                "array": np.arange(3, dtype=np.float32) * i, "scalar": np.int16(i),
                "tensor": self.tensor([i, -i]), "nested": (i, [i * 1.5, {"k": "v"}]),
                "named": self.Pair(i, np.float64(i)), "ordered": OrderedDict(b=i, a=-i)}


@pytest.mark.parametrize("batch_size, drop_last", [(1, False), (3, False), (3, True), (10, False)])
def test_default_collate_matches_torch(batch_size, drop_last):
    ours = DataLoader(Records(minigrad.tensor), batch_size, drop_last=drop_last)
    # torch's annotations ask for its Dataset class; any __getitem__ and __len__ work
    reference: tdata.DataLoader = tdata.DataLoader(
        Records(torch.tensor), batch_size, drop_last=drop_last)  # type: ignore[arg-type]
    batches = [plain(batch) for batch in ours]
    expected = [plain(batch) for batch in reference]
    assert isinstance(expected[0]["named"], Records.Pair)
    assert_same(expected, batches)
    assert batches[0]["float"].dtype == np.float64 and batches[0]["int"].dtype == np.int64


def test_default_collate_refuses_what_torch_refuses():
    with pytest.raises(TypeError, match="found <class 'NoneType'>"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="found <U1"):
        default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([minigrad.zeros(2), minigrad.zeros(3)])


def test_shuffle_draws_a_new_permutation_each_epoch():
    x = minigrad.arange(50)
    loader = DataLoader(TensorDataset(x, x * 2), batch_size=8, shuffle=True)
    epochs = []
    for _ in range(2):
        batches = list(loader)
        for features, labels in batches:  # rows stay together
            np.testing.assert_array_equal(labels.numpy(), features.numpy() * 2)
        epochs.append(np.concatenate([features.numpy() for features, _ in batches]))
        assert sorted(epochs[-1].tolist()) == list(range(50))
    assert not np.array_equal(epochs[0], epochs[1])
    assert not np.array_equal(epochs[0], np.arange(50))


def shuffled(generator=None, drop_last=False):
    x = minigrad.arange(20)
    loader = DataLoader(TensorDataset(x), batch_size=6, shuffle=True, drop_last=drop_last,
                        generator=generator)
    return [batch.numpy().tolist() for (batch,) in loader]


def test_manual_seed_repeats_shuffling():
    minigrad.manual_seed(3)
    first = shuffled()
    minigrad.manual_seed(3)
    assert shuffled() == first
    assert [len(batch) for batch in first] == [6, 6, 6, 2]
    assert shuffled() != first  # the default generator moved on


def test_a_generator_repeats_shuffling_and_leaves_the_default_alone():
    first = shuffled(minigrad.Generator().manual_seed(5))
    minigrad.manual_seed(0)
    expected = minigrad.rand(3).numpy()
    minigrad.manual_seed(0)
    assert shuffled(minigrad.Generator().manual_seed(5), drop_last=True) == first[:3]
    np.testing.assert_array_equal(minigrad.rand(3).numpy(), expected)


def test_custom_collate_fn_gets_the_list_of_samples():
    seen = []

    def collate(samples):
        seen.append(samples)
        return len(samples)

    dataset = TensorDataset(minigrad.arange(5))
    assert list(DataLoader(dataset, batch_size=2, collate_fn=collate)) == [2, 2, 1]
    assert all(isinstance(samples, list) for samples in seen)
    assert [int(sample[0]) for sample in seen[2]] == [4]


class Doubled(TensorDataset):
    """Changes how samples are read: the loader must not use the whole-batch shortcut."""

    def __getitem__(self, index):
        return tuple(item[index] * 2 for item in self.tensors)


def test_subclasses_that_change_getitem_are_read_sample_by_sample():
    dataset = Doubled(minigrad.arange(5))
    assert [batch.numpy().tolist() for (batch,) in DataLoader(dataset, batch_size=2)] == [
        [0, 2], [4, 6], [8]]


def test_tensor_datasets_are_read_a_batch_at_a_time(monkeypatch):
    calls = []
    original = TensorDataset.__getitem__

    def counting(self, index):
        calls.append(index)
        return original(self, index)

    monkeypatch.setattr(TensorDataset, "__getitem__", counting)
    x, y = arrays(30)
    dataset = datasets(x, y)[0]
    train, test = random_split(dataset, [20, 10])
    for source in (dataset, train):
        for shuffle in (False, True):
            batches = list(DataLoader(source, batch_size=7, shuffle=shuffle))
            assert sum(len(labels) for _, labels in batches) == len(source)
    assert calls == []
    # the shortcut gives exactly what sample-by-sample reading gives
    fast = [plain(batch) for batch in DataLoader(train, batch_size=7)]
    by_sample = DataLoader(train, batch_size=7, collate_fn=lambda batch: default_collate(batch))
    slow = [plain(batch) for batch in by_sample]
    assert_same(slow, fast)
    assert len(calls) == len(train)


def test_batches_keep_the_graph_of_tensors_requiring_grad():
    weights = minigrad.ones(5, 2, requires_grad=True)
    for (batch,) in DataLoader(TensorDataset(weights), batch_size=2, shuffle=True):
        (batch * 3).sum().backward()
    assert weights.grad is not None
    np.testing.assert_array_equal(weights.grad.numpy(), np.full((5, 2), 3.0))


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True, None])
def test_invalid_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(TensorDataset(minigrad.zeros(3)), batch_size=batch_size)


def test_num_workers_and_pin_memory_are_accepted():
    loader = DataLoader(TensorDataset(minigrad.arange(4)), 2, num_workers=2, pin_memory=True)
    assert [batch.numpy().tolist() for (batch,) in loader] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(TensorDataset(minigrad.arange(4)), num_workers=-1)


# ---------------------------------------------------------------------------- splits and joins
@settings(max_examples=30)
@given(st.integers(0, 40), st.lists(st.integers(1, 10), min_size=1, max_size=4))
def test_random_split_fractions_match_torch(size, weights):
    fractions = [w / sum(weights) for w in weights]
    if not (math.isclose(sum(fractions), 1) and sum(fractions) <= 1):
        fractions[-1] = 1 - sum(fractions[:-1])  # as a user would write them
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reference = tdata.random_split(tdata.TensorDataset(torch.arange(size)), fractions)
        except ValueError:
            with pytest.raises(ValueError):
                random_split(TensorDataset(minigrad.arange(size)), fractions)
            return
        splits = random_split(TensorDataset(minigrad.arange(size)), fractions)
    assert [len(split) for split in splits] == [len(split) for split in reference]
    seen = sorted(int(split[i][0]) for split in splits for i in range(len(split)))
    assert seen == list(range(size))


def test_random_split_lengths_and_errors():
    dataset = TensorDataset(minigrad.arange(10))
    first, second = random_split(dataset, [3, 7], generator=minigrad.Generator().manual_seed(1))
    assert isinstance(first, Subset) and (len(first), len(second)) == (3, 7)
    assert sorted([*first.indices, *second.indices]) == list(range(10))
    again, _ = random_split(dataset, [3, 7], generator=minigrad.Generator().manual_seed(1))
    assert again.indices == first.indices
    with pytest.raises(ValueError, match="sum to 9, but the dataset has 10"):
        random_split(dataset, [3, 6])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(dataset, [1.5, -0.5])
    with pytest.raises(ValueError, match="non-negative integers"):
        random_split(dataset, [2.5, 7.5])
    with pytest.warns(UserWarning, match="index 1 is 0"):
        random_split(TensorDataset(minigrad.arange(1)), [0.5, 0.5])


def test_subset_indexing():
    dataset = TensorDataset(minigrad.arange(10) * 10)
    subset = Subset(dataset, [7, 2, 5])
    assert len(subset) == 3
    assert int(subset[0][0]) == 70
    assert subset[[2, 0]][0].numpy().tolist() == [50, 70]


def test_concat_dataset():
    a = TensorDataset(minigrad.arange(3))
    b = TensorDataset(minigrad.arange(10, 14))
    both = a + b
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert [int(both[i][0]) for i in range(-7, 7)] == [0, 1, 2, 10, 11, 12, 13] * 2
    with pytest.raises(IndexError, match="out of range"):
        both[7]
    with pytest.raises(ValueError, match="at least one dataset"):
        ConcatDataset([])
    batches = [batch.numpy().tolist() for (batch,) in DataLoader(both, batch_size=4)]
    assert batches == [[0, 1, 2, 10], [11, 12, 13]]


def test_dataset_base_needs_getitem_and_len():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())
