"""The headless course check: every check fails before its solution and passes after it, on a fresh lab."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from celery_tutor.course.model import Block, Step
from celery_tutor.steps.runner import StepRunner


@dataclass
class StepOutcome:
    step: Step
    passed: bool
    reason: str = ""
    replayed: bool = False  # replayed to reach --from, not verified
    timings: dict[str, float] = field(default_factory=dict)  # phase -> seconds

    @property
    def seconds(self) -> float:
        return sum(self.timings.values())


class Reporter(Protocol):
    def phase(self, step: Step, phase: str) -> None: ...
    def finished(self, outcome: StepOutcome) -> None: ...


def verify_step(runner: StepRunner, step: Step, reporter: Reporter, prove_fails_first: bool = True,
                on_block: Callable[[Block], None] | None = None) -> StepOutcome:
    """Check (must fail), solve, check (must pass): Instruqt's track test for one step."""
    outcome = StepOutcome(step, passed=False, replayed=not prove_fails_first)
    runner.begin_step(step)
    if prove_fails_first and step.must_fail_first:
        reporter.phase(step, "check must fail")
        started = time.monotonic()
        # Each check on its own: one that fails must not hide another that would pass before the solution.
        early = next((block for block in step.must_fail_first if runner.check_block(block, retries=False).passed), None)
        outcome.timings["check-first"] = time.monotonic() - started
        if early is not None:
            outcome.reason = (f"its check passed before the solution ran: it does not test what this step does "
                              f"(or mark it may-pass-first){_at(step, early)}")
            return outcome
    reporter.phase(step, "solution")
    started = time.monotonic()
    done = runner.run_actions(step, include_solution=True, on_block=on_block)
    outcome.timings["solution"] = time.monotonic() - started
    if not done.ok:
        outcome.reason = f"its solution failed: {done.reason}"
        return outcome
    reporter.phase(step, "check")
    started = time.monotonic()
    result = runner.check(step, retries=True)
    outcome.timings["check"] = time.monotonic() - started
    outcome.passed = result.passed
    if not result.passed:
        outcome.reason = f"its check failed after the solution: {result.reason}"
    return outcome


def _at(step: Step, block: Block) -> str:
    """Which check, when the step has more than one."""
    return f" (the check at line {block.line})" if len(step.checks) > 1 else ""


def verify(runner: StepRunner, replay: list[Step], steps: list[Step], reporter: Reporter,
           on_block: Callable[[Block], None] | None = None,
           before_step: Callable[[int], None] | None = None) -> list[StepOutcome]:
    """Replay `replay` (solutions and checks), then verify `steps`; stops at the first failure. `on_block` is told
    of each action before it runs (the app echoes the commands of a replay in its panes), `before_step` the index
    (in replay + steps) of each step about to start (a checkpoint is saved where a lesson begins)."""
    outcomes = []
    for index, step in enumerate(replay + steps):
        if before_step:
            before_step(index)
        outcome = verify_step(runner, step, reporter, prove_fails_first=step not in replay, on_block=on_block)
        outcomes.append(outcome)
        reporter.finished(outcome)
        if not outcome.passed:
            break
    return outcomes
