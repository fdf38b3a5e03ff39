"""Faults injected for real: nodes stopped, killed or removed mid-step, the engine lost mid-step, floods, hangs."""

from __future__ import annotations

import threading

import pytest

from celery_tutor.course.model import Block
from celery_tutor.steps.runner import StepRunner
from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.lab import Lab

from conftest import new_lab_name
from engine_proxy import EngineProxy

pytestmark = pytest.mark.lab


def run_block(body: str, **attrs) -> Block:
    return Block(role="run", body=body, attrs={"node": "celery-1", **attrs}, line=1)


def once_printed(word: str, fault):
    """A runner's output callback that brings on `fault`, in a thread of its own, once the command has printed
    `word`: the fault comes while the command runs, however long a loaded machine takes to start it (a timer could
    fire before the command even began, and the step would meet a node already gone)."""
    printed: list[str] = []
    done = threading.Event()

    def on_output(source: str, text: str) -> None:
        printed.append(text)
        if not done.is_set() and word in "".join(printed):
            done.set()
            threading.Thread(target=fault, daemon=True).start()
    return on_output


@pytest.mark.parametrize("fault", ["stop", "kill", "remove"])
def test_a_node_lost_mid_step_is_named_and_can_be_recreated(lab, docker_client, fault):
    lab.start_node("celery-1")
    container = docker_client.containers.get(f"{lab.name}-celery-1")
    act = {"stop": lambda: container.stop(timeout=1), "kill": container.kill,
           "remove": lambda: container.remove(force=True)}[fault]
    runner = StepRunner(lab, on_output=once_printed("working", act))
    result = runner.run_action(run_block("echo working; sleep 30"))
    assert not result.ok
    assert result.reason.startswith("celery-1 stopped while the command was running")
    assert "recreate it" in result.reason
    lab.start_node("celery-1")  # what "recreate" does
    assert runner.run_action(run_block("echo back")).ok


def test_the_engine_lost_mid_step_is_a_reason_and_the_step_can_be_retried(lab_image):
    proxy = EngineProxy()
    name = new_lab_name()
    try:
        lab = Lab(connect(proxy.url), name=name, image=lab_image)
        lab.start_node("celery-1")
        runner = StepRunner(lab, on_output=once_printed("working", proxy.cut))
        result = runner.run_action(run_block("echo working; sleep 20; touch /done"))
        assert not result.ok
        assert result.reason.startswith("lost the Docker engine during the step")
        check = Block(role="check", body="test -f /done", attrs={"node": "celery-1"}, line=1)
        assert runner.check_block(check).reason == "lost the Docker engine during the step"
        proxy.restore()
        assert runner.run_action(run_block("touch /done")).ok
        assert runner.check_block(check).passed
    finally:
        proxy.restore()
        Lab(connect(), name=name).down()
        proxy.close()


def test_a_flood_of_output_is_kept_bounded_and_a_hang_is_ended(lab):
    node = lab.start_node("celery-1")
    received = []
    flood = node.exec("seq 1 1000000", on_output=lambda text: received.append(len(text)))
    assert flood.ok and sum(received) == len("".join(f"{n}\n" for n in range(1, 1000001)))
    assert len(flood.output) <= 512 * 1024 and flood.last_line == "1000000"  # the end is what is kept
    endless = node.exec("yes 'never stops'", timeout=2, on_output=lambda text: None)
    assert endless.timed_out and endless.seconds < 10
    invalid = node.exec(r"printf 'bad \xff\xfe bytes \x1b[2J\x1b[H and on\n'")
    assert invalid.ok and "\ufffd" in invalid.output and "and on" in invalid.output
