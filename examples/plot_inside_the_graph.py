"""
Inside the graph: what backward() does, step by step
====================================================

Every op applied to a tensor that requires grad records a node, its ``grad_fn``, holding
what the op's derivative needs. ``loss.backward()`` walks these nodes from the loss back
to the parameters, applying the chain rule once per node. ``minigrad.viz`` shows both:
``to_dot`` draws the graph (as Graphviz DOT text), and ``explain_backward`` replays the
backward pass and writes out, for each node, the rule it applies and the numbers that go
in and out, the same numbers ``backward()`` computes.
"""

import matplotlib.pyplot as plt
import numpy as np
from _plotting import draw_backward_graph

import minigrad
from minigrad import nn, viz

minigrad.manual_seed(0)

# %%
# A small network
# ---------------
# Two inputs, three sigmoid hidden units, one linear output and the mean squared error,
# on a batch of two examples: small enough to read every number. Naming the layers makes
# the parameters show up as ``hidden.weight``, ``out.bias`` and so on. The loss is written
# out op by op (``nn.MSELoss`` would record it as a single node) to show more of the chain
# rule.


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(2, 3)
        self.out = nn.Linear(3, 1)

    def forward(self, x):
        return self.out(self.hidden(x).sigmoid())


model = TinyNet()
x = minigrad.tensor([[0.5, -1.0], [2.0, 0.3]])
target = minigrad.tensor([[1.0], [0.0]])
error = model(x) - target
loss = (error * error).mean()
names = {"x": x, "target": target, "error": error}  # labels for tensors that are not parameters
print(f"loss = {loss.item():.6f}, recorded by {loss.grad_fn.name()}")

# %%
# The graph as PyTorch exposes it
# -------------------------------
# ``grad_fn.next_functions`` links each node to the nodes of its inputs, exactly as in
# PyTorch; ``None`` marks an input that needs no gradient (the data and the target), and
# ``AccumulateGrad`` a parameter. Following the first link of each node walks from the loss
# down to the first layer.

node, depth = loss.grad_fn, 0
while node is not None:
    print("  " * depth + node.name(),
          [None if child is None else child.name() for child, _ in node.next_functions])
    node = next((child for child, _ in node.next_functions if child is not None), None)
    depth += 1

# %%
# The graph drawn
# ---------------
# ``viz.to_dot`` returns the graph as DOT text: a box per tensor with its shape and dtype
# (parameters named after the module's attributes), an ellipse per op. Paste it into any
# Graphviz viewer, or with the ``graphviz`` package installed, ``viz.render(dot,
# "graph.svg")`` draws it.

dot = viz.to_dot(loss, module=model, params=names)
print(dot)

# %%
# The same graph, as backward sees it: one box per node it visits, numbered in its order,
# and an arrow for every gradient handed on, labelled with the gradient's shape. The
# leaves (light blue) are the parameters, where gradients are accumulated into ``.grad``.

explanation = viz.explain_backward(loss, module=model, params=names)
fig, ax = plt.subplots(figsize=(8, 6.5))
draw_backward_graph(ax, explanation)
ax.set_title("the backward graph of ((TinyNet(x) - target) ** 2).mean()")
plt.show()

# %%
# The backward pass, explained
# ----------------------------
# Read it from the top: the loss starts with gradient 1; each step applies its op's local
# derivative to the gradient it received and passes the products on. Note step 2: both
# inputs of the product ``error * error`` are the same tensor, so ``error`` receives two
# contributions, summed before step 3 runs. This is the chain rule that the tutorials
# apply by hand.

print(explanation)

# %%
# The explanation's numbers are backward's
# ----------------------------------------
# ``explain_backward`` changed nothing: no ``.grad`` is set yet. Running the real backward
# pass now fills ``.grad``, and it matches the explanation exactly.

print("any .grad set by explain_backward:", any(p.grad is not None for p in model.parameters()))
loss.backward(retain_graph=True)
for name, parameter in model.named_parameters():
    difference = np.abs(explanation.gradient(parameter) - parameter.grad.numpy()).max()
    print(f"{name:13s} grad shape {tuple(parameter.grad.shape)}, "
          f"max |explained - backward| = {difference:.1e}")

# %%
# After ``backward(retain_graph=True)`` the graph is still there, and ``to_dot`` now labels
# each parameter with the norm of its gradient; these are its parameter lines.

dot = viz.to_dot(loss, module=model)
print("\n".join(line for line in dot.splitlines() if "grad norm" in line))
