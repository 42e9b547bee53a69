"""The documentation site builds with Sphinx, warnings as errors.

The build renders the gallery without running the examples (``-D plot_gallery=0``:
``tests/test_examples.py`` runs them), which leaves the API reference generated from the
docstrings, the written pages and the gallery's pages. It works on a copy of ``docs/`` and
``examples/`` in a temporary directory, so that nothing is written into the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = ("_build", "gen_modules", "auto_examples", "sg_execution_times.rst")


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    try:
        import sphinx  # noqa: F401
        import sphinx_gallery  # noqa: F401
    except ImportError as error:
        pytest.fail(f"the docs build needs the 'docs' extra (pip install -e '.[docs]'): {error}")
    shutil.copytree(ROOT / "docs", tmp_path / "docs", ignore=shutil.ignore_patterns(*GENERATED))
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("__pycache__", "outputs"))
    html = tmp_path / "html"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-D", "plot_gallery=0", str(tmp_path / "docs"), str(html)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"sphinx failed:\n{result.stderr[-6000:]}"

    pages = {path.relative_to(html).as_posix() for path in html.rglob("*.html")}
    written = {"index.html", "getting_started.html", "backprop_to_autograd.html",
               "engine.html", "differences.html", "adding_an_op.html", "benchmarks.html",
               "api.html", "auto_examples/index.html",
               "auto_examples/train_digits.html"}
    assert written <= pages, f"missing pages: {sorted(written - pages)}"
    assert {"gen_modules/minigrad.Tensor.html", "gen_modules/minigrad.tensor.html"} <= pages
    api = (html / "api.html").read_text(encoding="utf-8")
    for name in ("minigrad.nn.Linear", "minigrad.optim.Adam", "minigrad.utils.data.DataLoader",
                 "minigrad.autograd.gradcheck", "minigrad.viz.explain_backward"):
        assert f'id="{name}"' in api, f"{name} is not documented in api.html"
