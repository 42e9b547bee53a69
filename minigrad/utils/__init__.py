"""Utilities: ``minigrad.utils.data`` (datasets and minibatch loading)."""

from minigrad.utils import data

__all__ = ["data"]
