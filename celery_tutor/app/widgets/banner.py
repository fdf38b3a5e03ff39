"""The banner at the top when the lab cannot be used: what is wrong and how to fix it, in plain words."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class Banner(Static):
    """Hidden until there is a problem; the lessons stay readable below it."""

    def show_problem(self, reason: str, fix: str = "", offer: str = "") -> None:
        text = Text.assemble(("The lab is not available: ", "bold"), reason.rstrip(".") + ".")
        if fix:
            text.append("\nWhat to do: ", style="bold")
            text.append(fix.rstrip(".") + ".")
        again = f"Press {offer}; ctrl+r tries again." if offer else "Press ctrl+r to try again."
        text.append(f"\nYou can still read the lessons. {again}", style="italic")
        self.update(text)
        self.add_class("-shown")

    def clear(self) -> None:
        self.remove_class("-shown")
        self.update("")
