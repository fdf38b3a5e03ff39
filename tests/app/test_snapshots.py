"""What the learner sees, as SVG snapshots (pytest-textual-snapshot): the main screen, a failed check, the help
screen, the offer to rebuild the lab, the banner when Docker cannot be reached, an 80x24 terminal and the lab map. A
fake lab gives fixed answers (and a fixed map): layout only."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from celery_tutor.course import load_course
from celery_tutor.lab import lab_map as lab_map_module
from celery_tutor.lab.errors import DockerUnavailable
from celery_tutor.lab.node import ExecResult

from .tutor_helpers import FakeLab, end_of_course_map, fake_app, settle

SNAPSHOT_SIZE = (120, 36)


@pytest.fixture(scope="module")
def course():
    """A frozen copy of three lessons: the snapshots follow the app's look, not the lessons' wording."""
    return load_course(Path(__file__).parent / "snapshot_lessons")


def _after_key(app, key: str):
    """Settle, press `key`, and give the screen it opens a moment to draw."""
    async def run_before(pilot):
        await settle(app)(pilot)
        await pilot.press(key)
        await pilot.pause(0.3)
    return run_before


def test_main_screen(snap_compare, course):
    app = fake_app(course)
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=settle(app))


def test_a_failed_check(snap_compare, course):
    lab = FakeLab()
    lab.node("celery-1").answers["hostname"] = ExecResult(
        1, "expected hostname celery-1 on celery-1, saw '3f2a9c1d7b6e'\n")
    app = fake_app(course, lab)

    async def run_before(pilot):
        await settle(app)(pilot)
        await pilot.press("c")
        await settle(app)(pilot)

    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=run_before)


def test_help_screen(snap_compare, course):
    app = fake_app(course)
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=_after_key(app, "question_mark"))


def test_no_docker_banner(snap_compare, course):
    def unreachable():
        raise DockerUnavailable("the Docker daemon is not running (the local Docker socket does not answer)",
                                "start it (sudo systemctl start docker) or point DOCKER_HOST / --engine at a "
                                "running engine")

    app = fake_app(course, lab_factory=unreachable)
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=settle(app))


def test_the_rebuild_offer(snap_compare, course):
    app = fake_app(course)
    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=_after_key(app, "b"))


def test_a_terminal_of_80_by_24(snap_compare, course):
    """A terminal's usual default size: the outline folds away (o brings it back), the lesson gets the width."""
    app = fake_app(course)
    assert snap_compare(app, terminal_size=(80, 24), run_before=settle(app))


@pytest.fixture
def utc(monkeypatch):
    """The map says when it was read: in UTC, the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_lab_map(snap_compare, course, monkeypatch, utc):
    """l during the failover drill (a fixed map: celery-3 stopped, HAProxy's DOWN): a tab beside the panes, which
    get more of the screen while it shows."""
    monkeypatch.setattr(lab_map_module, "read_map", lambda lab, previous=None: end_of_course_map(1_700_000_000.0))
    app = fake_app(course)

    async def run_before(pilot):
        await _after_key(app, "l")(pilot)
        await settle(app)(pilot)

    assert snap_compare(app, terminal_size=SNAPSHOT_SIZE, run_before=run_before)
