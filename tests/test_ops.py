"""Every differentiable op against PyTorch in float64, and against finite differences.

One table (``OPS``) names each op: a function ``fn(lib, *tensors, **params)`` that is run
once with ``lib=minigrad`` and once with ``lib=torch``, and a hypothesis strategy that draws
its inputs (shapes drawn by hypothesis, including 0-d, size-1 and empty dims; values from a
seeded generator, kept away from the points where the op is not differentiable).
:func:`helper_test_op` compares the forward values, the gradients for a random cotangent,
and the second derivatives (a Hessian-vector product through ``create_graph=True``), then
runs minigrad's own ``gradcheck`` and ``gradgradcheck``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("error")  # no overflow or invalid-value warnings

RTOL, ATOL = 1e-10, 1e-10  # the values are O(1): atol is relative to them
SIDE = {"min_side": 0, "max_side": 3}
seeds = st.integers(0, 2**32 - 1)


# ---------------------------------------------------------------------- the helper
@dataclass
class Case:
    """One drawn input: the arrays that become tensors, and the op's other arguments."""

    arrays: tuple[np.ndarray, ...]
    params: dict[str, Any] = field(default_factory=dict)


def _outputs(result: Any) -> tuple[Any, ...]:
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)


def _numpy(tensor: Any) -> np.ndarray:
    if isinstance(tensor, minigrad.Tensor):
        return tensor.detach().numpy()
    return tensor.detach().numpy(force=True)  # torch's zero tensors need force


def _dtype_name(tensor: Any) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def assert_same(mine: Any, theirs: Any, what: str) -> None:
    """A minigrad tensor equals a torch tensor: shape, dtype, and values to 1e-10 relative."""
    assert isinstance(mine, minigrad.Tensor), f"{what}: got {type(mine).__name__}"
    assert tuple(mine.shape) == tuple(theirs.shape), f"{what}: shape {mine.shape} vs {theirs.shape}"
    assert _dtype_name(mine) == _dtype_name(theirs), f"{what}: dtype {mine.dtype} vs {theirs.dtype}"
    expected = _numpy(theirs)
    finite = np.abs(expected[np.isfinite(expected)])
    # relative to the tensor's scale too: an element that cancels to ~0 keeps the round-off
    # of the large terms it came from
    scale = float(finite.max()) if finite.size else 0.0
    with np.errstate(under="ignore"):  # rtol * a denormal underflows, harmlessly
        np.testing.assert_allclose(_numpy(mine), expected, rtol=RTOL, atol=ATOL + RTOL * scale,
                                   equal_nan=True, err_msg=what)


def _grads(lib: Any, outputs: Any, inputs: list[Any], cotangents: list[Any],
           create_graph: bool) -> list[Any]:
    """Gradients of ``outputs`` with respect to ``inputs``, zeros for unused inputs."""
    if not any(o.requires_grad for o in outputs):
        return [lib.zeros_like(x) for x in inputs]
    grads = lib.autograd.grad(outputs, inputs, cotangents, create_graph=create_graph,
                              allow_unused=True)
    return [lib.zeros_like(x) if g is None else g for x, g in zip(inputs, grads)]


def _run(lib: Any, fn: Callable[..., Any], case: Case, rng_seed: int) -> dict[str, list[Any]]:
    """Forward, gradients for a random cotangent, and a Hessian-vector product, in ``lib``."""
    rng = np.random.default_rng(rng_seed)
    inputs = [lib.tensor(a, dtype=lib.float64, requires_grad=True) for a in case.arrays]
    outputs = list(_outputs(fn(lib, *inputs, **case.params)))
    differentiable = [o for o in outputs if o.is_floating_point()]
    cotangents = [lib.tensor(rng.standard_normal(tuple(o.shape)), dtype=o.dtype,
                             requires_grad=True) for o in differentiable]
    grads = _grads(lib, differentiable, inputs, cotangents, create_graph=True)
    directions = [lib.tensor(rng.standard_normal(tuple(x.shape)), dtype=lib.float64)
                  for x in inputs]
    inner = sum(((g * d).sum() for g, d in zip(grads, directions)),
                lib.zeros((), dtype=lib.float64))
    second = _grads(lib, [inner], inputs + cotangents, None, create_graph=False)
    return {"output": outputs, "gradient": grads, "second derivative": second}


def compare_with_torch(fn: Callable[..., Any], case: Case, seed: int = 0) -> None:
    """``fn`` in minigrad and in torch: same values, gradients and second derivatives."""
    mine = _run(minigrad, fn, case, seed)
    theirs = _run(torch, fn, case, seed)
    for what in mine:
        assert len(mine[what]) == len(theirs[what]), what
        for i, (m, t) in enumerate(zip(mine[what], theirs[what])):
            assert_same(m, t, f"{what} {i}")
    for output in mine["output"]:
        assert output.requires_grad == output.is_floating_point()


def helper_test_op(fn: Callable[..., Any], case: Case, *, smooth: bool = True,
                   seed: int = 0, **check: float) -> None:
    """Check ``fn`` in minigrad against torch: values, gradients, second derivatives.

    Then check minigrad's gradients against finite differences with ``gradcheck`` (``check``
    overrides its ``eps``/``atol``/``rtol``), and its second derivatives with
    ``gradgradcheck`` when the op is ``smooth`` (piecewise-linear ops have no second
    derivative worth the check, and their first is checked already).
    """
    compare_with_torch(fn, case, seed)

    inputs = tuple(minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True)
                   for a in case.arrays)

    def differentiable(*tensors: Any) -> tuple[Any, ...]:
        return tuple(o for o in _outputs(fn(minigrad, *tensors, **case.params))
                     if o.is_floating_point())

    assert gradcheck(differentiable, inputs, **check)
    if smooth:
        # the cotangents of float32/float16 outputs are inputs of the check: it says so
        low_precision = any(o.dtype != minigrad.float64 for o in differentiable(*inputs))
        with pytest.warns(UserWarning, match="double precision") if low_precision else \
                warnings.catch_warnings():
            assert gradgradcheck(differentiable, inputs, **check)


