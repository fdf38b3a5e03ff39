"""A tutor on the learner's own machine in a served room (`--room URL --code CODE`): its progress reported to the
room's server, the teacher's line brought back."""

from __future__ import annotations

import getpass
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from celery_tutor.server.room import MAX_SEAT_NAME
from celery_tutor.server.teacher_line import Line

REPORT_SECONDS = 2.0  # the teacher's view is at most about this old (and a line comes back as fast)
RETRY_SECONDS = 15.0  # after the room could not be reached: the lesson goes on, the report waits
TIMEOUT = 5.0


class RoomUnreachable(Exception):
    """The room did not take the report: one line saying why and what to do."""


def default_seat() -> str:
    """user@host: each laptop of a room a seat of its own unless --seat names it."""
    try:
        user = getpass.getuser()
    except Exception:  # no user name in this environment (a container): the host alone
        user = ""
    return (f"{user}@" if user else "") + socket.gethostname()[:MAX_SEAT_NAME]


class RoomReporter:
    """Posts the saved progress file to URL/room/report every REPORT_SECONDS; `poll` (RoomLink's source, in its
    thread) reports when due and gives the teacher's line when it is new."""

    def __init__(self, url: str, code: str, seat: str, progress_path: Path):
        self.url = url.rstrip("/")
        self.code = code
        self.seat = seat[:MAX_SEAT_NAME]
        self.progress_path = progress_path
        self.problem = ""  # why the last report failed, or ""
        self._next = 0.0
        self._shown: Line | None = None

    def report(self) -> dict:
        """One report; the room's answer ({"seat", "lab", "say"}), or RoomUnreachable with the reason."""
        try:
            progress = json.loads(self.progress_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            progress = {}  # nothing done yet (or a file the tutor puts aside): the seat shows, at no step
        body = json.dumps({"seat": self.seat, "progress": progress}, ensure_ascii=False).encode()
        request = urllib.request.Request(f"{self.url}/room/report?{urllib.parse.urlencode({'code': self.code})}",
                                         data=body, headers={"Content-Type": "application/json",
                                                             "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:
                return json.loads(answer.read().decode("utf-8"))
        except urllib.error.HTTPError as refused:
            try:
                why = json.loads(refused.read().decode("utf-8")).get("error", "")
            except ValueError:
                why = ""
            raise RoomUnreachable(why or f"the room at {self.url} answered {refused.code} {refused.reason}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RoomUnreachable(f"cannot reach the room at {self.url} ({reason}); is `celery-tutor serve` "
                                  "running there, and is the URL the one the teacher gave?") from None

    def poll(self) -> Line | None:
        if time.monotonic() < self._next:
            return None
        try:
            answer = self.report()
        except RoomUnreachable as exc:
            self.problem = str(exc)
            self._next = time.monotonic() + RETRY_SECONDS
            return None
        self.problem = ""
        self._next = time.monotonic() + REPORT_SECONDS
        said = answer.get("say") or {}
        if not isinstance(said, dict) or not said.get("text"):
            return None
        try:
            line = Line(str(said["text"]), float(said.get("at", 0)))
        except (TypeError, ValueError):
            return None
        if line == self._shown:
            return None
        self._shown = line
        return line
