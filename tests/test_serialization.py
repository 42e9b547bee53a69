"""minigrad.save / minigrad.load: bit-exact round trips, and refusal of foreign or crafted files."""

import io
import json
import math
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad.serialization import LoadError, load, save

DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int16, np.int32, np.int64, np.uint8,
          np.bool_]


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_kwargs)


def assert_same(expected, actual):
    """Equal values of the same types, floats and arrays compared bit by bit."""
    assert type(actual) is type(expected), (type(expected), type(actual))
    if isinstance(expected, minigrad.Tensor):
        expected = expected.detach().numpy()
        actual = actual.numpy()
    if isinstance(expected, (np.ndarray, np.generic)):
        assert actual.dtype == expected.dtype and actual.shape == expected.shape
        assert np.asarray(actual).tobytes() == np.ascontiguousarray(expected).tobytes()
    elif isinstance(expected, float):
        assert struct.pack("<d", actual) == struct.pack("<d", expected)
    elif isinstance(expected, (list, tuple)):
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected, strict=True):
            assert_same(e, a)
    elif isinstance(expected, dict):
        assert len(actual) == len(expected)
        for (key_a, value_a), (key_e, value_e) in zip(actual.items(), expected.items(),
                                                      strict=True):
            assert_same(key_e, key_a)
            assert_same(value_e, value_a)
    else:
        assert actual == expected


# ---------------------------------------------------------------------------- round trips
@settings(max_examples=40)
@given(hnp.arrays(st.sampled_from(DTYPES),
                  hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)))
def test_tensor_round_trip_is_bit_exact(array):
    tensor = minigrad.from_numpy(array)
    loaded = round_trip({"t": tensor, "a": array})
    assert_same({"t": tensor, "a": array}, loaded)
    assert loaded["t"].is_leaf and not loaded["t"].requires_grad and loaded["t"].grad is None


def test_nan_payloads_signed_zeros_and_infinities_survive():
    payloads: dict[type, np.ndarray] = {
        np.float16: np.array([0x7E01, 0xFC00, 0x7C00, 0x8000, 0x7D55], dtype=np.uint16),
        np.float32: np.array([0x7FC00001, 0xFFA00000, 0x7F800000, 0x80000000], dtype=np.uint32),
        np.float64: np.array([0x7FF8000000000001, 0xFFF4000000000000, 0x8000000000000000],
                             dtype=np.uint64),
    }
    state = {np.dtype(dtype).name: minigrad.from_numpy(bits.view(dtype))
             for dtype, bits in payloads.items()}
    loaded = round_trip(state)
    for dtype, bits in payloads.items():
        np.testing.assert_array_equal(loaded[np.dtype(dtype).name].numpy().view(bits.dtype), bits)


@settings(max_examples=40)
@given(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(), st.text())
def test_python_scalars_round_trip_exactly(number, integer, flag, text):
    obj = [number, integer, flag, text, None, 2**100, -(2**70)]
    assert_same(obj, round_trip(obj))


KEYS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False),
                 st.text(max_size=3), st.tuples(st.integers(0, 3), st.text(max_size=2)))
LEAVES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_side=3)),
    hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_side=3))
    .map(minigrad.from_numpy),
    st.sampled_from([np.float32(1.5), np.float64(-0.0), np.int64(-3), np.bool_(True),
                     np.float16(np.inf), np.complex128(1 - 2j)]),
)
NESTED = st.recursive(LEAVES, lambda children: st.one_of(
    st.lists(children, max_size=3), st.lists(children, max_size=3).map(tuple),
    st.dictionaries(KEYS, children, max_size=3),
    st.dictionaries(st.text(max_size=3), children, max_size=3).map(OrderedDict),
), max_leaves=12)


@settings(max_examples=40)
@given(NESTED)
def test_nested_structures_round_trip_with_their_types(obj):
    assert_same(obj, round_trip(obj))


