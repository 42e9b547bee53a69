"""The autograd engine: backward, grad, grad mode, custom Functions and gradcheck."""

from minigrad.autograd.engine import backward, grad
from minigrad.autograd.function import Function, FunctionCtx
from minigrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from minigrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = [
    "Function", "FunctionCtx", "GradcheckError", "backward", "enable_grad", "grad",
    "gradcheck", "gradgradcheck", "is_grad_enabled", "no_grad", "set_grad_enabled",
]
