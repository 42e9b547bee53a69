"""``__getitem__`` and ``__setitem__`` against torch: values, gradients, second derivatives.

Indices are drawn by hypothesis: ints (negative too), slices with positive steps (torch
has no negative steps), None, Ellipsis, integer arrays with repeated entries (their
gradients accumulate), boolean masks, and mixtures. Writes go through ``x = a.clone();
x[index] = b``, which the graph records, so gradients reach both ``a`` and ``b``.
"""

from __future__ import annotations

from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_ops import Case, assert_same, compare_with_torch, seeds  # the shared helper

import minigrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("error")


def as_index(lib: Any, index: Any) -> Any:
    """Turn the arrays inside an index into each library's tensors."""
    if isinstance(index, tuple):
        return tuple(as_index(lib, i) for i in index)
    if isinstance(index, np.ndarray):
        return lib.tensor(index)
    return index


def selected_shape(shape: tuple[int, ...], index: Any) -> tuple[int, ...]:
    """The shape of ``x[index]``, as torch says (NumPy orders mixed indices differently)."""
    return tuple(torch.empty(shape)[as_index(torch, index)].shape)


@st.composite
def indices(draw: Any, *, unique: bool = False) -> tuple[tuple[int, ...], Any]:
    """A shape and an index into it mixing ints, slices, None, Ellipsis, integer arrays
    (repeats allowed unless ``unique``) and boolean masks."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    array_shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=3))
    items: list[Any] = []
    dim = 0
    while dim < len(shape):
        size = shape[dim]
        kind = draw(st.sampled_from(["int", "slice", "full", "array", "mask", "none"]))
        if kind == "none":
            items.append(None)
            continue
        if kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "slice":
            start, stop = draw(st.integers(-size - 1, size + 1)), draw(st.integers(-size, size))
            items.append(slice(start, stop, draw(st.integers(1, 3))))
        elif kind == "full":
            items.append(slice(None))
        elif kind == "array":
            if unique:
                count = int(np.prod(array_shape))
                assume(count <= size)
                picks = draw(st.permutations(range(size)))[:count]
                items.append(np.array(picks, dtype=np.int64).reshape(array_shape))
            else:
                items.append(draw(hnp.arrays(np.int64, array_shape,
                                             elements=st.integers(-size, size - 1))))
        else:  # a mask over this dim and maybe the next
            span = draw(st.integers(1, len(shape) - dim))
            items.append(draw(hnp.arrays(np.bool_, shape[dim:dim + span])))
            dim += span - 1
        dim += 1
    if draw(st.booleans()):  # an Ellipsis in place of the trailing full slices
        while items and isinstance(items[-1], slice) and items[-1] == slice(None):
            items.pop()
        items.append(Ellipsis)
    return shape, tuple(items)


def _broadcasts(index: Any) -> bool:
    """Whether the index's integer arrays and masks broadcast together (else torch and
    NumPy both refuse it, for the same reason)."""
    arrays = [np.nonzero(i)[0] if i.dtype == np.bool_ else i
              for i in index if isinstance(i, np.ndarray)]
    try:
        np.broadcast_shapes(*[a.shape for a in arrays])
    except ValueError:
        return False
    return True


def getitem(lib: Any, x: Any, index: Any) -> Any:
    return x[as_index(lib, index)]


@settings(max_examples=60)
@given(drawn=indices(), seed=seeds)
def test_getitem_matches_torch(drawn: tuple[tuple[int, ...], Any], seed: int) -> None:
    shape, index = drawn
    assume(_broadcasts(index) and all(
        np.nonzero(i)[0].ndim for i in index if isinstance(i, np.ndarray)))
    values = np.random.default_rng(seed).standard_normal(shape)
    compare_with_torch(getitem, Case((values,), {"index": index}))


INDICES = {  # readable cases beside the drawn ones
    "repeated": [0, 0, 2, 0],
    "repeated_tensor": np.array([[1, 1], [1, 0]]),
    "negative": [-1, -3],
    "empty": np.zeros(0, dtype=np.int64),
    "mask": np.array([True, False, True]),
    "mask_2d": np.array([[True, False], [False, True], [True, True]]),
    "all_false": np.zeros(3, dtype=bool),
    "two_arrays": (np.array([0, 2, 2]), np.array([1, 1, 0])),
    "array_then_slice": (np.array([2, 0, 2]), slice(None, None, 2)),
    "slice_then_array": (slice(1, None), np.array([1, 1])),
    "split_arrays": (np.array([0, 1]), slice(None), np.array([0, 0])),
    "ellipsis_array": (Ellipsis, np.array([1, 0, 1])),
    "none_and_int": (None, 1, None),
    "int_slice_array": (1, slice(None), np.array([1, 1, 0])),  # torch: (2, 3), NumPy: (3, 2)
    "array_slice_int": (np.array([[2], [0]]), slice(None), 0),
    "mask_int": (np.array([[True, False], [False, True], [True, True]]), -1),
    "int_mask": (0, np.array([True, False])),
    "int_int": (2, -1),
    "ellipsis": Ellipsis,
    "empty_tuple": (),
    # bare ints and slices take getitem's short path; bools and NumPy ints do not
    "int": 1,
    "negative_int": -1,
    "slice": slice(1, None),
    "step_slice": slice(None, None, 2),
    "empty_slice": slice(2, 1),
    "numpy_int": np.int64(2),
    "true": True,
    "false": False,
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_cases_match_torch(name: str) -> None:
    values = np.random.default_rng(0).standard_normal((3, 2, 2))
    index = INDICES[name]
    index = index if not isinstance(index, list) else np.array(index)
    compare_with_torch(getitem, Case((values,), {"index": index}))


def test_repeated_indices_accumulate_gradients() -> None:
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    (y[minigrad.tensor([1, 1]), minigrad.tensor([0, 0])] * minigrad.tensor([2.0, 5.0])).sum() \
        .backward()
    assert y.grad.tolist() == [[0.0, 0.0], [7.0, 0.0]]


@pytest.mark.parametrize("index", [(), None, Ellipsis, (None, Ellipsis)],
                         ids=["empty_tuple", "none", "ellipsis", "none_ellipsis"])
def test_getitem_of_a_0d_tensor(index: Any) -> None:
    compare_with_torch(getitem, Case((np.array(1.5),), {"index": index}))


@pytest.mark.parametrize("index", [[0, 1], np.array([1, 0]), (0, [1, 1])],
                         ids=["list", "numpy", "tuple_with_list"])
def test_lists_and_numpy_arrays_index_like_tensors(index: Any) -> None:
    values = np.arange(6.0).reshape(2, 3)
    mine = minigrad.tensor(values)[index]
    assert_same(mine, torch.tensor(values)[index], "index")


@pytest.mark.parametrize("shape, index", [((3,), 1), ((2, 3), (0, -1)), ((2, 3), 1),
                                          ((2, 3), slice(1, None)), ((), ())],
                         ids=["int", "ints", "row", "slice", "0d"])
def test_basic_indexing_gives_a_view_as_in_torch(shape: tuple[int, ...], index: Any) -> None:
    """Ints and slices select a view: writes show through both ways, with one version
    counter (NumPy itself gives a copy when ints take every dim)."""
    seen = []
    for lib in (minigrad, torch):
        base = lib.tensor(np.arange(float(np.prod(shape))).reshape(shape))
        view = base[index]
        base.add_(1)
        view.mul_(10)
        seen.append((base.tolist(), view.tolist(), base._version, view._version))
    assert seen[0] == seen[1]


def test_bad_indices_raise_index_error() -> None:
    x = minigrad.ones(2, 3)
    for index in [(2,), (0, 3), (minigrad.tensor([0, 5]),), (-3,), 2, -3]:
        with pytest.raises(IndexError, match=r"\(2, 3\)"):
            x[index]
    with pytest.raises(IndexError, match="float"):
        x[minigrad.tensor([0.0])]


# ---------------------------------------------------------------------- setitem
def setitem(lib: Any, a: Any, b: Any, index: Any) -> Any:
    x = a.clone()
    x[as_index(lib, index)] = b
    return x * x  # uses the written values nonlinearly: second derivatives see them


def setitem_scalar(lib: Any, a: Any, index: Any) -> Any:
    x = a * 1.0
    x[as_index(lib, index)] = 2.5
    return x.exp()


@settings(max_examples=50)
@given(drawn=indices(unique=True), data=st.data())
def test_setitem_matches_torch(drawn: tuple[tuple[int, ...], Any], data: Any) -> None:
    """``x = a.clone(); x[index] = b``: gradients reach ``a`` (where not overwritten) and
    ``b`` (summed where it was broadcast)."""
    shape, index = drawn
    assume(_broadcasts(index))
    target = selected_shape(shape, index)
    kept = target[len(target) - data.draw(st.integers(0, len(target)), label="value dims"):]
    value_shape = tuple(1 if data.draw(st.booleans(), label="broadcast") else n for n in kept)
    rng = np.random.default_rng(data.draw(seeds, label="seed"))
    a, b = rng.standard_normal(shape), rng.standard_normal(value_shape)
    compare_with_torch(setitem, Case((a, b), {"index": index}))
    compare_with_torch(setitem_scalar, Case((a,), {"index": index}))


@pytest.mark.parametrize("name", ["int_slice_array", "array_slice_int", "two_arrays", "mask"])
def test_setitem_cases_match_torch(name: str) -> None:
    rng = np.random.default_rng(1)
    a = rng.standard_normal((3, 2, 2))
    index = {  # no repeated positions: which write wins is unspecified
        "two_arrays": (np.array([0, 2, 1]), np.array([1, 1, 0])),
        "int_slice_array": (1, slice(None), np.array([1, 0])),
    }.get(name, INDICES[name])
    b = rng.standard_normal(selected_shape(a.shape, index)[1:])  # broadcast over dim 0
    compare_with_torch(setitem, Case((a, b), {"index": index}))


def test_setitem_into_a_tensor_without_grad_records_the_value() -> None:
    results = []
    for lib in (minigrad, torch):
        value = lib.tensor([1.5, -2.0], requires_grad=True)
        x = lib.zeros(2, 3)
        x[:, 1] = value
        assert x.requires_grad and not x.is_leaf
        (x * lib.arange(6.0).reshape(2, 3)).sum().backward()
        results.append(value.grad)
    assert_same(results[0], results[1], "gradient of the written value")


def test_setitem_rules() -> None:
    leaf = minigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf[0] = 2.0
    with minigrad.no_grad():
        leaf[0] = 2.0
    assert leaf.tolist() == [2.0, 1.0, 1.0]
    x = leaf * 1.0
    y = x * x  # saves x
    x[1] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    with pytest.raises(RuntimeError, match=r"\(3,\)"):
        minigrad.zeros(3)[0:2] = minigrad.ones(3)
