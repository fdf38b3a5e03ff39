"""Judging one check: a script in a node, or patterns in a REPL's output, tried again while it may still pass."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import celery_tutor.course

from celery_tutor.course.model import Block
from celery_tutor.lab.docker_engine import CONNECTION_ERRORS, engine_lost
from celery_tutor.lab.errors import LabError
from celery_tutor.lab.node import Node

# Told before each wait between tries: (try just failed, tries in all, seconds until the next, its reason).
WaitCallback = Callable[[int, int, float, str], None]

# A check script exits with this status when it knows waiting cannot help (the broker is not even running):
# the learner sees the reason at once instead of a countdown that can only end in the same failure.
NO_USE_WAITING = 3

# Defined before every check script, so that a check reads as what it tests (the docs list them).
CHECK_HELPERS = (Path(celery_tutor.course.__file__).parent / "check_helpers.sh").read_text()


@dataclass
class CheckResult:
    passed: bool
    reason: str
    attempts: int = 1
    seconds: float = 0.0
    final: bool = False  # another try cannot pass before the learner acts


def judge_script(block: Block, node: Node) -> CheckResult:
    started = time.monotonic()
    try:
        result = node.exec(f"{CHECK_HELPERS}\n{block.body}", cwd="/root", timeout=block.timeout)
    except LabError as exc:
        return CheckResult(False, exc.reason, seconds=time.monotonic() - started)
    except CONNECTION_ERRORS as exc:
        return CheckResult(False, engine_lost(exc).reason, seconds=time.monotonic() - started)
    if result.timed_out:
        reason = f"the check did not finish within {block.timeout:g} s"
    elif result.ok:
        reason = result.last_line
    else:
        reason = result.last_line or f"the check failed (exit status {result.exit_code})"
    final = not result.timed_out and result.exit_code == NO_USE_WAITING
    return CheckResult(result.ok, reason, seconds=time.monotonic() - started, final=final)


def judge_patterns(block: Block, session_name: str, output: str | None) -> CheckResult:
    if output is None:
        return CheckResult(False, f"there is no {session_name} session yet: run the step's >>> lines first")
    for pattern in (line for line in block.body.splitlines() if line.strip()):
        if not re.search(pattern, output):
            seen = output.strip().splitlines()[-1:] or ["nothing"]
            return CheckResult(False, f"expected the {session_name} session to print /{pattern}/; last seen: {seen[0][:120]}")
    return CheckResult(True, "")


def retry(attempt: Callable[[], CheckResult], block: Block, retries: bool,
          on_wait: WaitCallback | None = None, cancel: threading.Event | None = None) -> CheckResult:
    """Try a check up to 1 + retries times, `delay` seconds apart, telling `on_wait` before each pause.
    Setting `cancel` (Ctrl+C in the app) ends the waiting: the last try's result stands."""
    tries = 1 + int(block.number("retries")) if retries else 1
    delay = block.number("delay")
    started = time.monotonic()
    for number in range(1, tries + 1):
        result = attempt()
        result.attempts = number
        if result.passed or result.final or number == tries or (cancel is not None and cancel.is_set()):
            result.seconds = time.monotonic() - started
            return result
        if on_wait:
            on_wait(number, tries, delay, result.reason)
        if cancel is None:
            time.sleep(delay)
        elif cancel.wait(delay):
            result.seconds = time.monotonic() - started
            return result
    raise AssertionError("unreachable")
