"""Callables named in ``sphinx_gallery_conf`` (sphinx-gallery imports them by name)."""

from pathlib import Path
from typing import Any


def reset_argv(gallery_conf: dict[str, Any], script_vars: dict[str, Any]) -> list[str]:
    """Command-line arguments for an example run by the gallery.

    The flagship writes a checkpoint and a figure: into the build directory, not into
    ``examples/`` (the gallery runs each script from its own directory).
    """
    if Path(script_vars["src_file"]).name == "train_digits.py":
        return ["--out", str(Path(gallery_conf["src_dir"]) / "_build" / "train_digits_outputs")]
    return []


# The gallery's order: the flagship first, then from the simplest example to the most
# advanced, then the tutorials. An example not listed here comes after these, by name.
ORDER = (
    "train_digits.py",
    "plot_xor.py",
    "plot_two_moons.py",
    "plot_sine_fit.py",
    "plot_digits_classifier.py",
    "plot_optimizers.py",
    "plot_gradcheck.py",
    "plot_second_order.py",
    "plot_inside_the_graph.py",
)


class ExampleOrder:
    """Sort key for the examples of one gallery directory (sphinx-gallery instantiates it)."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        rank = ORDER.index(filename) if filename in ORDER else len(ORDER)
        return rank, filename
