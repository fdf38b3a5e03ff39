"""A rewind in the tutor, on the real engine: a learner goes back to an earlier step and rebuilds there (b); the lab
comes from the checkpoint before it (or, when that one is broken, from a replay with a line saying why), and the later
steps are to do again."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.course import load_course
from celery_tutor.lab import checkpoint
from celery_tutor.lab.checkpoint import CheckpointStore
from celery_tutor.lab.lab import Lab
from celery_tutor.steps.progress import SavedProgress
from celery_tutor.steps.rebuild import rebuild
from celery_tutor.steps.runner import StepRunner

from conftest import ROOT, new_lab_name

from .test_rebuild import _Quiet, at_step, lab2, offered, rebuilt, short, tutor  # noqa: F401 (fixtures)
from .tutor_helpers import SIZE, bar, check, pane_text, run, wait_for

pytestmark = pytest.mark.lab

COURSE = load_course(ROOT / "lessons")
STEPS = list(COURSE.steps())
START, STATUS = COURSE.step("rabbitmq-install/start"), COURSE.step("rabbitmq-install/status")


@pytest.fixture
def store(docker_client, lab_image, monkeypatch):
    """Checkpoints in a repository of this test's own, every one removed after it."""
    monkeypatch.setenv(checkpoint.SETTING, f"celery-tutor-test/checkpoint-{uuid.uuid4().hex[:6]}")
    made = CheckpointStore(docker_client)
    yield made
    made.clear()
    assert not made.images(), "checkpoint images left behind"


@pytest.fixture
def lab3(docker_client, lab_image):
    made = Lab(docker_client, name=new_lab_name(), image=lab_image)
    yield made
    made.down()


def test_a_rewind_restores_the_checkpoint_before_the_step_and_takes_back_the_later_marks(store, lab3, tmp_path):
    # The learner's lab at the broker's status: replayed once, which saves the checkpoint after `containers`.
    runner = StepRunner(lab3)
    try:
        before = rebuild(lab3, runner, STEPS[:STEPS.index(STATUS)], _Quiet())
    finally:
        runner.close()
    assert before.ok, before.reason
    assert [saved.after for saved in store.all() if saved.usable] == ["containers"]
    saved = SavedProgress.for_lab(lab3.name, tmp_path / "state")
    saved.mark_replayed([step.full_id for step in before.replayed], at=STATUS.full_id)
    app = make_app(COURSE, lambda: lab3, lab_name=lab3.name, progress=ProgressView(saved), log_dir=tmp_path / "log",
                   status_interval=1.0, crash_on_error=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None and app.main.status_bar.nodes, 60, "the lab")
            main = app.main
            assert await check(pilot, app), bar(app)  # the status step passes: the lab is past the broker's start
            await pilot.press("p")
            await wait_for(pilot, lambda: main.step is START, 5, "the step before")
            await pilot.press("b")
            offer = await offered(pilot, app)
            assert "restores the checkpoint after containers, then replays the 1 step after it" in offer, offer
            assert ("the marks of 2 step(s) from here on (1-2 Start the broker … 1-2 Ask the broker for its "
                    "status) are taken back") in offer, offer
            await pilot.press("y")
            await rebuilt(pilot, app, timeout=600)
            assert "Rebuild" not in bar(app), bar(app)
            assert main.step is START and main.lab_at == STEPS.index(START)
            # Only the install was replayed: the containers' start came from the checkpoint.
            assert "replaying 1-2 Install the package" in pane_text(app, "celery-1")
            assert "replaying 1-1" not in pane_text(app, "celery-1")
            outline = main.outline
            for step in (START, STATUS):
                assert not app.progress.passed(step.full_id)
                assert "✓" not in str(outline._step_nodes[step.full_id].label)
            assert "✓" in str(outline._step_nodes["rabbitmq-install/install"].label)

            # The lab is at the broker's start: the install is there, the broker it started is not.
            probe = StepRunner(lab3)
            try:
                installed = await asyncio.to_thread(probe.check, COURSE.step("rabbitmq-install/install"), False)
                broker = await asyncio.to_thread(probe.check, START, False)
            finally:
                probe.close()
            assert installed.passed, installed.reason
            assert not broker.passed and "RabbitMQ is not running on celery-1" in broker.reason

            await run(pilot, app)  # and the learner does the step again, for real
            assert app.progress.passed(START.full_id), bar(app)
            assert app.unexpected_errors == []

    asyncio.run(scenario())
    again = SavedProgress.for_lab(lab3.name, tmp_path / "state")
    assert again.passed(START) and not again.passed(STATUS)
    assert again.passed(COURSE.step("rabbitmq-install/install"))


def test_a_rewind_past_a_checkpoint_with_an_image_removed_replays_and_says_why(store, short, lab2, docker_client,
                                                                              tmp_path):
    """On the rebuild tests' short course: the checkpoint after `nodes` lost an image by hand; the rewind replays
    from the start instead, the step bar says why, and the checkpoint is made whole again on the way."""
    progress = at_step(lab2, short, "files/three")  # saves the checkpoint after `nodes`
    made = next(saved for saved in store.all() if saved.after == "nodes")
    docker_client.images.remove(made.images["celery-2"]["Id"], force=True)
    app = tutor(short, lab2, progress, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None and app.main.status_bar.nodes, 30, "the lab")
            main = app.main
            main.outline.select_node(main.outline._step_nodes["files/one"])  # back: nothing asked
            await wait_for(pilot, lambda: main.step.full_id == "files/one", 5, "the earlier step")
            await pilot.press("b")
            offer = await offered(pilot, app)
            assert "Rebuild the lab to step 1-2 One (replays 1 earlier step" in offer, offer
            assert "the marks of 2 step(s) from here on (1-2 One … 1-2 Two) are taken back" in offer, offer
            await pilot.press("y")
            await rebuilt(pilot, app)
            assert ("The lab is ready, but the checkpoint after nodes is incomplete: the image of celery-2 is "
                    "missing: replaying instead") in bar(app), bar(app)
            assert not app.progress.passed("files/one") and not app.progress.passed("files/two")
            assert app.progress.passed("nodes/start") and main.lab_at == 1
            gone = await asyncio.to_thread(lab2.node("celery-1").exec, "test -e /root/one")
            assert not gone.ok  # what step one made is gone with the containers
            assert app.unexpected_errors == []

    asyncio.run(scenario())
    assert [saved.usable for saved in store.all() if saved.after == "nodes"] == [True]  # made again on the way
