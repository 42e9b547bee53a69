"""The backward engine: graph shapes, accumulation, retain_graph, higher order, memory,
grad mode, hooks, custom Functions and every error the issue lists, checked against torch."""

import gc
import sys
import threading
import tracemalloc

import numpy as np
import pytest
import torch

import minigrad as mg
from minigrad.autograd import Function, gradcheck, gradgradcheck


def leaf(values, dtype=mg.float64):
    return mg.tensor(values, dtype=dtype, requires_grad=True)


def torch_leaf(values):
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def test_diamond_graph_matches_torch():
    def f(lib, x):
        a = x * 2
        b = a.sin()
        c = a.exp()
        return (b * c + a).sum()

    x, tx = leaf([0.1, -0.4, 0.7]), torch_leaf([0.1, -0.4, 0.7])
    f(mg, x).backward()
    f(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_node_reused_many_times_sums_contributions():
    x = leaf([1.5, -2.0])
    y = x * x
    total = y
    for _ in range(99):
        total = total + y
    total.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 100 * 2 * x.detach().numpy())


def test_gradients_accumulate_across_backward_calls():
    x = leaf([1.0, 2.0])
    for _ in range(3):
        (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * 2 * np.array([1.0, 2.0]))


def test_leaf_grad_is_not_shared_between_leaves():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_leaf_grad_never_aliases_the_callers_gradient():
    a = leaf([1.0, 2.0])
    gradient = mg.tensor([1.0, 1.0], dtype=mg.float64)
    (a + 0).backward(gradient)
    a.grad.mul_(5)
    np.testing.assert_array_equal(gradient.numpy(), [1.0, 1.0])
    kept = mg.tensor([2.0, 2.0], dtype=mg.float64)
    b = leaf([1.0, 2.0])
    b.register_hook(lambda g: kept)
    (b * 1).sum().backward()
    b.grad.zero_()
    np.testing.assert_array_equal(kept.numpy(), [2.0, 2.0])


def test_second_backward_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_chain_of_100000_ops_needs_no_recursion():
    limit = sys.getrecursionlimit()
    x = leaf(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert sys.getrecursionlimit() == limit
    del y  # freeing a 100,000-deep graph must not overflow the C stack either


def test_10000_parallel_branches():
    x = leaf([1.0, 2.0])
    branches = [x * float(i) for i in range(10_000)]
    mg.stack(branches).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [sum(range(10_000))] * 2)


def test_backward_with_gradient_and_inputs():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x * w
    y.backward(mg.tensor([1.0, 0.5], dtype=mg.float64), inputs=[x])
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 2.0])
    assert w.grad is None


def test_create_graph_gives_second_derivatives_like_torch():
    def f(x):
        return (x.sin() * x.exp() + x ** 3).sum()

    x, tx = leaf([0.3, -1.2]), torch_leaf([0.3, -1.2])
    (g,) = mg.autograd.grad(f(x), x, create_graph=True)
    (tg,) = torch.autograd.grad(f(tx), tx, create_graph=True)
    v = [0.7, -0.2]
    (hv,) = mg.autograd.grad((g * mg.tensor(v, dtype=mg.float64)).sum(), x)
    (thv,) = torch.autograd.grad((tg * torch.tensor(v, dtype=torch.float64)).sum(), tx)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(hv.numpy(), thv.numpy(), rtol=1e-12)


def test_gradient_penalty_through_backward_create_graph():
    x = leaf([0.5, 1.5])
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    penalty = (x.grad ** 2).sum()
    x.grad = None
    penalty.backward()
    # d/dx sum((3x^2)^2) = 36 x^3
    np.testing.assert_allclose(x.grad.numpy(), 36 * np.array([0.5, 1.5]) ** 3)


def test_autograd_grad_leaves_dot_grad_alone_and_allow_unused():
    x, unused = leaf([1.0]), leaf([2.0])
    (g, none) = mg.autograd.grad((x * 3).sum(), [x, unused], allow_unused=True)
    assert g.item() == 3.0 and none is None and x.grad is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        mg.autograd.grad((x * 3).sum(), [x, unused])
    (zero,) = mg.autograd.grad((x * 3).sum(), [unused], materialize_grads=True)
    assert zero.item() == 0.0


