"""The lab's default name, apart from the lab: the CLI needs it without importing docker-py."""

from __future__ import annotations

import os

DEFAULT_NAME = "celery-tutor"


def default_name() -> str:
    """The lab name unless told otherwise: CELERY_TUTOR_LAB lets each learner of a shared machine have their own."""
    return os.environ.get("CELERY_TUTOR_LAB") or DEFAULT_NAME
