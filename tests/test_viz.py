"""minigrad.viz: the DOT drawing of a graph and the step-by-step backward explanation."""

import re
import sys
import types

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import ops, viz
from minigrad.autograd import Function
from minigrad.tensor import Node, derivative, record

# ---------------------------------------------------------------------- DOT parsing

_NODE = re.compile(r"^\s*(\w+) \[(.*)\]$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?$")
_ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _attrs(text):
    return {key: _unescape(value) for key, value in _ATTR.findall(text or "")}


def parse_dot(text):
    """(nodes: id -> attributes, edges: list of (tail, head, edge label or None))."""
    lines = text.strip().splitlines()
    assert lines[0] == "digraph minigrad {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        edge = _EDGE.match(line)
        if edge:
            edges.append((edge[1], edge[2], _attrs(edge[3]).get("label")))
            continue
        node = _NODE.match(line)
        assert node, f"unparsed DOT line {line!r}"
        if node[1] not in ("node", "edge"):  # default attributes
            nodes[node[1]] = _attrs(node[2])
    return nodes, edges


def known_graph(x_requires_grad=False):
    """y = (w * x).sigmoid().sum(), with w and x of shape (2,)."""
    w = minigrad.tensor([0.5, -1.0], requires_grad=True)
    x = minigrad.tensor([2.0, 3.0], requires_grad=x_requires_grad)
    h = w * x
    s = h.sigmoid()
    y = s.sum()
    return w, x, h, s, y


class Layer:
    """A stand-in for an nn.Module: what viz reads is named_parameters()."""

    def __init__(self):
        self.weight = minigrad.tensor([[1.0, -2.0], [0.5, 3.0], [-1.0, 1.5]], requires_grad=True)
        self.bias = minigrad.tensor([0.1, 0.2, -0.3], requires_grad=True)

    def named_parameters(self):
        yield "fc.weight", self.weight
        yield "fc.bias", self.bias


# ---------------------------------------------------------------------- to_dot


def test_known_graph_nodes_edges_and_labels():
    w, x, h, s, y = known_graph()
    nodes, edges = parse_dot(viz.to_dot(y, params={"w": w, "x": x}))
    assert nodes.keys() == {"t0", "t1", "t2", "op2", "t3", "op3", "t4", "op4"}
    assert sorted(edges) == sorted([
        ("t0", "op2", "0"), ("t1", "op2", "1"), ("op2", "t2", None),
        ("t2", "op3", None), ("op3", "t3", None),
        ("t3", "op4", None), ("op4", "t4", None),
    ])
    assert [nodes[f"op{i}"]["label"] for i in (2, 3, 4)] == [
        h.grad_fn.name(), s.grad_fn.name(), y.grad_fn.name()]
    assert [nodes[f"op{i}"]["label"] for i in (2, 3, 4)] == [
        "MulBackward0", "SigmoidBackward0", "SumBackward0"]
    assert nodes["t0"]["label"] == "w\n(2,) float32"
    assert nodes["t1"]["label"] == "x\n(2,) float32"
    assert nodes["t2"]["label"] == nodes["t3"]["label"] == "(2,) float32"
    assert nodes["t4"]["label"] == f"output\n() float32\nvalue {y.item():.6g}"
    assert nodes["t0"]["fillcolor"] == "lightblue"  # a leaf that requires grad
    assert nodes["t1"]["style"] == "dashed"  # needs no gradient
    assert nodes["t4"]["fillcolor"] == "darkolivegreen1"  # the output
    assert all(nodes[f"t{i}"]["shape"] == "box" for i in range(5))
    assert all(nodes[f"op{i}"]["shape"] == "ellipse" for i in (2, 3, 4))


def test_labels_show_dtype_and_unnamed_tensors():
    a = minigrad.tensor([[1.0, 2.0, 3.0]], dtype=minigrad.float64, requires_grad=True)
    y = (a * 2).mean()
    nodes, edges = parse_dot(viz.to_dot(y))
    assert nodes["t0"]["label"] == "(1, 3) float64"
    assert nodes["t1"]["label"] == "() float64\nvalue 2"  # the constant 2
    assert nodes["t1"]["style"] == "dashed"
    assert nodes["op2"]["label"] == "MulBackward0"
    assert nodes["op3"]["label"] == "MeanBackward0"
    assert nodes["t3"]["label"] == "output\n() float64\nvalue 4"