def test_grad_with_respect_to_a_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    (g,) = mg.autograd.grad((h * h).sum(), h)
    np.testing.assert_allclose(g.numpy(), 2 * h.detach().numpy())


def test_graph_is_released_and_has_no_reference_cycles():
    gc.collect()
    gc.disable()
    try:
        x = leaf(np.ones(10))
        y = (x.exp() * x).sum()
        node = y.grad_fn
        y.backward()
        assert node.inputs is None
        del x, y, node
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_memory_stays_flat_over_200_iterations_without_gc():
    w = leaf(np.random.default_rng(0).standard_normal((200, 200)))
    data = mg.tensor(np.random.default_rng(1).standard_normal((500, 200)))

    def step():
        hidden = (data @ w).tanh()
        loss = (hidden * hidden).mean()
        loss.backward()
        w.grad = None

    gc.collect()
    gc.disable()
    tracemalloc.start()
    try:
        for _ in range(10):
            step()
        baseline = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            step()
        current = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
        gc.enable()
    intermediate = 500 * 200 * 8  # one (500, 200) float64 array: 800 kB
    assert current - baseline < intermediate / 4


def test_no_grad_is_thread_local():
    x = leaf([1.0])
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with mg.no_grad():
            inside.set()
            outside.wait(5)
            seen["worker"] = (x * 2).requires_grad

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    seen["main"] = (x * 2).requires_grad
    outside.set()
    thread.join()
    assert seen == {"worker": False, "main": True}


def test_grad_mode_switches_as_context_managers_and_decorators():
    x = leaf([1.0])

    @mg.no_grad()
    def without():
        return x * 2

    @mg.enable_grad()
    def with_grad():
        return x * 2

    assert not without().requires_grad
    with mg.no_grad():
        assert with_grad().requires_grad
        assert not mg.is_grad_enabled()
    with mg.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert mg.is_grad_enabled()
    mg.set_grad_enabled(False)
    assert not mg.is_grad_enabled()
    mg.set_grad_enabled(True)


def test_hooks_and_retain_grad_match_torch():
    def run(lib, x):
        seen = []
        a = x * 2
        a.retain_grad()
        handle = a.register_hook(lambda g: g * 10)
        a.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
        x.register_hook(lambda g: g + 1)
        (a * a).sum().backward()
        handle.remove()
        return a.grad.detach().numpy(), x.grad.detach().numpy(), seen

    ours, theirs = run(mg, leaf([1.0, 2.0])), run(torch, torch_leaf([1.0, 2.0]))
    for mine, reference in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(mine, reference)
    np.testing.assert_allclose(ours[2][0], theirs[2][0])


def test_grad_fn_names_and_leaf_flags():
    x = leaf([1.0, 2.0])
    y = x * 2
    assert x.is_leaf and not y.is_leaf
    assert y.grad_fn.name() == "MulBackward0"
    assert type(y.grad_fn).__name__ == "MulBackward0"
    assert (y + 1).grad_fn.name() == "AddBackward0"
    assert "MulBackward0" in repr(y)
    (first, _), (second, _) = y.grad_fn.next_functions
    assert first.name() == "AccumulateGrad" and first.variable is x and second is None
    assert first.next_functions == ()


class Cube(Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return x * x * x * scale

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        assert ctx.needs_input_grad == (True, False)
        return grad * 3 * x * x * ctx.scale, None


class WrongCube(Cube):
    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x * x * ctx.scale, None


def test_custom_function_values_gradients_and_gradcheck():
    x = leaf([0.5, -1.0, 2.0])
    y = Cube.apply(x, 2.0)
    assert y.grad_fn.name() == "CubeBackward"
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy() ** 2)
    assert gradcheck(lambda t: Cube.apply(t, 2.0), (leaf([0.5, -1.0]),))
    assert gradgradcheck(lambda t: Cube.apply(t, 2.0), (leaf([0.5, -1.0]),))


def test_gradgradcheck_skips_outputs_without_gradient():
    x = mg.randn(2, 3, dtype=mg.float64, requires_grad=True)
    assert gradgradcheck(lambda t: t.max(1), (x,))


def test_gradcheck_catches_a_wrong_backward_and_names_the_worst_element():
    x = leaf([0.5, -1.0])
    assert not gradcheck(lambda t: WrongCube.apply(t, 1.0), (x,), raise_exception=False)
    with pytest.raises(RuntimeError, match="output 0 with respect to input 0") as info:
        gradcheck(lambda t: WrongCube.apply(t, 1.0), (x,))
    assert "worst element" in str(info.value)


