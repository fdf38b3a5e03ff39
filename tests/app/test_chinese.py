"""The tutor in Chinese: snapshots of the main screen, the help and a failed check at 80 and 120 columns (wide
characters in the footer, step bar and outline), and the palette's language switch, which re-draws the lesson."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from celery_tutor import i18n
from celery_tutor.course import load_course
from celery_tutor.lab.node import ExecResult

from .tutor_helpers import FakeLab, bar, fake_app, settle

LESSONS = Path(__file__).parent / "snapshot_lessons"  # with their zh catalogs in snapshot_lessons/locale/zh


@pytest.fixture
def chinese():
    """The tutor's own words in Chinese for one test, English again after it (one language a process)."""
    i18n.set_language("zh")
    yield load_course(LESSONS, "zh")
    i18n.set_language("en")


@pytest.fixture(autouse=True)
def english_after():
    yield
    i18n.set_language("en")


def _failing_lab() -> FakeLab:
    lab = FakeLab()
    lab.node("celery-1").answers["hostname"] = ExecResult(
        1, "expected hostname celery-1 on celery-1, saw '3f2a9c1d7b6e'\n")
    return lab


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_main_screen_in_chinese(snap_compare, chinese, size):
    app = fake_app(chinese)
    assert snap_compare(app, terminal_size=size, run_before=settle(app))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_help_in_chinese(snap_compare, chinese, size):
    app = fake_app(chinese)

    async def run_before(pilot):
        await settle(app)(pilot)
        await pilot.press("question_mark")
        await pilot.pause(0.3)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_a_failed_check_in_chinese(snap_compare, chinese, size):
    app = fake_app(chinese, _failing_lab())

    async def run_before(pilot):
        await settle(app)(pilot)
        await pilot.press("c")
        await settle(app)(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_the_failed_check_says_why_in_chinese(chinese):
    asyncio.run(_failed_check(chinese))


async def _failed_check(chinese):
    app = fake_app(chinese, _failing_lab())
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app)(pilot)
        await pilot.press("c")
        await settle(app)(pilot)
        assert "✗ 尚未通过：" in bar(app)
        assert "第 1 步，共" in app.main.position


async def _palette(pilot, app, words: str) -> None:
    """ctrl+p, the words typed, Enter: what a learner does to find a command by name."""
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    await pilot.press(*words)
    await pilot.pause(0.5)
    await pilot.press("enter")
    await pilot.pause(0.5)
    await app.workers.wait_for_complete()
    await pilot.pause(0.3)


def _footer_words(app) -> set[str]:
    return {binding.description for _key, (_node, binding, enabled, _tooltip) in app.main.active_bindings.items()
            if binding.show}


def test_the_palette_switches_the_language_and_back():
    asyncio.run(_switch_and_back())


async def _switch_and_back():
    english = load_course(LESSONS)
    app = fake_app(english)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app)(pilot)
        step_bar, title = bar(app), app.main.step.title
        lesson = app.main.lesson_view.text_of(app.main.step)
        assert "Run" in _footer_words(app) and "Step 1 of" in step_bar

        await _palette(pilot, app, "Language")
        assert i18n.language() == "zh"
        assert app.progress.saved.language == "zh"  # remembered with the progress for the next start
        assert {"运行", "检查", "帮助"} <= _footer_words(app)
        assert "第 1 步，共" in bar(app)
        assert app.main.step.full_id == load_course(LESSONS, "zh").step(app.main.step.full_id).full_id
        chinese_lesson = app.main.lesson_view.text_of(app.main.step)
        assert chinese_lesson != lesson and any("\u4e00" <= char <= "\u9fff" for char in chinese_lesson)
        assert app.main.outline.course is app.main.course

        await _palette(pilot, app, "Language")
        assert i18n.language() == "en" and app.progress.saved.language == "en"
        assert bar(app) == step_bar and app.main.step.title == title  # English as it was, to the character
        assert app.main.lesson_view.text_of(app.main.step) == lesson
        assert "Run" in _footer_words(app)


def test_the_lab_map_is_drawn_in_chinese(chinese):
    from rich.console import Console

    from celery_tutor.lab.map_table import render

    from .tutor_helpers import end_of_course_map

    console = Console(width=140, record=True)
    console.print(render(end_of_course_map(1_700_000_000.0), compact=True))
    text = console.export_text()
    assert "节点" in text and "队列" in text and "主副本" in text and "上的 HAProxy" in text, text
    assert "leader" not in text and "members" not in text  # no English heading left
