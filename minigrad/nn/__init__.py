"""Neural-network building blocks with PyTorch's names: ``minigrad.nn``.

``Module`` and ``Parameter`` (``module.py``), layers (``layers.py``), activations
(``activation.py``), containers (``containers.py``), losses (``loss.py``), and the
submodules ``functional`` (the same as functions) and ``init`` (initialisation schemes).
"""

from minigrad.nn import functional, init
from minigrad.nn.activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from minigrad.nn.containers import ModuleDict, ModuleList, Sequential
from minigrad.nn.layers import Dropout, Flatten, Identity, Linear
from minigrad.nn.loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from minigrad.nn.module import Module, Parameter

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout", "Flatten", "Identity",
    "L1Loss", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss", "Module", "ModuleDict",
    "ModuleList", "NLLLoss", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "Tanh",
    "functional", "init",
]
