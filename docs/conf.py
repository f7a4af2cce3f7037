"""Sphinx configuration of the depnet documentation (build: docs/build.sh)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

project = "depnet"
author = "the depnet authors"
copyright = "the depnet authors, MIT licence"  # noqa: A001 - Sphinx's name
release = version = "0.1.0"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
    "depnet_docs",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
smartquotes = False  # command lines and help texts keep their straight quotes
exclude_patterns = ["_build", "README.md", "results/**"]  # results: included where shown
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# Internal references are checked (-n -W in docs/build.sh); names from other packages
# (numpy, xarray, Brian2, the standard library) are not, as no inventories are fetched.
nitpicky = True
_EXTERNAL = (
    r"(np|numpy|xr|xarray|b2|brian2|pd|pandas|zarr|matplotlib|pydantic|dask|scipy|pynwb|"
    r"collections|typing|pathlib|datetime|os|subprocess|argparse|concurrent|types|enum)\..*"
)
_BUILTIN = (
    r"(str|int|float|bool|bytes|dict|list|tuple|set|frozenset|None|object|type|callable|"
    r"Path|Any|Mapping|Sequence|Iterable|Iterator|Callable|Literal|Self|Quantity|Unit|"
    r"DataTree|Dataset|DataArray|ndarray|Figure|Axes|BaseModel|optional|default|array_like|"
    r"array-like|Exception|ValueError|KeyError|OSError|FileNotFoundError|TextIO)"
)
nitpick_ignore_regex = [
    (r"py:.*", _EXTERNAL),
    (r"py:.*", _BUILTIN),
]

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc sections carry the types in words
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["depnet.css"]
html_title = "depnet"
html_theme_options = {
    "description": "Spiking network model of depression circuits",
    "page_width": "1240px",
    "sidebar_width": "240px",
    "fixed_sidebar": True,
    "show_relbars": True,
}
html_sidebars = {"**": ["about.html", "navigation.html", "searchbox.html"]}
