"""The status bar: the lab's state (which nodes run, is RabbitMQ up on each), as the app last saw it."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static


@dataclass(frozen=True)
class NodeState:
    """One node as the status probe saw it; None means unknown (the node is not running)."""

    name: str
    state: str
    rabbitmq: bool | None = None
    worker: bool | None = None


class StatusBar(Static):
    """One line: the lab's name, then each node with its container state and what runs in it."""

    def __init__(self, lab_name: str, **kwargs):
        super().__init__("", **kwargs)
        self.lab_name = lab_name
        self.nodes: list[NodeState] = []
        self.note = "connecting to Docker…"

    def on_mount(self) -> None:
        self._draw()

    def show_nodes(self, nodes: list[NodeState]) -> None:
        self.nodes = nodes
        self.note = ""
        self._draw()

    def show_note(self, note: str) -> None:
        self.note = note
        self._draw()

    def _draw(self) -> None:
        text = Text.assemble(("lab ", "dim"), (self.lab_name, "bold"))
        for node in self.nodes:
            running = node.state == "running"
            text.append("  │  ", style="dim")
            text.append("● " if running else "○ ", style="green" if running else "red")
            text.append(node.name, style="bold" if running else "dim")
            if not running:
                text.append(f" {node.state}", style="dim")
                continue
            if node.rabbitmq is not None:
                text.append("  rabbitmq ", style="dim")
                text.append("up" if node.rabbitmq else "down", style="green" if node.rabbitmq else "dim")
            if node.worker:
                text.append("  worker ", style="dim")
                text.append("up", style="green")
        if self.note:
            text.append("  │  ", style="dim")
            text.append(self.note, style="italic")
        self.update(text)
