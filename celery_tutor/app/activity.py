"""What the tutor is doing with the lab for the learner right now: nothing, a step's run, its check, a rebuild."""

from __future__ import annotations

from enum import Enum


class Activity(Enum):
    """One at a time: while it is not IDLE, keys that would start another wait (or ctrl+c interrupts it)."""

    IDLE = "idle"
    RUNNING = "running"
    CHECKING = "checking"
    REBUILDING = "rebuilding the lab"

    def still(self, short: bool = False) -> str:
        """What a key that has to wait is told; the message text comes from the state, never the other way."""
        return f"Still {self.value}: wait for it, or press ctrl+c{'.' if short else ' to interrupt it.'}"
