"""``minigrad.nn.functional`` against ``torch.nn.functional``: values and gradients in float64.

Float arguments are leaves that require grad on both sides, so gradients with respect to
targets are compared too; class weights are constants (neither library differentiates them).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from nn_parity import VALUES, assert_close, batches, check

import minigrad
import minigrad.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]
PROBABILITIES = st.floats(1e-6, 1 - 1e-6)
UNIT = st.floats(0, 1).map(lambda v: 0.0 if v < 1e-6 else v)
WEIGHTS = st.floats(0.1, 3)


def suffix_array(data, shape, elements):
    """An array shaped like a suffix of ``shape`` (so it broadcasts to it), or None."""
    if not data.draw(st.booleans()):
        return None
    start = data.draw(st.integers(0, len(shape)))
    return data.draw(arrays(np.float64, shape[start:], elements=elements))


def both(array):
    """The same constant (or None) as a minigrad and a torch tensor."""
    if array is None:
        return None, None
    return minigrad.tensor(array), torch.tensor(array)


# ---------------------------------------------------------------------- activations
@given(data=st.data(), bias=st.booleans())
def test_linear(data, bias):
    x = data.draw(batches(max_dims=3))
    out_features = data.draw(st.integers(1, 4))
    weight = data.draw(arrays(np.float64, (out_features, x.shape[-1]), elements=VALUES))
    arguments = [x, weight]
    if bias:
        arguments.append(data.draw(arrays(np.float64, (out_features,), elements=VALUES)))
    check(F.linear, TF.linear, *arguments)


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
@given(x=batches(min_dims=0))
def test_pointwise_activations(name, x):
    check(getattr(F, name), getattr(TF, name) if name != "tanh" else torch.tanh, x)


@given(x=batches(min_dims=0), slope=st.sampled_from([0.01, 0.2, 1.5, -0.5]))
def test_leaky_relu(x, slope):
    check(lambda t: F.leaky_relu(t, slope), lambda t: TF.leaky_relu(t, slope), x)


def test_leaky_relu_gradient_at_zero_is_the_slope():
    x = minigrad.tensor([0.0, -2.0, 3.0], dtype=minigrad.float64, requires_grad=True)
    F.leaky_relu(x, 0.1).sum().backward()
    assert x.grad.tolist() == [0.1, 0.1, 1.0]


@pytest.mark.parametrize("name", ["relu", "leaky_relu"])
def test_inplace_activations(name):
    x = minigrad.tensor([-1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    hidden = x * 2
    assert getattr(F, name)(hidden, inplace=True) is hidden
    expected = getattr(TF, name)(torch.tensor([-2.0, 4.0], dtype=torch.float64))
    assert hidden.tolist() == expected.tolist()
    hidden.sum().backward()
    assert x.grad.tolist() == ([0.0, 2.0] if name == "relu" else [0.02, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        getattr(F, name)(x, inplace=True)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@given(data=st.data())
def test_softmax_family(name, data):
    x = data.draw(batches())
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    check(lambda t: getattr(F, name)(t, dim), lambda t: getattr(TF, name)(t, dim), x)


def test_dropout_functional():
    x = minigrad.ones(1000, dtype=minigrad.float64)
    assert F.dropout(x, 0.5, training=False) is x
    minigrad.manual_seed(0)
    out = F.dropout(x, 0.25).numpy()
    assert set(np.unique(out)) == {0.0, 1 / 0.75}
    with pytest.raises(ValueError, match="between 0 and 1, but got 2"):
        F.dropout(x, 2)
    hidden = x * 1
    assert F.dropout(hidden, 0.5, inplace=True) is hidden


# ---------------------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss"])
@given(data=st.data())
def test_regression_losses(name, reduction, data):
    x = data.draw(batches(min_dims=0))
    y = data.draw(arrays(np.float64, x.shape, elements=VALUES))
    check(lambda a, b: getattr(F, name)(a, b, reduction=reduction),
          lambda a, b: getattr(TF, name)(a, b, reduction=reduction), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "binary_cross_entropy",
                                  "binary_cross_entropy_with_logits"])
def test_elementwise_losses_refuse_other_target_shapes(name):
    x = minigrad.full((4, 1), 0.5)
    y = minigrad.full((4,), 0.5)
    with pytest.raises(ValueError, match=r"target shape \(4,\) differs from input shape "
                                         r"\(4, 1\)"):
        getattr(F, name)(x, y)


@pytest.mark.parametrize("name", ["mse_loss", "cross_entropy"])
def test_losses_refuse_unknown_reductions(name):
    with pytest.raises(ValueError, match="average is not a valid value for reduction"):
        getattr(F, name)(minigrad.zeros(2, 3), minigrad.zeros(2, 3), reduction="average")


# ---------------------------------------------------------------------- binary cross-entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_binary_cross_entropy(reduction, data):
    x = data.draw(batches(min_dims=0, values=PROBABILITIES))
    y = data.draw(arrays(np.float64, x.shape, elements=UNIT))
    ours_w, theirs_w = both(suffix_array(data, x.shape, WEIGHTS))
    check(lambda a, b: F.binary_cross_entropy(a, b, ours_w, reduction=reduction),
          lambda a, b: TF.binary_cross_entropy(a, b, theirs_w, reduction=reduction), x, y)


def test_binary_cross_entropy_clamps_its_logs_like_torch():
    x, y = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    ours = minigrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy(ours, minigrad.tensor(y), reduction="none")
    expected = TF.binary_cross_entropy(theirs, torch.tensor(y), reduction="none")
    assert loss.tolist() == expected.tolist() == [100.0, 100.0, 0.0, 0.0]
    loss.sum().backward()
    expected.sum().backward()
    assert_close(ours.grad.numpy(), theirs.grad.numpy())
    for bad in (1.5, float("nan")):  # PyTorch rejects nan too
        with pytest.raises(RuntimeError, match="between 0 and 1"):
            F.binary_cross_entropy(minigrad.tensor([bad]), minigrad.tensor([1.0]))


def test_binary_cross_entropies_check_target_dtypes_like_torch():
    x = [0.2, 0.7]
    for target in (minigrad.tensor([0.0, 1.0], dtype=minigrad.float64), minigrad.tensor([0, 1])):
        with pytest.raises(RuntimeError, match="target of the input's dtype float32"):
            F.binary_cross_entropy(minigrad.tensor(x), target)
    with pytest.raises(RuntimeError, match="must be floating point"):
        F.binary_cross_entropy_with_logits(minigrad.tensor(x), minigrad.tensor([0, 1]))
    # a wider float target: computed in its dtype, as in PyTorch
    ours = F.binary_cross_entropy_with_logits(
        minigrad.tensor(x), minigrad.tensor([0.0, 1.0], dtype=minigrad.float64))
    theirs = TF.binary_cross_entropy_with_logits(
        torch.tensor(x), torch.tensor([0.0, 1.0], dtype=torch.float64))
    assert ours.dtype == minigrad.float64 and theirs.dtype == torch.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-8)  # (torch's formula)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(data=st.data())
def test_binary_cross_entropy_with_logits(reduction, data):
    x = data.draw(batches(min_dims=0, values=VALUES.map(lambda v: 8 * v)))
    y = data.draw(arrays(np.float64, x.shape, elements=UNIT))
    ours_w, theirs_w = both(suffix_array(data, x.shape, WEIGHTS))
    ours_pw, theirs_pw = both(suffix_array(data, x.shape, WEIGHTS))
    check(lambda a, b: F.binary_cross_entropy_with_logits(
              a, b, ours_w, reduction=reduction, pos_weight=ours_pw),
          lambda a, b: TF.binary_cross_entropy_with_logits(
              a, b, theirs_w, reduction=reduction, pos_weight=theirs_pw), x, y)


def test_binary_cross_entropy_with_logits_is_stable_at_extreme_logits():
    x = minigrad.tensor([800.0, -800.0, 40.0, -40.0], dtype=minigrad.float64,
                        requires_grad=True)
    y = minigrad.tensor([0.0, 1.0, 1.0, 0.0], dtype=minigrad.float64)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    expected = TF.binary_cross_entropy_with_logits(
        torch.tensor(x.detach().numpy()), torch.tensor(y.numpy()), reduction="none")
    assert_close(loss.detach().numpy(), expected.numpy())
    assert loss.tolist()[2] > 0  # log1p(exp(-40)) ~ 4e-18, not rounded to 0
    loss.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_loss_weights_must_not_require_grad():
    weight = minigrad.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for 'weight' is not implemented"):
        F.binary_cross_entropy_with_logits(minigrad.zeros(3), minigrad.zeros(3), weight)


# ---------------------------------------------------------------------- class losses
@st.composite
def classification(draw, probabilities=False):
    """Logits ``(N, C, d...)`` or ``(C,)``, class-index targets (some ignored), weights."""
    classes = draw(st.integers(1, 5))
    one_sample = draw(st.integers(0, 4)) == 0
    batch = () if one_sample else (draw(st.integers(1, 4)),)
    spatial = () if one_sample else draw(array_shapes(min_dims=0, max_dims=2, max_side=3))
    shape = (*batch, classes, *spatial)
    logits = draw(arrays(np.float64, shape, elements=VALUES))
    target_shape = (*batch, *spatial)
    if probabilities:
        target = draw(arrays(np.float64, shape, elements=UNIT))
    else:
        ignore_index = draw(st.sampled_from([-100, 0, classes - 1, 7]))
        target = draw(arrays(np.int64, target_shape,
                             elements=st.sampled_from([*range(classes), ignore_index])))
        target = (target, ignore_index)
    weight = draw(st.none() | arrays(np.float64, (classes,), elements=WEIGHTS))
    return logits, target, weight


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=classification(), smoothing=st.sampled_from([0.0, 0.1, 0.7]))
def test_cross_entropy_with_class_indices(reduction, case, smoothing):
    logits, (target, ignore_index), weight = case
    ours_w, theirs_w = both(weight)
    options = dict(ignore_index=ignore_index, reduction=reduction, label_smoothing=smoothing)
    check(lambda x, t: F.cross_entropy(x, t, ours_w, **options),
          lambda x, t: TF.cross_entropy(x, t, theirs_w, **options), logits, target)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@given(data=st.data(), batch=st.integers(1, 6), classes=st.integers(1, 5))
def test_cross_entropy_of_a_plain_classifier_head(reduction, data, batch, classes):
    """(N, C) logits and labels in range, nothing else: one fused node, as fast as NumPy."""
    logits = data.draw(arrays(np.float64, (batch, classes), elements=VALUES))
    labels = data.draw(arrays(np.int64, (batch,), elements=st.integers(0, classes - 1)))
    check(lambda x, t: F.cross_entropy(x, t, reduction=reduction),
          lambda x, t: TF.cross_entropy(x, t, reduction=reduction), logits, labels)
    x = minigrad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(x, minigrad.tensor(labels), reduction=reduction)
    assert loss.grad_fn.name() == "NllLossBackward0"
    assert minigrad.autograd.gradcheck(
        lambda z: F.cross_entropy(z * z, minigrad.tensor(labels), reduction=reduction), (x,))
    assert minigrad.autograd.gradgradcheck(
        lambda z: F.cross_entropy(z * z, minigrad.tensor(labels), reduction=reduction), (x,))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_of_extreme_logits_matches_torch_silently(dtype):
    logits = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [np.inf, 0.0, 1.0]]
    labels = [1, 2, 0]
    ours = minigrad.tensor(logits, dtype=getattr(minigrad, dtype), requires_grad=True)
    theirs = torch.tensor(logits, dtype=getattr(torch, dtype), requires_grad=True)
    with np.errstate(all="raise"):
        loss = F.cross_entropy(ours[:2], minigrad.tensor(labels[:2]))
        loss.backward()
    expected = TF.cross_entropy(theirs[:2], torch.tensor(labels[:2]))
    expected.backward()
    rel = 1e-6 if dtype == "float32" else 1e-12
    assert_close(loss.detach().numpy(), expected.detach().numpy(), rel)
    assert_close(ours.grad.numpy(), theirs.grad.numpy(), rel)
    with np.errstate(all="raise"):  # an infinite logit gives nan, without a warning
        assert np.isnan(F.cross_entropy(ours, minigrad.tensor(labels)).item())
    assert np.isnan(TF.cross_entropy(theirs, torch.tensor(labels)).item())


def test_cross_entropy_reports_a_label_out_of_range():
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([0, 3]))
    with pytest.raises(IndexError, match="Target -2 is out of bounds"):
        F.cross_entropy(minigrad.zeros(2, 3), minigrad.tensor([-2, 0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=classification(probabilities=True), smoothing=st.sampled_from([0.0, 0.3]))
def test_cross_entropy_with_class_probabilities(reduction, case, smoothing):
    logits, target, weight = case
    ours_w, theirs_w = both(weight)
    options = dict(reduction=reduction, label_smoothing=smoothing)
    check(lambda x, t: F.cross_entropy(x, t, ours_w, **options),
          lambda x, t: TF.cross_entropy(x, t, theirs_w, **options), logits, target)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@given(case=classification())
def test_nll_loss(reduction, case):
    log_probs, (target, ignore_index), weight = case
    ours_w, theirs_w = both(weight)
    options = dict(ignore_index=ignore_index, reduction=reduction)
    check(lambda x, t: F.nll_loss(x, t, ours_w, **options),
          lambda x, t: TF.nll_loss(x, t, theirs_w, **options), log_probs, target)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient():
    logits = np.arange(6.0).reshape(2, 3)
    target = np.array([-100, -100])
    ours = minigrad.tensor(logits, requires_grad=True)
    loss = F.cross_entropy(ours, minigrad.tensor(target))
    theirs = torch.tensor(logits, requires_grad=True)
    expected = TF.cross_entropy(theirs, torch.tensor(target))
    assert np.isnan(loss.item()) and np.isnan(expected.item())
    loss.backward()
    expected.backward()
    assert ours.grad.tolist() == theirs.grad.tolist() == [[0.0] * 3] * 2


def test_class_losses_report_bad_targets():
    logits = minigrad.zeros(4, 3)
    with pytest.raises(ValueError, match=r"expected a target of shape \(4,\).*got target of "
                                         r"shape \(4, 1\)"):
        F.cross_entropy(logits, minigrad.zeros(4, 1, dtype=minigrad.int64))
    with pytest.raises(IndexError, match="Target 3 is out of bounds"):
        F.nll_loss(logits, minigrad.tensor([0, 1, 2, 3]))
    for dtype in (minigrad.float32, minigrad.int32):  # PyTorch takes int64 or uint8 only
        with pytest.raises(RuntimeError, match="dtype int64"):
            F.nll_loss(logits, minigrad.zeros(4, dtype=dtype))
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        F.cross_entropy(logits, minigrad.zeros(4, 3), ignore_index=0)
    with pytest.raises(RuntimeError, match="weight of the input's dtype float32"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), minigrad.ones(3).double())
    weight = minigrad.ones(3, requires_grad=True)  # PyTorch: not differentiable there
    with pytest.raises(RuntimeError, match="derivative for 'weight'"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), weight)
    with minigrad.no_grad():
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), weight)
    with pytest.raises(ValueError, match=r"must have the input's shape \(4, 3\)"):
        F.cross_entropy(logits, minigrad.zeros(4, 2))
    with pytest.raises(RuntimeError, match="for all 3 classes"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), minigrad.ones(2))
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(logits, minigrad.tensor([0, 1, 2, 0]), label_smoothing=1.5)


def test_cross_entropy_probability_targets_differentiate_the_class_weight():
    rng = np.random.default_rng(0)
    logits, target = rng.normal(size=(4, 3, 2)), rng.dirichlet(np.ones(3), (4, 2))
    target, weight = target.transpose(0, 2, 1), rng.uniform(0.5, 2, 3)
    grads = []
    for lib, fn in ((minigrad, F.cross_entropy), (torch, TF.cross_entropy)):
        x, w = (lib.tensor(a, requires_grad=True) for a in (logits, weight))
        fn(x, lib.tensor(target), w, label_smoothing=0.1).backward()
        grads.append([np.asarray(t.grad) for t in (x, w)])
    for ours, theirs in zip(*grads, strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ---------------------------------------------------------------------- one_hot
@given(indices=arrays(np.int64, array_shapes(min_dims=0, max_dims=3, max_side=4),
                      elements=st.integers(0, 5)),
       extra=st.integers(0, 2))
def test_one_hot(indices, extra):
    theirs = TF.one_hot(torch.tensor(indices))
    assert np.array_equal(F.one_hot(minigrad.tensor(indices)).numpy(), theirs.numpy())
    classes = int(indices.max()) + 1 + extra
    ours = F.one_hot(minigrad.tensor(indices), classes)
    assert ours.dtype == minigrad.int64
    assert np.array_equal(ours.numpy(), TF.one_hot(torch.tensor(indices), classes).numpy())


def test_one_hot_errors():
    with pytest.raises(RuntimeError, match="non-negative"):
        F.one_hot(minigrad.tensor([-1, 0]))
    with pytest.raises(RuntimeError, match="smaller than num_classes"):
        F.one_hot(minigrad.tensor([3]), 2)
    with pytest.raises(RuntimeError, match="index tensor"):
        F.one_hot(minigrad.tensor([1.0]))


# ---------------------------------------------------------------------- second derivatives
SECOND_ORDER = {
    "mse_loss": lambda x, y: F.mse_loss(x, y),
    "l1_loss": lambda x, y: F.l1_loss(x, y, reduction="sum"),
    "binary_cross_entropy": lambda x, y: F.binary_cross_entropy(
        minigrad.sigmoid(x), minigrad.sigmoid(y), reduction="none"),
    "binary_cross_entropy_with_logits": lambda x, y: F.binary_cross_entropy_with_logits(
        x, minigrad.sigmoid(y), pos_weight=minigrad.tensor([2.0, 0.5, 1.0],
                                                            dtype=minigrad.float64)),
    "cross_entropy": lambda x, y: F.cross_entropy(
        x * y, minigrad.tensor([2, 0]), label_smoothing=0.2, reduction="none"),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_loss_gradients_are_differentiable(name):
    """The losses' own backward formulas also record a graph (``create_graph=True``)."""
    rng = np.random.default_rng(0)
    x, y = (minigrad.tensor(rng.standard_normal((2, 3)), requires_grad=True) for _ in "xy")
    assert minigrad.autograd.gradcheck(SECOND_ORDER[name], (x, y))
    assert minigrad.autograd.gradgradcheck(SECOND_ORDER[name], (x, y))
