"""Plotting helpers shared by the gallery examples (a helper module, not an example).

Its name starts with an underscore, which the gallery's ``ignore_pattern`` in
``docs/conf.py`` skips, and ``tests/test_examples.py`` does not run it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

import minigrad


def probabilities(model: minigrad.nn.Module, points: np.ndarray) -> np.ndarray:
    """``sigmoid(model(points))`` as a NumPy vector, for a model with one output logit."""
    with minigrad.no_grad():
        logits = model(minigrad.tensor(points, dtype=minigrad.float32))
    return logits.sigmoid().reshape(-1).numpy()


def decision_boundary(ax: plt.Axes, predict: Callable[[np.ndarray], np.ndarray],
                      points: np.ndarray, labels: np.ndarray, title: str = "",
                      steps: int = 150) -> None:
    """Shade ``predict(grid)`` (a probability per 2-D point) and scatter the labelled points.

    The 0.5 level, where the predicted class changes, is drawn as a black line.
    """
    low, high = points.min(0) - 0.5, points.max(0) + 0.5
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], steps), np.linspace(low[1], high[1], steps))
    grid = np.column_stack([xs.ravel(), ys.ravel()])
    levels = predict(grid).reshape(xs.shape)
    ax.contourf(xs, ys, levels, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(xs, ys, levels, levels=[0.5], colors="black", linewidths=1.5)
    ax.scatter(points[:, 0], points[:, 1], c=labels, cmap="RdBu_r", edgecolors="black",
               linewidths=0.5, s=30, vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])


def loss_curves(ax: plt.Axes, curves: Mapping[str, Sequence[float]], xlabel: str = "step",
                title: str = "loss") -> None:
    """One line per named curve, on a log scale."""
    for label, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), values, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if len(curves) > 1:
        ax.legend()


def draw_backward_graph(ax: plt.Axes, explanation: minigrad.viz.Explanation) -> None:
    """Draw the graph that ``minigrad.viz.explain_backward`` walked, output at the top.

    One box per step (an op, named like its ``grad_fn``, or a leaf's ``AccumulateGrad``),
    numbered in the order backward visits them, and one arrow per gradient passed on,
    labelled with its shape (and a count when one op sends several). Inputs that need no
    gradient (data, targets) are dashed, linked by a dotted line.
    A step sits one row below the lowest step that sends it a gradient.
    """
    steps = {step.number: step for step in explanation.steps}
    row = {1: 0}
    for step in explanation.steps:  # topological order: every sender comes first
        for flow in step.flows:
            if flow.to_step is not None:
                row[flow.to_step] = max(row.get(flow.to_step, 0), row[step.number] + 1)
    boxes: dict[object, tuple[int, str, str]] = {
        number: (row[number], f"{number}. {step.op}\n{step.label}" if step.node is None
                 else f"{number}. {step.op}", "solid")
        for number, step in steps.items()}
    arrows: dict[tuple[object, object], list[str]] = {}  # an op may feed one tensor twice
    for step in explanation.steps:
        for flow in step.flows:
            if flow.to_step is not None:
                arrows.setdefault((step.number, flow.to_step), []).append(
                    str(tuple(flow.gradient.shape)))
            else:
                key = (step.number, flow.position)
                boxes[key] = (row[step.number] + 1, f"{flow.label}\n(no gradient)", "dashed")
                arrows[(step.number, key)] = []
    by_row: dict[int, list[object]] = {}
    for key, (level, _, _) in boxes.items():
        by_row.setdefault(level, []).append(key)
    where = {}
    for level, keys in by_row.items():
        for i, key in enumerate(keys):
            where[key] = ((i + 1) / (len(keys) + 1), -level)
    for (source, target), shapes in arrows.items():
        ax.annotate("", xy=where[target], xytext=where[source],
                    arrowprops={"arrowstyle": "-|>" if shapes else "-", "color": "0.4",
                                "linestyle": "solid" if shapes else "dotted",
                                "shrinkA": 14, "shrinkB": 14})
        if shapes:
            text = shapes[0] if len(shapes) == 1 else f"{shapes[0]} x{len(shapes)}"
            middle = np.add(where[source], where[target]) / 2
            ax.text(*middle, text, fontsize=8, color="0.3", ha="center", va="center",
                    bbox={"boxstyle": "round", "fc": "white", "ec": "none", "alpha": 0.8})
    for key, (_, text, style) in boxes.items():
        leaf = not isinstance(key, tuple) and steps[key].node is None
        ax.text(*where[key], text, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round", "linestyle": style,
                      "fc": "lightblue" if leaf else "white" if style == "dashed" else "0.9"})
    ax.set_xlim(0, 1)
    ax.set_ylim(-max(by_row) - 0.5, 0.5)
    ax.axis("off")
