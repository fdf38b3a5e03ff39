"""A thread-safe buffer from the lab's threads to the panes, drained on a timer, with a log file per source."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import IO


def log_name(source: str) -> str:
    """celery-1/python -> celery-1.python.log: a file name for a pane's full log."""
    return re.sub(r"[^A-Za-z0-9_.-]+", ".", source).strip(".") + ".log"


class OutputBuffer:
    """Producers (worker threads) call write(); the UI calls drain() every ~50 ms and gets one string per source."""

    def __init__(self, log_dir: Path | None = None):
        self.log_dir = log_dir
        self._lock = threading.Lock()
        self._pending: dict[str, list[str]] = {}
        self._files: dict[str, IO[str]] = {}
        self._dirty: set[str] = set()
        self._broken = False  # the log directory is not writable: the panes still work

    def log_path(self, source: str) -> Path | None:
        return self.log_dir / log_name(source) if self.log_dir else None

    def write(self, source: str, text: str) -> None:
        if not text:
            return
        with self._lock:
            self._pending.setdefault(source, []).append(text)
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

    def drain(self) -> dict[str, str]:
        """Everything written since the last drain, joined per source (in the order sources first wrote)."""
        with self._lock:
            if not self._pending:
                return {}
            pending, self._pending = self._pending, {}
            for source in self._dirty:
                try:
                    self._files[source].flush()
                except OSError:
                    pass
            self._dirty.clear()
        return {source: "".join(chunks) for source, chunks in pending.items()}

    def close(self) -> None:
        with self._lock:
            for handle in self._files.values():
                try:
                    handle.close()
                except OSError:
                    pass
            self._files.clear()
