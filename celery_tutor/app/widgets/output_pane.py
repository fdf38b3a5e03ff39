"""One output pane: a node's, a session's or a background job's output, live, in colour, capped, following the end."""

from __future__ import annotations

import re
from pathlib import Path

from rich.cells import cell_len
from rich.text import Text
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import _

# C0 controls other than tab, newline, carriage return and ESC would move the real terminal's cursor; show nothing for them.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")
_CONTROL_TABLE = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]")
# Escapes other than colours, each whole: strings such as a window title (ESC ] ... BEL or ST), cursor moves, clears
# and mode switches (CSI), and the short ones such as a full reset (ESC c). Rich would draw some as text or pass them
# to the real terminal; the pane keeps colours only.
_NOT_COLOUR = re.compile(r"\x1b[\]P^_X][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-?]*[ -/]*[@-ln-~]"
                         r"|\x1b[ -/]*[0-OQ-WYZ\\`-~]")
_LONE_ESC = re.compile(r"\x1b(?!\[[0-?]*[ -/]*[@-~])")  # what is left of a sequence cut between two writes
# An escape sequence begun at the very end of a batch, its end still to come in the next one (a title's ESC ] ...
# before its BEL or ESC \, a CSI before its final letter): held back and put in front of the next batch, so that it
# is judged whole. Searched for only among a batch's last characters.
_CUT_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[\]P^_X][^\x07\x1b]*\x1b?|[ -/]*)\Z")
_CUT_ESCAPE_LOOKBACK = 256
MAX_LINES = 10_000


def _shown(line: str) -> str:
    """What a terminal shows of a line with carriage returns in it: the text after the last one."""
    return line.rstrip("\r").rsplit("\r", 1)[-1] if "\r" in line else line


def _width(line: str) -> int:
    return len(line) if line.isascii() else cell_len(_ESCAPES.sub("", line))


