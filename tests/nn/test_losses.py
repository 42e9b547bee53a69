"""Loss modules against ``torch.nn``'s: values and gradients in float64, options, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from nn_parity import VALUES, batches, check

import minigrad
import minigrad.nn as nn

REDUCTIONS = ["mean", "sum", "none"]
UNIT = st.floats(0, 1).map(lambda v: 0.0 if v < 1e-6 else v)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"])
@given(data=st.data())
def test_elementwise_losses_match_torch(name, reduction, data):
    values = st.floats(1e-6, 1 - 1e-6) if name == "BCELoss" else VALUES
    x = data.draw(batches(min_dims=0, values=values))
    y = data.draw(arrays(np.float64, x.shape, elements=UNIT if "BCE" in name else VALUES))
    check(getattr(nn, name)(reduction=reduction),
          getattr(torch.nn, name)(reduction=reduction), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_weighted_bce_losses_match_torch(reduction, data):
    x = data.draw(arrays(np.float64, (3, 4), elements=st.floats(0.01, 0.99)))
    y = data.draw(arrays(np.float64, (3, 4), elements=UNIT))
    weight = data.draw(arrays(np.float64, (4,), elements=st.floats(0.1, 3)))
    pos_weight = data.draw(arrays(np.float64, (4,), elements=st.floats(0.1, 3)))
    check(nn.BCELoss(minigrad.tensor(weight), reduction=reduction),
          torch.nn.BCELoss(torch.tensor(weight), reduction=reduction), x, y)
    check(nn.BCEWithLogitsLoss(minigrad.tensor(weight), reduction=reduction,
                               pos_weight=minigrad.tensor(pos_weight)),
          torch.nn.BCEWithLogitsLoss(torch.tensor(weight), reduction=reduction,
                                     pos_weight=torch.tensor(pos_weight)), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["CrossEntropyLoss", "NLLLoss"])
@given(data=st.data(), classes=st.integers(2, 5), batch=st.integers(1, 6))
def test_class_losses_match_torch(name, reduction, data, classes, batch):
    logits = data.draw(arrays(np.float64, (batch, classes), elements=VALUES))
    target = data.draw(arrays(np.int64, (batch,), elements=st.sampled_from(
        [*range(classes), -1])))
    weight = data.draw(arrays(np.float64, (classes,), elements=st.floats(0.1, 3)))
    options = dict(ignore_index=-1, reduction=reduction)
    if name == "CrossEntropyLoss":
        options["label_smoothing"] = data.draw(st.sampled_from([0.0, 0.2]))
    check(getattr(nn, name)(minigrad.tensor(weight), **options),
          getattr(torch.nn, name)(torch.tensor(weight), **options), logits, target)


def test_a_training_step_through_cross_entropy_matches_torch():
    """The usual classifier head: Linear then CrossEntropyLoss, gradients of the layer."""
    torch.manual_seed(0)
    theirs = torch.nn.Linear(4, 3, dtype=torch.float64)
    ours = nn.Linear(4, 3, dtype=minigrad.float64)
    ours.load_state_dict({k: minigrad.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((8, 4))
    y = np.array([0, 1, 2, 2, 1, 0, 0, 1])
    ours_loss = nn.CrossEntropyLoss()(ours(minigrad.tensor(x)), minigrad.tensor(y))
    theirs_loss = torch.nn.CrossEntropyLoss()(theirs(torch.tensor(x)), torch.tensor(y))
    ours_loss.backward()
    theirs_loss.backward()
    assert abs(ours_loss.item() - theirs_loss.item()) < 1e-14
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss"])
def test_shape_mismatch_is_an_error_naming_both_shapes(name):
    criterion = getattr(nn, name)()
    output = minigrad.full((8, 1), 0.5, requires_grad=True)
    with pytest.raises(ValueError, match=r"target shape \(8,\) differs from input shape "
                                         r"\(8, 1\)"):
        criterion(output, minigrad.full((8,), 0.5))


@pytest.mark.parametrize("name", ["MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
                                  "CrossEntropyLoss", "NLLLoss"])
def test_losses_repr_and_reduction_check_like_torch(name):
    assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)()) == f"{name}()"
    with pytest.raises(ValueError, match="elementwise is not a valid value for reduction"):
        getattr(nn, name)(reduction="elementwise")


def test_class_weights_are_buffers_like_torch():
    weight = [1.0, 2.0, 3.0]
    ours = nn.CrossEntropyLoss(minigrad.tensor(weight), label_smoothing=0.1)
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(weight), label_smoothing=0.1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    assert ours.ignore_index == theirs.ignore_index == -100
    assert ours.double().weight.dtype == minigrad.float64
    logits = nn.BCEWithLogitsLoss(pos_weight=minigrad.ones(3))
    assert [name for name, _ in logits.named_buffers()] == ["pos_weight"]
    assert list(logits.state_dict()) == list(torch.nn.BCEWithLogitsLoss(
        pos_weight=torch.ones(3)).state_dict()) == ["pos_weight"]
