"""Helpers for the app's tests: waiting on a running app, and a fake lab that is only ever used for layout."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.lab.map_model import HAProxyServer, LabMap, NodeView, QueueView, WorkerView
from celery_tutor.lab.node import ExecResult

SIZE = (140, 44)


async def wait_for(pilot, condition, timeout: float = 60.0, what: str = "") -> None:
    """Let the app run until `condition()` holds; fails with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what or condition}")
        await pilot.pause(0.1)


# --- the learner's moves, for Pilot tests against a real lab ------------------------------------------------

def bar(app) -> str:
    return str(app.main.step_bar.render())


def pane_text(app, source: str) -> str:
    pane = app.main.output.pane(source)
    return pane.text if pane else ""


async def on_step(pilot, app, step_id: str) -> None:
    assert app.main.step.full_id == step_id, f"on {app.main.step.full_id}, expected {step_id}"


async def until_idle(pilot, app, timeout: float = 300) -> None:
    await wait_for(pilot, lambda: not app.main.busy, timeout, "the step's run or check to end")


async def check(pilot, app, timeout: float = 120) -> bool:
    await pilot.press("c")
    await wait_for(pilot, lambda: app.main.busy or app.main.step_bar.state != "todo", 5)
    await until_idle(pilot, app, timeout)
    return app.progress.passed(app.main.step.full_id)


async def run(pilot, app, key: str = "r", timeout: float = 300) -> None:
    before = bar(app)
    await pilot.press(key)
    # Started, or already over: a short step can run and pass between two looks.
    await wait_for(pilot, lambda: app.main.busy or bar(app) != before, 5, "the run to start")
    await until_idle(pilot, app, timeout)


async def type_line(pilot, app, line: str, until, timeout: float = 300, what: str = "") -> None:
    await pilot.press("slash")
    app.main.command_line.input.value = line
    await pilot.press("enter")
    await wait_for(pilot, until, timeout, what or f"the output of {line!r}")
    await pilot.press("escape")


async def next_step(pilot, app, expected: str) -> None:
    await pilot.press("n")
    await wait_for(pilot, lambda: app.main.step.full_id == expected, 5, f"step {expected}")


# --- a fake lab: only for layout (snapshots), never for behaviour -------------------------------------------

@dataclass
class FakeStatus:
    name: str
    container: str
    state: str
    hostname: str = ""


@dataclass
class FakeNode:
    name: str
    answers: dict[str, ExecResult] = field(default_factory=dict)

    def exec(self, script, cwd="/root", timeout=60.0, on_output=None, cancel=None):
        for needle, result in self.answers.items():
            if needle in script:
                if on_output and result.output:
                    on_output(result.output)
                return result
        return ExecResult(0, "rabbitmq=0\nworker=0\n")


class FakeImage:
    def ensure(self, progress=None):
        pass


class FakeLab:
    """Answers like a lab whose three nodes run, with fixed output: the snapshots never vary."""

    def __init__(self, nodes=("celery-1", "celery-2", "celery-3"), name="snap"):
        self.name = name
        self.node_names = tuple(nodes)
        self.image = FakeImage()
        self.nodes = {node: FakeNode(node) for node in nodes}

    def node(self, name):
        return self.nodes[name]

    def status(self):
        return [FakeStatus(node, f"{self.name}-{node}", "running", node) for node in self.node_names]


def fake_app(course, lab=None, lab_factory=None, **kwargs):
    """An app over a fake lab, with fixed paths so what it shows is the same on every machine."""
    lab = lab or FakeLab()
    return make_app(course, lab_factory or (lambda: lab), lab_name="snap", progress=ProgressView(),
                    log_dir=Path("/tmp/celery-tutor-snapshots/log"), status_interval=0,
                    shown_home="/tmp/celery-tutor-snapshots", crash_on_error=True, **kwargs)


def settle(app):
    """Wait until the app's thread workers are done (for snapshots: nothing may change afterwards)."""
    async def run_before(pilot):
        await pilot.pause(0.2)
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
    return run_before


# --- a fake map of the lab: only for layout (the snapshot) and the tutor's refreshing ----------------------

MAP_NODES = ["celery-1", "celery-2", "celery-3"]


def end_of_course_map(taken_at: float = 0.0) -> LabMap:
    """A fake map (layout only): the lab at the failover drill, celery-3 stopped, the quorum queue on two members."""
    return LabMap("snap", taken_at=taken_at, seconds=1.4, nodes=[
        NodeView("celery-1", "running", "up", "disc", MAP_NODES, True, connections=1),
        NodeView("celery-2", "running", "up", "disc", MAP_NODES, True, connections=2),
        NodeView("celery-3", "exited", "down", "disc", MAP_NODES, False)],
        queues=[QueueView("cluster", "quorum", "celery-1", MAP_NODES, ["celery-1", "celery-2"], 5, 1, 4, 1,
                          consumer_nodes=["celery-2"]),
                QueueView("celeryev.1234", "classic", "celery-1", ["celery-1"], ["celery-1"], 0, 1, 0, 0)],
        haproxy=[HAProxyServer(n, "DOWN" if n == "celery-3" else "UP", "celery-1", "rabbitmq", 0) for n in MAP_NODES],
        workers=[WorkerView("celery-2", "celery@celery-2", ["cluster"], True)])
