"""Output formats. Each module has `render(report, stream, color)`; REGISTRY feeds --format."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TextIO

from tagguard.core.report import Report

Renderer = Callable[[Report, TextIO, bool], None]

# Module names, imported only when chosen: start-up pays for one format at most.
REGISTRY = {
    "text": "tagguard.reporters.text",
    "json": "tagguard.reporters.json",
}


def renderer(name: str) -> Renderer:
    module = importlib.import_module(REGISTRY[name])
    render: Renderer = module.render
    return render
