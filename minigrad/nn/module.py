"""``Parameter`` and ``Module``: the building blocks of PyTorch-style models.

A :class:`Module` registers what is assigned to its attributes: a :class:`Parameter` goes
into ``_parameters``, a sub-``Module`` into ``_modules``, and tensors given to
:meth:`Module.register_buffer` into ``_buffers``. Everything else (``parameters()``,
``state_dict()``, ``train()``, ``zero_grad()``, the ``repr``) walks those three dicts, in
the order the attributes were assigned, exactly as ``torch.nn.Module`` does.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import numpy as np

from minigrad import dtypes
from minigrad.autograd.grad_mode import no_grad
from minigrad.tensor import Tensor

ModuleT = TypeVar("ModuleT", bound="Module")
# device names PyTorch code may pass to ``Module.to``; only "cpu" is accepted
_DEVICES = ("cpu", "cuda", "mps", "xpu", "meta")


class Parameter(Tensor):
    """A tensor that is a model parameter: a leaf that requires grad by default.

    Assigning a ``Parameter`` to an attribute of a :class:`Module` registers it, so that it
    appears in ``parameters()`` and ``state_dict()``. The parameter shares ``data``'s array
    (and version counter), as ``torch.nn.Parameter`` does.

    Parameters
    ----------
    data : Tensor, optional
        The initial value (an empty float tensor if None).
    requires_grad : bool
        Whether gradients are computed for the parameter (True by default).

    Examples
    --------
    >>> w = nn.Parameter(minigrad.zeros(2))
    >>> w
    Parameter containing:
    tensor([0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = Tensor(np.zeros((0,), dtypes.get_default_dtype()))
        elif not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): data must be a Tensor, got {type(data).__name__} "
                            "(wrap it with minigrad.tensor(...) first)")
        super().__init__(data._data, requires_grad=requires_grad)
        self._vc = data._vc

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What :meth:`Module.load_state_dict` returns: the keys it did not match."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class RemovableHandle:
    """Returned by the ``register_*_hook`` methods: ``remove()`` unregisters the hook.

    Also a context manager that removes the hook on exit.
    """

    _next_id = 0

    def __init__(self, hooks: dict[int, Any]) -> None:
        self._hooks = hooks
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        """Unregister the hook (removing it twice is harmless)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def _typename(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"minigrad.{type(value).__name__}"
    return type(value).__name__


def _addindent(text: str, spaces: int) -> str:
    """Indent every line but the first (blank lines stay empty), as PyTorch's repr does."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    rest = [(" " * spaces + line) if line.strip() else "" for line in lines[1:]]
    return "\n".join([lines[0], *rest])


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
    if "." in name:
        raise KeyError(f"{kind} name can't contain \".\", got: {name}")
    if name == "":
        raise KeyError(f"{kind} name can't be empty string \"\"")


