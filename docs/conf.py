"""Sphinx configuration for art_initiative."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "art_initiative"
author = "art_initiative developers"
copyright = "2026, art_initiative developers"  # noqa: A001
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
nitpicky = False
exclude_patterns = ["_build"]
html_theme = "alabaster"
suppress_warnings = ["ref.python"]