def test_integer_keys_and_tuples_keep_their_types():
    obj = {0: {"step": 3}, 1: (0.9, 0.999), (1, "a"): [(), ((),)], (True, None): None, 2.5: "x",
           None: OrderedDict(b=1, a=2)}
    loaded = round_trip(obj)
    assert_same(obj, loaded)
    assert list(loaded) == [0, 1, (1, "a"), (True, None), 2.5, None]


def to_minigrad(obj):
    """A torch state dict with its tensors turned into minigrad tensors."""
    if isinstance(obj, torch.Tensor):
        return minigrad.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return type(obj)((key, to_minigrad(value)) for key, value in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_minigrad(value) for value in obj)
    return obj


@pytest.mark.parametrize("make", [
    lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    lambda params: torch.optim.Adam(params, lr=1e-3, betas=(0.8, 0.99), amsgrad=True),
])
def test_optimizer_and_model_state_dicts_round_trip(make, tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    model.double()
    optimizer = make(model.parameters())
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(5, 3, dtype=torch.float64)).pow(2).sum().backward()
        optimizer.step()
    checkpoint = {"model": to_minigrad(model.state_dict()),
                  "optimizer": to_minigrad(optimizer.state_dict()), "epoch": 7}
    assert isinstance(checkpoint["optimizer"]["state"][0], dict)  # integer keys, as in torch
    path = tmp_path / "checkpoint.pt"
    save(checkpoint, path)
    assert_same(checkpoint, load(path))
    assert_same(checkpoint, load(str(path), map_location="cpu", weights_only=True))


def test_tensors_requiring_grad_load_as_plain_leaves():
    weight = minigrad.randn(3, 2, requires_grad=True)
    (weight * 2).sum().backward()
    loaded = round_trip(OrderedDict(weight=weight, view=weight.detach().T))
    assert not loaded["weight"].requires_grad and loaded["weight"].grad is None
    np.testing.assert_array_equal(loaded["weight"].numpy(), weight.detach().numpy())
    np.testing.assert_array_equal(loaded["view"].numpy(), weight.detach().numpy().T)


def test_a_tensor_stored_twice_loads_as_one_tensor():
    shared = minigrad.ones(2)
    loaded = round_trip({"a": shared, "b": [shared], "c": minigrad.ones(2)})
    assert loaded["a"] is loaded["b"][0]
    assert loaded["c"] is not loaded["a"]


def test_paths_are_written_as_given(tmp_path):
    path = tmp_path / "weights.pt"
    save({"w": minigrad.ones(1)}, str(path))
    assert [p.name for p in tmp_path.iterdir()] == ["weights.pt"]
    assert list(np.load(path, allow_pickle=False).files)[0] == "minigrad.json"


class Stream(io.RawIOBase):
    """A file object that can only read or only write, with no seek and no tell."""

    def __init__(self, data=b""):
        self.source = io.BytesIO(data)
        self.written = bytearray()

    def readable(self):
        return True

    def writable(self):
        return True

    def readinto(self, buffer):
        data = self.source.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def write(self, data):
        self.written += data
        return len(data)


def test_unseekable_file_objects():
    obj = {"x": minigrad.arange(5), "y": [1.5, "s"]}
    out = Stream()
    save(obj, out)
    assert_same(obj, load(Stream(bytes(out.written))))


def test_open_files_are_left_open(tmp_path):
    with open(tmp_path / "f.pt", "wb") as file:
        save([1, 2], file)
        assert not file.closed
    with open(tmp_path / "f.pt", "rb") as file:
        assert load(file) == [1, 2]
        assert not file.closed


@pytest.mark.parametrize("obj, error, match", [
    (object(), TypeError, "object of type object"),
    ({"a": {1, 2}}, TypeError, r"obj\['a'\], an object of type set"),
    ({("a", frozenset([1])): 1}, TypeError, "key"),
    ({minigrad.ones(1): 1}, TypeError, "key"),
    (np.array(["a"]), TypeError, "dtype <U1"),
    (np.array([None]), TypeError, "dtype object"),
    (b"bytes", TypeError, "bytes"),
])
def test_save_refuses_what_it_cannot_store(obj, error, match):
    with pytest.raises(error, match=match):
        save(obj, io.BytesIO())


