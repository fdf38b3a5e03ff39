"""The lab map in the tutor, without the engine: l opens and closes it, it is read only while shown, a failed read
keeps the last map with the reason, and the lessons of 四 offer it. A stand-in for read_map gives fixed maps: what
is tested is the tutor's refreshing, not the lab (tests/app/test_lab_map_live.py reads a real one)."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path

import pytest
from rich.console import Console

from celery_tutor.app.screens import main_map
from celery_tutor.course import load_course
from celery_tutor.lab import lab_map as lab_map_module
from celery_tutor.lab.map_model import LabMap

from .tutor_helpers import bar, end_of_course_map, fake_app, settle, wait_for


class Reads:
    """Stands in for lab_map.read_map: counts the reads, hands each its `previous`, can be made to fail."""

    def __init__(self):
        self.count = 0
        self.previous: list[LabMap | None] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, lab, previous=None) -> LabMap:
        with self.lock:
            self.count += 1
            self.previous.append(previous)
        if self.fail:
            raise RuntimeError("the engine said something nobody foresaw")
        return end_of_course_map(time.time())


@pytest.fixture
def reads(monkeypatch):
    found = Reads()
    monkeypatch.setattr(lab_map_module, "read_map", found)
    return found


@pytest.fixture(scope="module")
def course():
    return load_course(Path(__file__).parent / "snapshot_lessons")


def _drawn(app) -> str:
    """The map pane's text as the terminal shows it: its drawing rendered at the pane's width."""
    view = app.main.map_view
    if view is None:
        return ""
    drawing = view.query_one("#map-drawing")
    console = Console(width=max(20, drawing.size.width), record=True, color_system=None, file=io.StringIO())
    console.print(drawing.content)
    return console.export_text()


def test_l_opens_the_map_beside_the_panes_and_closes_it(reads, course):
    async def scenario():
        app = fake_app(course)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app)(pilot)
            assert app.main.output.current_source == "celery-1"
            await pilot.press("l")
            await wait_for(pilot, lambda: app.main.map_shown and "celery@celery-2" in _drawn(app), 5,
                           "the map drawn")
            text = _drawn(app)
            assert "quorum" in text and "DOWN" in text and "exited" in text and "HAProxy on celery-1" in text
            assert app.main.has_class("-map")  # the panes got more room
            # A step run while the map is shown leaves it in view; its output goes to its pane (marked unseen).
            await app.main.go_to(course.step("rabbitmq-install/install"))
            await pilot.press("r")
            await wait_for(pilot, lambda: not app.main.busy and app.main.step_bar.state != "todo", 10, "the run")
            assert app.main.map_shown and "celery-1 •" in str(app.main.output.get_tab("out-celery-1").label)
            await pilot.press("l")
            await wait_for(pilot, lambda: app.main.map_view is None, 5, "the map closed")
            assert app.main.output.current_source == "celery-1" and not app.main.has_class("-map")
            # Opened again, it shows the last map at once, before the next read ends.
            await pilot.press("l")
            await wait_for(pilot, lambda: app.main.map_shown, 5)
            assert "celery@celery-2" in _drawn(app)

    asyncio.run(scenario())


async def _no_reads(pilot, reads, where: str) -> None:
    """The map hidden: once a read under way then has ended, seven refresh periods pass without one."""
    await pilot.pause(0.5)
    before = reads.count
    await pilot.pause(1.5)
    assert reads.count == before, f"the map was read {where}"


def test_the_map_is_read_only_while_shown(reads, course, monkeypatch):
    monkeypatch.setattr(main_map, "MAP_SECONDS", 0.2)

    async def scenario():
        app = fake_app(course)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app)(pilot)
            await pilot.pause(1.0)
            assert reads.count == 0  # never shown: never read
            await pilot.press("l")
            await wait_for(pilot, lambda: reads.count >= 4, 10, "four reads while the map is shown")
            assert reads.previous[0] is None and all(p is not None for p in reads.previous[1:])
            # Another pane on show: the map's tab is there but hidden, and the reads stop.
            await pilot.press("right_square_bracket")
            await wait_for(pilot, lambda: not app.main.map_shown, 5)
            await _no_reads(pilot, reads, "while another pane showed")
            hidden = reads.count
            # Back on the map: reads again; under the help screen: stop; closed: stop.
            await pilot.press("left_square_bracket")
            await wait_for(pilot, lambda: reads.count >= hidden + 2, 10, "reads once the map shows again")
            await pilot.press("question_mark")
            await _no_reads(pilot, reads, "under the help screen")
            covered = reads.count
            await pilot.press("question_mark")
            await wait_for(pilot, lambda: reads.count >= covered + 2, 10, "reads after the help screen")
            await pilot.press("l")
            await _no_reads(pilot, reads, "after it was closed")

    asyncio.run(scenario())


def test_a_read_that_fails_keeps_the_last_map_and_says_why(reads, course, monkeypatch):
    monkeypatch.setattr(main_map, "MAP_SECONDS", 0.2)

    async def scenario():
        app = fake_app(course)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app)(pilot)
            await pilot.press("l")
            await wait_for(pilot, lambda: "celery@celery-2" in _drawn(app), 5, "the map drawn")
            reads.fail = True
            await wait_for(pilot, lambda: "could not be read" in _drawn(app), 5, "the failure shown")
            assert "RuntimeError" in _drawn(app) and "celery@celery-2" in _drawn(app)  # the last map stays
            reads.fail = False
            await wait_for(pilot, lambda: "could not be read" not in _drawn(app), 5, "the map back")
            assert app.is_running

    asyncio.run(scenario())


def test_the_lessons_of_section_four_offer_the_map():
    course = load_course()
    offering = {lesson.id for lesson in course.lessons if lesson.offers_map}
    assert offering == {lesson.id for section in course.sections if section.number == 4 for lesson in section.lessons}
    assert load_course(lang="zh").lessons[-1].offers_map  # the translated course keeps it

    async def scenario():
        app = fake_app(course)
        async with app.run_test(size=(120, 36)) as pilot:
            await settle(app)(pilot)
            assert "the lab map" not in bar(app)  # section 一
            await app.main.go_to(course.step("haproxy/drill"))
            await pilot.pause(0.1)
            assert "l the lab map" in bar(app)

    asyncio.run(scenario())
