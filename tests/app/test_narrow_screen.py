"""A terminal of 80 columns: the outline folds away, o brings it back and folds it again; wide, it always shows."""

from __future__ import annotations

import asyncio
from pathlib import Path

from celery_tutor.course import load_course

from .tutor_helpers import fake_app, settle


def _footer_keys(app) -> list[str]:
    return [key.key for key in app.main.query("FooterKey")]


def test_the_outline_folds_on_a_narrow_screen_and_o_brings_it_back():
    course = load_course(Path(__file__).parent / "snapshot_lessons")

    async def scenario():
        app = fake_app(course)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app)(pilot)
            outline = app.main.outline
            assert outline.region.width == 0 and app.main.lesson_view.region.width == 80
            assert "o" in _footer_keys(app)
            await pilot.press("o")
            await pilot.pause(0.2)
            assert outline.region.width == 36
            await pilot.press("o")
            await pilot.pause(0.2)
            assert outline.region.width == 0

            await pilot.resize_terminal(120, 36)
            await pilot.pause(0.3)
            assert outline.region.width == 36
            assert "o" not in _footer_keys(app)  # the footer keeps its room for ? and q
            await pilot.press("o")
            await pilot.pause(0.2)
            assert outline.region.width == 36
            assert app.unexpected_errors == []

    asyncio.run(scenario())
