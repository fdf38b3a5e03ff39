"""The map of the lab in the tutor: the drawing `celery-tutor lab map` prints, redrawn at each read."""

from __future__ import annotations

import time

from rich.console import Group
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import _
from celery_tutor.lab.map_model import LabMap
from celery_tutor.lab.map_table import render

LATE_SECONDS = 6.0  # a read this long under way is said to be slow: the map shown is older than it looks


@guarded()
class LabMapView(VerticalScroll, can_focus=True):
    """Shows the last map read and what became of the reads since: one that failed, one that takes long, no lab."""

    def __init__(self, every: float, **kwargs):
        super().__init__(**kwargs)
        self.every = every  # seconds between two reads while the map is shown
        self.lab_map: LabMap | None = None  # the map on show (the screen keeps the last one for the next read)
        self.problem = ""  # why the last read gave no map
        self.late = 0.0  # seconds the read under way has taken, once past LATE_SECONDS
        self._drawing = Static(self._text(), id="map-drawing")
        self.border_title = _("lab map")
        self.border_subtitle = _("read every {every:g} s while shown · l hides it").format(every=every)

    def compose(self):
        yield self._drawing

    def show_map(self, lab_map: LabMap | None, problem: str = "") -> None:
        """A read's result: its map, or (lab_map None) why there is none; the last map stays, marked as old."""
        if lab_map is not None:
            self.lab_map = lab_map
        self.problem, self.late = problem, 0.0
        self._drawing.update(self._text())

    def show_late(self, seconds: float) -> None:
        if seconds >= LATE_SECONDS:
            self.late = seconds
            self._drawing.update(self._text())

    def _text(self) -> Group:
        notes = []
        if self.problem:
            taken = time.strftime("%H:%M:%S", time.localtime(self.lab_map.taken_at)) if self.lab_map else ""
            notes.append(Text(f"⚠ {self.problem}" + (_("; below, the map read at {time}").format(time=taken)
                                                     if self.lab_map else ""), style="yellow"))
        if self.late:
            notes.append(Text("⋯ " + _("the lab has not answered for {seconds:.0f} s: below, the map as it "
                                       "was").format(seconds=self.late), style="yellow"))
        body = render(self.lab_map, compact=True) if self.lab_map else Text(_("reading the lab…"), style="dim")
        return Group(*notes, body)
