"""The banner at the top when the lab cannot be used: what is wrong and how to fix it, in plain words."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from celery_tutor.i18n import _


class Banner(Static):
    """Hidden until there is a problem; the lessons stay readable below it."""

    def show_problem(self, reason: str, fix: str = "", offer: str = "") -> None:
        text = Text.assemble((_("The lab is not available: "), "bold"), reason.rstrip(".") + ".")
        if fix:
            text.append(_("\nWhat to do: "), style="bold")
            text.append(fix.rstrip(".") + ".")
        again = (_("Press {offer}; ctrl+r tries again.").format(offer=offer) if offer
                 else _("Press ctrl+r to try again."))
        text.append(_("\nYou can still read the lessons. {again}").format(again=again), style="italic")
        self.update(text)
        self.add_class("-shown")

    def clear(self) -> None:
        self.remove_class("-shown")
        self.update("")
