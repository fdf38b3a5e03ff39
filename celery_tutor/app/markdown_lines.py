"""A step's Markdown as Rich draws it, in lines, kept on disk: a restart shows the lesson it left without drawing it
again or loading what draws it (Rich's Markdown, markdown-it and Pygments: about 50 ms of the first frame)."""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.style import Style

from celery_tutor import pickles
from celery_tutor.paths import cache_dir

CODE_THEME = "monokai"
KEEP = 300  # drawings kept: every step of the course at a few widths and in both themes (under 10 MB)
_LIBRARIES = ("rich", "markdown_it", "pygments")
_libraries: str | None = None


def _installed_libraries() -> str:
    """What else decides the drawing: the copies of the libraries that draw it, told apart by their files (asking
    their versions through importlib.metadata would cost as much as the drawing)."""
    global _libraries
    if _libraries is None:
        parts = []
        for name in _LIBRARIES:
            spec = importlib.util.find_spec(name)
            if spec and spec.origin:
                stat = os.stat(spec.origin)
                parts.append(f"{spec.origin}:{stat.st_size}:{stat.st_mtime_ns}")
        _libraries = "\0".join(parts)
    return _libraries


def _draw(text: str, width: int, style: Style, console: Console) -> list[list[Segment]]:
    from rich.markdown import Markdown  # here: a restart that finds its drawings never loads it

    options = console.options.update(width=width, highlight=False)
    markdown = Markdown(text, code_theme=CODE_THEME, hyperlinks=False)
    return console.render_lines(markdown, options, style=style, pad=True)


def markdown_lines(text: str, width: int, style: Style, console: Console,
                   directory: Path | None = None) -> list[list[Segment]]:
    """`text` drawn `width` cells wide over `style`: from `directory` if it was drawn so before, else drawn now
    and kept there."""
    key = hashlib.sha256(f"{_installed_libraries()}\0{width}\0{style!r}\0{text}".encode()).hexdigest()[:32]
    path = (directory or cache_dir() / "markdown") / f"lines-{key}.pickle"
    lines = pickles.load(path, list)
    if lines is None:
        lines = _draw(text, width, style, console)
        pickles.save(lines, path, KEEP)
    return lines
