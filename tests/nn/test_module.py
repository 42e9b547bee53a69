"""``Module`` and ``Parameter`` against ``torch.nn``: registration, naming, state dicts, repr,
hooks, modes and dtypes, with the same model source built in both libraries."""

from __future__ import annotations

import copy
import re
from collections import OrderedDict

import numpy as np
import pytest
import torch
from nn_parity import to_minigrad_state

import minigrad
import minigrad.nn as nn


def build(lib, lib_nn):
    """One model definition, for ``(torch, torch.nn)`` or ``(minigrad, minigrad.nn)``."""

    class Block(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = lib_nn.Linear(3, 3)
            self.scale = lib_nn.Parameter(lib.ones(3))
            self.register_buffer("running", lib.zeros(3))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)

        def forward(self, x):
            return self.linear(x) * self.scale + self.running

    class Net(lib_nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = lib_nn.Linear(2, 3)
            self.blocks = lib_nn.ModuleList([Block(), Block()])
            self.heads = lib_nn.ModuleDict({
                "out": lib_nn.Linear(3, 1, bias=False),
                "aux": lib_nn.Sequential(lib_nn.Linear(3, 2), lib_nn.Tanh(),
                                         lib_nn.Dropout(0.1)),
            })
            self.blocks[1].linear.weight = self.blocks[0].linear.weight  # tied
            self.again = self.embed  # one module under two names
            self.act = lib_nn.LeakyReLU(0.2)
            self.flat = lib_nn.Flatten()
            self.soft = lib_nn.Softmax(dim=1)
            self.gate = None

        def forward(self, x):
            h = self.act(self.embed(x))
            for block in self.blocks:
                h = block(h)
            return self.soft(self.heads["aux"](h)), self.heads["out"](h)

    return Net()


@pytest.fixture
def pair():
    torch.manual_seed(0)
    theirs = build(torch, torch.nn)
    ours = build(minigrad, nn)
    ours.load_state_dict(to_minigrad_state(theirs.state_dict()))
    return ours, theirs


def names(pairs):
    return [name for name, _ in pairs]


def test_names_match_torch(pair):
    ours, theirs = pair
    for method in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert names(getattr(ours, method)()) == names(getattr(theirs, method)()), method
    for options in ({"remove_duplicate": False}, {"prefix": "net", "recurse": False},
                    {"prefix": "net"}):
        assert names(ours.named_parameters(**options)) == \
            names(theirs.named_parameters(**options)), options
    assert names(ours.named_modules(remove_duplicate=False)) == \
        names(theirs.named_modules(remove_duplicate=False))
    assert [type(m).__name__ for m in ours.modules()] == \
        [type(m).__name__ for m in theirs.modules()]
    assert [type(m).__name__ for m in ours.children()] == \
        [type(m).__name__ for m in theirs.children()]
    assert len(list(ours.parameters())) == len(list(theirs.parameters())) == 10
    assert len(list(ours.buffers())) == 4


def test_shared_parameters_come_once_but_state_dict_has_every_name(pair):
    ours, theirs = pair
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "blocks.1.linear.weight" in ours.state_dict()
    assert "blocks.1.linear.weight" not in names(ours.named_parameters())
    assert "again.weight" in ours.state_dict()
    assert ours.blocks[1].linear.weight is ours.blocks[0].linear.weight


def test_repr_matches_torch(pair):
    ours, theirs = pair
    assert repr(ours) == repr(theirs)
    sequential = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
    assert repr(sequential) == ("Sequential(\n  (0): Linear(in_features=2, out_features=3, "
                                "bias=True)\n  (1): Sigmoid()\n)")
    for ours_layer, theirs_layer in [(nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
                                     (nn.LeakyReLU(inplace=True),
                                      torch.nn.LeakyReLU(inplace=True)),
                                     (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)),
                                     (nn.Identity(54, unused=1), torch.nn.Identity(54)),
                                     (nn.ModuleList(), torch.nn.ModuleList())]:
        assert repr(ours_layer) == repr(theirs_layer)


def test_forward_matches_torch(pair):
    ours, theirs = pair
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(0).standard_normal((4, 2)).astype(np.float32)
    for mine, expected in zip(ours(minigrad.tensor(x)), theirs(torch.tensor(x)), strict=True):
        np.testing.assert_allclose(mine.detach().numpy(), expected.detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- parameters
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    param = nn.Parameter(minigrad.tensor([1.0, 2.0]))
    assert isinstance(param, minigrad.Tensor) and param.is_leaf and param.requires_grad
    assert repr(param) == repr(torch.nn.Parameter(torch.tensor([1.0, 2.0]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
    frozen = nn.Parameter(minigrad.zeros(2), requires_grad=False)
    assert not frozen.requires_grad
    assert repr(frozen) == "Parameter containing:\ntensor([0., 0.])"
    assert nn.Parameter().shape == (0,)
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(minigrad.tensor([1, 2]))
    with pytest.raises(TypeError, match="must be a Tensor"):
        nn.Parameter([1.0, 2.0])


def test_parameter_shares_memory_with_its_data():
    data = minigrad.zeros(3)
    param = nn.Parameter(data)
    data.add_(1)
    assert param.tolist() == [1.0, 1.0, 1.0] and param._version == data._version


# ---------------------------------------------------------------------- registration
class Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(minigrad.ones(2))
        self.child = nn.Linear(2, 2)
        self.register_buffer("stat", minigrad.zeros(2))
        self.note = "not registered"


def test_registration_by_assignment_and_deletion():
    module = Plain()
    assert list(module._parameters) == ["weight"] and "weight" not in module.__dict__
    assert list(module._modules) == ["child"] and list(module._buffers) == ["stat"]
    assert module.note == "not registered" and "note" in module.__dict__
    module.weight = None  # a registered parameter may become None
    assert module.weight is None and names(module.named_parameters()) == [
        "child.weight", "child.bias"]
    with pytest.raises(TypeError, match="cannot assign 'minigrad.Tensor' as parameter "
                                        "'weight'"):
        module.weight = minigrad.ones(2)
    module.stat = minigrad.ones(2)  # a buffer may be replaced by a tensor
    assert module.stat.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="as buffer 'stat'"):
        module.stat = [1.0]
    with pytest.raises(TypeError, match="as child module 'child'"):
        module.child = 3
    del module.child
    del module.stat
    del module.note
    assert not module._modules and not module._buffers and "note" not in module.__dict__
    with pytest.raises(AttributeError, match="'Plain' object has no attribute 'child'"):
        _ = module.child


@pytest.mark.parametrize("lib", ["torch", "minigrad"])
def test_reassigning_a_name_moves_it_between_kinds_like_torch(lib):
    lib, lib_nn = (torch, torch.nn) if lib == "torch" else (minigrad, nn)
    module = lib_nn.Module()
    module.register_buffer("stat", lib.zeros(2))
    module.note = "plain"
    module.child = lib_nn.Linear(1, 1)
    module.stat = lib_nn.Parameter(lib.zeros(2))
    assert "stat" in module._parameters and "stat" not in module._buffers
    module.note = lib_nn.Linear(1, 1)
    assert "note" in module._modules and "note" not in module.__dict__
    module.child = lib_nn.Parameter(lib.zeros(1))
    assert "child" in module._parameters and "child" not in module._modules
    with pytest.raises(TypeError, match="as parameter 'child'"):
        module.child = lib_nn.Linear(1, 1)


@pytest.mark.parametrize("lib", ["torch", "minigrad"])
def test_registration_errors_are_torchs(lib):
    torch_side = lib == "torch"
    lib_nn = torch.nn if torch_side else nn
    tensor = torch.zeros(1) if torch_side else minigrad.zeros(1)
    module = lib_nn.Module()
    module.existing = 1
    cases = [
        (KeyError, lambda: module.register_parameter("a.b", None)),
        (KeyError, lambda: module.register_parameter("", None)),
        (KeyError, lambda: module.register_parameter("existing", None)),
        (TypeError, lambda: module.register_parameter(3, None)),
        (TypeError, lambda: module.register_parameter("p", tensor)),
        (KeyError, lambda: module.register_buffer("a.b", tensor)),
        (KeyError, lambda: module.register_buffer("existing", tensor)),
        (TypeError, lambda: module.register_buffer("b", 3.0)),
        (TypeError, lambda: module.add_module("m", 3)),
        (KeyError, lambda: module.add_module("a.b", lib_nn.Linear(1, 1))),
    ]
    for error, action in cases:
        with pytest.raises(error):
            action()

    class Forgetful(lib_nn.Module):
        def __init__(self):
            self.layer = lib_nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Forgetful()
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        lib_nn.Module()(tensor)


def test_non_persistent_buffers_stay_out_of_the_state_dict():
    module = nn.Module()
    module.register_buffer("kept", minigrad.zeros(1))
    module.register_buffer("dropped", minigrad.zeros(1), persistent=False)
    module.register_buffer("empty", None)
    assert names(module.named_buffers()) == ["kept", "dropped"]
    assert list(module.state_dict()) == ["kept"]
    module.register_buffer("dropped", minigrad.ones(1))  # persistent again
    assert list(module.state_dict()) == ["kept", "dropped"]


def test_get_submodule_and_dir(pair):
    ours, _ = pair
    assert ours.get_submodule("heads.aux.0") is ours.heads["aux"][0]
    assert ours.get_submodule("") is ours
    with pytest.raises(AttributeError, match="no attribute `nope`"):
        ours.get_submodule("heads.nope")
    assert {"embed", "blocks", "train"} <= set(dir(ours))


# ---------------------------------------------------------------------- state dicts
def test_state_dict_holds_detached_tensors_sharing_memory():
    layer = nn.Linear(2, 2)
    state = layer.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == ["weight", "bias"]
    assert not state["weight"].requires_grad and state["weight"].grad_fn is None
    with minigrad.no_grad():
        layer.weight.fill_(3.0)
    assert state["weight"].tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert layer.state_dict(keep_vars=True)["weight"] is layer.weight
    assert list(layer.state_dict(prefix="layer.")) == ["layer.weight", "layer.bias"]


def test_load_state_dict_copies_values_in_place(pair):
    ours, theirs = pair
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), theirs.state_dict()[name].numpy())
    weight = ours.embed.weight
    fresh = build(minigrad, nn)
    result = ours.load_state_dict(fresh.state_dict())
    assert ours.embed.weight is weight and weight.requires_grad
    np.testing.assert_array_equal(weight.detach().numpy(), fresh.embed.weight.detach().numpy())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == repr(theirs.load_state_dict(theirs.state_dict())) == \
        "<All keys matched successfully>"


def test_load_state_dict_converts_dtype_and_accepts_a_scalar_as_one_element():
    module = nn.Module()
    module.register_buffer("count", minigrad.tensor(0.0, dtype=minigrad.float64))
    layer = nn.Linear(2, 1, dtype=minigrad.float64)
    layer.load_state_dict({"weight": minigrad.tensor([[1.5, 2.5]]),
                           "bias": minigrad.tensor([0.5])})
    assert layer.weight.dtype == minigrad.float64 and layer.weight.tolist() == [[1.5, 2.5]]
    module.load_state_dict({"count": minigrad.tensor([7.0])})
    assert module.count.item() == 7.0


def normalise_torch_message(text):
    """PyTorch's message with ``torch.Size([3, 2])`` written as minigrad's ``(3, 2)``."""
    def shape(match):
        return str(tuple(int(n) for n in match.group(1).split(", ") if n))
    return re.sub(r"torch\.Size\(\[([^\]]*)\]\)", shape, text)


def test_load_state_dict_reports_every_mismatch_at_once():
    def model(lib_nn):
        return lib_nn.Sequential(lib_nn.Linear(2, 3), lib_nn.Linear(3, 1))

    state = to_minigrad_state(torch.nn.Sequential(torch.nn.Linear(2, 4),
                                                  torch.nn.Linear(3, 1)).state_dict())
    del state["1.bias"]
    state["2.weight"] = minigrad.zeros(1)
    state["extra"] = minigrad.zeros(1)
    torch_state = {key: torch.tensor(value.numpy()) for key, value in state.items()}
    with pytest.raises(RuntimeError) as ours:
        model(nn).load_state_dict(state)
    with pytest.raises(RuntimeError) as theirs:
        model(torch.nn).load_state_dict(torch_state)
    expected = (
        "Error(s) in loading state_dict for Sequential:\n"
        '\tMissing key(s) in state_dict: "1.bias". \n'
        '\tUnexpected key(s) in state_dict: "2.weight", "extra". \n'
        "\tsize mismatch for 0.weight: copying a param with shape (4, 2) from checkpoint, "
        "the shape in current model is (3, 2).\n"
        "\tsize mismatch for 0.bias: copying a param with shape (4,) from checkpoint, "
        "the shape in current model is (3,).")
    assert str(ours.value) == expected == normalise_torch_message(str(theirs.value))


def test_load_state_dict_non_strict_returns_the_keys_like_torch():
    state = {"weight": minigrad.zeros(1, 2), "other": minigrad.zeros(1)}
    ours = nn.Linear(2, 1).load_state_dict(state, strict=False)
    theirs = torch.nn.Linear(2, 1).load_state_dict(
        {key: torch.zeros(value.shape) for key, value in state.items()}, strict=False)
    assert ours.missing_keys == theirs.missing_keys == ["bias"]
    assert ours.unexpected_keys == theirs.unexpected_keys == ["other"]
    assert ours == (["bias"], ["other"])
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(2, 1).load_state_dict({"weight": minigrad.zeros(2, 2)}, strict=False)


def test_load_state_dict_rejects_non_tensors_and_non_mappings():
    with pytest.raises(RuntimeError, match='parameter named "bias", expected minigrad.Tensor'):
        nn.Linear(2, 1).load_state_dict({"weight": minigrad.zeros(1, 2), "bias": [0.0]})
    with pytest.raises(TypeError, match="dict-like"):
        nn.Linear(2, 1).load_state_dict([("weight", minigrad.zeros(1, 2))])


def test_load_state_dict_with_assign_takes_the_tensors():
    layer = nn.Linear(2, 1)
    weight = minigrad.ones(1, 2)
    layer.load_state_dict({"weight": weight, "bias": minigrad.zeros(1)}, assign=True)
    assert isinstance(layer.weight, nn.Parameter) and layer.weight.requires_grad
    weight.add_(1)
    assert layer.weight.tolist() == [[2.0, 2.0]]


# ---------------------------------------------------------------------- hooks
@pytest.mark.parametrize("lib", ["torch", "minigrad"])
def test_forward_hooks_run_in_torchs_order(lib):
    events = []
    lib_nn = torch.nn if lib == "torch" else nn
    model = lib_nn.Sequential(lib_nn.Identity(), lib_nn.Identity())
    model.register_forward_pre_hook(lambda module, args: events.append("outer pre"))
    model.register_forward_hook(lambda module, args, out: events.append("outer post"))
    model[0].register_forward_hook(lambda module, args, out: events.append("first post"))
    model[0].register_forward_hook(lambda module, args, out: events.append("first front"),
                                   prepend=True)
    model[1].register_forward_pre_hook(lambda module, args: events.append("second pre"))
    model(torch.zeros(1) if lib == "torch" else minigrad.zeros(1))
    assert events == ["outer pre", "first front", "first post", "second pre", "outer post"]


def test_hooks_can_replace_inputs_and_outputs_and_be_removed():
    layer = nn.Identity()
    double_input = layer.register_forward_pre_hook(lambda module, args: args[0] * 2)
    add_one = layer.register_forward_hook(lambda module, args, out: out + 1)
    x = minigrad.tensor([1.0])
    assert layer(x).tolist() == [3.0]
    double_input.remove()
    assert layer(x).tolist() == [2.0]
    with add_one:
        pass
    assert layer(x) is x
    add_one.remove()  # removing twice is harmless


# ---------------------------------------------------------------------- modes, grads, dtypes
def test_train_eval_and_apply_follow_torch(pair):
    ours, theirs = pair
    assert ours.training and ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.heads.train()
    assert ours.heads["aux"][2].training and not ours.training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        ours.train("yes")
    visited, expected = [], []
    assert ours.apply(lambda m: visited.append(type(m).__name__)) is ours
    theirs.apply(lambda m: expected.append(type(m).__name__))
    assert visited == expected


def test_zero_grad_and_requires_grad_(pair):
    ours, _ = pair
    ours.eval()
    probabilities, output = ours(minigrad.ones(2, 2))
    (probabilities.sum() + output.sum()).backward()
    grads = [p.grad for p in ours.parameters()]
    assert all(g is not None for g in grads)
    ours.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(ours.parameters(), grads,
                                                                    strict=True))
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())
    assert ours.requires_grad_(False) is ours
    assert not any(p.requires_grad for p in ours.parameters())


