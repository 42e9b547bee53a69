"""The ``Optimizer`` base class: parameter groups, per-parameter state, and saving both.

Subclasses implement ``step``. Updates work on the parameters' NumPy arrays in place
(``np.subtract(p._data, update, out=p._data)``), which keeps them fast, and bump each
parameter's version counter, so that a graph still holding the old value notices. A
parameter whose array a saved graph has made read-only is written through the tensor's own
in-place op, which handles that case.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

import numpy as np

from minigrad.autograd.grad_mode import enable_grad, no_grad
from minigrad.nn.module import _reset_grad
from minigrad.tensor import Tensor, _new


class _RequiredParameter:
    """The default of a hyper-parameter that every parameter group must give."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers, with ``torch.optim.Optimizer``'s interface.

    Parameters
    ----------
    params : iterable
        Tensors to optimize, ``(name, tensor)`` pairs, or dicts defining parameter groups
        (each with a ``"params"`` entry and any hyper-parameters to override).
    defaults : dict
        The hyper-parameters, used by every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        One dict per group: its ``"params"`` and every hyper-parameter.
    state : dict
        Per-parameter state (momentum buffers, moment estimates), keyed by parameter.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got minigrad.{type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyper-parameters (defaults fill the rest).

        Useful to unfreeze layers while training goes on. A parameter listed twice is an
        error (PyTorch only warns, then updates it twice per step).
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        params = list(params)
        names = [p[0] for p in params if isinstance(p, tuple)]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
            params = [p[1] for p in params]
        param_group["params"] = params
        for param in params:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params "
                                f"is {type(param).__name__}")
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None (default) or to zeros in place.

        With None, the next ``step`` skips parameters that got no gradient.
        """
        for group in self.param_groups:
            for param in group["params"]:
                _reset_grad(param, set_to_none)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update the parameters once; ``closure`` re-evaluates the loss and returns it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement step()")

    def _evaluate(self, closure: Callable[[], Any] | None) -> Any:
        """Run the closure (with grad enabled, as PyTorch does), or return None."""
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _params_with_grad(self, group: dict[str, Any]) -> list[Tensor]:
        return [p for p in group["params"] if p.grad is not None]

    # ------------------------------------------------------------------ saving
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's format.

        ``{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}``:
        parameters are replaced by their position across all groups. The state's tensors
        are the optimizer's own (not copies), as in PyTorch.
        """
        positions: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {key: value for key, value in group.items() if key != "params"}
            for param in group["params"]:
                positions.setdefault(id(param), len(positions))
            packed["params"] = [positions[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {positions[id(param)] if isinstance(param, Tensor) else param: value
                 for param, value in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state saved by :meth:`state_dict` (into an optimizer of the same shape).

        The saved hyper-parameters replace the current ones (defaults fill any the save
        lacks). State tensors are copied and converted to their parameter's dtype (``step``
        counts are kept as they are). Integer keys that came back as strings (e.g. through
        JSON) are accepted, and so is PyTorch's format with its tensors converted.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(f"loaded state dict has a different number of parameter groups "
                             f"({len(saved_groups)}) than the optimizer ({len(groups)})")
        for index, (group, saved) in enumerate(zip(groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"loaded state dict contains a parameter group that doesn't "
                                 f"match the size of optimizer's group (group {index}: "
                                 f"{len(saved['params'])} saved, {len(group['params'])} here)")
        by_index = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                            chain.from_iterable(g["params"] for g in groups), strict=True))
        state: defaultdict[Any, dict[str, Any]] = defaultdict(dict)
        for key, value in state_dict["state"].items():
            index = int(key) if isinstance(key, str) and key.isdigit() else key
            if index in by_index:
                param = by_index[index]
                state[param] = {name: _copy_state(item, param, name)
                                for name, item in value.items()}
            else:
                state[key] = value
        for group, saved in zip(groups, saved_groups, strict=True):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():  # settings newer than the save
                saved.setdefault(name, default)
        self.state = state
        self.param_groups = saved_groups

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for index, group in enumerate(self.param_groups):
            text += f"\nParameter Group {index}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"


def _copy_state(value: Any, param: Tensor, name: str) -> Any:
    """A writable copy of one state entry, in the parameter's dtype (``step`` as it is)."""
    if name == "step" and isinstance(value, (int, float)):
        return _new(np.asarray(value, np.float32))  # a count saved as a plain number
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = value._data
    if name != "step" and param.dtype.kind == "f":
        array = array.astype(param.dtype)
    return _new(np.array(array, copy=True))


def _update_(param: Tensor, ufunc: np.ufunc, operand: Any) -> None:
    """``param = ufunc(param, operand)`` in place (e.g. ``np.subtract``), bumping its version.

    A parameter array that a live graph saved is read-only: the tensor's own in-place op
    then writes it, so that the graph's version check sees the change.
    """
    data = param._data
    if data.flags.writeable:
        ufunc(data, operand, out=data, casting="unsafe")
        param._vc[0] += 1
    else:
        with no_grad():
            param.copy_(_new(ufunc(data, operand)))


_BLOCK = 1 << 16  # elements per block of the update: a temporary of 256 KiB in float32


def _subtract_scaled_(param: Tensor, grad: np.ndarray, scale: float) -> None:
    """``param -= scale * grad`` in place, bumping its version.

    A large parameter is updated a block of rows at a time, so that the temporary
    ``scale * grad`` is small instead of parameter-sized (which would otherwise set the peak
    memory of a training step, as PyTorch's in-place update does not).
    """
    data = param._data
    if data.size <= _BLOCK or not data.flags.writeable or grad.shape != data.shape:
        _update_(param, np.subtract, scale * grad)
        return
    rows = max(1, _BLOCK * len(data) // data.size)
    for start in range(0, len(data), rows):
        np.subtract(data[start:start + rows], scale * grad[start:start + rows],
                    out=data[start:start + rows], casting="unsafe")
    param._vc[0] += 1
