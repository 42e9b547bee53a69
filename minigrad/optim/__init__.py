"""Optimizers with PyTorch's names and update rules: ``minigrad.optim``.

``Optimizer`` (the base, ``optimizer.py``), ``SGD`` (``sgd.py``), ``Adam`` and ``AdamW``
(``adam.py``), and the ``lr_scheduler`` submodule.
"""

from minigrad.optim import lr_scheduler
from minigrad.optim.adam import Adam, AdamW
from minigrad.optim.optimizer import Optimizer
from minigrad.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "lr_scheduler"]
