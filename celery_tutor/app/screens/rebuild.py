"""The rebuild offer: what happened to the lab, what a rebuild replays and for how long; Rebuild or Not now."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from celery_tutor.app.guard import guarded
from celery_tutor.steps.rebuild import Plan, describe_gone, step_label


def about(seconds: float) -> str:
    if seconds < 60:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    return f"about {round(seconds / 60)} min"


def offer_text(plan: Plan, ready_for: str | None = None) -> tuple[str, Text]:
    """The title and the question: the lab's problem if it has one, where the rebuild leads, what it costs."""
    target = step_label(plan.target)
    count = len(plan.replay)
    steps = f"{count or 'no'} earlier step{'' if count == 1 else 's'}"
    text = Text()
    if plan.gone:
        text.append(f"{describe_gone(plan.gone)}, so the lab no longer matches your progress.\n\n", style="bold")
    if plan.reset:
        title = "The lab has changed" if plan.gone else "Rebuild the lab"
        text.append("Rebuild the lab to step ")
        text.append(target, style="bold")
        text.append(f" (replays {steps}, {about(plan.seconds)})?\n\n")
        text.append("Its containers are removed and started afresh; then the tutor runs the solution and the check "
                    "of every step before this one.", style="dim")
    else:
        title = "Jump ahead"
        text.append("Go to step ")
        text.append(target, style="bold")
        text.append(f"? The lab is ready for {'step ' + ready_for if ready_for else 'an earlier step'}: the tutor "
                    f"replays the {count} step{'' if count == 1 else 's'} from there ({about(plan.seconds)}).\n\n")
        text.append("Each one's solution runs and its check must pass, as if you had done them.", style="dim")
    text.append("\nctrl+c stops a rebuild.", style="dim")
    return title, text


@guarded()
class RebuildScreen(ModalScreen[bool]):
    """Asks once; the answer goes back to whoever pushed it (True: rebuild). Esc and n say no, y says yes."""

    BINDINGS = [Binding("escape,n", "answer(False)", "Not now"), Binding("y", "answer(True)", "Rebuild")]

    def __init__(self, plan: Plan, ready_for: str | None = None):
        super().__init__()
        self.plan = plan
        self.title_text, self.text = offer_text(plan, ready_for)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title")
            yield Static(self.text, id="offer")
            with Horizontal(classes="buttons"):
                yield Button("Rebuild" if self.plan.reset else "Replay and go", variant="primary", id="rebuild")
                yield Button("Not now", id="not-now")

    def on_mount(self) -> None:
        self.query_one("#rebuild", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "rebuild")

    def action_answer(self, rebuild: bool) -> None:
        self.dismiss(rebuild)