@guarded()
class OutputPane(ScrollView, can_focus=True):
    """Keeps the last `max_lines` lines as written (ANSI codes included) and renders only the visible ones."""

    DEFAULT_CSS = """
    OutputPane {
        background: $surface;
        border: round $panel;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        padding: 0 1;
        &:focus { border: round $accent; }
    }
    """
    BINDINGS = [
        Binding("end", "follow", "Follow", show=False),
        Binding("home", "scroll_home", "Top", show=False),
    ]

    def __init__(self, source: str, log_path: Path | None = None, max_lines: int = MAX_LINES,
                 shown_path: str | None = None, title: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.source = source
        self.title = title or source
        self.log_path = log_path
        self.shown_path = shown_path if shown_path is not None else (str(log_path) if log_path else "")
        self.max_lines = max_lines
        self.lines: list[str] = []
        self.dropped = 0  # lines cut from the top to keep the pane within max_lines
        self._open = False  # the last line has no newline yet: the next write continues it
        self._held = ""  # the start of an escape sequence that the next write ends
        self._width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)
        self._subtitle = ""

    # --- content ------------------------------------------------------------------------------------------

    @property
    def total_lines(self) -> int:
        """Lines ever written (those cut from the top included); the last line counts once it has started."""
        return self.dropped + len(self.lines)

    @property
    def scrolled_up(self) -> bool:
        """The learner scrolled away from the end: new output must not move what they read."""
        return bool(getattr(self, "_anchor_released", False)) and not self.is_vertical_scroll_end

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def write(self, text: str, skipped: int = 0) -> None:
        """Append output (a batch, not a line: the app calls this at most every ~50 ms per pane). `skipped` lines
        came before `text` and were left out by the buffer: more than the pane holds came at once."""
        if skipped:
            # All the pane had goes with them, its open last line too (the first line left out finished it);
            # `text` starts inside a line and holds more lines than the pane, so the cut below takes that part.
            self.dropped += len(self.lines) - (1 if self._open and self.lines else 0) + skipped
            self.lines.clear()
            self._open = False
            self._held = ""
            self._cache.clear()
        if self._held:
            text, self._held = self._held + text, ""
        cut = _CUT_ESCAPE.search(text, max(0, len(text) - _CUT_ESCAPE_LOOKBACK))
        if cut:
            text, self._held = text[:cut.start()], text[cut.start():]
        if not text:
            return
        newlines = text.count("\n")
        if newlines > self.max_lines:
            text = self._keep_tail(text, newlines)
        if "\r" in text:  # after the cut: a flood's batch is megabytes, and only its tail is kept
            text = text.replace("\r\n", "\n")
        if "\x1b" in text:
            text = _NOT_COLOUR.sub("", text)
        # str.translate is several times quicker than the regular expression, on the usual all-ASCII batch.
        text = text.translate(_CONTROL_TABLE) if text.isascii() else _CONTROLS.sub("", text)
        parts = text.split("\n")
        if self._open and self.lines:
            index = len(self.lines) - 1
            parts[0] = self.lines.pop() + parts[0]
            self._cache.discard(self.dropped + index)
        self._open = parts[-1] != ""
        if not self._open:
            parts.pop()
        if parts and ("\r" in text or "\r" in parts[0]):
            # A carriage return redraws its line (progress bars): keep what the terminal would show. The open
            # last line stays raw, as a lone \r may be the first half of a \r\n split between two batches.
            last = len(parts) - 1 if self._open else len(parts)
            parts = [_shown(part) if index < last else part for index, part in enumerate(parts)]
        self.lines.extend(parts)
        # len() in C for the usual ASCII batch (escape codes counted: at worst a little room to scroll sideways);
        # cell widths only when wide characters may be there.
        width = max(map(len, parts), default=0) if text.isascii() else max(map(_width, parts), default=0)
        if width > self._width:
            self._width = width
        excess = len(self.lines) - self.max_lines
        if excess > 0:
            del self.lines[:excess]
            self.dropped += excess
            if self.scrolled_up:
                # Keep the lines the learner is reading in view while the top is cut away.
                self.scroll_to(y=max(0, self.scroll_y - excess), animate=False, immediate=True)
        self._resize()

    def _keep_tail(self, text: str, newlines: int) -> str:
        """A batch longer than the pane: only its last lines can be shown, so only they are cleaned and kept (a
        flood's batches are tens of thousands of lines, and the UI thread must not spend itself on lines that go)."""
        head = text.rsplit("\n", self.max_lines + 1)[0]  # the lines that go, as one string
        cut = newlines - self.max_lines
        # What the pane holds goes too; an open last line is completed by the batch's first piece, not a new line.
        self.dropped += len(self.lines) + cut - (1 if self._open and self.lines else 0)
        self.lines.clear()
        self._open = False
        self._cache.clear()
        return text[len(head) + 1:]

    def clear(self) -> None:
        self.dropped += len(self.lines)
        self.lines.clear()
        self._open = False
        self._held = ""
        self._cache.clear()
        self._resize()

    def _resize(self) -> None:
        if not self.is_mounted:
            return
        size = Size(self._width + 1, len(self.lines))
        if size != self.virtual_size:
            # The layout sets the pane's size, not what it holds: a new virtual size moves only its scrollbars.
            # Set without the whole-screen layout the reactive would ask for on every batch of a flood, so the
            # end is followed here, as the layout would have.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)
            if self.is_anchored and not self._anchor_released:
                self.scroll_end(animate=False, immediate=True)
        self._update_subtitle()
        self.refresh()

    def _update_subtitle(self) -> None:
        parts = []
        if self.dropped:
            parts.append(_("last {shown:,} of {total:,} lines").format(shown=len(self.lines), total=self.total_lines))
        if self.shown_path:
            parts.append(_("full log: {path}").format(path=self.shown_path))
        subtitle = " · ".join(parts)
        if subtitle != self._subtitle:
            self._subtitle = subtitle
            self.border_subtitle = subtitle

    # --- Textual ------------------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.border_title = self.title
        self._update_subtitle()
        self._resize()
        self.anchor()

    def action_follow(self) -> None:
        self.anchor()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        style = self.rich_style
        if index >= len(self.lines):
            return Strip.blank(width, style)
        key = self.dropped + index
        strip = self._cache.get(key)
        if strip is None:
            line = _shown(self.lines[index])
            if "\x1b" in line:
                line = _LONE_ESC.sub("", _NOT_COLOUR.sub("", line))
            text = Text.from_ansi(line.expandtabs(), style=style, no_wrap=True, end="")
            segments = list(text.render(self.app.console))
            strip = Strip(segments, sum(segment.cell_length for segment in segments))
            self._cache[key] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, style)
