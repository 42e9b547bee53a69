"""
Handwritten digits: training a classifier end to end
====================================================

The main job of the project: a multilayer perceptron trained with minigrad on the 8x8
handwritten digits that ship with scikit-learn (1,797 images, no download). Everything a
PyTorch training script does is here, with PyTorch's names: a ``Dataset`` and a shuffling
``DataLoader``, ``nn.Sequential``, ``nn.CrossEntropyLoss``, ``optim.Adam``, a progress bar
per epoch, a checkpoint written with ``minigrad.save`` and read back with ``minigrad.load``,
and a figure of the learning curves.

Run it from the repository root::

    python examples/train_digits.py            # writes into ./outputs
    python examples/train_digits.py --out /tmp/digits --epochs 40

The held-out accuracy it prints is above 97% and the whole run takes a few seconds.
The functions defined here are reused by the gallery's digits example, which adds a
confusion matrix and the misclassified images.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from threadpoolctl import threadpool_limits
from tqdm import tqdm

import minigrad
from minigrad import nn, optim
from minigrad.utils.data import DataLoader, TensorDataset

# %%
# The data
# --------
# Each image is 8x8 pixels with values from 0 to 16. A fifth of the images, stratified by
# class, is held out for testing and never used for training.


@dataclass
class Split:
    """The digits as float32 images (flattened to 64 values) and int64 labels."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray


def load_split(seed: int = 0) -> Split:
    """Load the digits and hold out 20% of them, the same ones for a given seed."""
    digits = load_digits()
    images = digits.data.astype(np.float32)
    labels = digits.target.astype(np.int64)
    train_x, test_x, train_y, test_y = train_test_split(
        images, labels, test_size=0.2, stratify=labels, random_state=seed)
    return Split(train_x, train_y, test_x, test_y)


# %%
# The model
# ---------
# Inputs are standardized with the mean and spread of each training pixel. The two
# statistics are buffers of the first module, so they travel in the checkpoint with the
# weights and a reloaded model needs nothing else. The spread is floored at one intensity
# level: a border pixel that is (almost) always 0 in training would otherwise turn a faint
# stroke in a test image into a huge input, or divide by zero.


class Standardize(nn.Module):
    """Subtract a per-feature mean and divide by a per-feature standard deviation."""

    def __init__(self, mean: np.ndarray, std: np.ndarray) -> None:
        super().__init__()
        self.register_buffer("mean", minigrad.tensor(mean))
        self.register_buffer("std", minigrad.tensor(np.maximum(std, 1.0)))

    def forward(self, x: minigrad.Tensor) -> minigrad.Tensor:
        return (x - self.mean) / self.std


def build_model(train_images: np.ndarray, hidden: tuple[int, ...] = (256,)) -> nn.Sequential:
    """Standardization, then ``Linear`` + ``ReLU`` per hidden width, then 10 logits."""
    layers: list[nn.Module] = [Standardize(train_images.mean(0), train_images.std(0))]
    width = train_images.shape[1]
    for size in hidden:
        layers += [nn.Linear(width, size), nn.ReLU()]
        width = size
    layers.append(nn.Linear(width, 10))
    return nn.Sequential(*layers)


# %%
# Training
# --------
# Adam on minibatches of 32 shuffled images; after every epoch the model is evaluated on
# both sets under ``no_grad()``, so that evaluation records no graph.
#
# The matrix products here are small (32 x 64 times 64 x 256). Spreading each over several
# BLAS threads costs more in synchronisation than it saves, and on a busy machine, where the
# threads wait for cores, it can make training ten times slower; so training runs with
# one BLAS thread (``threadpoolctl`` comes with scikit-learn).


@dataclass
class History:
    """Per-epoch mean training loss and accuracies."""

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)


def predict(model: nn.Module, images: np.ndarray) -> np.ndarray:
    """The predicted class of each image."""
    model.eval()
    with minigrad.no_grad():
        logits = model(minigrad.from_numpy(images))
    return logits.argmax(dim=1).numpy()


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    return float((predict(model, images) == labels).mean())


@threadpool_limits.wrap(limits=1, user_api="blas")
def train(model: nn.Module, split: Split, epochs: int = 25, batch_size: int = 32,
          lr: float = 1e-3, progress: bool = True) -> History:
    """Train ``model`` in place with Adam and cross-entropy; return the learning curves."""
    loader = DataLoader(
        TensorDataset(minigrad.from_numpy(split.train_images),
                      minigrad.from_numpy(split.train_labels)),
        batch_size=batch_size, shuffle=True)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=lr)
    history = History()
    for epoch in range(epochs):
        model.train()
        total, seen = 0.0, 0
        with tqdm(total=len(loader), desc=f"epoch {epoch + 1:2d}/{epochs}", unit="batch",
                  disable=not progress) as bar:
            for images, labels in loader:
                optimizer.zero_grad()
                loss = loss_fn(model(images), labels)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(labels)
                seen += len(labels)
                bar.set_postfix(loss=f"{total / seen:.4f}", refresh=False)
                bar.update()
            history.train_loss.append(total / seen)
            history.train_accuracy.append(
                accuracy(model, split.train_images, split.train_labels))
            history.test_accuracy.append(accuracy(model, split.test_images, split.test_labels))
            # shown once, when the bar closes
            bar.set_postfix(loss=f"{total / seen:.4f}",
                            held_out_acc=f"{history.test_accuracy[-1]:.3f}", refresh=False)
    return history


# %%
# The learning curves
# -------------------


def plot_history(history: History) -> plt.Figure:
    """Training loss (left) and accuracy on both sets (right), per epoch."""
    epochs = np.arange(1, len(history.train_loss) + 1)
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    loss_ax.plot(epochs, history.train_loss)
    loss_ax.set_yscale("log")
    loss_ax.set_title("training loss (cross-entropy)")
    acc_ax.plot(epochs, history.train_accuracy, label="train")
    acc_ax.plot(epochs, history.test_accuracy, label="held out")
    acc_ax.set_ylim(0.8, 1.005)
    acc_ax.set_title("accuracy")
    acc_ax.legend(loc="lower right")
    for ax in (loss_ax, acc_ax):
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# %%
# Putting it together
# -------------------
# The checkpoint is the model's ``state_dict()``: the weights, biases and the two
# standardization buffers. Loading it into a freshly built model must give the same
# predictions, which the script checks before it reports.


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description="Train an MLP on the 8x8 digits.")
    parser.add_argument("--out", type=Path, default=Path("outputs"),
                        help="directory for the checkpoint and the figure (default: ./outputs)")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    minigrad.manual_seed(args.seed)
    split = load_split(args.seed)
    model = build_model(split.train_images)
    print(model)
    history = train(model, split, epochs=args.epochs)

    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "digits_mlp.pt"
    minigrad.save(model.state_dict(), checkpoint)
    reloaded = build_model(split.train_images)
    reloaded.load_state_dict(minigrad.load(checkpoint))
    if not np.array_equal(predict(reloaded, split.test_images),
                          predict(model, split.test_images)):
        raise RuntimeError(f"the model reloaded from {checkpoint} predicts differently")
    figure = args.out / "digits_curves.png"
    plot_history(history).savefig(figure, dpi=120)

    final = history.test_accuracy[-1]
    print(f"test accuracy: {final:.3f}")
    print(f"checkpoint: {checkpoint}")
    print(f"curves: {figure}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return final


if __name__ == "__main__":
    main()
