"""The room and its tutor: the teacher's line shown in the step bar (and as a notice) within seconds; a room that stops
answering said in the status bar."""

from __future__ import annotations

import asyncio
from pathlib import Path

from celery_tutor.course import load_course
from celery_tutor.server import teacher_line

from .tutor_helpers import bar, fake_app, settle, wait_for


def test_the_teachers_line_reaches_the_step_bar_and_stays_under_the_steps_state(monkeypatch, tmp_path):
    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path))
    course = load_course(Path(__file__).parent / "snapshot_lessons")
    teacher_line.say("snap", "An old line, said before this tutor opened", at=1.0)
    asyncio.run(_drive(course))


async def _drive(course):
    app = fake_app(course, room_source=teacher_line.Watcher("snap"))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app)(pilot)
        await wait_for(pilot, lambda: "An old line" in bar(app), 10, "the line said before the tutor opened")
        assert not app._notifications  # an old line is shown, not announced

        teacher_line.say("snap", "Everyone: stop at step 3, we look at it together")
        await wait_for(pilot, lambda: "stop at step 3" in bar(app), 10, "the teacher's new line")
        assert "An old line" not in bar(app)
        assert [n.message for n in app._notifications if n.title == "From the teacher"] == [
            "Everyone: stop at step 3, we look at it together"]

        await pilot.press("c")  # the step's state changes; the teacher's line stays under it
        await wait_for(pilot, lambda: "Not yet" in bar(app) or "Passed" in bar(app), 10, "the check's result")
        assert "Teacher: Everyone: stop at step 3" in bar(app)

        app.clear_notifications()
        await pilot.pause(1.5)
        assert not app._notifications  # the same line is not announced twice


class _Room:
    """A room's server as the --room tutor sees it: no line to hear, and a problem reaching it, or none."""

    problem = ""

    def poll(self):
        return None


def test_a_room_that_stops_answering_is_said_in_the_status_bar_and_so_is_its_return():
    room = _Room()
    asyncio.run(_watch_the_room(load_course(Path(__file__).parent / "snapshot_lessons"), room))


async def _watch_the_room(course, room):
    app = fake_app(course, room_source=room)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app)(pilot)
        room.problem = "cannot reach the room at http://127.0.0.1:9/ (connection refused)"
        await wait_for(pilot, lambda: "room not reachable" in app.main.status_bar.note, 10, "the room's problem")
        assert "connection refused" in app.main.status_bar.note
        room.problem = ""
        await wait_for(pilot, lambda: app.main.status_bar.note == "the room answers again", 10, "the room back")