def test_dtype_conversions_keep_the_parameters():
    model = nn.Sequential(nn.Linear(2, 2))
    model.register_buffer("steps", minigrad.tensor(3))
    weight = model[0].weight
    model(minigrad.ones(1, 2)).sum().backward()
    assert model.double() is model
    assert model[0].weight is weight and weight.dtype == minigrad.float64
    assert weight.grad.dtype == minigrad.float64
    assert model.steps.dtype == minigrad.int64  # integer buffers stay
    assert model.float()[0].bias.dtype == minigrad.float32
    assert model.to(minigrad.float64)[0].weight.dtype == minigrad.float64
    assert model.to(minigrad.zeros(1, dtype=minigrad.float32))[0].weight.dtype == \
        minigrad.float32
    assert model.to("cpu") is model and model.cpu() is model
    assert model.half()[0].weight.dtype == minigrad.float16
    with pytest.raises(RuntimeError, match="cpu only"):
        model.to("cuda")
    with pytest.raises(TypeError, match="floating point"):
        model.to(minigrad.int64)


def test_deepcopy_gives_an_independent_model():
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    clone = copy.deepcopy(model)
    with minigrad.no_grad():
        clone[0].weight.fill_(0.0)
    assert model[0].weight.detach().numpy().any()
    assert isinstance(clone[0].weight, nn.Parameter)


