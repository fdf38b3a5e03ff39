"""The lab's default name, in a module of its own: the CLI needs it before it draws anything, and importing the
lab itself (docker-py) costs a tenth of a second."""

from __future__ import annotations

import os

DEFAULT_NAME = "celery-tutor"


def default_name() -> str:
    """The lab name unless told otherwise: CELERY_TUTOR_LAB lets each learner of a shared machine have their own."""
    return os.environ.get("CELERY_TUTOR_LAB") or DEFAULT_NAME
