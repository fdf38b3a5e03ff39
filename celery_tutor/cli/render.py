"""What the commands draw: the two consoles, progress bars, the lab's table and verify's running report."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from rich.console import Console

from celery_tutor.i18n import _

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def bar(label: str, transient: bool = False) -> Progress:
    """The progress bar of a long command (imported here: `celery-tutor start` has no use for it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=transient)


def build_progress(label: str = "lab image"):
    """A transient bar fed by an image build's (or export's) events; returns (context manager, callback)."""
    progress = bar(label, transient=True)
    task = progress.add_task("", total=None)

    def report(event) -> None:
        progress.update(task, completed=event.step, total=event.total or None,
                        description=event.line.strip()[:60])
    return progress, report


def line_progress(label: str):
    """A bar of unknown length showing the latest line of a script's output; returns (context manager, callback)."""
    progress = bar(label)
    task = progress.add_task("", total=None)

    def report(line: str) -> None:
        progress.update(task, description=line.strip()[:60])
    return progress, report


def status_table(lab) -> Table:
    from rich.table import Table

    table = Table(_("node"), _("container"), _("hostname"), _("state"), title=_("lab {name}").format(name=lab.name))
    for status in lab.status():
        colour = "green" if status.state == "running" else "red"
        table.add_row(status.name, status.container, status.hostname, f"[{colour}]{_(status.state)}[/]")
    return table


def duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m {int(seconds % 60):02d}s"


class VerifyReporter:
    """Shows a replay's or verify's progress with Rich and keeps each step's recent output for the failure message."""

    def __init__(self, progress: Progress, task, total: int):
        self.progress, self.task, self.total = progress, task, total
        self.recent: deque[str] = deque(maxlen=20)
        self._partial = ""

    def output(self, source: str, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self.recent.extend(f"{source}| {line.rstrip()}" for line in lines if line.strip())

    def phase(self, step, phase: str) -> None:
        self.progress.update(self.task, description=f"{step.full_id} [dim]({phase})[/]")

    def finished(self, outcome) -> None:
        mark = "[green]✓[/]" if outcome.passed else "[red]✗[/]"
        kind = _("replayed") if outcome.replayed else _("verified")
        detail = ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in outcome.timings.items())
        self.progress.console.print(f"{mark} {outcome.step.full_id:<34} {outcome.seconds:6.1f} s  "
                                    f"[dim]{kind}; {detail}[/]")
        self.progress.advance(self.task)
        if outcome.passed:
            self.recent.clear()

    def show_recent(self) -> None:
        """The last lines the failed step printed, dimmed, on stderr."""
        if self.recent:
            err.print("[dim]" + _("last output:") + "[/]")
            for line in self.recent:
                err.print(f"[dim]  {line}[/]", markup=False)


