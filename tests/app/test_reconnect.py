"""Ctrl+R: after the banner's fix the tutor connects again; once connected it says so instead of doing nothing."""

from __future__ import annotations

import asyncio

from celery_tutor.app.widgets.banner import Banner
from celery_tutor.lab.errors import DockerUnavailable

from .tutor_helpers import FakeLab, fake_app, wait_for


def test_ctrl_r_connects_once_docker_is_back_and_then_says_it_is_connected(course):
    lab = FakeLab()
    engine = {"up": False}

    def factory():
        if not engine["up"]:
            raise DockerUnavailable("the Docker daemon is not running", "start it (sudo systemctl start docker)")
        return lab

    app = fake_app(course, lab_factory=factory)

    async def scenario():
        async with app.run_test(size=(120, 36)) as pilot:
            banner = app.main.query_one(Banner)
            await wait_for(pilot, lambda: banner.has_class("-shown"), 10, "the no-Docker banner")
            engine["up"] = True
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: app.lab is lab and not banner.has_class("-shown"), 10, "connected")
            await pilot.press("ctrl+r")
            await wait_for(pilot, lambda: any("connected already" in n.message for n in app._notifications), 5,
                           "a notice that Docker is connected")
            assert app.lab is lab
    asyncio.run(scenario())
