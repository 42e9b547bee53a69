"""Sphinx configuration of minigrad's documentation site.

Build it from the repository root with::

    python -m sphinx -W -b html docs docs/_build/html

The gallery runs every example in ``examples/``; ``-D plot_gallery=0`` renders the
examples without running them (``tests/test_docs.py`` builds that way).
"""

import os
import re
import sys
from pathlib import Path

import minigrad

# gallery_hooks.py, next to this file, holds the callables sphinx-gallery's config names
sys.path.insert(0, str(Path(__file__).parent))

project = "minigrad"
author = "the minigrad authors"
copyright = "the minigrad authors, MIT license"
version = release = minigrad.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build"]
templates_path = ["_templates"]
nitpicky = False
default_role = "code"

autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
napoleon_google_docstring = False
napoleon_numpy_docstring = True

html_theme = "alabaster"
html_title = f"minigrad {release}"
html_theme_options = {
    "description": "A small autograd framework on NumPy, with PyTorch's names.",
    "fixed_sidebar": True,
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # run every example: the plot_* scripts, the flagship and the tutorials
    "filename_pattern": re.escape(os.sep) + r"(plot|train|tutorial)_",
    # _plotting.py is a helper module the examples import, not an example
    "ignore_pattern": r"^_",
    "within_subsection_order": "gallery_hooks.ExampleOrder",
    "reset_argv": "gallery_hooks.reset_argv",
    "capture_repr": (),
    "download_all_examples": False,
    "remove_config_comments": True,
}
