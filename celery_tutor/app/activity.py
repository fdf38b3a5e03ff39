"""What the tutor is doing with the lab for the learner right now: nothing, a step's run, its check, a rebuild."""

from __future__ import annotations

from enum import Enum

from celery_tutor.i18n import N_, _


class Activity(Enum):
    """One at a time: while it is not IDLE, keys that would start another wait (or ctrl+c interrupts it)."""

    IDLE = N_("idle")
    RUNNING = N_("running")
    CHECKING = N_("checking")
    REBUILDING = N_("rebuilding the lab")

    def still(self, short: bool = False) -> str:
        """What a key that has to wait is told; the message text comes from the state, never the other way."""
        doing = _(self.value)
        if short:
            return _("Still {doing}: wait for it, or press ctrl+c.").format(doing=doing)
        return _("Still {doing}: wait for it, or press ctrl+c to interrupt it.").format(doing=doing)
