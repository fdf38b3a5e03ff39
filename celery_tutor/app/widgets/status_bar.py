"""The status bar: the lab's state (which nodes run, is RabbitMQ up on each), as the app last saw it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from celery_tutor.i18n import _, N_


@dataclass(frozen=True)
class NodeState:
    """One node as the status probe saw it; None means unknown (the node is not running)."""

    name: str
    state: str
    rabbitmq: bool | None = None
    worker: bool | None = None


# The containers' states the bar may show, here so that extraction finds them (Docker's words, translated).
STATES = (N_("running"), N_("exited"), N_("created"), N_("paused"), N_("restarting"), N_("dead"), N_("removing"),
          N_("absent"))


class StatusBar(Static):
    """One line: the lab's name, then each node with its container state and what runs in it."""

    def __init__(self, lab_name: str, **kwargs):
        super().__init__("", **kwargs)
        self.lab_name = lab_name
        self.nodes: list[NodeState] = []
        self.note = self.connecting = _("connecting to Docker…")

    def on_mount(self) -> None:
        self._draw()

    def show_nodes(self, nodes: list[NodeState]) -> None:
        self.nodes = nodes
        self.note = ""
        self._draw()

    def show_note(self, note: str) -> None:
        self.note = note
        self._draw()

    def refresh_words(self) -> None:
        """Drawn again in the learner's new language."""
        if self.note == self.connecting:
            self.note = _("connecting to Docker…")
        self.connecting = _("connecting to Docker…")
        self._draw()

    def _draw(self) -> None:
        text = Text.assemble((_("lab "), "dim"), (self.lab_name, "bold"))
        for node in self.nodes:
            running = node.state == "running"
            text.append("  │  ", style="dim")
            text.append("● " if running else "○ ", style="green" if running else "red")
            text.append(node.name, style="bold" if running else "dim")
            if not running:
                text.append(f" {_(node.state)}", style="dim")
                continue
            if node.rabbitmq is not None:
                text.append("  rabbitmq ", style="dim")
                text.append(_("up") if node.rabbitmq else _("down"), style="green" if node.rabbitmq else "dim")
            if node.worker:
                text.append(_("  worker "), style="dim")
                text.append(_("up"), style="green")
        if self.note:
            text.append("  │  ", style="dim")
            text.append(self.note, style="italic")
        self.update(text)
