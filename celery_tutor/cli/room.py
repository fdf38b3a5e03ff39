"""`celery-tutor room end`: the room over: every seat's lab removed, with its progress and the room's codes."""

from __future__ import annotations

from celery_tutor.cli.render import console


def run(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab
    from celery_tutor.server.room import Room, forget_seat, room_file

    if not room_file().exists():
        console.print("no room to end: `celery-tutor serve` opens one")
        return 0
    room = Room.open()
    removed = 0
    for lab, engine in room.labs():  # the seats' and those kept ready for seats to come (--warm)
        removed += Lab(connect(engine or args.engine), name=lab).down()
    for lab in {seat.lab for seat in room.seats.values()} | {lab for lab, _ in room.labs()}:
        forget_seat(lab)
    room.path.unlink(missing_ok=True)
    console.print(f"the room is over: {len(room.seats)} seat(s) ended, {removed} container(s) and network(s) removed;"
                  " stop `celery-tutor serve` if it still runs")
    return 0
