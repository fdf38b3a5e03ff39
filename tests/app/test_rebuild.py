"""Rebuilding the lab to a step, in the app against a real lab, on a short course of the test's own (seconds, not
minutes): offered when the lab no longer matches the progress at start, when a node vanishes mid-step, and on a
jump ahead in the outline; Ctrl+C stops it cleanly; keys and mouse both answer the offer."""

from __future__ import annotations

import asyncio
import textwrap

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.activity import Activity
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.screens.rebuild import RebuildScreen
from celery_tutor.course import load_course
from celery_tutor.steps.rebuild import Plan, estimate_seconds, expected_nodes, rebuild
from celery_tutor.steps.runner import StepRunner
from celery_tutor.steps.selection import select_steps
from celery_tutor.lab.lab import Lab

from conftest import new_lab_name

from .tutor_helpers import SIZE, bar, run, wait_for

pytestmark = pytest.mark.lab

NODES_LESSON = """\
    ---
    id: nodes
    title: Nodes
    notes: 1、节点
    nodes: [celery-1, celery-2]
    ---

    # Nodes

    ## Start both {#start}

    ```sh {lab action=start node=celery-1}
    docker run -tid --name celery-1 celery-tutor/lab bash
    ```

    ```sh {lab action=start node=celery-2}
    docker run -tid --name celery-2 celery-tutor/lab bash
    ```

    ```sh {check node=celery-2}
    test "$(hostname)" = celery-2 || { echo "celery-2 is not up"; exit 1; }
    ```
    """

FILES_LESSON = """\
    ---
    id: files
    title: Files
    notes: 2、文件
    nodes: [celery-1, celery-2]
    ---

    # Files

    ## One {#one}

    ```sh {run node=celery-1}
    echo one > /root/one
    ```

    ```sh {check node=celery-1}
    grep -q one /root/one 2>/dev/null || { echo "no /root/one"; exit 1; }
    ```

    ## Two {#two}

    ```sh {run node=celery-2}
    sleep 2; echo two > /root/two
    ```

    ```sh {check node=celery-2}
    grep -q two /root/two 2>/dev/null || { echo "no /root/two"; exit 1; }
    ```

    ## Three {#three}

    ```sh {run node=celery-1}
    cp /root/one /root/three
    ```

    ```sh {check node=celery-1}
    grep -q one /root/three 2>/dev/null || { echo "no /root/three"; exit 1; }
    ```

    ## Wait {#wait}

    ```sh {run node=celery-1}
    sleep 20; touch /root/waited
    ```

    ```sh {check node=celery-1}
    test -f /root/waited || { echo "no /root/waited"; exit 1; }
    ```
    """


@pytest.fixture(scope="module")
def short(tmp_path_factory):
    lessons = tmp_path_factory.mktemp("short") / "lessons"
    lessons.mkdir()
    (lessons / "course.yaml").write_text(textwrap.dedent("""\
        title: Rebuild test
        nodes: [celery-1, celery-2]
        sections:
          - number: 1
            title: Short
            notes: 一
            lessons: [nodes, files]
        """))
    (lessons / "nodes.md").write_text(textwrap.dedent(NODES_LESSON))
    (lessons / "files.md").write_text(textwrap.dedent(FILES_LESSON))
    return load_course(lessons)


@pytest.fixture
def lab2(docker_client, lab_image, short):
    made = Lab(docker_client, name=new_lab_name(), nodes=short.nodes, image=lab_image)
    yield made
    made.down()


class _Quiet:
    def phase(self, step, phase):
        pass

    def finished(self, outcome):
        pass


def at_step(lab: Lab, course, step_id: str) -> ProgressView:
    """The lab brought to `step_id` as a learner would have it (every earlier step done), and progress to match."""
    replay, _ = select_steps(course, step_id, None)
    runner = StepRunner(lab)
    try:
        rebuilt = rebuild(lab, runner, replay, _Quiet(), reset=True)
    finally:
        runner.close()
    assert rebuilt.ok, rebuilt.reason
    progress = ProgressView()
    for step in replay:
        progress.saved.mark_passed(step)
    progress.saved.current = step_id
    return progress


def tutor(course, lab, progress, tmp_path):
    return make_app(course, lambda: lab, lab_name=lab.name, progress=progress, log_dir=tmp_path / "log",
                    status_interval=1.0, crash_on_error=True)


async def offered(pilot, app) -> str:
    """The offer's text, once its buttons are on screen (a click before that would land on nothing)."""
    await wait_for(pilot, lambda: isinstance(app.screen, RebuildScreen)
                   and any(button.region.width for button in app.screen.query("#not-now")), 60, "the rebuild offer")
    await pilot.pause()
    return app.screen.text.plain


async def rebuilt(pilot, app, timeout: float = 120) -> None:
    await wait_for(pilot, lambda: app.main.activity is Activity.REBUILDING, 5, "the rebuild to start")
    await wait_for(pilot, lambda: not app.main.busy, timeout, "the rebuild to end")


def remove(docker_client, lab: Lab, node: str) -> None:
    docker_client.containers.get(lab.container_name(node)).remove(force=True)