# ---------------------------------------------------------------------- input strategies
def values(rng: np.random.Generator, shape: tuple[int, ...], domain: str) -> np.ndarray:
    """Random float64 values in a domain where the op under test is differentiable."""
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.25, 2.0, shape)
    if domain == "off_grid":  # at least 0.05 away from every multiple of 0.5 (clamp bounds)
        return (rng.integers(-4, 4, shape) + rng.uniform(0.1, 0.9, shape)) * 0.5
    return rng.standard_normal(shape)


@st.composite
def broadcasting(draw: Any, *domains: str, min_dims: int = 0, min_side: int = 0) -> Case:
    """Mutually broadcastable inputs, one per domain."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=len(domains), min_dims=min_dims,
                                                    max_dims=3, min_side=min_side,
                                                    max_side=3)).input_shapes
    rng = np.random.default_rng(draw(seeds))
    return Case(tuple(values(rng, s, d) for s, d in zip(shapes, domains)))


def unary(domain: str = "real", **shape: Any) -> st.SearchStrategy[Case]:
    return broadcasting(domain, **shape)


@st.composite
def bounded(draw: Any) -> Case:
    """An input and two bounds that broadcast to its shape (torch's clamp backward fails
    when the bounds would broadcast the input itself)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    bounds = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, base_shape=shape,
                                                    max_dims=len(shape), **SIDE))
    assume(bounds.result_shape == shape)
    rng = np.random.default_rng(draw(seeds))
    return Case(tuple(values(rng, s, "real") for s in (shape, *bounds.input_shapes)))


@st.composite
def with_condition(draw: Any) -> Case:
    """A bool condition and two values, all mutually broadcastable (``where``)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, **SIDE))
    rng = np.random.default_rng(draw(seeds))
    condition = rng.random(shapes.input_shapes[0]) < 0.5
    return Case(tuple(values(rng, s, "real") for s in shapes.input_shapes[1:]),
                {"condition": condition})


def draw_dims(draw: Any, ndim: int, *, allow_none: bool = True,
              allow_tuple: bool = True) -> Any:
    """A ``dim`` argument: None, an int (maybe negative) or a tuple of distinct dims."""
    bound = max(ndim, 1)
    one = st.integers(-bound, bound - 1)
    options = [one]
    if allow_none:
        options.append(st.none())
    if allow_tuple:
        options.append(st.lists(one, min_size=1, max_size=bound,
                                unique_by=lambda d: d % bound).map(tuple))
    return draw(st.one_of(*options))


def _reduced_count(shape: tuple[int, ...], dim: Any) -> int:
    if dim is None or dim == ():
        return int(np.prod(shape))
    dims = (dim,) if isinstance(dim, int) else dim
    return int(np.prod([shape[d] for d in dims])) if shape else 1


@st.composite
def reduction(draw: Any, *, allow_none: bool = True, allow_tuple: bool = True,
              min_count: int = 0, min_side: int = 0) -> Case:
    """An input, a ``dim`` and ``keepdim``; ``min_count`` elements reduced at least."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=min_side, max_side=3))
    dim = draw_dims(draw, len(shape), allow_none=allow_none, allow_tuple=allow_tuple)
    assume(_reduced_count(shape, dim) >= min_count)
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"dim": dim, "keepdim": draw(st.booleans())})


@st.composite
def variance(draw: Any) -> Case:
    """``var``/``std`` inputs with more elements reduced than the correction (and no empty
    dims: torch warns that each empty slice has no degrees of freedom)."""
    case = draw(reduction(min_count=2, min_side=1))
    case.params["correction"] = draw(st.sampled_from([0, 1]))
    return case


@st.composite
def one_dim(draw: Any, *, extra: int = 0) -> Case:
    """An input and one dim (``extra=1`` allows one past the end, as unsqueeze does)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    bound = max(len(shape) + extra, 1)
    dim = draw(st.integers(-bound, bound - 1))
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"dim": dim})


@st.composite
def matmul_inputs(draw: Any) -> Case:
    """1-D, 2-D and batched operands, the batch dims broadcasting."""
    n, k, m = draw(st.tuples(*[st.integers(0, 3)] * 3))
    batches = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=2,
                                                     min_side=1)).input_shapes
    a_shape = (k,) if draw(st.booleans()) else (*batches[0], n, k)
    b_shape = (k,) if draw(st.booleans()) else (*batches[1], k, m)
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, a_shape, "real"), values(rng, b_shape, "real")))


@st.composite
def matrices(draw: Any) -> Case:
    n, k, m = draw(st.tuples(*[st.integers(0, 3)] * 3))
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, (n, k), "real"), values(rng, (k, m), "real")))


@st.composite
def linear_inputs(draw: Any) -> Case:
    """``input (..., in)``, ``weight (out, in)`` and maybe ``bias (out,)``."""
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    fan_in, fan_out = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(seeds))
    shapes = [(*batch, fan_in), (fan_out, fan_in)]
    if draw(st.booleans()):
        shapes.append((fan_out,))
    return Case(tuple(values(rng, s, "real") for s in shapes))


@st.composite
def reshape_inputs(draw: Any) -> Case:
    """An input and a new shape with the same elements (maybe one -1, maybe extra 1s)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    target = list(draw(st.permutations(shape)))
    for _ in range(draw(st.integers(0, 2))):
        target.insert(draw(st.integers(0, len(target))), 1)
    if target and 0 not in shape and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"shape": tuple(target)})


