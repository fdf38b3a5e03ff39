"""The editor screen: tasks.py of a node read from the node, edited, and written back through the Docker API."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from celery_tutor.app import messages as msg
from celery_tutor.app.guard import guarded
from celery_tutor.app.widgets.editor import TasksEditor
from celery_tutor.i18n import _


@guarded()
class EditorScreen(ModalScreen[None]):
    """The lab's owner loads the file and writes it in threads; the learner never waits on Docker with a frozen
    screen."""

    BINDINGS = [Binding("escape", "dismiss", "Close the editor", priority=True)]

    def __init__(self, owner, node: str, path: str = "/root/tasks.py", starter: str = ""):
        super().__init__()
        self.owner = owner
        self.node = node
        self.path = path
        self.starter = starter

    def compose(self) -> ComposeResult:
        yield TasksEditor(self.node, self.path)

    def on_mount(self) -> None:
        self.query_one(TasksEditor).code.focus()
        self.owner.load_file(self.node, self.path, self.starter, to=self)

    def on_file_read(self, message: msg.FileRead) -> None:
        self.query_one(TasksEditor).load(message.text, message.note)

    def on_tasks_editor_save(self, event: TasksEditor.Save) -> None:
        self.query_one(TasksEditor).note(_("writing…"))
        self.owner.save_file(self.node, self.path, event.text, to=self)

    def on_file_written(self, message: msg.FileWritten) -> None:
        self.query_one(TasksEditor).note(message.note)