def test_the_plan_of_a_rebuild(short):
    steps = list(short.steps())
    assert expected_nodes(steps[:1]) == ["celery-1", "celery-2"]
    assert expected_nodes([]) == []
    plan = Plan(steps[3], steps[:3], reset=True, gone=[("celery-2", "absent")])
    assert plan.seconds == pytest.approx(estimate_seconds(steps[:3], reset=False) + 6)  # a fresh lab: 6 s more


def test_a_node_gone_since_the_last_session_is_offered_a_rebuild(short, lab2, docker_client, tmp_path):
    progress = at_step(lab2, short, "files/three")
    remove(docker_client, lab2, "celery-2")
    app = tutor(short, lab2, progress, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            offer = await offered(pilot, app)
            assert "celery-2 is gone (removed)" in offer
            assert "Rebuild the lab to step 1-2 Three (replays 3 earlier steps" in offer
            await pilot.press("enter")  # the focused button: Rebuild
            await rebuilt(pilot, app)
            assert app.main.step.full_id == "files/three"
            assert {status.name: status.state for status in lab2.status()} == {"celery-1": "running",
                                                                               "celery-2": "running"}
            assert "replaying 1-2 Two" in app.main.output.pane("celery-2").text  # the replay's output, in its pane
            await run(pilot, app)  # the current step can pass: it needs step one's file, in a new celery-1
            assert app.progress.passed("files/three"), bar(app)
            assert app.unexpected_errors == []

    asyncio.run(scenario())


def test_a_node_removed_mid_step_is_named_and_offered_a_rebuild(short, lab2, docker_client, tmp_path):
    progress = at_step(lab2, short, "files/wait")
    app = tutor(short, lab2, progress, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None and app.main.status_bar.nodes, 30, "the lab")
            await pilot.press("r")  # sleep 20
            await wait_for(pilot, lambda: app.main.activity is Activity.RUNNING, 5, "the run to start")
            await asyncio.sleep(1.5)
            await asyncio.to_thread(remove, docker_client, lab2, "celery-1")
            offer = await offered(pilot, app)
            assert "celery-1 is gone (removed)" in offer
            assert "celery-1 stopped while the command was running" in bar(app)
            assert "celery-1 is gone (removed): b rebuilds the lab to this step" in bar(app)
            assert not app.progress.passed("files/wait")

            await pilot.click("#not-now")  # the mouse: not now
            await wait_for(pilot, lambda: not isinstance(app.screen, RebuildScreen), 5, "the offer to close")
            await wait_for(pilot, lambda: any(node.name == "celery-1" and node.state != "running"
                                              for node in app.main.status_bar.nodes), 10, "the status bar to see it")
            await pilot.press("b")  # asked again, by key
            offer = await offered(pilot, app)
            assert "celery-1 is gone (removed)" in offer and "replays 4 earlier steps" in offer
            await pilot.click("#rebuild")
            await rebuilt(pilot, app)
            assert "Step 4 of 4" in bar(app), bar(app)
            result = await asyncio.to_thread(lab2.node("celery-1").exec, "cat /root/three")
            assert result.output.strip() == "one"
            assert app.unexpected_errors == []

    asyncio.run(scenario())


def test_a_jump_ahead_replays_the_steps_in_between_and_ctrl_c_stops_it(short, lab2, tmp_path):
    progress = at_step(lab2, short, "files/one")
    app = tutor(short, lab2, progress, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None and app.main.status_bar.nodes, 30, "the lab")
            main = app.main
            outline = main.outline

            outline.select_node(outline._step_nodes["files/three"])
            offer = await offered(pilot, app)
            assert "Go to step 1-2 Three? The lab is ready for step 1-2 One" in offer
            assert "replays the 2 steps from there" in offer
            await pilot.press("enter")
            await wait_for(pilot, lambda: main.activity is Activity.REBUILDING, 5, "the rebuild to start")
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: not main.busy, 30, "the rebuild to stop")
            assert "Rebuild stopped: interrupted (Ctrl+C)" in bar(app), bar(app)
            assert main.step.full_id == "files/one"

            commands = [command.title for command in app.get_system_commands(app.screen)]
            assert "Jump to 1-2 Three" in commands and "Rebuild the lab to this step" in commands
            await main.jump_to(short.step("files/three"))  # what the palette's command does
            await offered(pilot, app)
            await pilot.press("y")
            await rebuilt(pilot, app)
            assert main.step.full_id == "files/three"
            assert app.progress.passed("files/two") and app.progress.revealed("files/two")
            assert not app.progress.passed("files/three")
            assert "✓" in str(outline._step_nodes["files/two"].label)

            outline.select_node(outline._step_nodes["files/one"])  # back: no replay, no question
            await wait_for(pilot, lambda: main.step.full_id == "files/one", 5, "the step before")
            assert not isinstance(app.screen, RebuildScreen)
            outline.select_node(outline._step_nodes["files/three"])  # and forward to where the lab is
            await wait_for(pilot, lambda: main.step.full_id == "files/three", 5, "the step the lab is at")
            await run(pilot, app)
            assert app.progress.passed("files/three"), bar(app)
            assert app.unexpected_errors == []

    asyncio.run(scenario())
