"""``save`` and ``load`` without pickle: a zip of ``.npy`` arrays plus a JSON index.

A checkpoint is an ordinary ``.npz`` archive (``numpy.load`` opens it) holding

- ``minigrad.json``: the index, ``{"format": "minigrad", "version": 1, "root": node}``, where
  each node describes one object: ``{"type": "int", "value": 3}``,
  ``{"type": "tensor", "array": "a0", "dtype": "<f4", "shape": [2, 3]}``,
  ``{"type": "dict", "items": [[key_node, value_node], ...]}``, ...;
- ``a0.npy``, ``a1.npy``, ...: the arrays, written and read with ``allow_pickle=False``.

Loading never unpickles and never imports or calls anything named by the file: the index
is plain JSON, only known node types are accepted, and arrays are read with
``allow_pickle=False``, so an object array (the only way a ``.npy`` can carry code) is
refused. PyTorch checkpoints and pickle files are refused with a message that says so.
"""

from __future__ import annotations

import io
import json
import os
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import numpy as np

from minigrad import dtypes
from minigrad.tensor import Tensor, _new

__all__ = ["LoadError", "load", "save"]

FileLike = str | os.PathLike[str] | IO[bytes] | io.IOBase

FORMAT = "minigrad"
VERSION = 1
INDEX = "minigrad.json"
_ARRAY_KINDS = "biufc"  # bool, integers, floats, complex: never objects, strings or records


class LoadError(ValueError):
    """``minigrad.load`` was given a file that is not a valid minigrad checkpoint."""


# ---------------------------------------------------------------------------- save
def save(obj: Any, f: FileLike) -> None:
    """Save ``obj`` (a state dict, or any nesting of the types below) to a file.

    ``obj`` may nest dicts (any hashable keys made of None, bool, int, float, str and tuples
    of them), lists and tuples, holding tensors, NumPy arrays and scalars, Python numbers,
    strings and None. Values round-trip bit-exactly, with their types: an ``OrderedDict``
    comes back as one, other dict, list and tuple subclasses come back as their base type.
    A tensor reached twice is stored once and loaded as one tensor. Tensors are stored
    without their graph and ``requires_grad`` (``nn.Parameter`` becomes a plain tensor).

    Parameters
    ----------
    obj : object
        What to save.
    f : str, os.PathLike or binary file object
        Where to write. A path is written as given (no suffix is added).

    Examples
    --------
    >>> minigrad.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, "ckpt.pt")
    >>> checkpoint = minigrad.load("ckpt.pt")
    """
    arrays: list[np.ndarray] = []
    root = _Encoder(arrays).encode(obj, "obj")
    index = json.dumps({"format": FORMAT, "version": VERSION, "root": root})
    with _opened(f, "wb") as file, zipfile.ZipFile(file, "w", allowZip64=True) as archive:
        archive.writestr(INDEX, index)
        for number, array in enumerate(arrays):
            with archive.open(f"{_array_name(number)}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


def _array_name(number: int) -> str:
    return f"a{number}"


class _Encoder:
    """Turns an object into index nodes, collecting its arrays."""

    def __init__(self, arrays: list[np.ndarray]) -> None:
        self.arrays = arrays
        self.stored: dict[int, str] = {}  # id of a tensor or array -> the name it is stored as
        self.open: set[int] = set()  # ids of the containers being encoded, to catch cycles

    def encode(self, obj: Any, where: str) -> dict[str, Any]:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, np.generic):  # before the numbers: np.float64 is a float
            return self.array("numpy_scalar", obj, np.asarray(obj), where)
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            # the bit pattern keeps -0.0, inf and every NaN exactly
            return {"type": "float", "bits": struct.unpack("<q", struct.pack("<d", obj))[0]}
        if isinstance(obj, str):
            return {"type": "str", "value": str(obj)}
        if isinstance(obj, Tensor):
            return self.array("tensor", obj, obj._data, where)
        if isinstance(obj, np.ndarray):
            return self.array("ndarray", obj, obj, where)
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self.open:
                raise ValueError(f"minigrad.save: {where} contains itself (a reference cycle)")
            self.open.add(id(obj))
            node = self.container(obj, where)
            self.open.discard(id(obj))
            return node
        raise TypeError(
            f"minigrad.save: cannot save {where}, an object of type {type(obj).__name__}; "
            "minigrad saves tensors, NumPy arrays, numbers, strings, None, and lists, tuples "
            "and dicts of them (it never pickles)")

    def container(self, obj: list | tuple | dict, where: str) -> dict[str, Any]:
        items: list[Any] = []
        if isinstance(obj, dict):
            for key, value in obj.items():
                if not _is_key(key):
                    raise TypeError(
                        f"minigrad.save: cannot save the key {key!r} of {where}: dict keys "
                        "must be None, bool, int, float, str or tuples of them")
                items.append([self.encode(key, f"{where} key"),
                              self.encode(value, f"{where}[{key!r}]")])
        else:
            items = [self.encode(value, f"{where}[{i}]") for i, value in enumerate(obj)]
        kind = ("ordered_dict" if isinstance(obj, OrderedDict) else "dict" if isinstance(obj, dict)
                else "list" if isinstance(obj, list) else "tuple")
        return {"type": kind, "items": items}

    def array(self, kind: str, obj: Any, array: np.ndarray, where: str) -> dict[str, Any]:
        if array.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"minigrad.save: cannot save {where}, an array of dtype "
                            f"{array.dtype}; only numeric and bool arrays can be saved")
        name = self.stored.get(id(obj))
        if name is None:
            name = self.stored[id(obj)] = _array_name(len(self.arrays))
            self.arrays.append(array)
        return {"type": kind, "array": name, "dtype": array.dtype.str,
                "shape": list(array.shape)}


