"""Every script in ``examples/`` runs headless and prints what it should.

Each example runs once, in a fresh interpreter, from an empty temporary directory, with
matplotlib's non-interactive Agg backend. The gallery examples and the flagship have a check
of their printed numbers below; a new example without one fails
``test_every_example_has_a_check``. The tutorial scripts are only required to run and print
(``tests/test_tutorials.py`` checks their numbers).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import minigrad

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPTS = sorted(path.name for path in EXAMPLES.glob("*.py") if not path.name.startswith("_"))
TIMEOUT_S = 180


def run_example(name: str, cwd: Path, *args: str) -> str:
    """Run ``examples/<name>`` and return its standard output; fail with its stderr."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, (
        f"{name} exited with {result.returncode}\n--- stderr (end) ---\n{result.stderr[-4000:]}")
    return result.stdout


def number_after(label: str, output: str) -> float:
    """The number printed right after ``label`` at the start of a line.

    Spaces in ``label`` match any run of spaces (columns may be padded).
    """
    pattern = re.escape(label).replace(r"\ ", r"\s+")
    match = re.search(rf"^{pattern}\s*([-+0-9.eE]+)", output, re.MULTILINE)
    assert match, f"{label!r} not found in the output:\n{output[-2000:]}"
    return float(match.group(1))


# ---------------------------------------------------------------------- one check per example


def check_train_digits(tmp_path: Path) -> None:
    out = tmp_path / "results"
    output = run_example("train_digits.py", tmp_path, "--out", str(out))
    assert number_after("test accuracy:", output) >= 0.97
    state = minigrad.load(out / "digits_mlp.pt")
    assert {"0.mean", "0.std", "1.weight", "1.bias", "3.weight", "3.bias"} <= set(state)
    assert tuple(state["1.weight"].shape) == (256, 64)
    assert (out / "digits_curves.png").read_bytes().startswith(b"\x89PNG")


def check_plot_digits_classifier(tmp_path: Path) -> None:
    output = run_example("plot_digits_classifier.py", tmp_path)
    assert number_after("test accuracy:", output) >= 0.97
    assert "confusions (true, predicted, count):" in output


def check_plot_xor(tmp_path: Path) -> None:
    output = run_example("plot_xor.py", tmp_path)
    assert "xor predictions: [0 1 1 0] targets: [0 1 1 0]" in output
    assert number_after("final loss:", output) < 0.05


def check_plot_two_moons(tmp_path: Path) -> None:
    output = run_example("plot_two_moons.py", tmp_path)
    assert number_after("training accuracy:", output) >= 0.95


def check_plot_sine_fit(tmp_path: Path) -> None:
    output = run_example("plot_sine_fit.py", tmp_path)
    assert number_after("mse against the noiseless sine:", output) < 0.02
    assert number_after("final training mse:", output) < 0.05


def check_plot_optimizers(tmp_path: Path) -> None:
    output = run_example("plot_optimizers.py", tmp_path)
    final = {name: number_after(f"{name} final loss", output)
             for name in ("SGD", "SGD + momentum", "SGD + Nesterov", "Adam")}
    assert final["SGD + momentum"] < final["SGD"] / 5
    assert final["SGD + Nesterov"] < final["SGD"] / 5
    assert final["Adam"] < final["SGD"] / 5


def check_plot_gradcheck(tmp_path: Path) -> None:
    output = run_example("plot_gradcheck.py", tmp_path)
    assert "gradcheck(Softplus): True" in output
    assert "gradgradcheck(Softplus): True" in output
    assert "gradcheck(BuggySoftplus, raise_exception=False): False" in output
    assert "gradcheck(BuggySoftplus) raised GradcheckError:" in output
    assert "Jacobian mismatch for output 0 with respect to input 0" in output


def check_plot_second_order(tmp_path: Path) -> None:
    output = run_example("plot_second_order.py", tmp_path)
    assert number_after("max |autograd - closed form| for H v:", output) < 1e-12
    assert number_after("max |autograd - closed form| over the gradients and Hessians:",
                        output) < 1e-10
    assert "newton end point: [1. 1.]" in output


def check_plot_inside_the_graph(tmp_path: Path) -> None:
    output = run_example("plot_inside_the_graph.py", tmp_path)
    assert "any .grad set by explain_backward: False" in output
    assert "digraph minigrad {" in output
    leaves = re.findall(r"^step \d+: AccumulateGrad -> ([\w.]+),", output, re.MULTILINE)
    assert sorted(leaves) == ["hidden.bias", "hidden.weight", "out.bias", "out.weight"]
    differences = [float(d) for d in re.findall(r"max \|explained - backward\| = (\S+)", output)]
    assert len(differences) == 4 and max(differences) == 0.0


CHECKS: dict[str, Callable[[Path], None]] = {
    name.removeprefix("check_") + ".py": check
    for name, check in list(globals().items()) if name.startswith("check_")
}


# ---------------------------------------------------------------------- the tests


def test_every_example_has_a_check():
    """Only the tutorials (checked in test_tutorials.py) may go without a number check."""
    unchecked = [name for name in SCRIPTS if name not in CHECKS
                 and not name.startswith("tutorial_")]
    assert not unchecked, f"add a check_<name> function for {unchecked}"
    assert set(CHECKS) <= set(SCRIPTS), "a check names an example that does not exist"


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs(name: str, tmp_path: Path) -> None:
    if name in CHECKS:
        CHECKS[name](tmp_path)
    else:
        output = run_example(name, tmp_path)
        assert output.strip(), f"{name} printed nothing"
