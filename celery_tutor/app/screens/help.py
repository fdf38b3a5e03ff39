"""The help screen: every key, what the tutor does with a step, and where the logs are."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.content import Content
from textual.widgets import Markdown, Static

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import N_, _

INTRO = N_("""\
## How the tutor works

Each lesson follows a part of the 2018 study notes. A **step** asks you to do something in the lab's containers
(celery-1, celery-2, celery-3). Do it by typing the commands yourself in the command line under the output, or let
the tutor **run** the step's commands. Then **check** it: the tutor looks at the real state of the containers.
**Next** opens only once the check has passed.

Output appears live in the tabs above the command line: one per node, one per Python REPL or background job.
A pane follows the end of the output until you scroll up (End follows again). Long output is cut in the pane;
the whole of it is in the log file named at the bottom of the pane.
""")


@guarded()
class HelpScreen(ModalScreen[None]):
    """Lists the keys of the screen below it, which it is given, so it never disagrees with the footer."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", N_("Close help"))]

    def __init__(self, keys: list[tuple[str, str]], log_dir: str = ""):
        super().__init__()
        self.keys = keys
        self.log_dir = log_dir

    def compose(self) -> ComposeResult:
        width = max(len(key) for key, _description in self.keys) + 2
        rows = []
        for key, description in self.keys:
            rows += [(key.ljust(width), "bold $accent"), description, "\n"]
        keys = Content.assemble(*rows[:-1])
        closing = _("The mouse works too: click a step in the outline, a tab, or a key in the footer.")
        if self.log_dir:
            closing += "\n\n" + _("Every pane's full log, and the log of unexpected errors, are in `{path}`.").format(
                path=self.log_dir)
        with VerticalScroll():
            yield Markdown(_(INTRO))
            yield Static(_("Keys"), classes="title")
            yield Static(keys, classes="keys")
            yield Markdown(closing + "\n\n" + _("*Esc closes this help.*"))