def test_save_refuses_cycles():
    cycle: list = [1]
    cycle.append({"again": cycle})
    with pytest.raises(ValueError, match="reference cycle"):
        save(cycle, io.BytesIO())


# ---------------------------------------------------------------------------- refusals
@pytest.fixture
def marker(tmp_path):
    """A path that a crafted pickle creates when it is unpickled, and a payload doing it."""
    path = tmp_path / "code-was-run"

    class Exploit:
        def __reduce__(self):
            return exec, (f"open({str(path)!r}, 'w').close()",)

    payload = pickle.dumps(Exploit())
    pickle.loads(payload)  # the payload is live: unpickling it runs code
    assert path.exists()
    path.unlink()
    return path, Exploit


def refused(path, match):
    """Load ``path`` expecting a LoadError that names the file and matches ``match``."""
    with pytest.raises(LoadError, match=match) as info:
        load(path, weights_only=False)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)
    return info


def test_pickle_files_are_refused_without_running_them(tmp_path, marker):
    flag, exploit = marker
    path = tmp_path / "evil.pkl"
    path.write_bytes(pickle.dumps({"weight": exploit()}))
    refused(path, "pickle file")
    assert not flag.exists()


def test_torch_checkpoints_are_refused_without_running_them(tmp_path, marker):
    flag, exploit = marker
    path = tmp_path / "model.pt"
    torch.save({"weight": torch.ones(2), "hook": exploit()}, path)
    refused(path, "PyTorch checkpoint")
    assert not flag.exists()