@st.composite
def flatten_inputs(draw: Any) -> Case:
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, **SIDE))
    ndim = len(shape)
    start = draw(st.integers(0, ndim - 1))
    end = draw(st.integers(start, ndim - 1))
    rng = np.random.default_rng(draw(seeds))
    # negative forms of the same dims, half the time
    start, end = (start - ndim, end - ndim) if draw(st.booleans()) else (start, end)
    return Case((values(rng, shape, "real"),), {"start_dim": start, "end_dim": end})


@st.composite
def transpose_inputs(draw: Any) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    bound = max(len(shape), 1)
    dim0, dim1 = draw(st.integers(-bound, bound - 1)), draw(st.integers(-bound, bound - 1))
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"dim0": dim0, "dim1": dim1})


@st.composite
def permute_inputs(draw: Any) -> Case:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    dims = [d - len(shape) if draw(st.booleans()) else d
            for d in draw(st.permutations(range(len(shape))))]
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"dims": tuple(dims)})


@st.composite
def squeeze_inputs(draw: Any) -> Case:
    """Inputs rich in size-1 dims, and a dim (None, int or tuple) to squeeze."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=2))
    dim = draw_dims(draw, len(shape)) if shape else draw(st.sampled_from([None, 0, -1]))
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"dim": dim})


@st.composite
def expand_inputs(draw: Any) -> Case:
    """An input and a size it broadcasts to (new leading dims, 1s grown, -1 kept dims)."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=2))
    lead = draw(st.lists(st.integers(0, 3), max_size=2))
    sizes = [draw(st.integers(0, 3)) if n == 1 else draw(st.sampled_from([n, -1]))
             for n in shape]
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"sizes": (*lead, *sizes)})


@st.composite
def basic_index(draw: Any) -> Case:
    """Ints, slices (positive steps, as torch requires), None and Ellipsis."""
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, **SIDE))
    index = draw(hnp.basic_indices(shape, allow_newaxis=True))
    items = index if isinstance(index, tuple) else (index,)
    assume(all(not isinstance(i, slice) or i.step is None or i.step > 0 for i in items))
    rng = np.random.default_rng(draw(seeds))
    return Case((values(rng, shape, "real"),), {"index": index})


@st.composite
def joined(draw: Any, *, new_dim: bool) -> Case:
    """Two or three inputs for ``cat`` (sizes differ along dim) or ``stack`` (equal)."""
    shape = draw(hnp.array_shapes(min_dims=0 if new_dim else 1, max_dims=3, **SIDE))
    bound = len(shape) + new_dim
    dim = draw(st.integers(-bound, bound - 1))
    count = draw(st.integers(1, 3))
    shapes = [shape] * count
    if not new_dim:
        shapes = [tuple(draw(st.integers(0, 3)) if i == dim % bound else n
                        for i, n in enumerate(shape)) for _ in range(count)]
    rng = np.random.default_rng(draw(seeds))
    return Case(tuple(values(rng, s, "real") for s in shapes), {"dim": dim})


@st.composite
def gather_inputs(draw: Any) -> Case:
    """An input, a dim, and an index (repeats included) no larger than the input elsewhere."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    index_shape = tuple(draw(st.integers(0, 4)) if i == dim % len(shape) else
                        draw(st.integers(0, n)) for i, n in enumerate(shape))
    rng = np.random.default_rng(draw(seeds))
    index = rng.integers(0, shape[dim], index_shape)
    return Case((values(rng, shape, "real"),), {"dim": dim, "index": index})


@st.composite
def masked_inputs(draw: Any, *, tensor_value: bool = False) -> Case:
    """An input and a bool mask that broadcasts to its shape (and a 0-d value to write)."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=1, max_dims=3, **SIDE))
    shape = shapes.result_shape
    mask_shape = draw(hnp.broadcastable_shapes(shape, max_dims=len(shape), **SIDE))
    rng = np.random.default_rng(draw(seeds))
    arrays = [values(rng, shape, "real")]
    if tensor_value:
        arrays.append(values(rng, (), "real"))
    return Case(tuple(arrays), {"mask": rng.random(mask_shape) < 0.5})


# ---------------------------------------------------------------------- the op table
@dataclass(frozen=True)
class Op:
    fn: Callable[..., Any]
    inputs: st.SearchStrategy[Case]
    smooth: bool = True
    check: dict[str, float] = field(default_factory=dict)  # gradcheck's eps, atol, rtol


# Finite differences through a float32 or float16 rounding need a step far above its ulp.
FLOAT32_CHECK = {"eps": 1e-2, "atol": 1e-4}
FLOAT16_CHECK = {"eps": 0.25, "atol": 2e-2, "rtol": 2e-2}


def functional(lib: Any) -> Any:
    """Where ``linear`` lives: ``torch.nn.functional``, or minigrad itself."""
    return lib.nn.functional if lib is torch else lib


def values_and_indices(result: Any) -> tuple[Any, Any]:
    """``max(x, dim)``'s pair, checking that it unpacks and has named fields."""
    values, indices = result
    assert result.values is values and result.indices is indices and result[0] is values
    return values, indices


