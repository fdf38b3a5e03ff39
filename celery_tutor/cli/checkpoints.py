"""`celery-tutor lab prepare` and `lab checkpoints [--clear]`: the lab saved at the start of every lesson."""

from __future__ import annotations

import time

from celery_tutor.cli import context, image
from celery_tutor.cli.render import console, err

PREPARE_LAB = "celery-tutor-prepare"


def prepare(args) -> int:
    """The course replayed on a lab of its own, a checkpoint saved where each lesson ends: each missing one from the
    nearest before it (the first time, the whole course once)."""
    from celery_tutor.cli.render import VerifyReporter, bar
    from celery_tutor.steps.checkpoints import Checkpoints, lesson_ends
    from celery_tutor.steps.rebuild import rebuild
    from celery_tutor.steps.runner import StepRunner

    every = list(context.course(args).steps())
    lab = context.lab(args, name=args.lab or PREPARE_LAB)
    image.ready(lab)
    helper = Checkpoints(lab, every)
    ends = [end for end in lesson_ends(every) if end < len(every)]  # the course's end starts no lesson
    shown = bar("preparing")
    rebuilt = None
    started = time.monotonic()
    try:
        with shown:
            reporter = VerifyReporter(shown, shown.add_task("", total=ends[-1]), ends[-1])
            runner = StepRunner(lab, on_output=reporter.output)
            try:
                for end in ends:
                    found = helper.store.find(every[end - 1].lesson.id, helper.key(end))
                    if found is not None and found.usable:
                        continue  # made already, or on the way to a later one
                    rebuilt = rebuild(lab, runner, every[:end], reporter)
                    shown.update(reporter.task, completed=end)
                    if not rebuilt.ok:
                        break
            finally:
                runner.close()
    finally:
        lab.down()
    for note in rebuilt.notes if rebuilt else []:
        err.print(f"note: {note}", markup=False)
    if rebuilt is not None and not rebuilt.ok:
        reporter.show_recent()
        err.print(f"[red]prepare failed[/]: {rebuilt.reason}")
        return 1
    stale = helper.store.forget({helper.key(end) for end in lesson_ends(every)})  # other lessons' or image's
    if stale:
        console.print(f"removed {stale} checkpoint image(s) made from other lessons or another lab image")
    rows = listing(lab, every)
    usable = sum(1 for row in rows if row[2] == "usable")
    console.print(f"{usable} of {len(rows)} checkpoint(s) ready ({_size(sum(row[1] for row in rows))} on disk, "
                  f"in {time.monotonic() - started:.0f} s): `celery-tutor lab up --at STEP` starts from the nearest "
                  "one")
    return 0 if usable == len(rows) else 1


def listing(lab, steps) -> list[tuple[str, int, str, float]]:
    """(lesson it starts, bytes of its own layers, 'usable' or why not, age in seconds) per lesson end."""
    from celery_tutor.steps.checkpoints import Checkpoints, lesson_ends

    helper = Checkpoints(lab, steps)
    every = helper.store.all()
    sizes = _own_sizes(lab.client)
    rows = []
    ends = [end for end in lesson_ends(steps) if end < len(steps)]  # the course's end starts no lesson
    for end in ends:
        after, lesson = steps[end - 1].lesson.id, steps[end].lesson.id
        found = helper.store.find(after, helper.key(end))
        if found is None:
            other = any(c.after == after for c in every)
            rows.append((lesson, 0, "made from other lessons or another lab image" if other else "not made yet",
                         0.0))
            continue
        own = sum(sizes.get(image["Id"], 0) for image in found.images.values())
        rows.append((lesson, own, "usable" if found.usable else found.problem, time.time() - found.created))
    return rows


def usable_images(lab, steps) -> list[str]:
    """The tags of every usable checkpoint of this course and image, for the kit."""
    from celery_tutor.lab.checkpoint import tag
    from celery_tutor.steps.checkpoints import Checkpoints, lesson_ends

    helper = Checkpoints(lab, steps)
    names = []
    for end in lesson_ends(steps):
        found = helper.store.find(steps[end - 1].lesson.id, helper.key(end))
        if found is not None and found.usable:
            names += [tag(found.after, found.key, node) for node in found.images]
    return names


def _own_sizes(client) -> dict[str, int]:
    """image id -> the bytes of its own layers (its size less its parent's): what it adds on disk."""
    images = client.api.images(all=True)
    size = {image["Id"]: int(image.get("Size") or 0) for image in images}
    return {image["Id"]: size[image["Id"]] - size.get(image.get("ParentId") or "", 0) for image in images}


def _size(count: int) -> str:
    return f"{count / 2**30:.2f} GiB" if count >= 2**30 else f"{count / 2**20:.0f} MiB"


def _age(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 86400 else f"{seconds / 86400:.1f} days"


def checkpoints(args) -> int:
    from rich.table import Table

    from celery_tutor.lab.checkpoint import CheckpointStore

    lab = context.lab(args)
    if args.clear:
        removed = CheckpointStore(lab.client).clear()
        console.print(f"removed {removed} checkpoint image(s)")
        return 0
    rows = listing(lab, list(context.course(args).steps()))
    table = Table("lesson", "size", "age", "usable", title="checkpoints (the lab at the start of each lesson)")
    for lesson, size, state, age in rows:
        colour = "green" if state == "usable" else "yellow"
        table.add_row(lesson, _size(size) if size else "", _age(age) if age else "", f"[{colour}]{state}[/]")
    console.print(table)
    usable = sum(1 for row in rows if row[2] == "usable")
    console.print(f"{usable} of {len(rows)} usable, {_size(sum(row[1] for row in rows))} on disk"
                  + ("" if usable == len(rows) else "; `celery-tutor lab prepare` makes the missing ones"))
    return 0
