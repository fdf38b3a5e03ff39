"""Planning a rebuild of the lab to a step (steps/rebuild.py), before anything runs: which nodes the steps leave
running, how the gone ones are named, and the time the offer announces."""

from __future__ import annotations

import pytest

from celery_tutor.course.model import Block, Step
from celery_tutor.steps.rebuild import RESET_SECONDS, Plan, describe_gone, estimate_seconds, expected_nodes


def step(*blocks: Block, checks: tuple[Block, ...] = ()) -> Step:
    return Step(id="s", title="S", line=1, markdown="", actions=list(blocks), checks=list(checks))


def run(body: str, node: str = "celery-1", **attrs: str) -> Block:
    return Block(role="run", body=body, attrs={"node": node, **attrs}, line=1)


def lab(action: str, node: str) -> Block:
    return Block(role="lab", body="", attrs={"action": action, "node": node}, line=1)


def test_the_nodes_left_running_are_those_used_less_those_stopped_or_removed():
    steps = [step(lab("start", "celery-1"), lab("start", "celery-2"), run("true", "celery-3")),
             step(lab("stop", "celery-2")), step(lab("remove", "celery-3"))]
    assert expected_nodes(steps[:1]) == ["celery-1", "celery-2", "celery-3"]
    assert expected_nodes(steps) == ["celery-1"]
    assert expected_nodes([*steps, step(lab("start", "celery-2"))]) == ["celery-1", "celery-2"]


@pytest.mark.parametrize("gone, words", [
    ([("celery-2", "absent")], "celery-2 is gone (removed)"),
    ([("celery-1", "exited"), ("celery-3", "created")], "celery-1 and celery-3 are gone (stopped, never started)"),
    ([("a", "dead"), ("b", "removing"), ("c", "paused")], "a, b and c are gone (dead, removed, paused)"),
])
def test_gone_nodes_are_named_in_the_learner_s_words(gone, words):
    assert describe_gone(gone) == words


def test_a_fresh_lab_costs_the_reset_on_top_of_the_replay():
    steps = [step(run("echo one > /root/one")), step(run("sleep 2; echo two"))]
    fresh = Plan(steps[-1], steps, reset=True).seconds
    as_it_is = Plan(steps[-1], steps, reset=False).seconds
    assert fresh == pytest.approx(as_it_is + RESET_SECONDS)


def test_what_takes_time_is_counted_sleeps_installs_and_checks_that_wait():
    quick = estimate_seconds([step(run("echo hi"))], reset=False)
    assert estimate_seconds([step(run("sleep 20"))], reset=False) >= quick + 20
    assert estimate_seconds([step(run("sleep 600", timeout="5"))], reset=False) < quick + 6  # cut at its timeout
    assert estimate_seconds([step(run("apt-get install -y rabbitmq-server"))], reset=False) >= quick + 5
    waits = Block(role="check", body="true", attrs={"node": "celery-1", "retries": "30"}, line=1)
    once = Block(role="check", body="true", attrs={"node": "celery-1"}, line=1)
    assert estimate_seconds([step(checks=(waits,))], reset=False) > estimate_seconds([step(checks=(once,))],
                                                                                     reset=False)
    assert estimate_seconds([], reset=False) == 0
