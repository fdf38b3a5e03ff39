"""A learner who sits on a step without passing it is offered the next hint, once the hints are not used up."""

from __future__ import annotations

import asyncio
from pathlib import Path

from celery_tutor.app.screens.main import MainScreen
from celery_tutor.course import load_course

from .tutor_helpers import fake_app, settle, wait_for


def test_the_next_hint_is_offered_after_a_while_without_progress(monkeypatch):
    monkeypatch.setattr(MainScreen, "IDLE_HINT_AFTER", 0.5)
    course = load_course(Path(__file__).parent / "snapshot_lessons")
    asyncio.run(_drive(course))


async def _drive(course):
    app = fake_app(course)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app)(pilot)
        await wait_for(pilot, lambda: any("Stuck on this step" in n.message for n in app._notifications), 10,
                       "the offer of a hint")  # after 0.5 s idle; a loaded machine may take longer to show it
        offers = [n.message for n in app._notifications if "Stuck on this step" in n.message]
        assert offers == [f"Stuck on this step? Press h for hint 1 of {len(course.lessons[0].steps[0].hints)}."]
        for _ in course.lessons[0].steps[0].hints:
            await pilot.press("h")
        app.clear_notifications()
        await pilot.pause(0.8)
        assert not [n for n in app._notifications if "Stuck on this step" in n.message]  # none left to offer
