"""A parsed course kept on disk, keyed by the bytes it was parsed from: the tutor opens without parsing 17 lessons."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable

from celery_tutor.course.model import Course

_PARSER = Path(__file__).resolve().parent  # a change to the parser is a change to what the lessons parse into
KEEP = 8  # courses kept (one per lessons directory): the shipped one, a teacher's own, a few being written


def _key(root: Path) -> str | None:
    """A digest of everything the parsed course depends on, or None if a file cannot be read."""
    digest = hashlib.sha256(f"{sys.version}\0{root.resolve()}\0".encode())
    try:
        for path in sorted(_PARSER.glob("*.py")) + sorted(root.glob("*.md")) + [root / "course.yaml"]:
            digest.update(f"{path.name}\0".encode())
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def cached(root: Path, directory: Path, load: Callable[[Path], Course]) -> Course:
    """The course in `root`, from `directory` if these very files were parsed before, else `load(root)` (saved
    for next time when it loads without problems; a course with problems raises from `load` and is not kept)."""
    key = _key(root)
    path = directory / f"course-{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]}.pickle"
    if key is not None:
        try:
            with path.open("rb") as handle:
                saved_key, course = pickle.load(handle)
            if saved_key == key and isinstance(course, Course):
                return course
        except Exception:  # missing, or written by another version: parse again
            pass
    course = load(root)
    if key is not None:
        _save((key, course), directory, path)
    return course


def _save(entry: tuple[str, Course], directory: Path, path: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=directory, delete=False, suffix=".tmp") as handle:
            pickle.dump(entry, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
        kept = sorted(directory.glob("course-*.pickle"), key=lambda old: old.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:  # test runs and moved directories leave no trail
            old.unlink(missing_ok=True)
    except OSError:  # a read-only or full cache directory only costs the next start the parse
        try:
            os.unlink(handle.name)
        except (OSError, UnboundLocalError):
            pass
