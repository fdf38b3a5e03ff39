"""A closed network's first run in the tutor: the base image neither here nor pullable, the banner offers to make
it, `m` makes it (debootstrap) and builds the lab image from it, and the lab connects with no command typed."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.widgets.banner import Banner
from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.lab import Lab

from conftest import new_lab_name

from .tutor_helpers import wait_for

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0, reason="making a base image needs root (debootstrap)")]


@pytest.fixture
def no_base(monkeypatch, docker_client):
    """A base tag no registry can have (a closed port on loopback: the pull fails at once, nothing leaves the
    machine) and a lab image of the test's own; both removed afterwards, the shared images untouched."""
    key = uuid.uuid4().hex[:8]
    base, image = f"localhost:1/celery-tutor-test-base:{key}", f"celery-tutor-test/lab:{key}"
    monkeypatch.setenv("CELERY_TUTOR_BASE_IMAGE", base)
    monkeypatch.setenv("CELERY_TUTOR_LAB_IMAGE", image)
    yield base, image
    for tag in (image, base):
        try:
            docker_client.images.remove(tag, force=True)
        except Exception:
            pass


def test_m_makes_the_missing_base_then_the_lab_connects(course, no_base, docker_client, tmp_path):
    base, image = no_base
    lab = Lab(connect(), name=new_lab_name(), nodes=course.nodes)
    app = make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=tmp_path / "log",
                   crash_on_error=True)

    async def scenario():
        async with app.run_test(size=(140, 44)) as pilot:
            banner = app.main.query_one(Banner)
            await wait_for(pilot, lambda: banner.has_class("-shown"), 60, "the banner")
            shown = str(banner.render())
            assert f"the base image {base} is missing" in shown and "m makes it now" in shown, shown
            await pilot.press("m")
            await wait_for(pilot, lambda: not banner.has_class("-shown"), 5, "the banner to give way")
            await wait_for(pilot, lambda: app.lab is lab or banner.has_class("-shown"), 1500,
                           "the base and the lab image to be made")
            assert app.lab is lab, str(banner.render())
    try:
        asyncio.run(scenario())
    finally:
        lab.down()
    made = docker_client.images.get(base)
    assert made.labels.get("celery-tutor.image") == "base"
    built = docker_client.images.get(image)
    assert built.attrs["RootFS"]["Layers"][0] == made.attrs["RootFS"]["Layers"][0]  # FROM the base just made