def _is_key(key: Any) -> bool:
    if isinstance(key, tuple):
        return all(_is_key(item) for item in key)
    return key is None or isinstance(key, (bool, int, float, str))


# ---------------------------------------------------------------------------- load
def load(f: FileLike, map_location: Any = None, *, weights_only: bool | None = None) -> Any:
    """Load an object saved by :func:`save`.

    Loaded tensors are new leaves (``requires_grad=False``) owning their memory.

    Parameters
    ----------
    f : str, os.PathLike or binary file object
        The checkpoint to read.
    map_location, weights_only
        Accepted for compatibility with ``torch.load`` and ignored: minigrad runs on the CPU,
        and it never unpickles, whatever ``weights_only`` says.

    Raises
    ------
    LoadError
        (a ``ValueError``) if the file is not a minigrad checkpoint: a pickle, a PyTorch
        checkpoint, a plain ``.npz``, a damaged archive, or an index describing anything
        but the types :func:`save` writes. Nothing in the file is run.
    """
    with _opened(f, "rb") as file:
        name = _file_name(f)
        _check_signature(file, name)
        try:
            archive = np.load(file, allow_pickle=False)
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
            raise LoadError(f"minigrad.load: {name} is a damaged zip archive: {error}") from None
        with archive:
            root = _read_index(archive, name)
            try:
                return _Decoder(archive, name).decode(root, "obj")
            except RecursionError:
                raise LoadError(f"minigrad.load: the index of {name} is nested too deeply"
                                ) from None


def _check_signature(file: IO[bytes], name: str) -> None:
    """Refuse, by their first bytes, files that cannot be minigrad checkpoints."""
    start = file.tell()
    head = file.read(6)
    file.seek(start)
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return
    if not head:
        problem = "is empty"
    elif head[:1] == b"\x80":
        problem = "is a pickle file; minigrad never unpickles (pickles can run code)"
    elif head == b"\x93NUMPY":
        problem = "is a single NumPy .npy array (read it with numpy.load)"
    else:
        problem = "is not a zip archive"
    raise LoadError(f"minigrad.load: {name} is not a minigrad checkpoint: it {problem}")


def _read_index(archive: Any, name: str) -> Any:
    members = archive.files
    if INDEX not in members:
        if any(member.endswith("data.pkl") for member in members):
            what = ("a PyTorch checkpoint (torch.save); minigrad never unpickles, so load it "
                    "with torch.load and convert its tensors")
        else:
            what = f"a zip archive without minigrad's index {INDEX!r} (members: {members[:8]})"
        raise LoadError(f"minigrad.load: {name} is not a minigrad checkpoint: it is {what}")
    text = _member(archive, INDEX, name)
    try:
        if not isinstance(text, bytes):
            raise ValueError("it is not text")
        index = json.loads(text.decode("utf-8"))
    except (ValueError, RecursionError) as error:
        raise LoadError(f"minigrad.load: the index of {name} is not valid JSON: {error}") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT or "root" not in index:
        raise LoadError(f"minigrad.load: {name} is not a minigrad checkpoint: its index lacks "
                        f'the marker "format": "{FORMAT}" or the "root" entry')
    if index.get("version") != VERSION:
        raise LoadError(f"minigrad.load: {name} has format version {index.get('version')!r}; "
                        f"this minigrad reads version {VERSION} (a newer minigrad wrote it?)")
    return index["root"]


