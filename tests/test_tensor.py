"""Tensor attributes and conversions, compared with PyTorch's."""

import numpy as np
import pytest
import torch

import minigrad as mg


def test_shape_attributes_match_torch():
    values = np.arange(24.0).reshape(2, 3, 4)
    x, t = mg.tensor(values), torch.tensor(values)
    assert x.shape == tuple(t.shape) and x.ndim == t.ndim and x.dim() == t.dim()
    assert x.size() == tuple(t.size()) and x.size(1) == t.size(1) and x.size(-1) == 4
    assert x.numel() == t.numel() and len(x) == len(t)
    np.testing.assert_array_equal(x.T.numpy(), t.permute(2, 1, 0).numpy())
    np.testing.assert_array_equal(x.mT.numpy(), t.mT.numpy())


def test_item_tolist_and_python_conversions():
    assert mg.tensor(2.5).item() == 2.5 and isinstance(mg.tensor(3).item(), int)
    assert mg.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert float(mg.tensor([1.5])) == 1.5 and int(mg.tensor(7)) == 7
    with pytest.raises(RuntimeError, match="2 elements cannot be converted"):
        mg.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))
    assert [row.tolist() for row in mg.tensor([[1, 2], [3, 4]])] == [[1, 2], [3, 4]]


def test_numpy_shares_memory_and_detach_shares_data():
    x = mg.tensor([1.0, 2.0])
    x.numpy()[0] = 9.0
    assert x[0].item() == 9.0
    w = mg.tensor([1.0], requires_grad=True)
    d = w.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.numpy(), w.detach().numpy())


def test_clone_stays_in_graph_and_copies():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    c = w.clone()
    assert c.grad_fn.name() == "CloneBackward0"
    (c * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [3.0, 3.0])
    assert not np.shares_memory(c.detach().numpy(), w.detach().numpy())


@pytest.mark.parametrize("method, dtype", [("float", mg.float32), ("double", mg.float64),
                                           ("half", mg.float16), ("long", mg.int64),
                                           ("int", mg.int32), ("bool", mg.bool)])
def test_dtype_conversions(method, dtype):
    x = mg.tensor([0.0, 1.5])
    assert getattr(x, method)().dtype == dtype
    assert x.to(dtype).dtype == dtype and x.to(dtype=dtype).dtype == dtype


def test_to_keeps_gradients_flowing_and_casts_them_back():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    y = w.double()
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * y).sum().backward()
    assert w.grad.dtype == mg.float32
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 4.0])
    assert w.to("cpu") is w and w.to(mg.float32) is w
    with pytest.raises(RuntimeError, match="cpu only"):
        w.to("cuda")


def test_requires_grad_flags():
    x = mg.zeros(2)
    assert not x.requires_grad and x.requires_grad_() is x and x.requires_grad
    assert (x * 2).requires_grad and not (x * 2).is_leaf
    with mg.no_grad():
        assert not (x * 2).requires_grad


@pytest.mark.parametrize("make", [
    lambda lib: lib.tensor([1.0, 2.0]),
    lambda lib: lib.tensor([1.5, -2.25], requires_grad=True),
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.tensor([1, 2, 3]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([[0.1, 0.2], [0.3, 0.4]]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.zeros(0),
])
def test_repr_matches_torch(make):
    assert repr(make(mg)).replace("minigrad.", "torch.") == repr(make(torch))


def test_repr_shows_grad_fn():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(w * 2) == "tensor([2., 4.], grad_fn=<MulBackward0>)"


@pytest.mark.parametrize("make", [
    lambda: mg.zeros(2, device="cuda"), lambda: mg.tensor([1.0], device="cuda:0"),
    lambda: mg.randn(2, device="mps"), lambda: mg.randint(3, size=(2,), device="cuda"),
    lambda: mg.zeros_like(mg.ones(2), device="cuda"), lambda: mg.as_tensor([1], device="cuda"),
])
def test_devices_other_than_cpu_are_refused(make):
    with pytest.raises(RuntimeError, match="cpu only"):
        make()
    assert mg.zeros(2, device="cpu").shape == (2,)


def test_nn_and_optim_are_attributes_like_torch():
    assert mg.nn.Linear and mg.optim.SGD and mg.utils.data.DataLoader
