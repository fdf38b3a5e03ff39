"""Planning a rebuild of the lab to a step (steps/rebuild.py), before anything runs: which nodes the steps leave
running, how the gone ones are named, whether a checkpoint is restored, which marks a rewind takes back, and the
time the offer announces."""

from __future__ import annotations

import pytest

from celery_tutor.course.model import Block, Step
from celery_tutor.steps.checkpoints import (RESTORE_CLIENT_SECONDS, RESTORE_NODE_SECONDS, RESTORE_SERVER_SECONDS,
                                           restore_seconds)
from celery_tutor.steps.rebuild import (RESET_SECONDS, Plan, describe_gone, estimate_seconds, expected_nodes,
                                       plan_rebuild)


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


# --- which rebuild: on the lab as it is, afresh, or from the nearest checkpoint -----------------------------------

def course_steps(seconds: float = 10) -> list[Step]:
    """The small course's steps, each one `seconds` of sleep to replay (ends of lessons: 1, 4, 6, 10, 11)."""
    from .course_model import small_course

    steps = list(small_course().steps())
    for each in steps:
        each.actions = [run(f"sleep {seconds:g}")]
    return steps


def test_a_jump_just_ahead_replays_on_the_lab_as_it_is_though_a_checkpoint_is_behind_it():
    steps = course_steps()
    plan = plan_rebuild(steps, steps[6], lab_at=5, checkpoint=4, restore_cost=5)
    assert not plan.reset and plan.replay == steps[5:6] and plan.restore == 0


def test_a_jump_far_ahead_restores_the_checkpoint_and_replays_only_the_steps_after_it():
    steps = course_steps()
    plan = plan_rebuild(steps, steps[10], lab_at=1, checkpoint=10, restore_cost=20)
    assert plan.reset and plan.restore == 10 and plan.replayed == []  # the checkpoint after canvas is the target
    assert plan.restored_after == "canvas" and plan.seconds == pytest.approx(20)
    assert plan.seconds < Plan(steps[10], steps[1:10], reset=False).seconds
    plan = plan_rebuild(steps, steps[9], lab_at=1, checkpoint=6, restore_cost=20)
    assert plan.reset and plan.replayed == steps[6:9] and plan.replay == steps[:9]
    assert plan.seconds == pytest.approx(20 + estimate_seconds(steps[6:9], reset=False))


def test_a_restore_that_costs_more_than_the_replay_from_the_lab_is_not_used():
    steps = course_steps(seconds=1)
    plan = plan_rebuild(steps, steps[7], lab_at=4, checkpoint=6, restore_cost=60)
    assert not plan.reset and plan.replay == steps[4:7]


def test_a_checkpoint_beyond_the_target_is_never_restored():
    steps = course_steps()
    plan = plan_rebuild(steps, steps[3], lab_at=8, checkpoint=6, restore_cost=5)
    assert plan.reset and plan.restore == 0 and plan.replay == steps[:3]


def test_a_rewind_restores_the_nearest_checkpoint_and_takes_back_the_marks_from_the_target_on():
    steps = course_steps()
    passed = [step.full_id for step in steps[:8]]
    plan = plan_rebuild(steps, steps[5], lab_at=8, checkpoint=4, restore_cost=30, fresh=True, passed=passed)
    assert plan.reset and plan.restore == 4 and plan.replayed == steps[4:5]
    assert plan.forget == steps[5:8]  # the target too: the lab will be ready for it, not past it
    # Going back in the outline alone plans the same (the target is behind the lab).
    assert plan_rebuild(steps, steps[5], lab_at=8, checkpoint=4, restore_cost=30, passed=passed).forget == steps[5:8]


def test_a_node_gone_rebuilds_afresh_even_on_a_jump_and_from_the_checkpoint_if_any():
    steps = course_steps(seconds=1)
    gone = [("celery-1", "absent")]
    plan = plan_rebuild(steps, steps[5], lab_at=4, gone=gone)
    assert plan.reset and plan.gone == gone and plan.replay == steps[:5] and plan.restore == 0
    plan = plan_rebuild(steps, steps[5], lab_at=4, checkpoint=4, restore_cost=9, gone=gone)
    assert plan.restore == 4 and plan.seconds == pytest.approx(9 + estimate_seconds(steps[4:5], reset=False))


def test_a_restore_costs_by_the_nodes_and_the_processes_it_starts_again():
    from celery_tutor.lab.checkpoint import RUNNING_LABEL, Checkpoint
    from celery_tutor.lab.running import Process, Running

    def image(*processes: Process) -> dict:
        return {"Labels": {RUNNING_LABEL: Running(list(processes)).to_json()}}

    broker = Process(["beam.smp"], "100:100", "/", [], "", "", listens=[5672])
    worker = Process(["celery", "worker"], "0:0", "/root", [], "", "")
    files = Checkpoint("containers", "k", {"celery-1": "running", "celery-2": "exited"},
                       {"celery-1": image(), "celery-2": image()})
    serving = Checkpoint("worker", "k", {"celery-1": "running", "celery-2": "exited"},
                         {"celery-1": image(broker, worker), "celery-2": image()})
    assert restore_seconds(files) == pytest.approx(RESET_SECONDS + 2 * RESTORE_NODE_SECONDS)
    assert restore_seconds(serving) == pytest.approx(restore_seconds(files) + RESTORE_SERVER_SECONDS
                                                     + RESTORE_CLIENT_SECONDS)


def test_the_offer_says_where_the_rebuild_starts_and_which_marks_a_rewind_takes_back():
    from celery_tutor.app.screens.rebuild import offer_text

    steps = course_steps()
    passed = [step.full_id for step in steps[:8]]
    rewind = plan_rebuild(steps, steps[5], lab_at=8, checkpoint=4, restore_cost=30, fresh=True, passed=passed)
    title, text = offer_text(rewind)
    assert title == "Rebuild the lab"
    assert "restores the checkpoint after rabbitmq, then replays the 1 step after it, about 40 s" in text.plain
    assert "the marks of 3 step(s) from here on (2-1 Step 2 … 3-1 Step 2) are taken back" in text.plain
    jump = plan_rebuild(steps, steps[9], lab_at=1, checkpoint=6, restore_cost=20)
    title, text = offer_text(jump, "1-2 Step 1", go=True)
    assert title == "Jump ahead"
    assert "restored from the checkpoint after tasks, then the tutor replays the 3 steps after it" in text.plain
    title, text = offer_text(plan_rebuild(steps, steps[3], lab_at=0, fresh=True))
    assert "replays 3 earlier steps" in text.plain and "taken back" not in text.plain