def _member(archive: Any, member: str, name: str) -> Any:
    try:
        return archive[member]
    except (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise LoadError(f"minigrad.load: cannot read {member!r} in {name}: {error}") from None


class _Decoder:
    """Rebuilds the object from the index nodes, checking each against the archive."""

    def __init__(self, archive: Any, name: str) -> None:
        self.archive = archive
        self.name = name
        self.stored = {member[:-4] for member in archive.zip.namelist() if member.endswith(".npy")}
        self.loaded: dict[tuple[str, str], Any] = {}  # (type, array name) -> object, for sharing
        self.readers: dict[str, Callable[[dict[str, Any], str], Any]] = {
            "none": lambda node, where: None,
            "bool": lambda node, where: self.field(node, "value", bool, where),
            "int": lambda node, where: self.field(node, "value", int, where),
            "float": self.float,
            "str": lambda node, where: self.field(node, "value", str, where),
            "list": lambda node, where: self.sequence(node, where),
            "tuple": lambda node, where: tuple(self.sequence(node, where)),
            "dict": lambda node, where: dict(self.items(node, where)),
            "ordered_dict": lambda node, where: OrderedDict(self.items(node, where)),
            "tensor": self.array,
            "ndarray": self.array,
            "numpy_scalar": self.array,
        }

    def fail(self, where: str, problem: str) -> LoadError:
        return LoadError(f"minigrad.load: {self.name} has a bad index at {where}: {problem}")

    def decode(self, node: Any, where: str) -> Any:
        kind = node.get("type") if isinstance(node, dict) else None
        reader = self.readers.get(kind) if isinstance(kind, str) else None
        if reader is None:
            raise self.fail(where, f"unknown node {str(node)[:80]}")
        return reader(node, where)

    def field(self, node: dict[str, Any], key: str, kind: type, where: str) -> Any:
        value = node.get(key)
        # bool is an int to Python but not to JSON: keep true/false out of int fields
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise self.fail(where, f"{node['type']} node needs a {kind.__name__} {key!r}, "
                                   f"got {value!r}")
        return value

    def float(self, node: dict[str, Any], where: str) -> float:
        bits = self.field(node, "bits", int, where)
        if not -2**63 <= bits < 2**63:
            raise self.fail(where, f"float bits {bits} do not fit in 64 bits")
        return struct.unpack("<d", struct.pack("<q", bits))[0]

    def sequence(self, node: dict[str, Any], where: str) -> list[Any]:
        items = self.field(node, "items", list, where)
        return [self.decode(item, f"{where}[{i}]") for i, item in enumerate(items)]

    def items(self, node: dict[str, Any], where: str) -> Iterator[tuple[Any, Any]]:
        for item in self.field(node, "items", list, where):
            if not (isinstance(item, list) and len(item) == 2):
                raise self.fail(where, f"a dict item must be a [key, value] pair, got {item!r}")
            key = self.decode(item[0], f"{where} key")
            if not _is_key(key):
                raise self.fail(where, f"a dict key must be None, bool, int, float, str or a "
                                       f"tuple of them, got {type(key).__name__}")
            yield key, self.decode(item[1], f"{where}[{key!r}]")

    def array(self, node: dict[str, Any], where: str) -> Any:
        kind = node["type"]
        member = self.field(node, "array", str, where)
        if (kind, member) in self.loaded:
            return self.loaded[kind, member]
        if member not in self.stored:
            raise self.fail(where, f"there is no array {member!r} in the archive")
        array = _member(self.archive, member, self.name)
        if not isinstance(array, np.ndarray) or array.dtype.kind not in _ARRAY_KINDS:
            found = array.dtype if isinstance(array, np.ndarray) else "raw bytes"
            raise self.fail(where, f"array {member!r} holds {found}, not numbers")
        if array.dtype.str != node.get("dtype") or list(array.shape) != node.get("shape"):
            raise self.fail(where, f"array {member!r} has dtype {array.dtype.str} and shape "
                                   f"{list(array.shape)}, but the index says "
                                   f"{node.get('dtype')!r} and {node.get('shape')!r}")
        if kind == "tensor":
            native = array.astype(array.dtype.newbyteorder("="), copy=False)
            if native.dtype not in dtypes._SUPPORTED:
                raise self.fail(where, f"array {member!r} has dtype {array.dtype}, which "
                                       "minigrad tensors do not support")
            value: Any = _new(native)
        elif kind == "numpy_scalar":
            if array.ndim != 0:
                raise self.fail(where, f"NumPy scalar {member!r} has shape {array.shape}")
            value = array[()]
        else:
            value = array
        self.loaded[kind, member] = value
        return value


# ---------------------------------------------------------------------------- files
@contextmanager
def _opened(f: FileLike, mode: str) -> Iterator[Any]:
    """A binary file for ``f``: the path opened (and closed after), or the file object."""
    if isinstance(f, (str, os.PathLike)):
        with open(f, mode) as file:
            yield file
    elif mode == "rb" and not (hasattr(f, "seekable") and f.seekable()):
        yield io.BytesIO(f.read())  # zip archives are read from the end: we need to seek
    else:
        yield f


def _file_name(f: FileLike) -> str:
    if isinstance(f, (str, os.PathLike)):
        return repr(os.fspath(f))
    name = getattr(f, "name", None)
    return repr(name) if isinstance(name, str) else f"the {type(f).__name__} file object"