def write_archive(path, index, arrays=(), raw=()):
    """A zip laid out like a checkpoint: ``index`` (JSON-encoded unless bytes) and arrays."""
    with zipfile.ZipFile(path, "w") as archive:
        if index is not None:
            archive.writestr("minigrad.json", index if isinstance(index, bytes)
                             else json.dumps(index))
        for name, array in arrays:
            with archive.open(f"{name}.npy", "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=True)
        for name, data in raw:
            archive.writestr(name, data)
    return path


def checkpoint_of(root):
    return {"format": "minigrad", "version": 1, "root": root}


def test_object_arrays_are_refused_without_running_them(tmp_path, marker):
    flag, exploit = marker
    payload = np.array([exploit()], dtype=object)
    node = {"type": "tensor", "array": "a0", "dtype": "|O", "shape": [1]}
    path = write_archive(tmp_path / "objects.pt", checkpoint_of(node), [("a0", payload)])
    refused(path, "'a0'.*pickle")
    as_index = write_archive(tmp_path / "index.pt", None, [("minigrad.json", payload)])
    refused(as_index, "minigrad.json")
    assert not flag.exists()


@pytest.mark.parametrize("content, match", [
    (b"", "is empty"),
    (np.random.default_rng(0).bytes(300), "not a zip archive"),
    (b"\x93NUMPY\x01\x00", "single NumPy .npy"),
    (b"PK\x03\x04" + bytes(100), "damaged zip"),
])
def test_foreign_bytes_are_refused(tmp_path, content, match):
    path = tmp_path / "file.bin"
    path.write_bytes(content)
    refused(path, match)


def test_plain_npz_is_refused(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, weight=np.ones(3))
    refused(path, "without minigrad's index.*weight")


TENSOR = {"type": "tensor", "array": "a0", "dtype": "<f4", "shape": [2]}


@pytest.mark.parametrize("index, match", [
    (b"\xff not json", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ({"format": "other", "version": 1, "root": None}, "marker"),
    ({"format": "minigrad", "version": 2, "root": {"type": "none"}}, "version 2"),
    (checkpoint_of({"type": "pickle", "data": "gASVAAA="}), "unknown node"),
    (checkpoint_of({"type": "__reduce__"}), "unknown node"),
    (checkpoint_of([1, 2]), "unknown node"),
    (checkpoint_of({"type": "int", "value": True}), "needs a int"),
    (checkpoint_of({"type": "int", "value": "1"}), "needs a int"),
    (checkpoint_of({"type": "float", "bits": 2**64}), "64 bits"),
    (checkpoint_of({"type": "list", "items": {"a": 1}}), "needs a list"),
    (checkpoint_of({"type": "dict", "items": [[{"type": "none"}]]}), r"\[key, value\] pair"),
    (checkpoint_of({"type": "dict", "items": [[{"type": "list", "items": []},
                                              {"type": "none"}]]}), "key must be"),
    (checkpoint_of({"type": "dict", "items": [[TENSOR, {"type": "none"}]]}), "key must be"),
    (checkpoint_of({**TENSOR, "array": "a9"}), "no array 'a9'"),
    (checkpoint_of({**TENSOR, "array": "minigrad.json"}), "no array"),
    (checkpoint_of({**TENSOR, "shape": [3]}), "index says"),
    (checkpoint_of({**TENSOR, "dtype": "<f8"}), "index says"),
    (checkpoint_of({**TENSOR, "type": "numpy_scalar"}), "shape"),
    (checkpoint_of({**TENSOR, "array": "a1", "dtype": "<u2"}), "do not support"),
    (checkpoint_of({**TENSOR, "array": "raw"}), "no array"),
])
def test_crafted_indexes_are_refused(tmp_path, index, match):
    arrays = [("a0", np.ones(2, np.float32)), ("a1", np.ones(2, np.uint16))]
    path = write_archive(tmp_path / "crafted.pt", index, arrays, raw=[("raw", b"data")])
    refused(path, match)


@pytest.mark.parametrize("depth, match", [(300, "nested too deeply"), (5000, "not valid JSON")])
def test_deeply_nested_index_is_refused(tmp_path, depth, match):
    root = '{"type": "list", "items": [' * depth + '{"type": "none"}' + "]}" * depth
    text = '{"format": "minigrad", "version": 1, "root": ' + root + "}"
    path = write_archive(tmp_path / "deep.pt", text.encode())
    refused(path, match)


def test_big_endian_arrays_load_as_native_tensors(tmp_path):
    values = np.array([1.5, -2.0], dtype=">f4")
    node = {"type": "tensor", "array": "a0", "dtype": ">f4", "shape": [2]}
    loaded = load(write_archive(tmp_path / "be.pt", checkpoint_of(node), [("a0", values)]))
    assert loaded.dtype == minigrad.float32
    np.testing.assert_array_equal(loaded.numpy(), [1.5, -2.0])


def test_files_saved_by_minigrad_carry_the_marker_and_version():
    buffer = io.BytesIO()
    save({"lr": 0.1}, buffer)
    index = json.loads(zipfile.ZipFile(buffer).read("minigrad.json"))
    assert (index["format"], index["version"]) == ("minigrad", 1)
    assert math.isclose(round_trip({"lr": 0.1})["lr"], 0.1)


def test_minigrad_model_and_optimizer_resume_exactly(tmp_path):
    from minigrad import nn, optim

    def build():
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        return model, optim.Adam(model.parameters(), lr=0.01, amsgrad=True)

    def step(model, optimizer, inputs):
        optimizer.zero_grad()
        model(inputs).pow(2).sum().backward()
        optimizer.step()

    inputs = minigrad.randn(5, 3)
    model, optimizer = build()
    step(model, optimizer, inputs)
    save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "c.pt")
    checkpoint = load(tmp_path / "c.pt")
    assert_same(model.state_dict(), checkpoint["model"])
    assert_same(optimizer.state_dict(), checkpoint["optimizer"])
    resumed, resumed_optimizer = build()
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    step(model, optimizer, inputs)
    step(resumed, resumed_optimizer, inputs)
    for (name, expected), actual in zip(model.state_dict().items(),
                                        resumed.state_dict().values(), strict=True):
        assert actual.detach().numpy().tobytes() == expected.detach().numpy().tobytes(), name