CLAMP_BOUNDS = [(-0.5, 1.0), (0.0, None), (None, 0.5), (-1.5, -1.0)]
UNARY = {  # name: (domain, smooth), each tested as function and method
    "neg": ("real", True), "exp": ("real", True), "log": ("positive", True),
    "sqrt": ("positive", True), "sin": ("real", True), "cos": ("real", True),
    "sigmoid": ("real", True), "tanh": ("real", True), "abs": ("off_grid", False),
    "relu": ("off_grid", False),
}

OPS: dict[str, Op] = {
    # arithmetic between tensors, broadcasting
    "add": Op(lambda lib, x, y: x + y, broadcasting("real", "real")),
    "add_fn_alpha": Op(lambda lib, x, y: lib.add(x, y, alpha=2.5), broadcasting("real", "real")),
    "add_method": Op(lambda lib, x, y: x.add(y), broadcasting("real", "real")),
    "sub": Op(lambda lib, x, y: x - y, broadcasting("real", "real")),
    "sub_fn_alpha": Op(lambda lib, x, y: lib.sub(x, y, alpha=-0.5),
                       broadcasting("real", "real")),
    "mul": Op(lambda lib, x, y: x * y, broadcasting("real", "real")),
    "mul_fn": Op(lambda lib, x, y: lib.mul(x, y), broadcasting("real", "real")),
    "mul_same": Op(lambda lib, x: x * x, unary()),
    "div": Op(lambda lib, x, y: x / y, broadcasting("real", "nonzero")),
    "div_fn": Op(lambda lib, x, y: lib.div(x, y), broadcasting("real", "nonzero")),
    "div_method": Op(lambda lib, x, y: x.div(y), broadcasting("real", "nonzero")),
    "pow": Op(lambda lib, x, y: x ** y, broadcasting("positive", "real")),
    "pow_fn": Op(lambda lib, x, y: lib.pow(x, y), broadcasting("positive", "real")),
    # arithmetic with Python and NumPy scalars on either side
    "add_scalar": Op(lambda lib, x: x + 2.5, unary()),
    "radd_int": Op(lambda lib, x: 2 + x, unary()),
    "sub_numpy_scalar": Op(lambda lib, x: x - np.float64(1.5), unary()),
    "rsub_int": Op(lambda lib, x: 3 - x, unary()),
    "mul_numpy_float32": Op(lambda lib, x: x * np.float32(1.5), unary()),
    "rmul_numpy_int": Op(lambda lib, x: np.int64(-2) * x, unary()),
    "div_scalar": Op(lambda lib, x: x / 4, unary()),
    "rdiv_scalar": Op(lambda lib, x: 2.5 / x, unary("nonzero")),
    "rdiv_numpy": Op(lambda lib, x: np.float64(2.5) / x, unary("nonzero")),
    "pow_int": Op(lambda lib, x: x ** 3, unary()),
    "pow_negative_int": Op(lambda lib, x: x ** -2, unary("nonzero")),
    "pow_half": Op(lambda lib, x: x ** 0.5, unary("positive")),
    "pow_zero": Op(lambda lib, x: x ** 0, unary()),
    "rpow": Op(lambda lib, x: 2.0 ** x, unary()),
    "rpow_numpy": Op(lambda lib, x: np.float64(1.5) ** x, unary()),
    "pow_tensor_scalar_fn": Op(lambda lib, x: lib.pow(x, 2.5), unary("positive")),
    # elementwise
    "abs_builtin": Op(lambda lib, x: abs(x), unary("off_grid"), smooth=False),
    **{f"clamp{i}": Op(lambda lib, x, b=b: lib.clamp(x, *b), unary("off_grid"), smooth=False)
       for i, b in enumerate(CLAMP_BOUNDS)},
    "clamp_method_min": Op(lambda lib, x: x.clamp(min=0.5), unary("off_grid"), smooth=False),
    "clamp_method_max": Op(lambda lib, x: x.clamp(max=-0.5), unary("off_grid"), smooth=False),
    "clip": Op(lambda lib, x: lib.clip(x, -1.0, 1.0), unary("off_grid"), smooth=False),
    "clamp_tensors": Op(lambda lib, x, low, high: lib.clamp(x, low, high),
                        bounded(), smooth=False),
    "maximum": Op(lambda lib, x, y: lib.maximum(x, y), broadcasting("real", "real"),
                  smooth=False),
    "maximum_method": Op(lambda lib, x, y: x.maximum(y), broadcasting("real", "real"),
                         smooth=False),
    "max_binary": Op(lambda lib, x, y: lib.max(x, y), broadcasting("real", "real"),
                     smooth=False),
    "minimum": Op(lambda lib, x, y: lib.minimum(x, y), broadcasting("real", "real"),
                  smooth=False),
    "min_binary": Op(lambda lib, x, y: x.min(y), broadcasting("real", "real"), smooth=False),
    "where": Op(lambda lib, x, y, condition: lib.where(lib.tensor(condition), x, y),
                with_condition()),
    "where_scalar": Op(lambda lib, x, y, condition: lib.where(lib.tensor(condition), x, 0.5),
                       with_condition()),
    # matrix products
    "matmul": Op(lambda lib, x, y: x @ y, matmul_inputs()),
    "matmul_fn": Op(lambda lib, x, y: lib.matmul(x, y), matmul_inputs()),
    "matmul_method": Op(lambda lib, x, y: x.matmul(y), matmul_inputs()),
    "mm": Op(lambda lib, x, y: lib.mm(x, y), matrices()),
    "linear": Op(lambda lib, *xs: functional(lib).linear(*xs), linear_inputs()),
    # reductions
    "sum": Op(lambda lib, x, dim, keepdim: lib.sum(x, dim=dim, keepdim=keepdim), reduction()),
    "sum_method": Op(lambda lib, x, dim, keepdim: x.sum(dim, keepdim), reduction()),
    "sum_all": Op(lambda lib, x: x.sum(), unary()),
    "mean": Op(lambda lib, x, dim, keepdim: lib.mean(x, dim=dim, keepdim=keepdim),
               reduction(min_count=1)),
    "mean_method": Op(lambda lib, x, dim, keepdim: x.mean(dim, keepdim),
                      reduction(min_count=1)),
    "var": Op(lambda lib, x, dim, keepdim, correction:
              lib.var(x, dim, correction=correction, keepdim=keepdim), variance()),
    "var_unbiased": Op(lambda lib, x, dim, keepdim: x.var(dim, unbiased=False, keepdim=keepdim),
                       reduction(min_count=2, min_side=1)),
    "var_all": Op(lambda lib, x: x.var(), unary(min_dims=1).filter(
        lambda case: case.arrays[0].size >= 2)),
    "std": Op(lambda lib, x, dim, keepdim, correction:
              lib.std(x, dim, correction=correction, keepdim=keepdim), variance()),
    "std_method": Op(lambda lib, x, dim, keepdim: x.std(dim, keepdim=keepdim),
                     reduction(min_count=2, min_side=1)),
    "max_all": Op(lambda lib, x: lib.max(x), unary(min_dims=0).filter(
        lambda case: case.arrays[0].size > 0), smooth=False),
    "min_all": Op(lambda lib, x: x.min(), unary(min_dims=0).filter(
        lambda case: case.arrays[0].size > 0), smooth=False),
    "max_dim": Op(lambda lib, x, dim, keepdim: values_and_indices(lib.max(x, dim, keepdim)),
                  reduction(allow_none=False, allow_tuple=False, min_count=1), smooth=False),
    "min_dim": Op(lambda lib, x, dim, keepdim:
                  values_and_indices(x.min(dim=dim, keepdim=keepdim)),
                  reduction(allow_none=False, allow_tuple=False, min_count=1), smooth=False),
    "amax": Op(lambda lib, x, dim, keepdim: lib.amax(x, dim, keepdim),
               reduction(allow_none=False, min_count=1), smooth=False),
    "amin": Op(lambda lib, x, dim, keepdim: x.amin(dim, keepdim=keepdim),
               reduction(allow_none=False, min_count=1), smooth=False),
    "logsumexp": Op(lambda lib, x, dim, keepdim: lib.logsumexp(x, dim, keepdim),
                    reduction(allow_none=False)),
    "logsumexp_method": Op(lambda lib, x, dim, keepdim: x.logsumexp(dim, keepdim=keepdim),
                           reduction(allow_none=False)),
    "softmax": Op(lambda lib, x, dim: lib.softmax(x, dim), one_dim()),
    "softmax_method": Op(lambda lib, x, dim: x.softmax(dim=dim), one_dim()),
    "log_softmax": Op(lambda lib, x, dim: lib.log_softmax(x, dim), one_dim()),
    "log_softmax_method": Op(lambda lib, x, dim: x.log_softmax(dim), one_dim()),
    # shapes
    "reshape": Op(lambda lib, x, shape: lib.reshape(x, shape), reshape_inputs()),
    "reshape_method": Op(lambda lib, x, shape: x.reshape(*shape), reshape_inputs().filter(
        lambda case: case.params["shape"])),
    "view": Op(lambda lib, x, shape: x.view(shape), reshape_inputs()),
    "flatten": Op(lambda lib, x, start_dim, end_dim: lib.flatten(x, start_dim, end_dim),
                  flatten_inputs()),
    "flatten_all": Op(lambda lib, x: x.flatten(), unary()),
    "transpose": Op(lambda lib, x, dim0, dim1: lib.transpose(x, dim0, dim1),
                    transpose_inputs()),
    "transpose_method": Op(lambda lib, x, dim0, dim1: x.transpose(dim0, dim1),
                           transpose_inputs()),
    "T_matrix": Op(lambda lib, x: x.T, matrices().map(lambda case: Case(case.arrays[:1]))),
    "permute": Op(lambda lib, x, dims: lib.permute(x, dims), permute_inputs()),
    "permute_method": Op(lambda lib, x, dims: x.permute(*dims), permute_inputs().filter(
        lambda case: case.params["dims"])),
    "unsqueeze": Op(lambda lib, x, dim: lib.unsqueeze(x, dim), one_dim(extra=1)),
    "unsqueeze_method": Op(lambda lib, x, dim: x.unsqueeze(dim), one_dim(extra=1)),
    "squeeze": Op(lambda lib, x, dim: lib.squeeze(x) if dim is None else lib.squeeze(x, dim),
                  squeeze_inputs()),
    "squeeze_method": Op(lambda lib, x, dim: x.squeeze() if dim is None else x.squeeze(dim),
                         squeeze_inputs()),
    "expand": Op(lambda lib, x, sizes: x.expand(*sizes), expand_inputs().filter(
        lambda case: case.params["sizes"])),
    "expand_tuple": Op(lambda lib, x, sizes: x.expand(sizes), expand_inputs()),
    "getitem": Op(lambda lib, x, index: x[index], basic_index()),
    "cat": Op(lambda lib, *xs, dim: lib.cat(xs, dim), joined(new_dim=False)),
    "cat_list": Op(lambda lib, *xs, dim: lib.cat(list(xs), dim=dim), joined(new_dim=False)),
    "stack": Op(lambda lib, *xs, dim: lib.stack(xs, dim), joined(new_dim=True)),
    "gather": Op(lambda lib, x, dim, index: lib.gather(x, dim, lib.tensor(index)),
                 gather_inputs()),
    "gather_method": Op(lambda lib, x, dim, index: x.gather(dim, lib.tensor(index)),
                        gather_inputs()),
    "masked_fill": Op(lambda lib, x, mask: x.masked_fill(lib.tensor(mask), -2.5),
                      masked_inputs()),
    "masked_fill_fn": Op(lambda lib, x, mask: lib.masked_fill(x, lib.tensor(mask), 1.0),
                         masked_inputs()),
    "masked_fill_tensor": Op(lambda lib, x, value, mask: x.masked_fill(lib.tensor(mask), value),
                             masked_inputs(tensor_value=True)),
    # copies and dtype casts: gradients flow through, converted back to float64
    "clone": Op(lambda lib, x: x.clone(), unary()),
    "clone_fn": Op(lambda lib, x: lib.clone(x), unary()),
    "float": Op(lambda lib, x: x.float(), unary(), check=FLOAT32_CHECK),
    "float_double": Op(lambda lib, x: x.float().double() * 2, unary(), check=FLOAT32_CHECK),
    "to_float32": Op(lambda lib, x: x.to(lib.float32) * x, unary(), check=FLOAT32_CHECK),
    "to_same": Op(lambda lib, x: x.to(lib.float64), unary()),
    "to_half": Op(lambda lib, x: x.to(dtype=lib.float16), unary(), check=FLOAT16_CHECK),
    "double": Op(lambda lib, x: x.double(), unary()),
}
for _name, (_domain, _smooth) in UNARY.items():
    OPS[_name] = Op(lambda lib, x, name=_name: getattr(lib, name)(x), unary(_domain), _smooth)
    OPS[f"{_name}_method"] = Op(lambda lib, x, name=_name: getattr(x, name)(), unary(_domain),
                                _smooth)


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=25)
@given(case_data=st.data())
def test_op_matches_torch(name: str, case_data: Any) -> None:
    op = OPS[name]
    case = case_data.draw(op.inputs, label="case")
    helper_test_op(op.fn, case, smooth=op.smooth, **op.check)


