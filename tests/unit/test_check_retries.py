"""A check script tried again while it may still pass: how many tries, what the learner is told between them, and
exit status 3, which says waiting cannot help (judged by steps/check.py against a node that answers as scripted)."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celery_tutor.course.model import Block
from celery_tutor.lab.errors import NodeNotRunning
from celery_tutor.lab.node import ExecResult
from celery_tutor.steps.check import CHECK_HELPERS, NO_USE_WAITING, judge_script, retry


class ScriptedNode:
    """A node whose check script answers with the next of `results`, the last one again once they run out."""

    def __init__(self, *results: ExecResult | BaseException):
        self.results = list(results)
        self.calls: list[tuple[str, str, float]] = []

    def exec(self, script: str, cwd: str = "/root", timeout: float = 60.0, **kwargs) -> ExecResult:
        self.calls.append((script, cwd, timeout))
        result = self.results.pop(0) if len(self.results) > 1 else self.results[0]
        if isinstance(result, BaseException):
            raise result
        return result


def check(retries: int | None = None, delay: float = 0, **attrs: str) -> Block:
    extra = {"retries": str(retries)} if retries is not None else {}
    return Block(role="check", body="test -f /ready || { echo 'no /ready yet'; exit 1; }",
                 attrs={"node": "celery-1", "delay": str(delay), **extra, **attrs}, line=7)


def failing(reason: str = "no /ready yet", code: int = 1) -> ExecResult:
    return ExecResult(code, f"some noise\n{reason}\n")


def run(block: Block, node: ScriptedNode, retries: bool = True, cancel=None):
    waits: list[tuple[int, int, float, str]] = []
    result = retry(lambda: judge_script(block, node), block, retries, lambda *told: waits.append(told), cancel)
    return result, waits


def test_a_check_that_passes_on_its_third_try_says_each_wait_before_it():
    node = ScriptedNode(failing("no /ready yet"), failing("still no /ready"), ExecResult(0, "ready\n"))
    result, waits = run(check(retries=5, delay=0.01), node)
    assert (result.passed, result.attempts, result.final) == (True, 3, False)
    assert waits == [(1, 6, 0.01, "no /ready yet"), (2, 6, 0.01, "still no /ready")]
    assert len(node.calls) == 3


def test_a_check_that_never_passes_is_tried_one_plus_retries_times_and_its_reason_is_the_last_line():
    node = ScriptedNode(failing("expected /ready, saw nothing"))
    result, waits = run(check(retries=2), node)
    assert (result.passed, result.attempts) == (False, 3)
    assert result.reason == "expected /ready, saw nothing"
    assert [number for number, *_ in waits] == [1, 2]  # told before each wait, not after the last try
    assert len(node.calls) == 3


def test_exit_status_3_means_waiting_cannot_help_so_there_is_no_second_try():
    node = ScriptedNode(failing("RabbitMQ is not running on celery-1: start it first", NO_USE_WAITING),
                        ExecResult(0, "would pass if asked again\n"))
    result, waits = run(check(retries=30, delay=1), node)
    assert (result.passed, result.final, result.attempts) == (False, True, 1)
    assert result.reason == "RabbitMQ is not running on celery-1: start it first"
    assert waits == [] and len(node.calls) == 1  # no countdown shown, no second second spent


def test_a_check_that_timed_out_is_tried_again_and_says_how_long_it_was_given():
    node = ScriptedNode(ExecResult(NO_USE_WAITING, "", timed_out=True), ExecResult(0, ""))
    result, waits = run(check(retries=1, timeout="5"), node)
    assert result.passed and result.attempts == 2  # a timeout is not "waiting cannot help", whatever its status
    assert waits[0][3] == "the check did not finish within 5 s"
    # The block's own script after the check helpers, in /root, with the block's own timeout.
    assert node.calls[0] == (f"{CHECK_HELPERS}\n{check().body}", "/root", 5.0)


def test_without_retries_a_check_is_tried_once():
    node = ScriptedNode(failing(), ExecResult(0, ""))
    result, waits = run(check(retries=10), node, retries=False)
    assert (result.passed, result.attempts, waits) == (False, 1, [])


@pytest.mark.parametrize("result, reason", [
    (ExecResult(1, ""), "the check failed (exit status 1)"),
    (ExecResult(2, "\n  \n"), "the check failed (exit status 2)"),
    (ExecResult(0, "worker ready\n\n"), "worker ready"),
])
def test_the_reason_of_a_silent_or_passing_check(result, reason):
    assert run(check(), ScriptedNode(result))[0].reason == reason


def test_a_node_that_stopped_or_an_engine_that_went_away_is_the_reason_not_a_traceback():
    stopped = ScriptedNode(NodeNotRunning("celery-1 is not running", "recreate it"))
    assert run(check(retries=0), stopped)[0].reason == "celery-1 is not running"
    lost = ScriptedNode(ConnectionResetError("the socket closed"))
    result = run(check(retries=0), lost)[0]
    assert not result.passed and result.reason == "lost the Docker engine during the step"


def test_ctrl_c_while_waiting_ends_the_check_at_once_with_the_last_reason():
    cancel = threading.Event()
    node = ScriptedNode(failing("no /ready yet"))
    waits = []

    def on_wait(*told):
        waits.append(told)
        cancel.set()  # the learner presses Ctrl+C during the countdown to the second try

    result = retry(lambda: judge_script(check(retries=60, delay=30), node), check(retries=60, delay=30), True,
                   on_wait, cancel)
    assert (result.passed, result.attempts, result.reason) == (False, 1, "no /ready yet")
    assert result.seconds < 5 and len(node.calls) == 1  # not the 30 s delay, nor a second try


@given(codes=st.lists(st.sampled_from([0, 1, 2, NO_USE_WAITING]), min_size=1, max_size=12),
       retries=st.integers(min_value=0, max_value=10))
def test_tries_stop_at_the_first_pass_or_status_3_or_when_the_retries_are_spent(codes, retries):
    node = ScriptedNode(*[ExecResult(code, f"answer {index}\n") for index, code in enumerate(codes)])
    result, waits = run(check(retries=retries), node)
    # What the scripted node answers on try n (1-based), the last answer repeating.
    answer = [codes[min(n, len(codes) - 1)] for n in range(retries + 1)]
    stops = next((n for n, code in enumerate(answer) if code in (0, NO_USE_WAITING)), retries)
    assert result.attempts == len(node.calls) == stops + 1
    assert result.passed == (answer[stops] == 0)
    assert result.final == (answer[stops] == NO_USE_WAITING)
    assert len(waits) == stops and all(told[1] == retries + 1 for told in waits)