def test_parameter_names_from_a_module_and_make_dot():
    layer = Layer()
    inputs = minigrad.tensor([[1.0, 2.0], [3.0, -1.0]])
    out = minigrad.linear(inputs, layer.weight, layer.bias).tanh().sum()
    text = viz.to_dot(out, module=layer)
    nodes, edges = parse_dot(text)
    by_label = {attrs["label"].split("\n")[0]: name for name, attrs in nodes.items()}
    weight, bias = by_label["fc.weight"], by_label["fc.bias"]
    assert nodes[weight]["label"] == "fc.weight\n(3, 2) float32"
    assert nodes[bias]["label"] == "fc.bias\n(3,) float32"
    (addmm,) = [n for n, attrs in nodes.items() if attrs["label"] == "AddmmBackward0"]
    assert {(tail, label) for tail, head, label in edges if head == addmm} == {
        (by_label["(2, 2) float32"], "0"), (weight, "1"), (bias, "2")}
    # torchviz's spelling gives the same text, as do (name, tensor) pairs
    dot = viz.make_dot(out, params=dict(layer.named_parameters()))
    assert dot.source == str(dot) == text
    assert viz.to_dot(out, params=layer.named_parameters()) == text


def test_names_from_a_real_nested_module():
    from minigrad.nn.module import Module, Parameter

    class Affine(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(minigrad.randn(3, 2))
            self.bias = Parameter(minigrad.zeros(3))

        def forward(self, x):
            return minigrad.linear(x, self.weight, self.bias)

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Affine()

        def forward(self, x):
            return self.fc(x).relu().sum()

    net = Net()
    loss = net(minigrad.randn(4, 2))
    nodes, _ = parse_dot(viz.to_dot(loss, module=net))
    labels = {attrs["label"] for attrs in nodes.values()}
    assert {"fc.weight\n(3, 2) float32", "fc.bias\n(3,) float32"} <= labels
    explanation = viz.explain_backward(loss, module=net)
    assert {step.label for step in explanation.steps if step.op == "AccumulateGrad"} == {
        "fc.weight", "fc.bias"}


def test_names_must_name_tensors():
    w, x, h, s, y = known_graph()
    with pytest.raises(TypeError, match="'w' should name a Tensor"):
        viz.to_dot(y, params={"w": [1.0, 2.0]})
    with pytest.raises(TypeError, match="named_parameters"):
        viz.to_dot(y, module=3)
    with pytest.raises(TypeError, match="to_dot: expected a Tensor"):
        viz.to_dot([y, "y"])


def test_grad_norms_after_backward():
    w, x, h, s, y = known_graph(x_requires_grad=True)
    s.retain_grad()
    y.backward(retain_graph=True)
    nodes, _ = parse_dot(viz.to_dot(y, params={"w": w, "x": x, "s": s}))

    def norm(node):
        (line,) = [line for line in nodes[node]["label"].split("\n") if line.startswith("grad")]
        return float(line.removeprefix("grad norm "))

    assert norm("t0") == pytest.approx(np.linalg.norm(w.grad.numpy()), rel=1e-5)
    assert norm("t1") == pytest.approx(np.linalg.norm(x.grad.numpy()), rel=1e-5)
    assert norm("t3") == pytest.approx(np.linalg.norm(s.grad.numpy()), rel=1e-5)
    assert "grad" not in nodes["t2"]["label"]  # a non-leaf without retain_grad has no .grad
    assert nodes["t3"]["label"].startswith("s\n(2,) float32\n")
    hidden, _ = parse_dot(viz.to_dot(y, params={"w": w}, show_grad=False))
    assert not any("grad" in attrs["label"] for attrs in hidden.values())


def test_released_graph():
    w, x, h, s, y = known_graph()
    y.backward()  # no retain_graph: every node is released
    nodes, edges = parse_dot(viz.to_dot(y))
    assert nodes.keys() == {"t0", "op0"}
    assert nodes["op0"]["label"] == "SumBackward0\n(released)"
    assert nodes["op0"]["style"] == "dashed"
    assert edges == [("op0", "t0", None)]


def test_shared_inputs_several_outputs_and_escaping():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    square = a * a
    first, second = square.sum(), (square + a).sum()
    nodes, edges = parse_dot(viz.to_dot([first, second], params={'say "a"\\': a}))
    assert nodes["t0"]["label"] == 'say "a"\\\n(2,) float32'
    assert ("t0", "op1", "0") in edges and ("t0", "op1", "1") in edges
    outputs = [n for n, attrs in nodes.items() if attrs.get("fillcolor") == "darkolivegreen1"]
    assert len(outputs) == 2
    assert sum(1 for tail, head, _ in edges if tail == "t1") == 2  # square feeds two ops
    assert len([n for n in nodes if n.startswith("op")]) == 4


def test_deep_chain_without_recursion():
    x = minigrad.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0
    nodes, edges = parse_dot(viz.to_dot(y))
    assert len([n for n in nodes if n.startswith("op")]) == 3000
    assert len(edges) == 3 * 3000
    assert len(viz.explain_backward(y).steps) == 3001


# ---------------------------------------------------------------------- render


def fake_graphviz(pipe):
    module = types.ModuleType("graphviz")

    class ExecutableNotFound(RuntimeError):
        pass

    class Source:
        def __init__(self, source):
            self.source = source

        def pipe(self, format):
            return pipe(self.source, format, ExecutableNotFound)

    module.Source = Source
    module.ExecutableNotFound = ExecutableNotFound
    return module


def test_render_through_graphviz(tmp_path, monkeypatch):
    seen = []

    def pipe(source, format, _):
        seen.append((source, format))
        return b"<svg/>"

    monkeypatch.setitem(sys.modules, "graphviz", fake_graphviz(pipe))
    w, x, h, s, y = known_graph()
    path = viz.render(viz.to_dot(y), tmp_path / "graph")
    assert path == tmp_path / "graph.svg" and path.read_bytes() == b"<svg/>"
    assert seen == [(viz.to_dot(y), "svg")]
    assert viz.render(y, tmp_path / "g.png", format="png") == tmp_path / "g.png"
    assert seen[-1] == (viz.to_dot(y), "png")
    assert viz.make_dot(y).render(tmp_path / "m", format="png") == tmp_path / "m.png"
    with pytest.raises(TypeError, match="render: expected DOT text"):
        viz.render(3, tmp_path / "x")


def test_render_without_graphviz(tmp_path, monkeypatch):
    w, x, h, s, y = known_graph()
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` fail
    with pytest.raises(ImportError, match="pip install graphviz"):
        viz.render(y, tmp_path / "graph.svg")

    def missing_dot(source, format, not_found):
        raise not_found("failed to execute 'dot'")

    monkeypatch.setitem(sys.modules, "graphviz", fake_graphviz(missing_dot))
    with pytest.raises(RuntimeError, match="`dot` program was not found"):
        viz.render(y, tmp_path / "graph.svg")
    assert not (tmp_path / "graph.svg").exists()


# ---------------------------------------------------------------------- explain_backward


def record_visits(tensors):
    """Hooks that log the order in which the real backward reaches each tensor."""
    visits = []
    for tensor in tensors:
        tensor.register_hook(lambda grad, tensor=tensor: visits.append(tensor))
    return visits


def test_explain_known_graph():
    w, x, h, s, y = known_graph(x_requires_grad=True)
    h.retain_grad()
    s.retain_grad()
    explanation = viz.explain_backward(y, params={"w": w, "x": x})
    assert [step.op for step in explanation.steps] == [
        "SumBackward0", "SigmoidBackward0", "MulBackward0", "AccumulateGrad", "AccumulateGrad"]
    assert [step.tensor for step in explanation.steps[:3]] == [y, s, h]
    assert {step.label for step in explanation.steps[3:]} == {"w", "x"}
    assert all(step.tensor.grad is None for step in explanation.steps)  # nothing touched

    # the order is the order in which the engine reaches the tensors
    visits = record_visits([y, s, h, w, x])
    y.backward(retain_graph=True)
    assert [step.tensor for step in explanation.steps] == visits

    # the numbers are those of backward(), to the last bit
    for tensor in (w, x, h, s):
        np.testing.assert_array_equal(explanation.gradient(tensor), tensor.grad.numpy())
    assert explanation.gradient(y) == 1.0
    # ... and those of the hand derivation: dy/dw = sigmoid'(w x) x
    sig = 1 / (1 + np.exp(-(w.detach().numpy() * x.detach().numpy())))
    np.testing.assert_allclose(explanation.gradient(w), sig * (1 - sig) * x.detach().numpy(),
                               rtol=1e-6)

    mul = explanation.steps[2]
    assert mul.rule.startswith("product rule") and mul.formula == "da = g * b,  db = g * a"
    assert mul.sources == (2,)
    step_of = {step.label: step.number for step in explanation.steps}
    assert [(f.position, f.label, f.to_step) for f in mul.flows] == [
        (0, "w", step_of["w"]), (1, "x", step_of["x"])]
    np.testing.assert_array_equal(mul.flows[0].gradient, w.grad.numpy())
    np.testing.assert_array_equal(mul.flows[1].gradient, x.grad.numpy())

    text = str(explanation)
    for step in explanation.steps:
        assert f"step {step.number}: {step.op}" in text
        assert step.formula in text
    assert "da = g * out * (1 - out)" in text
    assert np.array2string(w.grad.numpy(), precision=6, separator=", ") in text
    assert text.index("SumBackward0") < text.index("SigmoidBackward0") < text.index(
        "MulBackward0") < text.index("AccumulateGrad")


UNARY = [lambda t: t.sigmoid(), lambda t: t.tanh(), lambda t: t * 0.5, lambda t: t.relu(),
         lambda t: t.sin(), lambda t: t.sum(0, keepdim=True), lambda t: t.T]
BINARY = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
          lambda a, b: a / (b.exp() + 1)]


@settings(max_examples=30)
@given(program=st.lists(st.tuples(st.integers(0, len(UNARY) + len(BINARY) - 1),
                                   st.integers(0, 50), st.integers(0, 50)),
                        min_size=1, max_size=10),
       seed=st.integers(0, 2**32 - 1))
def test_explained_gradients_equal_backward_on_random_graphs(program, seed):
    rng = np.random.default_rng(seed)
    # every shape the ops make from these broadcasts with every other one
    pool = [minigrad.tensor(rng.normal(size=(3, 3)), requires_grad=True),
            minigrad.tensor(rng.normal(size=(3, 1)), requires_grad=True),
            minigrad.tensor(rng.normal(size=(3,)))]  # a constant
    for op, i, j in program:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append(UNARY[op](a) if op < len(UNARY) else BINARY[op - len(UNARY)](a, b))
    tracked = [t for t in pool if t.requires_grad]
    for t in tracked[2:]:
        t.retain_grad()
    out = tracked[0].sum()
    for t in tracked[1:]:
        out = out + (t * t).mean()  # every tensor reaches the output, some several times

    explanation = viz.explain_backward(out)
    out.backward()
    for t in tracked:
        np.testing.assert_array_equal(explanation.gradient(t), t.grad.numpy())


def test_explain_accumulation_broadcasting_and_constants():
    x = minigrad.tensor([0.5, -1.0, 2.0], dtype=minigrad.float64, requires_grad=True)
    scale = minigrad.tensor([1.5], dtype=minigrad.float64, requires_grad=True)
    h = x * scale  # scale is broadcast: its gradient is summed back to shape (1,)
    h.retain_grad()
    z = (h + h.exp() - 3.0).mean()  # h is used twice: its gradient has two parts
    explanation = viz.explain_backward(z, params={"x": x, "scale": scale, "h": h})
    z.backward(retain_graph=True)
    for tensor in (x, scale, h):
        np.testing.assert_array_equal(explanation.gradient(tensor), tensor.grad.numpy())

    (h_step,) = [step for step in explanation.steps if step.tensor is h]
    assert len(h_step.sources) == 2
    ops_sending = {explanation.steps[n - 1].op for n in h_step.sources}
    assert ops_sending == {"AddBackward0", "ExpBackward0"}
    parts = [flow.gradient for n in h_step.sources for flow in explanation.steps[n - 1].flows
             if flow.tensor is h]
    np.testing.assert_array_equal(parts[0] + parts[1], h.grad.numpy())
    (scale_flow,) = [flow for flow in h_step.flows if flow.tensor is scale]
    assert scale_flow.reduced_from == (3,)
    (sub,) = [step for step in explanation.steps if step.op == "SubBackward0"]
    assert sub.flows[1].gradient is None and sub.flows[1].label == "constant"
    text = str(explanation)
    assert f"the sum of the gradients from steps {h_step.sources[0]} and " \
           f"{h_step.sources[1]}" in text
    assert "formula gave shape (3,), summed back to (1,)" in text
    assert "needs no gradient" in text


def test_explain_mlp_matches_backward_without_side_effects():
    layer = Layer()
    second = minigrad.tensor([[0.3, -0.7, 1.1]], requires_grad=True)
    inputs = minigrad.tensor([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5], [-2.0, 1.0]])
    targets = minigrad.tensor([[1.0], [0.0], [0.5], [-1.0]])
    hidden = minigrad.linear(inputs, layer.weight, layer.bias).relu()
    prediction = hidden @ second.T
    loss = ((prediction - targets) ** 2).mean()
    hook_calls = record_visits([hidden])
    hidden.retain_grad()

    explanation = viz.explain_backward(loss, module=layer, params={"w2": second})
    assert hook_calls == [] and hidden.grad is None and layer.weight.grad is None
    assert "1 hook(s) registered" in str(explanation)
    ops_seen = [step.op for step in explanation.steps]
    assert ops_seen == ["MeanBackward0", "PowBackward0", "SubBackward0", "MmBackward0",
                        "PermuteBackward0", "ReluBackward0", "AddmmBackward0"] + [
                        "AccumulateGrad"] * 3
    assert {step.label for step in explanation.steps if step.op == "AccumulateGrad"} == {
        "fc.weight", "fc.bias", "w2"}

    loss.backward()  # the explanation left the graph intact
    for tensor in (layer.weight, layer.bias, second, hidden):
        np.testing.assert_array_equal(explanation.gradient(tensor), tensor.grad.numpy())


def test_explain_with_a_gradient_and_existing_grads():
    a = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a.grad = minigrad.tensor([10.0, 10.0, 10.0])
    y = a.sin()
    seed = minigrad.tensor([1.0, -1.0, 0.5])
    explanation = viz.explain_backward(y, gradient=seed)
    np.testing.assert_array_equal(explanation.gradient(y), seed.numpy())
    y.backward(seed)
    np.testing.assert_array_equal(explanation.gradient(a) + 10.0, a.grad.numpy())
    text = str(explanation)
    assert "seeded with the given gradient" in text
    assert "backward() adds g to it" in text


def test_custom_function_and_unknown_ops():
    class Cube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x * x * grad

    a = minigrad.tensor([1.0, -2.0], requires_grad=True)
    y = Cube.apply(a).sum()
    explanation = viz.explain_backward(y)
    cube = explanation.steps[1]
    assert cube.op == "CubeBackward" and "Cube.backward" in cube.rule
    y.backward()
    np.testing.assert_array_equal(explanation.gradient(a), a.grad.numpy())

    @derivative
    def MysteryBackward0(xp, grad, out, inputs, needs):
        return (-grad,)

    mystery = record(MysteryBackward0, -a.detach().numpy(), (a,))
    explanation = viz.explain_backward(mystery.sum())
    assert explanation.steps[1].op == "MysteryBackward0"
    assert explanation.steps[1].rule.startswith("no rule written for MysteryBackward0")
    np.testing.assert_array_equal(explanation.gradient(a), [-1.0, -1.0])


def test_every_op_of_the_core_has_a_rule():
    node_types = {value.__name__ for value in vars(ops).values()
                  if isinstance(value, type) and issubclass(value, Node)}
    node_types.discard("MaskBackward")  # only a base class (of ClampBackward1)
    assert node_types - viz._RULES.keys() == set()


def test_explain_errors():
    with pytest.raises(TypeError, match="explain_backward: expected a Tensor"):
        viz.explain_backward([1.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        viz.explain_backward(minigrad.tensor(1.0))
    w, x, h, s, y = known_graph()
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        viz.explain_backward(s)
    with pytest.raises(ValueError, match="no step handles this tensor"):
        viz.explain_backward(y).gradient(x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.explain_backward(y)

    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    out = (b * b).sum()
    with minigrad.no_grad():
        b.mul_(3)  # b was saved by MulBackward0: backward would refuse
    with pytest.raises(RuntimeError) as from_backward:
        out.backward(retain_graph=True)
    with pytest.raises(RuntimeError) as from_explain:
        viz.explain_backward(out)
    assert str(from_explain.value) == str(from_backward.value)