# ---------------------------------------------------------------------- ties
@st.composite
def with_ties(draw: Any, count: int) -> Case:
    """Small integer values, so that maxima and minima are often shared."""
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=count, min_dims=2, max_dims=3,
                                                    min_side=1, max_side=3)).input_shapes
    rng = np.random.default_rng(draw(seeds))
    return Case(tuple(rng.integers(0, 3, s).astype(np.float64) for s in shapes))


TIES = {  # PyTorch splits a tie's gradient evenly, except max(dim), which picks one index
    "maximum": (lambda lib, x, y: lib.maximum(x, y), 2),
    "minimum": (lambda lib, x, y: x.minimum(y), 2),
    "max_all": (lambda lib, x: x.max(), 1),
    "min_all": (lambda lib, x: lib.min(x), 1),
    "amax": (lambda lib, x: x.amax(dim=(0, -1)), 1),
    "amin": (lambda lib, x: lib.amin(x, 1, keepdim=True), 1),
    "max_dim": (lambda lib, x: values_and_indices(x.max(-1)), 1),
    "min_dim": (lambda lib, x: values_and_indices(lib.min(x, 0, keepdim=True)), 1),
    "clamp_at_bound": (lambda lib, x: x.clamp(1.0, 2.0), 1),
    "relu_at_zero": (lambda lib, x: (x - 1).relu(), 1),
    "abs_at_zero": (lambda lib, x: (x - 1).abs(), 1),
}


