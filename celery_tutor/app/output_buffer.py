"""A thread-safe buffer from the lab's threads to the panes, drained on a timer, with a log file per source."""

from __future__ import annotations

import re
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO


RESTORED_LINES = 200  # of each pane's log, shown again when the tutor opens (a pane shows about 40 at once)
_TAIL_BYTES = 64 * 1024


def _tail(path: Path | None, lines: int) -> str:
    """The last `lines` whole lines of a log file, read from its last bytes only (a log can grow to gigabytes)."""
    if path is None:
        return ""
    try:
        with open(path, "rb") as log:
            log.seek(0, 2)
            size = log.tell()
            log.seek(max(0, size - _TAIL_BYTES))
            data = log.read()
    except OSError:
        return ""
    if size > _TAIL_BYTES:
        data = data.partition(b"\n")[2]  # the first line was cut by the seek
    kept = data.decode("utf-8", errors="replace").splitlines(keepends=True)[-lines:]
    return "".join(kept)


def log_name(source: str) -> str:
    """celery-1/python -> celery-1.python.log: a file name for a pane's full log."""
    return re.sub(r"[^A-Za-z0-9_.-]+", ".", source).strip(".") + ".log"


@dataclass
class Batch:
    """What one source wrote since the last drain: its text, after `skipped` lines that no pane could show."""

    text: str
    skipped: int = 0


class OutputBuffer:
    """Producers (worker threads) call write(); the UI calls drain() every ~50 ms and gets one Batch per source.
    With `keep_lines`, a batch holds only a little more than that many lines: the oldest chunks of a flood are left
    out as they come (the log file still gets them), so the UI thread never joins, counts or cuts megabytes that no
    pane could show."""

    def __init__(self, log_dir: Path | None = None, keep_lines: int | None = None):
        self.log_dir = log_dir
        self.keep_lines = keep_lines
        self._lock = threading.Lock()
        self._pending: dict[str, deque[tuple[str, int]]] = {}  # per source: its chunks and their newlines
        self._newlines: dict[str, int] = {}
        self._skipped: dict[str, int] = {}
        self._files: dict[str, IO[str]] = {}
        self._dirty: set[str] = set()
        self._broken = False  # the log directory is not writable: the panes still work

    def log_path(self, source: str) -> Path | None:
        return self.log_dir / log_name(source) if self.log_dir else None

    def write(self, source: str, text: str) -> None:
        if not text:
            return
        newlines = text.count("\n") if self.keep_lines is not None else 0
        with self._lock:
            chunks = self._pending.get(source)
            if chunks is None:
                chunks = self._pending[source] = deque()
            chunks.append((text, newlines))
            if self.keep_lines is not None:
                total = self._newlines.get(source, 0) + newlines
                while total - chunks[0][1] > self.keep_lines:  # what stays still fills a pane
                    gone = chunks.popleft()[1]
                    total -= gone
                    self._skipped[source] = self._skipped.get(source, 0) + gone
                self._newlines[source] = total
            handle = self._file(source)
            if handle is not None:
                try:
                    handle.write(text)
                    self._dirty.add(source)
                except OSError:
                    self._broken = True

    def _file(self, source: str) -> IO[str] | None:
        handle = self._files.get(source)
        if handle is None and self.log_dir is not None and not self._broken:
            try:
                self.log_dir.mkdir(parents=True, exist_ok=True)
                # A large buffer: a flood of small chunks costs a few system calls, not thousands.
                handle = open(self.log_dir / log_name(source), "a", encoding="utf-8", errors="replace",
                              buffering=1 << 20)
            except OSError:
                self._broken = True
                return None
            self._files[source] = handle
        return handle

    def restore(self, sources: list[str], lines: int = RESTORED_LINES) -> int:
        """The end of each source's log from an earlier run (a reload of a seat's page, a tutor opened again) put
        back in front of its pane, not written to the log a second time; how many sources had some."""
        restored = 0
        for source in sources:
            tail = _tail(self.log_path(source), lines)
            if not tail:
                continue
            restored += 1
            text = f"\x1b[2m── earlier output, from {log_name(source)} ──\x1b[0m\n{tail}"
            if not text.endswith("\n"):
                text += "\n"
            newlines = text.count("\n")
            with self._lock:
                self._pending.setdefault(source, deque()).appendleft((text, newlines))
                self._newlines[source] = self._newlines.get(source, 0) + newlines
        return restored

    def drain(self) -> dict[str, Batch]:
        """Everything written since the last drain, joined per source (in the order sources first wrote)."""
        with self._lock:
            if not self._pending:
                return {}
            pending, self._pending = self._pending, {}
            skipped, self._skipped = self._skipped, {}
            self._newlines = {}
            for source in self._dirty:
                try:
                    self._files[source].flush()
                except OSError:
                    pass
            self._dirty.clear()
        return {source: Batch("".join(text for text, _ in chunks), skipped.get(source, 0))
                for source, chunks in pending.items()}

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                try:
                    handle.close()
                except OSError:
                    pass
            self._files.clear()
