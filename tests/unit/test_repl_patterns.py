"""A REPL step's check: each line of the block a pattern the session must have printed since the step began
(steps/check.py judges, steps/runner.py keeps where each step began in a session's transcript)."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from celery_tutor.course.model import Block
from celery_tutor.steps.check import judge_patterns
from celery_tutor.steps.runner import StepRunner


def patterns(*lines: str, **attrs: str) -> Block:
    return Block(role="check", body="\n".join(lines) + "\n", attrs={"session": "python", **attrs}, line=3)


def test_every_pattern_must_be_printed_and_the_first_missing_one_is_named_with_the_last_line_seen():
    block = patterns(r"<AsyncResult: [0-9a-f-]+>", "", r"^>>> ", r"8")
    printed = ">>> add.delay(4, 4)\n<AsyncResult: 3f2a-9c1d>\n>>> "
    assert judge_patterns(block, "python", printed).passed is False
    result = judge_patterns(block, "python", printed + "\nnot an eight\n")
    assert result.reason == "expected the python session to print /8/; last seen: not an eight"
    assert judge_patterns(block, "python", printed + "\n8\n").passed


def test_a_session_not_started_yet_says_to_run_the_steps_lines_first():
    result = judge_patterns(patterns("42"), "python", None)
    assert not result.passed
    assert result.reason == "there is no python session yet: run the step's >>> lines first"


def test_nothing_printed_says_nothing_and_a_long_last_line_is_cut():
    assert judge_patterns(patterns("42"), "python", "").reason.endswith("last seen: nothing")
    reason = judge_patterns(patterns("42"), "python", "x" * 500).reason
    assert reason.endswith("last seen: " + "x" * 120)


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c"
                                                                     "\x1c\x1d\x1e\x85\u2028\u2029"),
                        min_size=1), min_size=1, max_size=6))
def test_the_lines_printed_taken_literally_always_pass(lines):
    printed = "\n".join(lines) + "\n"
    literal = [re.escape(line) for line in lines if line.strip()]
    assert judge_patterns(patterns(*literal), "python", printed).passed
    missing = re.escape("".join(lines) + "\u2603 never printed")
    assert not judge_patterns(patterns(*literal, missing), "python", printed).passed


class Transcript:
    """What the runner reads of a session: its transcript, and whether it still runs."""

    alive = True

    def __init__(self):
        self.transcript: list[str] = []


def test_a_step_s_check_reads_only_what_its_session_printed_since_the_step_began():
    runner = StepRunner(lab=None)
    session = Transcript()
    runner._sessions[("celery-1", "python")] = session
    session.transcript.append(">>> 6 * 7\n42\n>>> ")  # the step before printed 42
    runner.begin_step(step=None)
    forty_two = patterns("42")
    assert not runner.check_block(forty_two, retries=False).passed
    session.transcript.append("2 * 21\n42\n>>> ")
    assert runner.check_block(forty_two, retries=False).passed


def test_a_check_of_a_session_no_node_has_says_so():
    runner = StepRunner(lab=None)
    result = runner.check_block(patterns("42"), retries=False)
    assert result.reason == "there is no python session yet: run the step's >>> lines first"
