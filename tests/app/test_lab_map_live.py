"""The lab map in the tutor over a real lab after section 二 (one broker, its `celery` queue, one worker): shown with
l, it follows the broker stopped and started again, is read no more once hidden, and looking changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.lab.lab import Lab
from conftest import new_lab_name, run_cli

from .tutor_helpers import SIZE, wait_for

# What the learner builds and the map must leave alone: users, vhosts, plugins, the queues' declarations.
LOOK = ("rabbitmqctl -q list_users; rabbitmqctl -q list_vhosts; rabbitmq-plugins -q list -e -m; "
        "rabbitmqctl -q list_queues name durable auto_delete | grep -v -e celeryev -e pidbox | sort")


@pytest.fixture
def lab_after_two(docker_client, lab_image):
    name = new_lab_name()
    result = run_cli("lab", "up", "--lab", name, "--at", "3", timeout=900)
    lab = Lab(docker_client, name=name)
    if result.returncode != 0:
        lab.down()
        pytest.fail(f"lab up --at 3 failed: {result.stderr[-2000:]}")
    yield lab
    lab.down()


def _one(app):
    view = app.main.map_view
    lab_map = view.lab_map if view is not None else None
    return lab_map.node("celery-1") if lab_map is not None else None


@pytest.mark.lab
def test_the_map_follows_the_broker_stopped_and_started(lab_after_two, course, tmp_path):
    lab = lab_after_two
    node = lab.node("celery-1")
    before = node.exec(LOOK, timeout=60)
    assert before.ok, before.output
    app = make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=tmp_path / "log",
                   status_interval=0, crash_on_error=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.lab_owner.lab is not None, 60, "the lab connected")
            await pilot.press("l")
            await wait_for(pilot, lambda: _one(app) is not None and _one(app).rabbitmq == "up"
                           and app.main.map_view.lab_map.workers, 60, "the map: the broker up, the worker")
            lab_map = app.main.map_view.lab_map
            assert lab_map.queue("celery").consumers == 1 and lab_map.workers[0].ready
            assert [(n.name, n.rabbitmq) for n in lab_map.nodes[1:]] == [("celery-2", "absent"), ("celery-3", "absent")]

            stopped = node.exec("rabbitmqctl -q shutdown", timeout=60)
            assert stopped.ok, stopped.output
            await wait_for(pilot, lambda: _one(app).rabbitmq == "down", 30, "the map to show RabbitMQ down")
            assert app.main.map_view.lab_map.queues == []  # nobody left to ask: none shown, none made up
            assert app.is_running and app.main.map_shown

            started = node.exec("rabbitmq-server -detached; until rabbitmq-diagnostics -q ping >/dev/null 2>&1; "
                                "do sleep 1; done", timeout=120)
            assert started.ok, started.output
            await wait_for(pilot, lambda: _one(app).rabbitmq == "up" and app.main.map_view.lab_map.queue("celery"),
                           60, "the map to show RabbitMQ up again, its queue back")

            # Hidden, it is read no more (a read under way when it was hidden ends first).
            await pilot.press("l")
            await wait_for(pilot, lambda: app.main.map_view is None, 5, "the map closed")
            await wait_for(pilot, lambda: not app.lab_owner.reading_map, 30, "the last read to end")
            reads = app.lab_owner.map_reads
            await pilot.pause(6.0)  # three refresh periods
            assert app.lab_owner.map_reads == reads

    asyncio.run(scenario())
    after = node.exec(LOOK, timeout=60)
    assert after.ok and after.output == before.output, (before.output, after.output)
