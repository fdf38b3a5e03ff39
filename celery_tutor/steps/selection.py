"""Resolves `--from` / `--to` (a step id, a lesson id, or a section number of the notes) to a run of steps."""

from __future__ import annotations

from celery_tutor.course.model import Course, Step


class SelectionError(ValueError):
    """The selector names nothing in the course."""


def _matching(course: Course, selector: str) -> list[Step]:
    steps = list(course.steps())
    if selector.isascii() and selector.isdigit():  # "²" is a digit to isdigit, not to int
        matched = [s for s in steps if s.lesson.section and s.lesson.section.number == int(selector)]
        kind = "section"
    elif "/" in selector:
        matched = [s for s in steps if s.full_id == selector]
        kind = "step"
    else:
        matched = [s for s in steps if s.lesson.id == selector]
        kind = "lesson"
    if not matched:
        raise SelectionError(f"no {kind} {selector!r} in the course; `celery-tutor lessons` lists the ids")
    return matched


def select_steps(course: Course, start: str | None = None, end: str | None = None) -> tuple[list[Step], list[Step]]:
    """The steps to replay first (before `start`) and the steps selected (from `start` through `end`)."""
    steps = list(course.steps())
    first = steps.index(_matching(course, start)[0]) if start else 0
    last = steps.index(_matching(course, end)[-1]) if end else len(steps) - 1
    if last < first:
        raise SelectionError(f"--to {end} comes before --from {start} in the course; "
                             f"swap them: --from {end} --to {start}")
    return steps[:first], steps[first : last + 1]
