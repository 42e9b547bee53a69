"""Optimizers against ``torch.optim``: the same model, initial weights and data give the same
weights after 100 steps (relative 1e-10 in float64), for every option combination."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
import torch

import minigrad
import minigrad.nn as nn
import minigrad.optim as optim

REL = 1e-10
STEPS = 100
RNG = np.random.default_rng(0)
INPUTS = RNG.standard_normal((16, 4))
TARGETS = RNG.standard_normal((16, 3))


def mlp(lib_nn, dtype):
    return lib_nn.Sequential(lib_nn.Linear(4, 8, dtype=dtype), lib_nn.Tanh(),
                             lib_nn.Linear(8, 3, dtype=dtype))


def twins():
    """A float64 PyTorch MLP and a minigrad MLP with the same initial weights."""
    torch.manual_seed(0)
    theirs = mlp(torch.nn, torch.float64)
    ours = mlp(nn, minigrad.float64)
    ours.load_state_dict({key: minigrad.tensor(value.numpy())
                          for key, value in theirs.state_dict().items()})
    return ours, theirs


def train(lib, model, optimizer, steps=STEPS):
    """``steps`` steps on the MSE, or on minus the MSE for an optimizer that maximizes
    (ascent on a loss that grows without bound would amplify rounding exponentially)."""
    x, y = lib.tensor(INPUTS), lib.tensor(TARGETS)
    sign = -1.0 if optimizer.param_groups[0]["maximize"] else 1.0
    for _ in range(steps):
        optimizer.zero_grad()
        (sign * lib.nn.functional.mse_loss(model(x), y)).backward()
        optimizer.step()


def assert_close(actual, expected, rel=REL):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=rel, atol=rel * np.abs(expected).max())


def assert_same_weights(ours, theirs):
    expected = theirs.state_dict()
    for name, value in ours.state_dict().items():
        assert_close(value.numpy(), expected[name].numpy())


def assert_same_state(ours, theirs):
    """Same per-parameter state (same keys, same values) and same group settings."""
    mine, expected = ours.state_dict(), theirs.state_dict()
    assert mine["state"].keys() == expected["state"].keys()
    for index, entries in expected["state"].items():
        assert mine["state"][index].keys() == entries.keys()
        for key, value in entries.items():
            assert_close(mine["state"][index][key].numpy(), value.numpy())
    for group, theirs_group in zip(mine["param_groups"], expected["param_groups"],
                                   strict=True):
        assert list(group)[-1] == "params"
        for key, value in group.items():
            assert theirs_group[key] == value, key


def sgd_options():
    for momentum, dampening, nesterov, weight_decay, maximize in itertools.product(
            [0.0, 0.9], [0.0, 0.5], [False, True], [0.0, 0.1], [False, True]):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield dict(lr=0.05, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=weight_decay, maximize=maximize)


def adam_options():
    for amsgrad, weight_decay, maximize in itertools.product([False, True], [0.0, 0.1],
                                                             [False, True]):
        yield dict(lr=0.01, betas=(0.8, 0.95), amsgrad=amsgrad, weight_decay=weight_decay,
                   maximize=maximize)


CASES = [("SGD", options) for options in sgd_options()] + \
    [(name, options) for name in ("Adam", "AdamW") for options in adam_options()]


@pytest.mark.parametrize(("name", "options"), CASES,
                         ids=[f"{name}-{i}" for i, (name, _) in enumerate(CASES)])
def test_weights_after_100_steps_match_torch(name, options):
    ours, theirs = twins()
    our_optimizer = getattr(optim, name)(ours.parameters(), **options)
    their_optimizer = getattr(torch.optim, name)(theirs.parameters(), **options)
    train(minigrad, ours, our_optimizer)
    train(torch, theirs, their_optimizer)
    assert_same_weights(ours, theirs)
    assert_same_state(our_optimizer, their_optimizer)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_defaults_match_torch(name):
    ours, theirs = twins()
    options = {"lr": 0.1} if name == "SGD" else {}
    our_optimizer = getattr(optim, name)(ours.parameters(), **options)
    their_optimizer = getattr(torch.optim, name)(theirs.parameters(), **options)
    train(minigrad, ours, our_optimizer, 20)
    train(torch, theirs, their_optimizer, 20)
    assert_same_weights(ours, theirs)
    assert_same_state(our_optimizer, their_optimizer)


def groups(lib_optimizer, model):
    return lib_optimizer([
        {"params": model[0].parameters(), "lr": 0.02, "momentum": 0.5},
        {"params": model[2].parameters()},
    ], lr=0.1, momentum=0.9, weight_decay=0.01)


def test_parameter_groups_have_their_own_settings():
    ours, theirs = twins()
    our_optimizer, their_optimizer = groups(optim.SGD, ours), groups(torch.optim.SGD, theirs)
    assert our_optimizer.param_groups[0]["lr"] == 0.02
    assert our_optimizer.param_groups[1]["momentum"] == 0.9
    train(minigrad, ours, our_optimizer)
    train(torch, theirs, their_optimizer)
    assert_same_weights(ours, theirs)
    assert_same_state(our_optimizer, their_optimizer)


def test_add_param_group_fills_in_defaults():
    ours, theirs = twins()
    our_optimizer = optim.Adam(ours[0].parameters(), lr=0.01)
    their_optimizer = torch.optim.Adam(theirs[0].parameters(), lr=0.01)
    our_optimizer.add_param_group({"params": ours[2].parameters(), "lr": 0.05})
    their_optimizer.add_param_group({"params": list(theirs[2].parameters()), "lr": 0.05})
    assert our_optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    train(minigrad, ours, our_optimizer, 30)
    train(torch, theirs, their_optimizer, 30)
    assert_same_weights(ours, theirs)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_parameters_without_gradient_are_skipped(name):
    ours, theirs = twins()
    unused = nn.Parameter(minigrad.ones(2, dtype=minigrad.float64))
    our_optimizer = getattr(optim, name)([*ours.parameters(), unused], lr=0.1, momentum=0.9) \
        if name == "SGD" else optim.Adam([*ours.parameters(), unused], lr=0.1)
    train(minigrad, ours, our_optimizer, 5)
    assert unused.tolist() == [1.0, 1.0] and unused not in our_optimizer.state
    assert len(our_optimizer.state) == 4


def test_zero_grad():
    ours, _ = twins()
    optimizer = optim.SGD(ours.parameters(), lr=0.1)
    train(minigrad, ours, optimizer, 1)
    grads = [p.grad for p in ours.parameters()]
    optimizer.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any()
               for p, g in zip(ours.parameters(), grads, strict=True))
    optimizer.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_step_with_a_closure_returns_its_loss():
    ours, _ = twins()
    optimizer = optim.SGD(ours.parameters(), lr=0.1)
    x, y = minigrad.tensor(INPUTS), minigrad.tensor(TARGETS)

    def closure():
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(ours(x), y)
        loss.backward()
        return loss

    first = optimizer.step(closure).item()
    assert optimizer.step(closure).item() < first
    assert optimizer.step() is None


# ---------------------------------------------------------------------- saving and loading
@pytest.mark.parametrize(("name", "options"), [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
])
def test_state_dict_resumes_exactly(name, options):
    ours, theirs = twins()
    optimizer = getattr(optim, name)(ours.parameters(), **options)
    train(minigrad, ours, optimizer, 50)
    saved_weights = {k: minigrad.tensor(v.numpy()) for k, v in ours.state_dict().items()}
    # a copy, as saving to a file makes: like PyTorch's, the state dict holds the live buffers
    saved = copy.deepcopy(optimizer.state_dict())
    train(minigrad, ours, optimizer, 50)

    resumed = mlp(nn, minigrad.float64)
    resumed.load_state_dict(saved_weights)
    fresh = getattr(optim, name)(resumed.parameters(), lr=123.0)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == options["lr"]
    train(minigrad, resumed, fresh, 50)
    for key, value in resumed.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), ours.state_dict()[key].numpy())


@pytest.mark.parametrize(("name", "options"), [
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1)),
])
def test_a_torch_optimizer_state_continues_the_same(name, options):
    """Load PyTorch's state dict (tensors converted) after 50 steps, then train on in both."""
    ours, theirs = twins()
    their_optimizer = getattr(torch.optim, name)(theirs.parameters(), **options)
    train(torch, theirs, their_optimizer, 50)
    ours.load_state_dict({k: minigrad.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    state = their_optimizer.state_dict()
    converted = {
        "state": {index: {key: minigrad.tensor(value.numpy()) for key, value in entry.items()}
                  for index, entry in state["state"].items()},
        "param_groups": state["param_groups"],
    }
    our_optimizer = getattr(optim, name)(ours.parameters(), **options)
    our_optimizer.load_state_dict(converted)
    train(minigrad, ours, our_optimizer, 50)
    train(torch, theirs, their_optimizer, 50)
    assert_same_weights(ours, theirs)


def test_state_dict_format_and_string_keys():
    ours, _ = twins()
    optimizer = optim.Adam(ours.parameters())
    train(minigrad, ours, optimizer, 2)
    saved = optimizer.state_dict()
    assert list(saved) == ["state", "param_groups"]
    assert list(saved["state"]) == [0, 1, 2, 3]
    assert saved["param_groups"][0]["params"] == [0, 1, 2, 3]
    assert saved["state"][0]["step"].dtype == minigrad.float32
    assert saved["state"][0]["step"].item() == 2.0
    as_json = {"state": {str(k): v for k, v in saved["state"].items()},
               "param_groups": saved["param_groups"]}
    other = optim.Adam(ours.parameters())
    other.load_state_dict(as_json)
    first = next(iter(ours.parameters()))
    np.testing.assert_array_equal(other.state[first]["exp_avg"].numpy(),
                                  optimizer.state[first]["exp_avg"].numpy())
    assert other.state[first]["exp_avg"] is not optimizer.state[first]["exp_avg"]


def test_load_state_dict_checks_the_groups():
    ours, _ = twins()
    saved = optim.SGD(ours.parameters(), lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        groups(optim.SGD, ours).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD(ours[0].parameters(), lr=0.1).load_state_dict(saved)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize(("name", "options"), [
    ("SGD", dict(lr=-1)), ("SGD", dict(lr=0.1, momentum=-0.5)),
    ("SGD", dict(lr=0.1, weight_decay=-1)), ("SGD", dict(lr=0.1, nesterov=True)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True)),
    ("Adam", dict(lr=-0.001)), ("Adam", dict(eps=-1.0)), ("Adam", dict(betas=(1.0, 0.9))),
    ("Adam", dict(betas=(0.9, -0.1))), ("Adam", dict(weight_decay=-0.5)),
    ("AdamW", dict(lr=-1.0)),
])
def test_invalid_hyper_parameters_raise_torchs_errors(name, options):
    with pytest.raises(ValueError) as theirs:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **options)
    with pytest.raises(ValueError) as ours:
        getattr(optim, name)([minigrad.zeros(1, requires_grad=True)], **options)
    assert str(ours.value) == str(theirs.value)


def test_invalid_parameter_lists():
    weight = minigrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(weight, lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {weight}}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        optim.SGD([weight, 3.0], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([weight * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [weight]}, {"params": [weight]}], lr=0.1)
    with pytest.raises(ValueError, match="duplicate parameters"):
        optim.SGD([weight, weight], lr=0.1)


def test_named_parameters_are_accepted_like_torch():
    ours, _ = twins()
    optimizer = optim.SGD(ours.named_parameters(), lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["0.weight", "0.bias", "2.weight",
                                                        "2.bias"]
    assert all(isinstance(p, minigrad.Tensor) for p in optimizer.param_groups[0]["params"])


# ---------------------------------------------------------------------- in-place updates
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
@pytest.mark.parametrize("escaped", [False, True])
def test_updates_bump_the_version_even_on_locked_arrays(name, escaped):
    """A graph saved before ``step`` sees the change (PyTorch raises the same way), also
    when the graph made the parameter's array read-only."""
    weight = nn.Parameter(minigrad.tensor([1.0, -2.0], dtype=minigrad.float64))
    if escaped:
        weight.detach().numpy()  # the user holds the array: saving it locks it
    stale = (weight * weight).sum()
    assert weight.detach()._data.flags.writeable != escaped
    weight.grad = minigrad.tensor([0.5, 0.5], dtype=minigrad.float64)
    optimizer = getattr(optim, name)([weight], lr=0.1, weight_decay=0.1)
    version = weight._version
    optimizer.step()
    assert weight._version > version
    assert weight.tolist() != [1.0, -2.0]
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        stale.backward()



@pytest.mark.parametrize("layout", ["matrix", "transposed", "vector"])
@pytest.mark.parametrize(("momentum", "weight_decay"), [(0.0, 0.0), (0.9, 0.0), (0.0, 0.1)])
def test_sgd_updates_large_parameters_in_blocks_like_torch(layout, momentum, weight_decay):
    """Parameters over 65,536 elements are updated a block of rows at a time: the same
    result as torch, one version bump, and no parameter-sized temporary other than the
    decayed gradient."""
    import tracemalloc

    rng = np.random.default_rng(3)
    shape = {"matrix": (1000, 301), "transposed": (301, 1000), "vector": (300_001,)}[layout]
    start, grad = rng.standard_normal(shape), rng.standard_normal(shape)
    if layout == "transposed":  # a parameter whose array is not C-contiguous
        start = start.T.copy().T
    ours = nn.Parameter(minigrad.from_numpy(start.copy(order="A")))
    assert ours.detach().numpy().flags.c_contiguous == (layout != "transposed")
    theirs = torch.nn.Parameter(torch.tensor(start))
    options = dict(lr=0.1, momentum=momentum, weight_decay=weight_decay)
    our_optimizer = optim.SGD([ours], **options)
    their_optimizer = torch.optim.SGD([theirs], **options)
    for step in range(3):
        ours.grad, theirs.grad = minigrad.tensor(grad), torch.tensor(grad)
        version = ours._version
        tracemalloc.start()
        our_optimizer.step()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        their_optimizer.step()
        assert ours._version == version + 1
        if step:  # (the first step with momentum creates its buffer)
            assert peak < start.nbytes * (1 if weight_decay else 0) + start.nbytes / 3
    assert_close(ours.detach().numpy(), theirs.detach().numpy())


def test_repr_lists_each_group():
    weight = minigrad.zeros(1, requires_grad=True)
    text = repr(optim.SGD([weight], lr=0.1))
    assert text.startswith("SGD (\nParameter Group 0\n") and "    lr: 0.1\n" in text
    assert text.endswith(")")
