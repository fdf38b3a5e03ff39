"""A tutor on the learner's own machine in a served room (--room): a real serve, a real lab, the app driven by Pilot;
the teacher's room.json shows the seat's pass within seconds, and the teacher's line reaches the tutor."""

from __future__ import annotations

import asyncio
import json
import signal

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.server.room_client import RoomReporter, RoomUnreachable
from celery_tutor.steps.progress import SavedProgress

from conftest import run_cli
from room_server import RoomServer, seat_name

from .tutor_helpers import bar, check, wait_for

pytestmark = pytest.mark.lab


@pytest.fixture
def room(tmp_path, lab_image):
    server = RoomServer(tmp_path / "state").start()
    yield server
    server.end()


def test_a_wrong_room_code_or_a_room_not_there_is_one_line_before_the_tutor_opens(room, tmp_path):
    for argv, said in ((("--room", room.url, "--code", "wrong"), "wrong room code: ask your teacher"),
                       (("--room", "http://127.0.0.1:9", "--code", room.code), "cannot reach the room")):
        ran = run_cli(*argv, "--seat", "eve", env={"CELERY_TUTOR_STATE_DIR": str(tmp_path / "own")}, timeout=60)
        assert ran.returncode == 2 and said in ran.stderr and "Traceback" not in ran.stderr, ran.stderr
    assert room.room() == []  # no seat taken by either


def test_a_local_tutor_reports_its_pass_to_the_room_and_hears_the_teacher(room, course, lab, tmp_path):
    lab.up()  # the first step's check: the three containers run
    name = seat_name("kim")
    saved = SavedProgress(path=tmp_path / "progress-own.json", lab=lab.name)
    reporter = RoomReporter(room.url, room.code, name, saved.path)
    app = make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(saved), log_dir=tmp_path / "log",
                   status_interval=2.0, crash_on_error=True, room_source=reporter)
    asyncio.run(_drive(app, room, name))
    seat = room.seat(name)
    assert seat["lab"] != lab.name and seat["passed"] == 1  # a seat of the room's, no lab made for it
    assert room.post("/room/reset", {"seat": name}, code=room.teacher_code)[0] == 409  # its lab is not the server's
    assert json.loads(room.post("/room/end", {"seat": name}, code=room.teacher_code)[1]) == {"end": name,
                                                                                             "lab": seat["lab"]}
    with pytest.raises(RoomUnreachable, match="the teacher ended your seat"):
        reporter.report()
    assert name not in {row["name"] for row in room.room()}
    room.stop(signal.SIGKILL)  # and a serve started again remembers it: the tutor on the laptop still reports
    room.start()
    with pytest.raises(RoomUnreachable, match="the teacher ended your seat"):
        reporter.report()
    assert room.room() == []


async def _drive(app, room, name):
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: any(row["name"] == name for row in room.room()), 20, "the seat in the room")
        assert room.seat(name)["connected"] and room.seat(name)["passed"] == 0
        await wait_for(pilot, lambda: app.lab is not None, 60, "the lab connected")
        assert await check(pilot, app)
        await wait_for(pilot, lambda: room.seat(name)["passed"] == 1, 15, "the pass in the teacher's room.json")
        assert room.seat(name)["step"] == "containers/start"

        status, body = room.post("/room/say", {"text": "Kim: well done, wait for the others"}, code=room.teacher_code)
        assert status == 200, body
        await wait_for(pilot, lambda: "Kim: well done" in bar(app), 15, "the teacher's line in the step bar")
