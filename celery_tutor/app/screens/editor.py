"""The editor screen: tasks.py of a node read from the node, edited, and written back through the Docker API."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen

from celery_tutor.app.guard import guarded
from celery_tutor.app.widgets.editor import TasksEditor


@guarded()
class EditorScreen(ModalScreen[None]):
    """Loads the file in a thread, writes it in a thread; the learner never waits on Docker with a frozen screen."""

    BINDINGS = [Binding("escape", "dismiss", "Close the editor", priority=True)]

    def __init__(self, lab, node: str, path: str = "/root/tasks.py", starter: str = ""):
        super().__init__()
        self.lab = lab
        self.node = node
        self.path = path
        self.starter = starter

    def compose(self) -> ComposeResult:
        yield TasksEditor(self.node, self.path)

    def on_mount(self) -> None:
        self.query_one(TasksEditor).code.focus()
        self.load()

    @work(thread=True, exclusive=True, group="editor-load", exit_on_error=False)
    def load(self) -> None:
        text, note = self.starter, f"{self.path} does not exist yet on {self.node}: ctrl+s creates it."
        if self.lab is None:
            note = "No lab: you can edit, but nothing can be written until Docker is reachable."
        else:
            try:
                result = self.lab.node(self.node).exec(f"cat {self.path}", cwd="/", timeout=10)
                if result.ok:
                    text, note = result.output, f"Loaded {self.path} from {self.node}."
            except Exception as exc:  # a stopped node, an engine gone away: the learner can still type
                note = f"Could not read {self.path} from {self.node}: {getattr(exc, 'reason', exc)}"
        self.app.call_from_thread(self.query_one(TasksEditor).load, text, note)

    def on_tasks_editor_save(self, event: TasksEditor.Save) -> None:
        self.query_one(TasksEditor).note("writing…")
        self.save(event.text)

    @work(thread=True, exclusive=True, group="editor-save", exit_on_error=False)
    def save(self, text: str) -> None:
        if self.lab is None:
            note = "Not written: the lab is not available (see the banner)."
        else:
            try:
                self.lab.node(self.node).put_file(self.path, text)
                note = f"Wrote {self.path} into {self.node} ({len(text.encode())} bytes)."
            except Exception as exc:
                note = f"Not written: {getattr(exc, 'reason', exc)}"
        self.app.call_from_thread(self.query_one(TasksEditor).note, note)