def test_gradcheck_warns_on_float32_inputs():
    with pytest.warns(UserWarning, match="not a double precision"):
        # eps=1e-6 is below float32's resolution here: the check itself fails, as warned
        assert not gradcheck(lambda t: (t * t).sum(), (leaf([1.0, 2.0], dtype=mg.float32),),
                             raise_exception=False)


def test_custom_function_saved_tensor_modified_in_place_is_detected():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = Cube.apply(h, 1.0)
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---------------------------------------------------------------------- in place
def test_in_place_on_a_leaf_that_requires_grad_raises():
    x = leaf([1.0])
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x += 1
    with mg.no_grad():
        x.add_(1)
    assert x.item() == 2.0


def test_in_place_on_saved_tensor_is_detected_at_backward():
    x = leaf([1.0, 2.0])
    y = x.exp()
    z = y * 3
    y.add_(1)  # ExpBackward0 saved y's array: now stale
    with pytest.raises(RuntimeError, match="version 1; expected version 0"):
        z.sum().backward()


def test_recorded_in_place_ops_match_torch():
    def run(lib, x):
        h = x * 1
        h.mul_(3)
        h += x
        h[0] = 0.5 * x[1]
        h.clamp_(max=4.0)
        h.sub_(x, alpha=0.5)
        h.sum().backward()
        return h.detach().numpy(), x.grad.numpy()

    ours, theirs = run(mg, leaf([1.0, 2.0, 0.5])), run(torch, torch_leaf([1.0, 2.0, 0.5]))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference)


def test_in_place_after_use_does_not_reroute_earlier_consumers():
    def run(lib, x):
        h = x * 1
        before = h * 3  # uses h before the in-place op: its gradient skips the mul_
        h.mul_(2)
        (before + h).sum().backward()
        return x.grad.numpy()

    np.testing.assert_allclose(run(mg, leaf([1.0, 2.0])), run(torch, torch_leaf([1.0, 2.0])))


def test_writing_into_a_saved_array_through_numpy_fails_loudly():
    array = np.array([1.0, 2.0])
    data = mg.from_numpy(array)
    w = leaf([3.0, 4.0])
    loss = (data * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        array[0] = 100.0
    with pytest.raises(ValueError, match="read-only"):
        data.numpy()[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [1.0, 2.0])
    array[0] = 100.0  # released by backward: writable again
    loss = (data * w).sum()
    del loss  # dropped without backward: writable again too
    array[1] = 5.0


def test_data_and_detach_share_memory_and_version():
    x = leaf([1.0, 2.0])
    d = x.detach()
    d[0] = 5.0
    assert x[0].item() == 5.0 and x._version == 1
    x.data.mul_(2)
    np.testing.assert_array_equal(x.detach().numpy(), [10.0, 4.0])


# ---------------------------------------------------------------------- errors
def test_backward_on_non_scalar_needs_gradient():
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward()


def test_gradient_of_wrong_shape():
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\(3,\).*\(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(mg.ones(3, dtype=mg.float64))


def test_backward_when_nothing_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (mg.tensor([1.0]) * 2).sum().backward()


@pytest.mark.parametrize("dtype", [mg.int64, mg.int32, mg.bool])
def test_requires_grad_on_integer_or_bool_tensors(dtype):
    with pytest.raises(RuntimeError, match=f"floating point.*{dtype}"):
        mg.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        mg.tensor([1, 0], dtype=dtype).requires_grad_()


def test_shapes_that_cannot_broadcast():
    with pytest.raises(RuntimeError, match=r"mul.*\(2, 3\).*\(4,\)"):
        mg.ones(2, 3) * mg.ones(4)


def test_matmul_of_incompatible_shapes_names_both():
    with pytest.raises(RuntimeError, match=r"matmul.*\(2, 3\).*\(4, 5\)"):
        mg.ones(2, 3) @ mg.ones(4, 5)


def test_numpy_on_tensor_that_requires_grad_says_detach():
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        leaf([1.0]).numpy()


def test_non_leaf_requires_grad_cannot_be_switched_off():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf variables"):
        y.requires_grad = False
