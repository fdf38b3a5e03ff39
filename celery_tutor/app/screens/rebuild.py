"""The rebuild offer: what happened to the lab, what a rebuild replays and for how long; Rebuild or Not now."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import N_, _, ngettext
from celery_tutor.steps.rebuild import Plan, describe_gone, step_label


def about(seconds: float) -> str:
    if seconds < 60:
        return _("about {seconds} s").format(seconds=max(5, round(seconds / 5) * 5))
    return _("about {minutes} min").format(minutes=round(seconds / 60))


def _then(plan: Plan, tutor: bool = False) -> str:
    """', then replays the 2 steps after it', or nothing when the checkpoint is the target."""
    count = len(plan.replayed)
    if not count:
        return ""
    if tutor:
        return ngettext(", then the tutor replays the {count} step after it",
                        ", then the tutor replays the {count} steps after it", count).format(count=count)
    return ngettext(", then replays the {count} step after it", ", then replays the {count} steps after it",
                    count).format(count=count)


def offer_text(plan: Plan, ready_for: str | None = None, go: bool = False) -> tuple[str, Text]:
    """The title and the question: the lab's problem if it has one, where the rebuild leads, from where (a checkpoint
    or the start), what it costs, and the marks a rewind takes back."""
    target = step_label(plan.target)
    text = Text()
    if plan.gone:
        text.append(_("{gone}, so the lab no longer matches your progress.").format(gone=describe_gone(plan.gone))
                    + "\n\n", style="bold")
    if plan.reset and plan.restore and go and not plan.gone:
        # A jump ahead that a checkpoint makes quicker than replaying on the lab as it is.
        title = _("Jump ahead")
        text.append(_("Go to step "))
        text.append(target, style="bold")
        text.append(_("? The lab is restored from the checkpoint after {lesson}{then} ({about}).").format(
            lesson=plan.restored_after, then=_then(plan, tutor=True), about=about(plan.seconds)) + "\n\n")
        text.append(_("Its containers are made again from the checkpoint; each step's solution runs and its check "
                      "must pass, as if you had done them."), style="dim")
    elif plan.reset:
        title = _("The lab has changed") if plan.gone else _("Rebuild the lab")
        text.append(_("Rebuild the lab to step "))
        text.append(target, style="bold")
        if plan.restore:
            text.append(_(" (restores the checkpoint after {lesson}{then}, {about})?").format(
                lesson=plan.restored_after, then=_then(plan), about=about(plan.seconds)) + "\n\n")
            text.append(_("Its containers are made again from the checkpoint; then the tutor runs the solution and "
                          "the check of every step from there to this one."), style="dim")
        else:
            count = len(plan.replay)
            steps = (ngettext("{count} earlier step", "{count} earlier steps", count).format(count=count) if count
                     else _("no earlier steps"))
            text.append(_(" (replays {steps}, {about})?").format(steps=steps, about=about(plan.seconds)) + "\n\n")
            text.append(_("Its containers are removed and started afresh; then the tutor runs the solution and the "
                          "check of every step before this one."), style="dim")
    else:
        title = _("Jump ahead")
        count = len(plan.replay)
        text.append(_("Go to step "))
        text.append(target, style="bold")
        ready = _("step {step}").format(step=ready_for) if ready_for else _("an earlier step")
        text.append(ngettext("? The lab is ready for {ready}: the tutor replays the {count} step from there "
                             "({about}).",
                             "? The lab is ready for {ready}: the tutor replays the {count} steps from there "
                             "({about}).", count).format(ready=ready, count=count, about=about(plan.seconds)) + "\n\n")
        text.append(_("Each one's solution runs and its check must pass, as if you had done them."), style="dim")
    if plan.forget:
        labels = [step_label(step) for step in plan.forget]
        listed = labels[0] if len(labels) == 1 else f"{labels[0]} … {labels[-1]}"
        text.append("\n" + _("A rewind: the marks of {count} step(s) from here on ({listed}) are taken back, as the "
                             "lab will not have what they did; your hints and time are kept.").format(
                                 count=len(labels), listed=listed), style="bold")
    text.append("\n" + _("ctrl+c stops a rebuild."), style="dim")
    return title, text


@guarded()
class RebuildScreen(ModalScreen[bool]):
    """Asks once; the answer goes back to whoever pushed it (True: rebuild). Esc and n say no, y says yes."""

    BINDINGS = [Binding("escape,n", "answer(False)", N_("Not now")), Binding("y", "answer(True)", N_("Rebuild"))]

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
                yield Button(_("Replay and go") if self.jump else _("Rebuild"), variant="primary", id="rebuild")
                yield Button(_("Not now"), id="not-now")

    def on_mount(self) -> None:
        self.query_one("#rebuild", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "rebuild")

    def action_answer(self, rebuild: bool) -> None:
        self.dismiss(rebuild)
