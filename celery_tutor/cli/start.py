"""`celery-tutor start [--at STEP]` (also `celery-tutor` alone): opens the tutor, at STEP on a lab rebuilt to it."""

from __future__ import annotations

import gc

from celery_tutor.cli import context
from celery_tutor.cli.errors import UsageError


def run(args) -> int:
    if args.engine is not None and not args.engine.strip():
        # The app would meet it only after it opens, as a banner: refused here as every other command refuses it.
        from celery_tutor.lab.docker_engine import connect

        connect(args.engine)  # raises DockerUnavailable before any contact; imported only on this wrong path
    if not args.at:  # a replay first runs for minutes: it keeps the collector
        gc.disable()  # until the app's first frame (TutorApp.on_ready): start-up allocates much and frees nothing
    try:
        from celery_tutor.app import run_app
    except ImportError:
        raise UsageError("the terminal app is not part of this version yet; "
                         "try `celery-tutor lessons` or `celery-tutor verify`") from None
    course = context.course(args)
    room = _room(args) if args.room else None  # refused here, in one line, before a replay or the app
    if args.at and _start_at(args, course) != 0:
        return 1
    return run_app(course=course, lab_name=context.lab_name(args), engine=args.engine,
                   lang=getattr(args, "lang", None), room=room)


def _room(args):
    """The room this tutor reports to, its first report made: a wrong code or URL is said now, not in the app."""
    from celery_tutor.cli.render import console
    from celery_tutor.server.room_client import RoomReporter, RoomUnreachable, default_seat
    from celery_tutor.steps.progress import SavedProgress

    reporter = RoomReporter(args.room, args.room_code, args.seat or default_seat(),
                            SavedProgress.for_lab(context.lab_name(args)).path)
    try:
        answer = reporter.report()
    except RoomUnreachable as exc:
        raise UsageError(str(exc)) from None
    console.print(f"in the room at {reporter.url} as seat {answer.get('seat', reporter.seat)!r}", highlight=False)
    return reporter


def _start_at(args, course) -> int:
    """A lab made afresh, the steps before --at replayed, and the learner's progress put there: those steps passed
    (done by the tutor where the learner had not passed them)."""
    from celery_tutor.cli import image
    from celery_tutor.cli.replay import replay_to

    replay, chosen = context.steps(course, args.at)
    lab = context.lab(args)
    image.ready(lab)
    # A fresh lab: replayed on top of a lab that is further on, or missing a node, the steps may not even pass.
    return replay_to(lab, replay, chosen[0], args.at, reset=True)
