"""The command line under the panes: what the learner types goes to a real shell (or the REPL) in a node."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import _

HISTORY_SIZE = 500


class HistoryInput(Input):
    """An Input with shell-like history on the up and down arrows."""

    BINDINGS = [
        Binding("up", "history(-1)", "Earlier command", show=False),
        Binding("down", "history(1)", "Later command", show=False),
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.history: list[str] = []
        self._position = 0
        self._draft = ""

    def remember(self, line: str) -> None:
        if line.strip() and (not self.history or self.history[-1] != line):
            self.history.append(line)
            del self.history[:-HISTORY_SIZE]
        self._position = len(self.history)
        self._draft = ""

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._position == len(self.history):
            self._draft = self.value
        self._position = max(0, min(len(self.history), self._position + step))
        self.value = self.history[self._position] if self._position < len(self.history) else self._draft
        self.cursor_position = len(self.value)


@guarded()
class CommandLine(Horizontal):
    """A prompt naming where the line goes, and the input. Enter sends; Esc gives the keys back to the lesson."""

    DEFAULT_CSS = """
    CommandLine { height: 1; }
    CommandLine > Label { width: auto; padding: 0 1 0 0; color: $accent; text-style: bold; }
    CommandLine > HistoryInput { border: none; height: 1; padding: 0; width: 1fr; background: $surface; }
    CommandLine > HistoryInput:focus { border: none; background-tint: $foreground 5%; }
    """
    BINDINGS = [Binding("escape", "leave", "Back to the lesson", show=False)]

    @dataclass
    class Submitted(Message):
        """The learner pressed Enter on a line (possibly empty: an empty line ends a block in the REPL)."""

        line: str

    class Left(Message):
        """The learner pressed Esc: the single-letter keys belong to the lesson again."""

    def __init__(self, prompt: str = "", **kwargs):
        super().__init__(**kwargs)
        self._prompt = prompt

    def compose(self) -> ComposeResult:
        yield Label(self._prompt, id="prompt")
        yield HistoryInput(placeholder=_("type a command: Enter runs it, ↑↓ history, Ctrl+C interrupts, "
                                         "Esc leaves"),
                           id="command-input", select_on_focus=False)

    @property
    def input(self) -> HistoryInput:
        return self.query_one(HistoryInput)

    def set_prompt(self, prompt: str) -> None:
        self._prompt = prompt
        if self.is_mounted:
            self.query_one("#prompt", Label).update(prompt)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.input.remember(event.value)
        self.input.value = ""
        self.post_message(self.Submitted(event.value))

    def action_leave(self) -> None:
        self.post_message(self.Left())
