"""Plotly's browser bundle, served from our own static files (no CDN).

The ``plotly`` package on PyPI ships the minified plotly.js it renders with; this finder
exposes that one file as ``vendor/plotly/plotly.min.js`` so ``collectstatic``, WhiteNoise
and the test server serve it like any other static file, and upgrading Plotly is a version
bump in pyproject.toml instead of a 4.8 MB file in the repository.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor/plotly"
FILES = ("plotly.min.js",)


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=Path(plotly.__file__).parent / "package_data")
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        name = path.removeprefix(PREFIX + "/")
        if name in FILES and path != name:
            found = self.storage.path(name)
            return [found] if find_all else found
        return [] if find_all else None

    def list(self, ignore_patterns):
        for name in FILES:
            yield name, self.storage
