"""The benchmark script runs end to end, briefly, and reports what it measured.

``benchmarks/bench.py --quick`` runs every case once on tiny workloads. Nothing here
asserts a time: the checks are that it runs, that minigrad computes the same numbers as the
hand-written NumPy versions, and that the table, the JSON record, the plot and the docs
section come out whole. PyTorch is left out to keep this fast; it runs the same code as
minigrad (``cases.py`` takes the library as an argument).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench.py"
CASES = ["B1-1", "B1-4", "B1-chain", "B2", "B3", "B4-float32", "B4-float64", "B5", "B5-matmul",
         "B6"]


def bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str],
                                                             Path]:
    out = tmp_path_factory.mktemp("bench")
    done = bench("--quick", "--frameworks", "numpy,minigrad", "--json",
                 str(out / "results.json"), "--plot", str(out / "plot.png"))
    return done, out


def test_quick_run_succeeds_and_prints_the_table(quick):
    done, _ = quick
    assert done.returncode == 0, done.stdout + done.stderr
    assert "threads: pinned to 1" in done.stdout
    for key in CASES:
        assert f"\n{key} " in done.stdout
    for heading in ("median", "min ratio", "agrees", "import (ms, median)", "B5 peak RSS (MiB)"):
        assert heading in done.stdout
    assert "Targets met:" in done.stdout


def test_json_record_holds_every_case_and_minigrad_agrees_with_numpy(quick):
    _, out = quick
    record = json.loads((out / "results.json").read_text())
    assert record["meta"]["quick"] is True
    assert record["meta"]["thread_setting"] == "1"
    assert [case["key"] for case in record["cases"]] == CASES
    for case in record["cases"]:
        results = case["frameworks"]
        assert results["numpy"]["median_s"] > 0
        if case["key"] == "B5-matmul":
            continue
        minigrad = results["minigrad"]
        assert "error" not in minigrad, (case["key"], minigrad)
        assert minigrad["min_s"] <= minigrad["median_s"] <= minigrad["max_s"]
        assert minigrad["max_relative_difference"] <= case["tolerance"], case["key"]
        assert "torch" not in results
    assert set(record["import_ms"]) == {"numpy", "minigrad"}
    for name in ("numpy", "minigrad"):
        assert record["memory"][name]["peak_rss_mib"] > 0
        assert record["memory"][name]["traced_peak_mib"] > 0
    assert record["gflops"]["numpy matmul"] > 0
    names = [target["name"] for target in record["targets"]]
    assert "B5 minigrad / numpy (min)" in names
    assert "import minigrad - import numpy" in names
    assert all(target["met"] in (True, False, None) for target in record["targets"])


def test_plot_is_a_png(quick):
    _, out = quick
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_saved_record_renders_the_same_report(quick):
    done, out = quick
    again = bench("--from-json", str(out / "results.json"))
    assert again.returncode == 0, again.stderr
    report = done.stdout[done.stdout.index("minigrad benchmarks:"):done.stdout.index("wrote")]
    assert report.strip() in again.stdout


def _load(name: str):
    """A script of benchmarks/ as a module."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}",
                                                  ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_section_is_replaced_and_the_prose_kept(quick, tmp_path):
    _, out = quick
    report = _load("report")
    record = json.loads((out / "results.json").read_text())
    page = tmp_path / "benchmarks.rst"
    page.write_text(f"Title\n=====\n\nProse.\n\n{report.DOCS_START}\n\nold\n\n{report.DOCS_END}\n\n"
                    "After.\n")
    report.update_docs(record, page, "_static/plot.png")
    text = page.read_text()
    assert text.startswith("Title\n=====\n\nProse.\n\n")
    assert text.endswith("After.\n")
    assert "old" not in text
    assert ".. image:: _static/plot.png" in text
    assert "B1-chain" in text and "QUICK RUN" in text
    page.write_text("no markers\n")
    with pytest.raises(ValueError, match="results-start"):
        report.update_docs(record, page, "_static/plot.png")


def test_lean_engines_agree_with_numpy_and_print_ratios(capsys):
    lean = _load("lean_engine")
    assert lean.main(["--rounds", "1", "--calls", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["numpy", "lean", "checked", "minigrad"]
    assert all(line.endswith("agrees") for line in lines[1:])


def test_the_checked_lean_engine_does_its_checks():
    tensor = _load("lean_engine").make_engine(True)
    a, b = tensor(np.ones(2), requires_grad=True), tensor(np.full(2, 3.0), requires_grad=True)
    out = (a * b).sum()
    a.version[0] += 1  # as an in-place op on ``a`` would
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()
    with pytest.raises(TypeError, match="mixed dtypes"):
        a * tensor(np.ones(2, np.float32))
    (a * b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [3.0, 3.0])
