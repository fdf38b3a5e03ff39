"""`celery-tutor serve`: the tutor in a browser, a seat and a lab per learner (see celery_tutor/server/)."""

from __future__ import annotations

from celery_tutor.cli import context, options


def run(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.server.room import Room
    from celery_tutor.server.tutor_server import TutorServer

    options.check_listen(args.host, args.port)
    engines = args.engines or [args.engine]
    for engine in engines:
        connect(engine)  # refuse at once, with the reason, if an engine cannot be reached
    course = context.course(args)  # and if the lessons are broken
    if args.at:
        context.steps(course, args.at)  # and if the step is not in them
    room = Room.open(code=args.code, teacher_code=args.teacher_code, cap=args.seats, prefix=args.lab or "web")
    TutorServer(host=args.host, port=args.port, engines=engines, lessons=args.lessons,
                public_url=args.public_url, at=args.at, room=room, lang=getattr(args, "lang", None), warm=args.warm,
                idle=args.idle, expire=args.expire).serve()
    return 0
