"""Sphinx configuration for the isingbio documentation.

Build (warnings are errors): ``sphinx-build -W --keep-going -b html docs docs/_build/html``
with the package importable (``pip install -e ".[docs]"``; the compiled kernels must be built).
"""

import isingbio

project = "isingbio"
author = "the isingbio developers"
copyright = "2026, the isingbio developers"
version = release = isingbio.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

# API pages: numpydoc docstrings; members of classes are documented where they are listed,
# not as numpydoc's autosummary tables (which warn for every undocumented attribute).
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the docstrings give types and shapes; signatures stay readable
autodoc_default_options = {"undoc-members": False}
nitpicky = False

myst_heading_anchors = 3
suppress_warnings = ["myst.header"]  # README sections included from the middle of the file

# No intersphinx: the build must pass offline (warnings are errors).

html_theme = "alabaster"
html_title = f"isingbio {release}"
