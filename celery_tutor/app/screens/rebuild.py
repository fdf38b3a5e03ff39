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


def _steps(count: int, what: str = "") -> str:
    return f"{count or 'no'} {what}step{'' if count == 1 else 's'}"


def _then(plan: Plan, who: str = "") -> str:
    """', then replays the 2 steps after it', or nothing when the checkpoint is the target."""
    count = len(plan.replayed)
    return f", then {who}replays the {_steps(count)} after it" if count else ""


def offer_text(plan: Plan, ready_for: str | None = None, go: bool = False) -> tuple[str, Text]:
    """The title and the question: the lab's problem if it has one, where the rebuild leads, from where (a checkpoint
    or the start), what it costs, and the marks a rewind takes back."""
    target = step_label(plan.target)
    text = Text()
    if plan.gone:
        text.append(f"{describe_gone(plan.gone)}, so the lab no longer matches your progress.\n\n", style="bold")
    if plan.reset and plan.restore and go and not plan.gone:
        # A jump ahead that a checkpoint makes quicker than replaying on the lab as it is.
        title = "Jump ahead"
        text.append("Go to step ")
        text.append(target, style="bold")
        text.append(f"? The lab is restored from the checkpoint after {plan.restored_after}"
                    f"{_then(plan, 'the tutor ')} ({about(plan.seconds)}).\n\n")
        text.append("Its containers are made again from the checkpoint; each step's solution runs and its check "
                    "must pass, as if you had done them.", style="dim")
    elif plan.reset:
        title = "The lab has changed" if plan.gone else "Rebuild the lab"
        text.append("Rebuild the lab to step ")
        text.append(target, style="bold")
        if plan.restore:
            text.append(f" (restores the checkpoint after {plan.restored_after}{_then(plan)}, "
                        f"{about(plan.seconds)})?\n\n")
            text.append("Its containers are made again from the checkpoint; then the tutor runs the solution and "
                        "the check of every step from there to this one.", style="dim")
        else:
            text.append(f" (replays {_steps(len(plan.replay), 'earlier ')}, {about(plan.seconds)})?\n\n")
            text.append("Its containers are removed and started afresh; then the tutor runs the solution and the "
                        "check of every step before this one.", style="dim")
    else:
        title = "Jump ahead"
        count = len(plan.replay)
        text.append("Go to step ")
        text.append(target, style="bold")
        text.append(f"? The lab is ready for {'step ' + ready_for if ready_for else 'an earlier step'}: the tutor "
                    f"replays the {count} step{'' if count == 1 else 's'} from there ({about(plan.seconds)}).\n\n")
        text.append("Each one's solution runs and its check must pass, as if you had done them.", style="dim")
    if plan.forget:
        labels = [step_label(step) for step in plan.forget]
        listed = labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]}"
        text.append(f"\nA rewind: the marks of the {_steps(len(labels))} from here on ({listed}) are taken back, "
                    "as the lab will not have what they did; your hints and time are kept.", style="bold")
    text.append("\nctrl+c stops a rebuild.", style="dim")
    return title, text


@guarded()
class RebuildScreen(ModalScreen[bool]):
    """Asks once; the answer goes back to whoever pushed it (True: rebuild). Esc and n say no, y says yes."""

    BINDINGS = [Binding("escape,n", "answer(False)", "Not now"), Binding("y", "answer(True)", "Rebuild")]

    def __init__(self, plan: Plan, ready_for: str | None = None, go: bool = False):
        super().__init__()
        self.plan = plan
        self.jump = go and not (plan.reset and plan.gone)  # a node gone: a rebuild, wherever it leads
        self.title_text, self.text = offer_text(plan, ready_for, go)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title")
            yield Static(self.text, id="offer")
            with Horizontal(classes="buttons"):
                yield Button("Replay and go" if self.jump else "Rebuild", variant="primary", id="rebuild")
                yield Button("Not now", id="not-now")

    def on_mount(self) -> None:
        self.query_one("#rebuild", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "rebuild")

    def action_answer(self, rebuild: bool) -> None:
        self.dismiss(rebuild)
