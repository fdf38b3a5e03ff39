"""The rebuild's reporter in the tutor: each step's phase posted to the screen, and its start marked in its pane."""

from __future__ import annotations

from typing import Callable

from celery_tutor.app import messages as msg
from celery_tutor.course.model import Step
from celery_tutor.steps.rebuild import step_label


class RebuildReporter:
    """Tells the screen how the replay goes (from the rebuild's thread) and marks each step's start in its pane."""

    def __init__(self, post: Callable[[object], None], write: Callable[[str, str], None], replay: list[Step]):
        self.post, self.write, self.replay = post, write, replay

    def phase(self, step: Step, phase: str) -> None:
        # Counted by where the step is: the steps a checkpoint stood for are done without a phase of their own.
        self.post(msg.RebuildProgress(self.replay.index(step), len(self.replay), step, phase))
        first = next((block for block in step.actions if block.node), None)
        if phase == "solution" and first is not None:
            self.write(first.source, f"\x1b[2m── replaying {step_label(step)} ──\x1b[0m\n")

    def finished(self, outcome) -> None:
        pass
