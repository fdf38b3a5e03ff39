"""The teacher's line to the learners: the last one said, in a small file per seat's lab that its tutor watches."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from celery_tutor.files import write_whole
from celery_tutor.steps.progress import state_dir

MAX_LENGTH = 200


@dataclass(frozen=True)
class Line:
    text: str
    at: float  # when the teacher said it (time.time())


def line_file(lab: str) -> Path:
    """Where the teacher's last line to the learner of `lab` waits for the tutor to show it."""
    return state_dir() / f"message-{lab}.json"


def tidy(text: str) -> str:
    """One line, of a length a step bar shows whole."""
    return " ".join(str(text).split())[:MAX_LENGTH]


def say(lab: str, text: str, at: float | None = None) -> Line:
    """Written whole at once: a tutor reading it meanwhile finds the old line or the new, never half of one."""
    line = Line(tidy(text), at or time.time())
    write_whole(line_file(lab), json.dumps({"text": line.text, "at": line.at}, ensure_ascii=False))
    return line


def last(lab: str) -> Line | None:
    """The last line said to `lab`, or None (nothing said, or a file that is not one of ours)."""
    try:
        data = json.loads(line_file(lab).read_text(encoding="utf-8"))
        return Line(tidy(data["text"]), float(data["at"])) if data.get("text") else None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


class Watcher:
    """Tells a new line from the one shown already; `poll` is cheap (one stat) while nothing changes."""

    def __init__(self, lab: str):
        self.lab = lab
        self._seen: tuple[int, int] | None = None
        self._shown: Line | None = None

    def poll(self) -> Line | None:
        """The line said since the last poll, or None."""
        try:
            stat = line_file(self.lab).stat()
        except OSError:
            return None
        seen = (stat.st_mtime_ns, stat.st_size)
        if seen == self._seen:
            return None
        self._seen = seen
        line = last(self.lab)
        if line is None or line == self._shown:
            return None
        self._shown = line
        return line