@pytest.mark.parametrize("name", sorted(TIES))
@settings(max_examples=10)
@given(case_data=st.data())
def test_gradients_at_ties_and_kinks_match_torch(name: str, case_data: Any) -> None:
    fn, count = TIES[name]
    compare_with_torch(fn, case_data.draw(with_ties(count), label="case"))


@pytest.mark.parametrize("values", [[2.0, 2.0, 2.0], [[1.0, 3.0], [2.0, 2.0]], [5.0], [[4.0]]])
def test_std_and_var_where_they_are_zero_or_have_no_degrees_of_freedom(values) -> None:
    # std's gradient is 0 where std is 0 (not 0 / 0); var's is nan with nothing to divide by
    fns = [lambda lib, x: x.std(), lambda lib, x: x.std(-1, keepdim=True).sum(),
           lambda lib, x: x.var(), lambda lib, x: lib.var(x, 0, correction=2).sum()]
    for fn in fns:
        grads = []
        for lib in (minigrad, torch):
            x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # PyTorch warns of no degrees of freedom
                fn(lib, x).backward()
            grads.append(np.asarray(x.grad))
        np.testing.assert_array_equal(*grads)


# ---------------------------------------------------------------------- no gradient
NO_GRADIENT = {
    "eq": lambda lib, x, y: x == y, "ne": lambda lib, x, y: x != y,
    "lt": lambda lib, x, y: lib.lt(x, y), "le": lambda lib, x, y: x <= y,
    "gt": lambda lib, x, y: x.gt(y), "ge": lambda lib, x, y: lib.ge(x, y),
    "eq_scalar": lambda lib, x, y: x == 1.0, "lt_scalar": lambda lib, x, y: 1 > y,  # noqa: SIM300 (reflected)
    "argmax": lambda lib, x, y: x.argmax(), "argmin": lambda lib, x, y: lib.argmin(y),
    "argmax_dim": lambda lib, x, y: lib.argmax(x, dim=-1),
    "argmin_dim": lambda lib, x, y: y.argmin(0, keepdim=True),
}


