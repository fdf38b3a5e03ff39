"""The code editor for the notes' tasks.py: Python highlighting, Ctrl+S writes the file into the node."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Label, TextArea

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import N_, _


@guarded()
class TasksEditor(Vertical):
    """A title saying which file of which node this is, and the editor itself."""

    DEFAULT_CSS = """
    TasksEditor { border: round $accent; border-title-color: $accent; border-subtitle-color: $text-muted;
                  height: 1fr; }
    TasksEditor > TextArea { height: 1fr; border: none; }
    TasksEditor > Label { padding: 0 1; color: $text-muted; width: 1fr; }
    """
    BINDINGS = [Binding("ctrl+s", "save", N_("Write into the node"), priority=True)]

    @dataclass
    class Save(Message):
        text: str

    def __init__(self, node: str, path: str, text: str = "", **kwargs):
        super().__init__(**kwargs)
        self.node = node
        self.path = path
        self._text = text

    def compose(self) -> ComposeResult:
        yield TextArea.code_editor(self._text, language="python", id="code", soft_wrap=False)
        yield Label(_("loading…"), id="editor-note")

    def on_mount(self) -> None:
        self.border_title = f"{self.path} on {self.node}"
        self.border_subtitle = _("ctrl+s writes it into the node · esc closes")

    @property
    def code(self) -> TextArea:
        return self.query_one("#code", TextArea)

    def load(self, text: str, note: str) -> None:
        self.code.load_text(text)
        self.note(note)

    def note(self, note: str) -> None:
        self.query_one("#editor-note", Label).update(note)

    def action_save(self) -> None:
        self.post_message(self.Save(self.code.text))
