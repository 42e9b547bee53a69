"""
The digits classifier: curves, confusion matrix and mistakes
============================================================

The flagship ``train_digits.py`` trains a multilayer perceptron on scikit-learn's 8x8
digits. This example reuses its functions (data split, model, training loop) and looks at
the result more closely: the learning curves, which digits get confused with which, and
the held-out images the model gets wrong.
"""

import matplotlib.pyplot as plt
import numpy as np
from train_digits import build_model, load_split, plot_history, predict, train

import minigrad

minigrad.manual_seed(0)
split = load_split(seed=0)
model = build_model(split.train_images)
history = train(model, split, progress=False)
predicted = predict(model, split.test_images)
print(f"test accuracy: {np.mean(predicted == split.test_labels):.3f}")

# %%
# Learning curves
# ---------------
# Training accuracy reaches 100% about halfway through, while the loss keeps falling: the
# model grows more confident on images it already classifies correctly. Held-out accuracy
# settles a little lower.

plot_history(history)
plt.show()

# %%
# Confusion matrix
# ----------------
# Row ``i``, column ``j`` counts the held-out images of digit ``i`` predicted as ``j``; a
# perfect classifier has only the diagonal.

confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (split.test_labels, predicted), 1)
fig, ax = plt.subplots(figsize=(5.5, 5))
ax.imshow(confusion, cmap="Blues")
for (row, column), count in np.ndenumerate(confusion):
    if count:
        ax.text(column, row, count, ha="center", va="center",
                color="white" if count > confusion.max() / 2 else "black")
ax.set_xticks(range(10))
ax.set_yticks(range(10))
ax.set_xlabel("predicted")
ax.set_ylabel("true")
ax.set_title("held-out confusion matrix")
plt.show()
pairs = [(int(i), int(j), int(confusion[i, j])) for i, j in zip(*np.nonzero(confusion))
         if i != j]
print("confusions (true, predicted, count):", pairs)

# %%
# The misclassified images
# ------------------------
# At 8x8 pixels, several of these are ambiguous to a human too.

# sphinx_gallery_thumbnail_number = 3

wrong = np.flatnonzero(predicted != split.test_labels)
columns = 6
rows = max(1, -(-len(wrong) // columns))
fig, axes = plt.subplots(rows, columns, figsize=(1.6 * columns, 1.9 * rows), squeeze=False)
for ax in axes.flat:
    ax.axis("off")
for ax, index in zip(axes.flat, wrong):
    ax.imshow(split.test_images[index].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"{split.test_labels[index]} as {predicted[index]}", fontsize=9)
fig.suptitle(f"{len(wrong)} of {len(predicted)} held-out digits misclassified (true as predicted)")
fig.tight_layout()
plt.show()