@pytest.mark.parametrize("name", sorted(NO_GRADIENT))
@settings(max_examples=10)
@given(case=with_ties(2))
def test_comparisons_and_arg_extrema_have_no_gradient(name: str, case: Case) -> None:
    mine = NO_GRADIENT[name](minigrad, *(minigrad.tensor(a, requires_grad=True)
                                         for a in case.arrays))
    theirs = NO_GRADIENT[name](torch, *(torch.tensor(a, requires_grad=True)
                                        for a in case.arrays))
    assert not mine.requires_grad and mine.grad_fn is None and mine.is_leaf
    assert_same(mine, theirs, name)


# ---------------------------------------------------------------------- stability
STABLE = {
    "sigmoid": lambda lib, x: lib.sigmoid(x),
    "softmax": lambda lib, x: lib.softmax(x, -1),
    "log_softmax": lambda lib, x: x.log_softmax(-1),
    "logsumexp": lambda lib, x: lib.logsumexp(x, -1),
}
EXTREMES = [[1000.0, 0.0], [-1000.0, 0.0], [1000.0, 1000.0], [-1000.0, -1000.0],
            [1000.0, -1000.0], [50.0, -50.0], [-np.inf, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(STABLE))
def test_exact_limits_without_nan_or_warnings(name: str, dtype: str) -> None:
    """At +-1000 the results are the exact limits, in value and gradient, silently."""
    fn = STABLE[name]
    for row in EXTREMES:
        mine = minigrad.tensor(row, dtype=getattr(minigrad, dtype), requires_grad=True)
        theirs = torch.tensor(row, dtype=getattr(torch, dtype), requires_grad=True)
        # whatever the user's NumPy error settings, minigrad stays silent: the module's
        # filterwarnings("error") turns any overflow or underflow warning into a failure
        with np.errstate(all="warn"):
            mine_out = fn(minigrad, mine)
            weights = [2.0, -1.0][: mine_out.numel()]
            (mine_out * minigrad.tensor(weights).reshape(mine_out.shape)).sum().backward()
        theirs_out = fn(torch, theirs)
        (theirs_out * torch.tensor(weights).reshape(theirs_out.shape)).sum().backward()
        assert_same(mine_out, theirs_out, f"{name}({row})")
        assert_same(mine.grad, theirs.grad, f"gradient of {name}({row})")
        assert not np.isnan(mine.grad.numpy()).any()


def test_the_limits_are_exact() -> None:
    big = minigrad.tensor([-1000.0, 1000.0], dtype=minigrad.float64)
    assert minigrad.sigmoid(big).tolist() == [0.0, 1.0]
    assert minigrad.softmax(big, 0).tolist() == [0.0, 1.0]
    assert minigrad.log_softmax(big, 0).tolist() == [-2000.0, 0.0]
    assert minigrad.logsumexp(big, 0).item() == 1000.0
    assert minigrad.logsumexp(minigrad.full((2,), -1000.0), 0).item() == \
        pytest.approx(-1000.0 + np.log(2), rel=1e-7)
    assert minigrad.logsumexp(minigrad.full((2,), -np.inf), 0).item() == -np.inf


# ---------------------------------------------------------------------- errors
ERRORS = {  # name: (call, substrings minigrad's message must contain)
    "add_broadcast": (lambda lib: lib.ones(2, 3) + lib.ones(4), ["(2, 3)", "(4,)"]),
    "mul_broadcast": (lambda lib: lib.ones(2, 1, 3) * lib.ones(2, 2), ["(2, 1, 3)", "(2, 2)"]),
    "sub_broadcast": (lambda lib: lib.sub(lib.ones(3), lib.ones(2)), ["(3,)", "(2,)"]),
    "div_broadcast": (lambda lib: lib.ones(3) / lib.ones(2, 2), ["(3,)", "(2, 2)"]),
    "pow_broadcast": (lambda lib: lib.ones(3) ** lib.ones(2), ["(3,)", "(2,)"]),
    "maximum_broadcast": (lambda lib: lib.maximum(lib.ones(3), lib.ones(2)), ["(3,)", "(2,)"]),
    "where_broadcast": (lambda lib: lib.where(lib.ones(3, dtype=lib.bool), lib.ones(2),
                                              lib.ones(3)), ["(3,)", "(2,)"]),
    "matmul_2d": (lambda lib: lib.ones(2, 3) @ lib.ones(4, 5), ["(2, 3)", "(4, 5)"]),
    "matmul_1d": (lambda lib: lib.matmul(lib.ones(3), lib.ones(4)), ["(3,)", "(4,)"]),
    "matmul_batched": (lambda lib: lib.ones(2, 2, 3) @ lib.ones(3, 2, 2),
                       ["(2, 2, 3)", "(3, 2, 2)"]),
    "matmul_0d": (lambda lib: lib.ones(()) @ lib.ones(3), ["()", "(3,)"]),
    "mm_1d": (lambda lib: lib.mm(lib.ones(3), lib.ones(3, 2)), ["(3,)", "(3, 2)"]),
    "linear": (lambda lib: functional(lib).linear(lib.ones(2, 3), lib.ones(4, 5)),
               ["(2, 3)", "5"]),  # torch, too, shows the weight transposed
    "where_condition": (lambda lib: lib.where(lib.tensor([1, 0]), lib.ones(2), lib.ones(2)),
                        ["int64"]),
    "requires_grad_int": (lambda lib: lib.tensor([1, 2], requires_grad=True), ["int64"]),
    "requires_grad_bool": (lambda lib: lib.ones(2, dtype=lib.bool).requires_grad_(), ["bool"]),
    "requires_grad_int_factory": (lambda lib: lib.zeros(2, dtype=lib.int32,
                                                        requires_grad=True), ["int32"]),
    "sum_dim": (lambda lib: lib.ones(2, 3).sum(2), ["2"]),
    "softmax_dim": (lambda lib: lib.ones(2, 3).softmax(-3), ["-3"]),
    "unsqueeze_dim": (lambda lib: lib.ones(2).unsqueeze(3), ["3"]),
    "transpose_dim": (lambda lib: lib.ones(2).transpose(0, 1), ["1"]),
    "squeeze_dim": (lambda lib: lib.ones(2, 3).squeeze(3), ["3"]),
    "stack_dim": (lambda lib: lib.stack([lib.ones(2)], 2), ["2"]),
    "reshape": (lambda lib: lib.ones(2, 3).reshape(4, 2), ["(2, 3)", "[4, 2]"]),
    "view": (lambda lib: lib.ones(6).view(4, -1), ["(6,)", "[4, -1]"]),
    "permute": (lambda lib: lib.ones(2, 3).permute(0, 0), ["(0, 0)"]),
    "expand": (lambda lib: lib.ones(2, 3).expand(4, 3), ["(2, 3)", "(4, 3)"]),
    "flatten": (lambda lib: lib.ones(2, 3).flatten(1, 0), ["start_dim"]),
    "cat_shapes": (lambda lib: lib.cat([lib.ones(2, 3), lib.ones(2, 4)]),
                   ["(2, 3)", "(2, 4)"]),
    "stack_shapes": (lambda lib: lib.stack([lib.ones(2), lib.ones(3)]), ["(2,)", "(3,)"]),
    "gather_out_of_range": (lambda lib: lib.ones(2, 3).gather(1, lib.tensor([[3]])), ["3"]),
    "gather_negative": (lambda lib: lib.ones(2, 3).gather(0, lib.tensor([[-1]])), ["-1"]),
    "gather_index_too_big": (lambda lib: lib.ones(2, 3).gather(0, lib.zeros(1, 4,
                                                                           dtype=lib.int64)),
                             ["(1, 4)", "(2, 3)"]),
    "max_empty": (lambda lib: lib.ones(0).max(), ["(0,)"]),
    "amax_empty_all": (lambda lib: lib.ones(2, 0).amax(), ["(2, 0)"]),
    "max_dim_empty": (lambda lib: lib.ones(3, 0).max(1), ["(3, 0)"]),
    "amax_empty": (lambda lib: lib.ones(3, 0).amax(1), ["(3, 0)"]),
    "getitem": (lambda lib: lib.ones(2)[5], ["(2,)"]),
    "clamp_no_bounds": (lambda lib: lib.ones(2).clamp(), ["min", "max"]),
    "mean_int": (lambda lib: lib.tensor([1, 2]).mean(), ["int64"]),
    "softmax_int": (lambda lib: lib.tensor([1, 2]).softmax(0), ["int64"]),
    "negative_int_power": (lambda lib: lib.tensor([1, 2]) ** -1, ["negative"]),
    "neg_bool": (lambda lib: -lib.ones(2, dtype=lib.bool), ["bool"]),
    "sub_bool": (lambda lib: lib.ones(2, dtype=lib.bool) - lib.ones(2, dtype=lib.bool),
                 ["bool"]),
    "relu_bool": (lambda lib: lib.relu(lib.ones(2, dtype=lib.bool)), ["bool"]),
    "pow_bool": (lambda lib: lib.ones(2, dtype=lib.bool) ** lib.ones(2, dtype=lib.bool),
                 ["bool"]),
}


def _raised(call: Callable[[], Any]) -> BaseException:
    try:
        call()
    except Exception as error:  # returned for inspection
        return error
    raise AssertionError("no exception raised")


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_misuse_raises_torchs_exception_type_with_a_clear_message(name: str) -> None:
    call, substrings = ERRORS[name]
    expected = type(_raised(lambda: call(torch)))
    if expected is NotImplementedError:  # torch's "not implemented for 'Bool'" kernels
        expected = RuntimeError
    error = _raised(lambda: call(minigrad))
    assert isinstance(error, expected), f"{name}: {type(error).__name__}: {error}"
    message = str(error)
    for text in substrings:
        assert text in message, f"{name}: {text!r} not in {message!r}"
    assert "numpy" not in message.lower(), f"{name}: a NumPy message leaked: {message!r}"


def test_silent_ops_leave_the_users_numpy_error_state_as_it_was() -> None:
    before = np.geterr()
    with np.errstate(all="raise"):
        x = minigrad.tensor([1000.0, -1000.0], dtype=minigrad.float64, requires_grad=True)
        minigrad.exp(minigrad.sigmoid(x)).sum().backward()
        assert minigrad.log(minigrad.tensor([0.0])).item() == -np.inf
        assert set(np.geterr().values()) == {"raise"}
    assert np.geterr() == before
