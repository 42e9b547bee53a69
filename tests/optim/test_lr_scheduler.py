"""Learning-rate schedules against ``torch.optim.lr_scheduler``: the same rates, epoch by epoch."""

from __future__ import annotations

import copy

import pytest
import torch

import minigrad
import minigrad.optim as optim
from minigrad.optim import lr_scheduler

SCHEDULES = [
    ("StepLR", dict(step_size=3)),
    ("StepLR", dict(step_size=2, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.9)),
]


def optimizers(lrs):
    """A minigrad and a PyTorch SGD with one parameter group per learning rate."""
    ours = optim.SGD([{"params": [minigrad.zeros(1, requires_grad=True)], "lr": lr}
                      for lr in lrs], lr=1.0)
    theirs = torch.optim.SGD([{"params": [torch.zeros(1, requires_grad=True)], "lr": lr}
                              for lr in lrs], lr=1.0)
    return ours, theirs


def rates(scheduler, epochs):
    history = [scheduler.get_last_lr()]
    for _ in range(epochs):
        scheduler.optimizer.step()
        scheduler.step()
        history.append(scheduler.get_last_lr())
    return history


@pytest.mark.parametrize(("name", "options"), SCHEDULES)
def test_rates_match_torch(name, options):
    ours, theirs = optimizers([0.1, 0.5])
    expected = rates(getattr(torch.optim.lr_scheduler, name)(theirs, **options), 12)
    assert rates(getattr(lr_scheduler, name)(ours, **options), 12) == expected
    assert [group["lr"] for group in ours.param_groups] == expected[-1]
    assert [group["initial_lr"] for group in ours.param_groups] == [0.1, 0.5]


@pytest.mark.parametrize(("name", "options"), SCHEDULES)
def test_state_dict_resumes_the_schedule(name, options):
    ours, _ = optimizers([0.1])
    scheduler = getattr(lr_scheduler, name)(ours, **options)
    rates(scheduler, 4)
    saved_schedule = scheduler.state_dict()
    saved_optimizer = copy.deepcopy(ours.state_dict())
    assert "optimizer" not in saved_schedule and saved_schedule["last_epoch"] == 4
    expected = rates(scheduler, 5)

    resumed_optimizer, _ = optimizers([0.1])
    resumed = getattr(lr_scheduler, name)(resumed_optimizer, **options)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed.load_state_dict(saved_schedule)
    assert rates(resumed, 5) == expected


def test_resuming_needs_initial_lr_like_torch():
    ours, theirs = optimizers([0.1])
    with pytest.raises(KeyError, match="initial_lr"):
        torch.optim.lr_scheduler.StepLR(theirs, step_size=2, last_epoch=3)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(ours, step_size=2, last_epoch=3)
    ours.param_groups[0]["initial_lr"] = 0.1
    scheduler = lr_scheduler.StepLR(ours, step_size=2, last_epoch=3)
    assert scheduler.last_epoch == 4 and scheduler.base_lrs == [0.1]


def test_schedulers_need_an_optimizer():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.ExponentialLR("sgd", gamma=0.5)