class Module:
    """Base class of every layer and model, with ``torch.nn.Module``'s behaviour.

    Subclass it, create layers and parameters in ``__init__`` (after calling
    ``super().__init__()``), and write ``forward``; call the module itself (``model(x)``)
    rather than ``forward``, so that hooks run.

    Examples
    --------
    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(2, 8)
    ...         self.out = nn.Linear(8, 1)
    ...     def forward(self, x):
    ...         return self.out(minigrad.tanh(self.hidden(x)))
    >>> [name for name, _ in MLP().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _forward_hooks: dict[int, Callable[..., Any]]
    _forward_pre_hooks: dict[int, Callable[..., Any]]

    def __init__(self) -> None:
        # object.__setattr__: these must exist before our own __setattr__ can work
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", {})
        setattr_(self, "_buffers", {})
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", {})
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ------------------------------------------------------------------ calling
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward``, with the forward pre-hooks before it and forward hooks after."""
        if not (self._forward_hooks or self._forward_pre_hooks):
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            new_args = hook(self, args)
            if new_args is not None:
                args = new_args if isinstance(new_args, tuple) else (new_args,)
        result = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new_result = hook(self, args, result)
            if new_result is not None:
                result = new_result
        return result

    def register_forward_pre_hook(self, hook: Callable[..., Any], *,
                                  prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``.

        The hook may return new positional arguments (a tuple, or a single value that is
        wrapped in one). Returns a handle whose ``remove()`` unregisters the hook.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *,
                              prepend: bool = False) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``.

        The hook may return a value that replaces the output. Returns a handle whose
        ``remove()`` unregisters the hook.
        """
        return self._add_hook(self._forward_hooks, hook, prepend)

    @staticmethod
    def _add_hook(hooks: dict[int, Any], hook: Callable[..., Any],
                  prepend: bool) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        if prepend:
            hooks.move_to_end(handle.id, last=False)  # type: ignore[attr-defined]
        return handle

    # ------------------------------------------------------------------ registration
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter under ``name`` (None registers the name without a value)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter "
                            f"'{name}' (minigrad.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters "
                f"must be created explicitly. To express '{name}' as a function of another "
                "Tensor, compute the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None,
                        persistent: bool = True) -> None:
        """Add a tensor that is state but not a parameter (e.g. running statistics).

        Buffers are moved by ``float()``/``double()`` and, when ``persistent``, saved in
        ``state_dict()``.
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(minigrad Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name``."""
        if not isinstance(module, Module) and module is not None:
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name, self.__dict__, self._buffers, self._modules,
                         self._non_persistent_buffers_set)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(minigrad.nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = self.__dict__.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name, self.__dict__, self._parameters, self._buffers,
                         self._non_persistent_buffers_set)
            modules[name] = value
        elif name in self.__dict__.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module "
                                f"'{name}' (minigrad.nn.Module or None expected)")
            self._modules[name] = value
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(minigrad Tensor or None expected)")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    @staticmethod
    def _forget(name: str, *places: Any) -> None:
        for place in places:
            if name in place:
                if isinstance(place, set):
                    place.discard(name)
                else:
                    del place[name]

    def __getattr__(self, name: str) -> Any:
        # only called when normal lookup fails: parameters, buffers and modules live here
        state = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            members = state.get(store)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = itertools.chain(object.__dir__(self), self._parameters, self._buffers,
                                self._modules)
        return sorted(name for name in set(names) if not name[:1].isdigit())

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``""`` is the module itself)."""
        module = self
        for item in target.split(".") if target else []:
            child = module._modules.get(item)
            if not isinstance(child, Module):
                raise AttributeError(f"{module._get_name()} has no attribute `{item}` "
                                     f"(looking up {target!r})")
            module = child
        return module

    # ------------------------------------------------------------------ iteration
    def named_modules(self, memo: set[Module] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted name, module)`` for this module and every descendant, once each."""
        if memo is None:
            memo = set()
        if self in memo:
            return
        if remove_duplicate:
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module.named_modules(memo, prefix + ("." if prefix else "") + name,
                                                remove_duplicate)

    def modules(self, remove_duplicate: bool = True) -> Iterator[Module]:
        """Yield this module and every descendant."""
        for _, module in self.named_modules(remove_duplicate=remove_duplicate):
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct children."""
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(self, store: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else iter([(prefix, self)])
        for module_prefix, module in modules:
            for name, member in getattr(module, store).items():
                if member is None or id(member) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(member))
                yield module_prefix + ("." if module_prefix else "") + name, member

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted name, parameter)``; a parameter shared by two layers comes once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield every parameter (what an optimizer is given)."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted name, buffer)``."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield every buffer."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    # ------------------------------------------------------------------ modes and grads
    def train(self: ModuleT, mode: bool = True) -> ModuleT:
        """Set training mode (``mode=True``) or evaluation mode, recursively; returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self: ModuleT) -> ModuleT:
        """Set evaluation mode (``train(False)``): dropout is off. Returns self."""
        return self.train(False)

    def requires_grad_(self: ModuleT, requires_grad: bool = True) -> ModuleT:
        """Set ``requires_grad`` on every parameter (freeze with False); returns self."""
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to None, or to zeros in place."""
        for param in self.parameters():
            _reset_grad(param, set_to_none)

    def apply(self: ModuleT, fn: Callable[[Module], Any]) -> ModuleT:
        """Call ``fn`` on every descendant (children first), then on self; returns self.

        Typical use: custom initialisation, ``model.apply(init_weights)``.
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ dtypes
    def _apply(self: ModuleT, fn: Callable[[Tensor], Tensor]) -> ModuleT:
        """Replace the array of every parameter (and its grad) and every buffer by ``fn``'s.

        Parameters keep their identity (``param.data = fn(param)``), so optimizers built
        before the conversion still hold them.
        """
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                param.data = fn(param)
                if param.grad is not None:
                    param.grad.data = fn(param.grad)
            for name, buffer in self._buffers.items():
                if buffer is not None:
                    self._buffers[name] = fn(buffer)
        return self

    def _cast_floats(self: ModuleT, dtype: np.dtype) -> ModuleT:
        return self._apply(lambda t: t.to(dtype) if t.is_floating_point() else t)

    def float(self: ModuleT) -> ModuleT:
        """Convert floating-point parameters and buffers to float32; returns self."""
        return self._cast_floats(dtypes.float32)

    def double(self: ModuleT) -> ModuleT:
        """Convert floating-point parameters and buffers to float64; returns self."""
        return self._cast_floats(dtypes.float64)

    def half(self: ModuleT) -> ModuleT:
        """Convert floating-point parameters and buffers to float16; returns self."""
        return self._cast_floats(dtypes.float16)

    def to(self: ModuleT, *args: Any, **kwargs: Any) -> ModuleT:
        """``to(dtype)``, ``to(tensor)`` (its dtype) or ``to("cpu")``; returns self.

        Only floating-point parameters and buffers change dtype, as in PyTorch.
        """
        dtype = kwargs.pop("dtype", None)
        devices = [kwargs.pop("device", None)]
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, str) and arg.split(":")[0] in _DEVICES:
                devices.append(arg)
            else:
                dtype = arg
        for device in devices:
            if device is not None and str(device).split(":")[0] != "cpu":
                raise RuntimeError(f"minigrad runs on the cpu only, not on {device!r}")
        if dtype is None:
            return self
        dtype = dtypes.as_dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype=minigrad.{dtype}")
        return self._cast_floats(dtype)

    def cpu(self: ModuleT) -> ModuleT:
        """A no-op (minigrad runs on the cpu); returns self."""
        return self

    # ------------------------------------------------------------------ state dict
    def _local_state(self) -> dict[str, Tensor]:
        """This module's own parameters and persistent buffers (not its children's)."""
        state: dict[str, Tensor] = {}
        for name, param in self._parameters.items():
            if param is not None:
                state[name] = param
        for name, buffer in self._buffers.items():
            if buffer is not None and name not in self._non_persistent_buffers_set:
                state[name] = buffer
        return state

    def state_dict(self, *, destination: dict[str, Any] | None = None, prefix: str = "",
                   keep_vars: bool = False) -> dict[str, Any]:
        """The module's state: parameters and persistent buffers by dotted name.

        Ordered as PyTorch orders it: each module's parameters, then its buffers, then its
        children's entries. The values are detached tensors sharing memory with the
        parameters (``keep_vars=True`` gives the parameters themselves). A parameter
        shared between layers appears under each name.
        """
        if destination is None:
            destination = OrderedDict()
        for name, value in self._local_state().items():
            destination[prefix + name] = value if keep_vars else value.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".",
                                  keep_vars=keep_vars)
        return destination

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Every problem is collected and reported in one ``RuntimeError``: keys the model
        needs that are missing, keys the model does not have (both only when ``strict``),
        shape mismatches (naming the key and both shapes), and values that are not
        tensors. Values of another floating dtype are converted to the parameter's.

        Parameters
        ----------
        state_dict : mapping of str to Tensor
            Typically another model's ``state_dict()`` or the result of ``minigrad.load``.
        strict : bool
            Require the keys to match exactly.
        assign : bool
            Make the state dict's tensors the parameters (wrapped in ``Parameter``) instead
            of copying their values into the existing ones.

        Returns
        -------
        namedtuple ``(missing_keys, unexpected_keys)``
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing: list[str] = []
        unexpected: list[str] = []
        errors: list[str] = []
        for prefix, module in self._prefixed_modules():
            module._load_local(state_dict, prefix, assign, missing, unexpected, errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{key}"' for key in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{key}"' for key in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        return _IncompatibleKeys(missing, unexpected)

    def _prefixed_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Every module with its state-dict prefix, visiting shared modules once per path."""
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                yield from module._prefixed_modules(prefix + name + ".")

    def _load_local(self, state_dict: Mapping[str, Any], prefix: str, assign: bool,
                    missing: list[str], unexpected: list[str], errors: list[str]) -> None:
        local = self._local_state()
        for name, target in local.items():
            key = prefix + name
            if key not in state_dict:
                missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                errors.append(f'While copying the parameter named "{key}", expected '
                              f"minigrad.Tensor from checkpoint but received {type(value)}")
                continue
            if target.ndim == 0 and value.shape == (1,):
                value = value[0]
            if value.shape != target.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(value.shape)} from checkpoint, the shape in current "
                              f"model is {tuple(target.shape)}.")
                continue
            try:
                with no_grad():
                    if not assign:
                        target.copy_(value)
                    elif isinstance(target, Parameter):
                        setattr(self, name, Parameter(value, target.requires_grad))
                    else:
                        setattr(self, name, value)
            except (RuntimeError, TypeError) as error:
                errors.append(f'While copying the parameter named "{key}", whose dimensions '
                              f"in the model are {tuple(target.shape)} and whose dimensions "
                              f"in the checkpoint are {tuple(value.shape)}, an exception "
                              f"occurred : {error}.")
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            head, dot, _ = key[len(prefix):].partition(".")
            if (dot and head not in self._modules) or (not dot and head not in local):
                unexpected.append(key)

    # ------------------------------------------------------------------ repr
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's settings shown inside its repr (override in subclasses)."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"


def _reset_grad(param: Tensor, set_to_none: bool) -> None:
    """Drop ``param.grad`` (``set_to_none``) or zero it in place, detached from any graph."""
    grad = param.grad
    if grad is None:
        return
    if set_to_none:
        param.grad = None
        return
    if grad.grad_fn is not None:
        grad.detach_()
    else:
        grad.requires_grad_(False)
    grad.zero_()
