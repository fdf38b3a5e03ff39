"""The main screen's side of the lab map: a tab opened and closed with l, read every few seconds only while shown."""

from __future__ import annotations

import time

from textual.widgets import TabbedContent

from celery_tutor.app import messages as msg
from celery_tutor.app.guard import guarded
from celery_tutor.app.widgets.lab_map_view import LabMapView
from celery_tutor.i18n import _

MAP_SECONDS = 2.0  # between two reads while the map is shown: a drill's stopped node shows within about this
MAP_PANE = "lab-map"


@guarded("_map_tick")
class LabMapShown:
    """Mixed into MainScreen: whether the map is shown decides whether the lab owner reads it."""

    _map_timer = None
    _lab_map = None  # the last map read: drawn when the tab opens again, and the `previous` of the next read
    _map_asked = 0.0  # when the read under way was started

    @property
    def map_view(self) -> LabMapView | None:
        views = self.query(LabMapView)
        return views.first() if views else None

    @property
    def map_shown(self) -> bool:
        """The map's tab is the one on show (under another screen too: it comes back with it)."""
        return self.output.is_mounted and self.output.active == MAP_PANE

    def action_lab_map(self) -> None:
        """l: open the map's tab and show it; on it already, close it and show the pane that was there before."""
        if self.map_shown:
            self.output.close_view(MAP_PANE)
            return
        view = self.map_view
        if view is None:
            view = LabMapView(MAP_SECONDS, id="lab-map-view")
            if self._lab_map is not None:
                view.show_map(self._lab_map)
        self.output.show_view(MAP_PANE, _("lab map"), view)

    def _map_visible(self) -> bool:
        return self.map_shown and self.app.screen is self and not self.app.closing

    def map_visibility_changed(self) -> None:
        """Reads run only while the learner can see the map: on from the moment it shows, off when it is hidden."""
        self.set_class(self.map_shown, "-map")
        if self._map_visible() and self._map_timer is None:
            self._map_timer = self.set_interval(MAP_SECONDS, self._map_tick, name="lab-map")
            self._map_tick()
        elif not self._map_visible() and self._map_timer is not None:
            self._map_timer.stop()
            self._map_timer = None

    def _map_tick(self) -> None:
        view = self.map_view
        if view is None or not self._map_visible():
            return
        if self.owner.lab is None:
            view.show_map(None, _("no lab to read: {problem}").format(
                problem=self.owner.problem or _("Docker is not connected yet")))
        elif self.owner.read_map(self._lab_map):
            self._map_asked = time.monotonic()
        else:  # the last read is still under way: a broker or the engine slow to answer
            view.show_late(time.monotonic() - self._map_asked)

    def on_map_read(self, message: msg.MapRead) -> None:
        self.owner.map_read()
        if self.app.closing:
            return
        if message.lab_map is not None:
            self._lab_map = message.lab_map
        view = self.map_view
        if view is not None:
            view.show_map(message.lab_map, message.problem)

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self.map_visibility_changed()

    def on_tabbed_content_cleared(self, event: TabbedContent.Cleared) -> None:
        self.map_visibility_changed()

    def on_screen_suspend(self) -> None:
        self.map_visibility_changed()

    def on_screen_resume(self) -> None:
        self.map_visibility_changed()
