"""A parsed course kept on disk, keyed by the bytes it was parsed from: the tutor opens without parsing 17 lessons."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Callable

from celery_tutor import pickles
from celery_tutor.course.model import Course

_PARSER = Path(__file__).resolve().parent  # a change to the parser is a change to what the lessons parse into
KEEP = 8  # courses kept (one per lessons directory): the shipped one, a teacher's own, a few being written


def _key(root: Path, lang: str = "en") -> str | None:
    """A digest of everything the parsed course depends on, or None if a file cannot be read: in a language other
    than English, its catalogs too (lessons/locale/LANG/*.po)."""
    digest = hashlib.sha256(f"{sys.version}\0{root.resolve()}\0{lang}\0".encode())
    catalogs = sorted((root / "locale" / lang).glob("*.po")) if lang != "en" else []
    try:
        parser = sorted(_PARSER.glob("*.py")) + sorted(_PARSER.glob("*.sh"))  # the check helpers' reasons too
        for path in parser + sorted(root.glob("*.md")) + [root / "course.yaml"] + catalogs:
            digest.update(f"{path.name}\0".encode())
            digest.update(path.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:32]


def cached(root: Path, directory: Path, load: Callable[[Path], Course], lang: str = "en") -> Course:
    """The course in `root`, from `directory` if these very files were parsed before, else `load(root)` (saved
    for next time when it loads without problems; a course with problems raises from `load` and is not kept)."""
    key = _key(root, lang)
    name = hashlib.sha256(f"{root.resolve()}{'' if lang == 'en' else chr(0) + lang}".encode()).hexdigest()[:16]
    path = directory / f"course-{name}.pickle"
    if key is not None:
        saved = pickles.load(path, tuple) or ()
        if len(saved) == 2 and saved[0] == key and isinstance(saved[1], Course):
            return saved[1]
    course = load(root)
    if key is not None:
        pickles.save((key, course), path, KEEP)
    return course

