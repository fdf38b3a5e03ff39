"""The main screen's command line: where a typed line goes (a node's shell, a REPL), its prompt, its sessions."""

from __future__ import annotations

import re

from textual.widgets import TabbedContent

from celery_tutor.app import messages as msg
from celery_tutor.app.guard import guarded
from celery_tutor.course.model import COMMAND_LINE_SESSION as SHELL
from celery_tutor.i18n import _
from celery_tutor.app.widgets.command_line import CommandLine

_OPENS_PYTHON = re.compile(r"^\s*(cd\s+\S+\s*&&\s*)?python3?(\s+-q)?\s*$")


@guarded()
class TypedLines:
    """Mixed into MainScreen: the learner's own lines and the sessions they open, sent through the lab owner."""

    def _target(self, source: str) -> tuple[str, str]:
        """(node, session name) that a line typed while `source`'s pane is shown goes to."""
        node, _, name = source.partition("/")
        if not name or name in self.background_jobs or name in self.owner.followed_jobs(node):
            return node, SHELL  # a background job's pane is a log: lines typed there go to the node's shell
        return node, name

    def _session_for(self, source: str):
        runner = self.owner.runner
        if runner is None or not source:
            return None
        return runner.find_session(*self._target(source))

    def _update_prompt(self) -> None:
        source = self.output.current_source or self.course.nodes[0]
        node, name = self._target(source)
        if name == SHELL:
            prompt = f"{node} #"
        elif self._is_python(node, name):
            prompt = f"{node} >>>"
        else:
            prompt = f"{node} {name} #"
        self.command_line.set_prompt(prompt)

    def _is_python(self, node: str, name: str) -> bool:
        from_runner = self.owner.runner.is_python(node, name) if self.owner.runner else None
        if from_runner is not None:
            return from_runner
        return name == "python" or any(block.role == "repl" and block.session == name for block in
                                       (b for s in self.steps for b in s.actions))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._update_prompt()

    def on_command_line_left(self, event: CommandLine.Left) -> None:
        self.lesson_view.focus()

    def on_command_line_submitted(self, event: CommandLine.Submitted) -> None:
        if self.owner.lab is None:
            self.app.notify(self.owner.problem or _("The lab is not connected yet."), severity="warning")
            return
        source = self.output.current_source or self.course.nodes[0]
        node, name = self._target(source)
        if name == SHELL and event.line.strip() in ("clear", "reset"):
            self.output.pane(node).clear()
            return
        if name == SHELL and _OPENS_PYTHON.match(event.line):
            # The notes type `python` in the shell; here the REPL gets a tab of its own, which checks can read.
            self.open_session(node, "python", python=True)
            return
        self.owner.send_line(node, name, event.line, self._is_python(node, name))

    def open_session(self, node: str, name: str, python: bool) -> None:
        if self.owner.runner is None:
            self.app.notify(self.owner.problem or _("The lab is not connected yet."), severity="warning")
            return
        self.owner.open_session(node, name, python)

    def on_session_opened(self, message: msg.SessionOpened) -> None:
        self.output.ensure(message.source, select=True)
        self.command_line.input.focus()

    def on_line_failed(self, message: msg.LineFailed) -> None:
        self.app.notify(message.reason, title=message.source, severity="error")
