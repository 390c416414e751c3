"""Sphinx configuration for the skpart documentation."""

import os
import sys

# Build from the working tree, so the API pages match the code beside them.
sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import skpart  # noqa: E402

project = "skpart"
author = "the skpart developers"
copyright = "the skpart developers"
release = skpart.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path = []
html_static_path = ["_static"]

# Autosummary pages are generated at build time, not committed.
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters sections say it better
autodoc_member_order = "bysource"

# Methods and properties are documented by autoclass :members: in api.rst; the
# numpydoc member tables would list them a second time.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Links to the libraries skpart builds on, resolved only when online
# (SKPART_DOCS_INTERSPHINX=1); the default build is offline.
intersphinx_mapping = {}
if os.environ.get("SKPART_DOCS_INTERSPHINX"):
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "pandas": ("https://pandas.pydata.org/docs", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "scikeras": ("https://adriangb.com/scikeras/stable", None),
    }

# Every reference must resolve (make docs passes -W). The only exceptions are
# third-party names that an offline build has no inventory for; skpart's own
# names are never listed here.
nitpicky = True
nitpick_ignore = [
    # SciKeras, the estimators' base classes, linked from their docstrings.
    ("py:class", "scikeras.wrappers.KerasClassifier"),
    ("py:class", "scikeras.wrappers.KerasRegressor"),
]

myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"skpart {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
# The top navigation bar lists every page; a left sidebar would stay empty.
html_sidebars = {"**": []}


def _check_api_reference(app):
    """Warn (an error under -W) for a public name missing from api.rst."""
    import re

    from sphinx.util import logging

    with open(os.path.join(app.srcdir, "api.rst"), encoding="utf-8") as f:
        documented = set(re.findall(r"^\.\. auto\w+:: (\w+)", f.read(), re.M))
    for name in sorted(set(skpart.__all__) - documented):
        logging.getLogger(__name__).warning(
            "skpart.%s is in skpart.__all__ but not in docs/api.rst", name
        )


def setup(app):
    app.connect("builder-inited", _check_api_reference)
