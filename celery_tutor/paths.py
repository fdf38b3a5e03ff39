"""Where the tutor finds its shipped data and keeps the learner's files."""

from __future__ import annotations

from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parent
APP_NAME = "celery-tutor"


def data_dir(name: str) -> Path:
    """The shipped `lessons` or `assets` folder: inside the wheel when installed, beside the package in a checkout."""
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name


def lessons_dir() -> Path:
    return data_dir("lessons")


def assets_dir() -> Path:
    return data_dir("assets")


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME))