# ---------------------------------------------------------------------- containers
def container_names(lib_nn, operations):
    """Apply ``operations`` to a Sequential and a ModuleList; report their children."""
    results = []
    for kind in ("Sequential", "ModuleList"):
        layers = [lib_nn.Linear(1, n) for n in range(1, 5)]
        container = getattr(lib_nn, kind)(layers[:3]) if kind == "ModuleList" else \
            getattr(lib_nn, kind)(*layers[:3])
        operations(container, lib_nn)
        results.append([(name, m.out_features) for name, m in container.named_children()])
    return results


def edit(container, lib_nn):
    container.append(lib_nn.Linear(1, 9))
    container.insert(1, lib_nn.Linear(1, 7))
    container.insert(len(container), lib_nn.Linear(1, 8))
    del container[0]
    container.pop(-2)
    container[0] = lib_nn.Linear(1, 6)
    container.extend([lib_nn.Linear(1, 5)])
    del container[1:3]


def test_sequential_and_module_list_edits_match_torch():
    assert container_names(nn, edit) == container_names(torch.nn, edit)


def test_sequential_indexing_slicing_and_iteration():
    layers = [nn.Linear(1, 1), nn.ReLU(), nn.Linear(1, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[-1] is layers[2] and model[0] is layers[0]
    head = model[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    assert list(head._modules) == ["0", "1"]
    assert list(model[1:]._modules) == ["1", "2"]  # names kept, as in PyTorch
    with pytest.raises(IndexError, match="index 3 is out of range"):
        model[3]
    model.insert(-1, nn.Identity())
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Identity", "Linear"]
    del model[2]
    named = nn.Sequential(OrderedDict([("first", layers[0]), ("act", layers[1])]))
    assert named.act is layers[1] and named[1] is layers[1]
    assert list(model + named) == layers + layers[:2]
    x = minigrad.tensor([[-2.0]])
    assert model(x).tolist() == layers[2](layers[1](layers[0](x))).tolist()


def test_module_list_and_dict():
    blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(blocks) == 3 and isinstance(blocks[1:], nn.ModuleList)
    blocks += [nn.ReLU()]
    assert len(blocks) == 4 and isinstance(blocks[-1], nn.ReLU)
    assert len(blocks + nn.ModuleList([nn.ReLU()])) == 5
    heads = nn.ModuleDict([("a", nn.Linear(1, 1)), ("b", nn.ReLU())])
    heads["c"] = nn.Tanh()
    assert list(heads) == list(heads.keys()) == ["a", "b", "c"] and "b" in heads
    assert isinstance(heads.pop("b"), nn.ReLU) and len(heads) == 2
    heads.update({"d": nn.Sigmoid()})
    assert [type(m).__name__ for m in heads.values()] == ["Linear", "Tanh", "Sigmoid"]
    assert names(heads.named_parameters()) == ["a.weight", "a.bias"]
    copy = nn.ModuleDict(heads)  # a ModuleDict is taken as a mapping, as in PyTorch
    copy.update(nn.ModuleDict({"e": nn.ReLU()}))
    assert list(copy) == ["a", "c", "d", "e"] and copy["a"] is heads["a"]
    heads.clear()
    assert len(heads) == 0
    with pytest.raises(ValueError, match="element #0"):
        nn.ModuleDict([("only-key",)])
    with pytest.raises(KeyError, match="already exists"):
        nn.ModuleDict({"train": nn.ReLU()})
