"""The output panes in tabs: one per lab node from the start, one per session or background job as it appears, and
views that are not output (the lab map) opened beside them."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import TabbedContent, TabPane
from textual.widgets.tabbed_content import ContentTab  # the tabs in the order they show

from celery_tutor.app.guard import guarded
from celery_tutor.app.widgets.output_pane import OutputPane


def pane_id(source: str) -> str:
    return "out-" + re.sub(r"[^A-Za-z0-9_-]", "-", source)


def title_of(source: str) -> str:
    node, _, name = source.partition("/")
    return f"{node} › {name}" if name else node


@guarded()
class OutputTabs(TabbedContent):
    """Writes go to the pane of their source; a pane with news the learner has not seen shows a dot in its tab."""

    def __init__(self, sources: list[str], log_path=lambda source: None, shown_path=lambda source: None, **kwargs):
        self._log_path = log_path
        self._shown_path = shown_path
        self._panes: dict[str, OutputPane] = {}
        self._unseen: set[str] = set()
        self._before_view: str | None = None  # the tab on show when a view opened, shown again when it closes
        super().__init__(**kwargs)
        self._tab_content = [self._tab_pane(source) for source in sources]  # as `with TabbedContent():` would

    def _tab_pane(self, source: str) -> TabPane:
        log: Path | None = self._log_path(source)
        pane = OutputPane(source, log, shown_path=self._shown_path(source), title=title_of(source))
        self._panes[source] = pane
        return TabPane(title_of(source), pane, id=pane_id(source))

    # --- panes --------------------------------------------------------------------------------------------

    @property
    def sources(self) -> list[str]:
        return list(self._panes)

    def pane(self, source: str) -> OutputPane | None:
        return self._panes.get(source)

    @property
    def current_source(self) -> str | None:
        active = self.active
        return next((source for source in self._panes if pane_id(source) == active), None)

    def ensure(self, source: str, select: bool = False) -> OutputPane:
        """The source's pane, added (after its node's other panes) if it is new."""
        pane = self._panes.get(source)
        if pane is None:
            node = source.partition("/")[0]
            siblings = [s for s in self._panes if s.partition("/")[0] == node]
            tab_pane = self._tab_pane(source)
            pane = self._panes[source]
            if not self.is_mounted:  # mounted just after the first frame (Lazy): composed with the others then
                self._tab_content.append(tab_pane)
                if select:
                    self.show(source)
                return pane
            after = pane_id(siblings[-1]) if siblings else None
            added = self.add_pane(tab_pane, after=after)
            self.call_next(self._when_added, added, source, select)
        elif select:
            self.show(source)
        return pane

    async def _when_added(self, added, source: str, select: bool) -> None:
        await added
        if select:
            self.show(source)
        elif source in self._unseen:
            self._relabel(source, f"{title_of(source)} •")

    def show(self, source: str) -> None:
        if source not in self._panes:
            return
        if not self.is_mounted:
            self._initial = pane_id(source)  # what TabbedContent activates when it composes
        elif self.active != pane_id(source):
            self.active = pane_id(source)

    # --- views that are not output: after the panes, with no source, closed again --------------------------

    def show_view(self, view_id: str, title: str, widget) -> None:
        """Show the view `view_id`, added after the panes (with `widget` in it) if it is not there yet."""
        if not self.is_mounted:
            return  # the panes are not on the screen yet (the first frame's moment): the key does nothing
        if self.query(f"#{view_id}"):
            self.active = view_id
            return
        self._before_view = self.active
        added = self.add_pane(TabPane(title, widget, id=view_id))

        async def when_added() -> None:
            await added
            self.active = view_id

        self.call_next(when_added)

    def close_view(self, view_id: str) -> None:
        """Remove the view; the pane shown before it comes back."""
        back = self._before_view
        if back and back != view_id and self.query(f"#{back}"):
            self.active = back
        self.remove_pane(view_id)

    def cycle(self, step: int) -> None:
        """Show the next tab (step 1) or the previous one (-1), in the order the tabs show, views included."""
        tabs = [ContentTab.sans_prefix(tab.id) for tab in self.query(ContentTab) if tab.id]
        if tabs:
            self.active = tabs[(tabs.index(self.active) + step) % len(tabs) if self.active in tabs else 0]

    def write(self, source: str, text: str, skipped: int = 0) -> None:
        pane = self.ensure(source)
        pane.write(text, skipped)
        if source != self.current_source and source not in self._unseen and self.is_mounted:
            self._unseen.add(source)
            if pane.is_mounted:
                self._relabel(source, f"{title_of(source)} •")

    def _relabel(self, source: str, label: str) -> None:
        try:
            self.get_tab(pane_id(source)).label = label
        except Exception:  # the tab is gone (or not there yet)
            pass

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        source = self.current_source
        if source in self._unseen:
            self._unseen.discard(source)
            self._relabel(source, title_of(source))
