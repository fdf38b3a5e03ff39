"""The lab's default name, apart from the lab: the CLI needs it without importing docker-py."""

from __future__ import annotations

import os
import re

DEFAULT_NAME = "celery-tutor"
MAX_LENGTH = 41
_CHARACTERS = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def default_name() -> str:
    """The lab name unless told otherwise: CELERY_TUTOR_LAB lets each learner of a shared machine have their own."""
    return os.environ.get("CELERY_TUTOR_LAB") or DEFAULT_NAME


def name_problem(name: str) -> str | None:
    """What keeps `name` from naming a lab (it prefixes container names and names a progress file), or None."""
    if not name:
        return "is empty"
    if len(name) > MAX_LENGTH:
        return f"is {len(name)} characters long, more than the {MAX_LENGTH} a lab name may have"
    if not _CHARACTERS.fullmatch(name):  # match's $ would let a trailing newline through
        return "cannot be a lab name: use letters, digits, '.', '_' and '-', starting with a letter or digit"
    return None
