"""One PyTorch-style model definition, run unchanged on PyTorch and on minigrad.

``SOURCE`` is ordinary PyTorch code: a ``Module`` subclass, a loss, an optimizer (and a
learning-rate schedule) in a training loop. It is executed twice, once with ``torch``,
``nn``, ``optim`` and ``F`` bound to PyTorch and once bound to minigrad. The minigrad
model starts from the PyTorch model's initial weights (copied with ``load_state_dict``);
from there, every step's loss must agree.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_parity import assert_close, to_minigrad_state

import minigrad
import minigrad.nn
import minigrad.optim

SOURCE = '''
class MLP(nn.Module):
    def __init__(self, sizes, dropout=0.0):
        super().__init__()
        self.layers = nn.ModuleList(
            nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.dropout(F.relu(layer(x)))
        return self.layers[-1](x)


def train_classifier(model, inputs, labels, steps):
    model = model.double()
    x = torch.tensor(inputs, dtype=torch.float64)
    y = torch.tensor(labels)
    criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
    optimizer = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.5)
    losses = []
    for _ in range(steps):
        model.train()
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        accuracy = (model(x).argmax(dim=1) == y).float().mean().item()
    return losses, accuracy


def train_regressor(model, inputs, targets, steps):
    model = model.double()
    x = torch.tensor(inputs, dtype=torch.float64)
    t = torch.tensor(targets, dtype=torch.float64)
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)

    def closure():
        optimizer.zero_grad()
        loss = F.mse_loss(model(x), t)
        loss.backward()
        return loss

    return [optimizer.step(closure).item() for _ in range(steps)]


class Detector(nn.Module):
    def __init__(self, n_in):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def train_detector(model, inputs, labels, steps):
    model = model.double()
    x = torch.tensor(inputs, dtype=torch.float64)
    y = torch.tensor(labels, dtype=torch.float64)
    criterion = nn.BCEWithLogitsLoss(pos_weight=torch.tensor(2.0, dtype=torch.float64))
    optimizer = optim.AdamW(model.parameters(), lr=0.02, amsgrad=True)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.97)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    return losses
'''


def bind(lib):
    """Run ``SOURCE`` with PyTorch's names bound to ``lib`` and return its namespace."""
    names = {"torch": lib, "nn": lib.nn, "optim": lib.optim, "F": lib.nn.functional}
    exec(SOURCE, names)
    return names


@pytest.fixture(scope="module")
def both():
    return bind(torch), bind(minigrad)


def twin_models(both, class_name, *args):
    """The PyTorch model and a minigrad model starting from its weights."""
    torch.manual_seed(0)
    theirs = both[0][class_name](*args)
    ours = both[1][class_name](*args)
    ours.load_state_dict(to_minigrad_state(theirs.state_dict()))
    return theirs, ours


def data(rows, columns):
    rng = np.random.default_rng(1)
    return rng.standard_normal((rows, columns)), rng


def test_classifier_trains_to_the_same_losses(both):
    inputs, rng = data(32, 4)
    labels = rng.integers(0, 3, 32)
    theirs, ours = twin_models(both, "MLP", [4, 16, 16, 3])
    expected_losses, expected_accuracy = both[0]["train_classifier"](theirs, inputs, labels, 40)
    losses, accuracy = both[1]["train_classifier"](ours, inputs, labels, 40)
    assert_close(losses, expected_losses)
    assert accuracy == expected_accuracy
    assert losses[-1] < 0.8 * losses[0]  # it did learn


def test_regressor_trains_to_the_same_losses(both):
    inputs, rng = data(24, 3)
    targets = np.sin(inputs @ rng.standard_normal((3, 2)))
    theirs, ours = twin_models(both, "MLP", [3, 12, 2])
    expected = both[0]["train_regressor"](theirs, inputs, targets, 50)
    assert_close(both[1]["train_regressor"](ours, inputs, targets, 50), expected)
    for name, value in ours.state_dict().items():
        assert_close(value.numpy(), theirs.state_dict()[name].numpy())


def test_detector_trains_to_the_same_losses(both):
    inputs, rng = data(20, 5)
    labels = (rng.random(20) < 0.3).astype(np.float64)
    theirs, ours = twin_models(both, "Detector", 5)
    expected = both[0]["train_detector"](theirs, inputs, labels, 30)
    assert_close(both[1]["train_detector"](ours, inputs, labels, 30), expected)
