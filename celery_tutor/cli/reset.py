"""`celery-tutor reset STEP | --lesson ID | --all`: forgets progress; the lab itself is left as it is."""

from __future__ import annotations

from celery_tutor.cli import context
from celery_tutor.cli.errors import UsageError
from celery_tutor.cli.render import console


def run(args) -> int:
    if sum([bool(args.step), bool(args.lesson), args.all]) != 1:
        raise UsageError("say what to forget: a STEP (and every step after it), --lesson ID, or --all")
    course = context.course(args)
    progress = context.saved_progress(context.lab_name(args))
    if args.all:
        steps = list(course.steps())
    elif args.lesson:
        if course.lesson(args.lesson) is None:
            raise UsageError(f"no lesson {args.lesson!r} in the course; `celery-tutor lessons` lists the ids")
        steps = course.lesson(args.lesson).steps
    else:
        steps = context.steps(course, args.step)[1]
    forgotten = progress.reset(steps)
    if args.all:
        progress.forget_all()
    progress.save()
    console.print(f"forgot {forgotten} step(s) of progress in lab {progress.lab}; the lab itself is unchanged "
                  f"(`celery-tutor lab reset` recreates it)")
    return 0
