"""The lab image as the commands get it: built with a progress bar, a missing base made first where it can be."""

from __future__ import annotations

import sys

from celery_tutor.cli.render import build_progress, err, line_progress


def _may_make_base(missing, outright: bool) -> bool:
    """Make the missing base? `lab build` was asked to build, so yes; any other command asks in a terminal, and
    without one stops at the one line (it names `lab build`, which makes it)."""
    from celery_tutor.lab import base_image

    if base_image.can_make() is not None:
        return False
    if outright:
        return True
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    err.print(f"{missing.reason}.", markup=False)
    try:
        answer = err.input(f"Make it here with debootstrap (about {base_image.MAKE_SECONDS} s)? [y/N] ",
                           markup=False)
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def make_base(image) -> None:
    """The base image made on the lab's engine, the script's output as a live progress line."""
    progress, report = line_progress("base image")
    with progress:
        image.make_base(report)
    err.print(f"made the base image {image.base}", markup=False)


def ready(lab, rebuild: bool = False) -> None:
    """The lab image, built if it is missing or out of date (with `rebuild`, in any case: `lab build`)."""
    from celery_tutor.lab.errors import BaseImageMissing

    try:
        _build(lab.image, rebuild)
    except BaseImageMissing as missing:
        if not _may_make_base(missing, outright=rebuild):
            raise
        make_base(lab.image)
        _build(lab.image, rebuild)


def _build(image, rebuild: bool) -> None:
    progress, report = build_progress()
    with progress:
        if rebuild:
            image.build(report)
        else:
            image.ensure(report)
