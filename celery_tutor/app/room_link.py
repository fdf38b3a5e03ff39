"""The tutor's link to its room: the teacher's lines watched in a thread of their own and posted to the app."""

# The source (a file in the state directory, or a room's server) is read in the worker alone, one poll at a time;
# the app gets only messages, and the step bar draws them.
from __future__ import annotations

import threading

from celery_tutor.app import messages as msg

POLL_SECONDS = 1.0  # a line the teacher sends is on every learner's screen within about this, plus one poll


class RoomLink:
    """Polls `source` (anything with `poll() -> Line | None`) every POLL_SECONDS, never two polls at once."""

    def __init__(self, app, source, interval: float = POLL_SECONDS):
        self.app = app
        self.source = source
        self.interval = interval
        self._problem = ""  # what the learner was last told about the room: told again only when it changes
        self._heard = False  # the first line heard is the one said before this tutor opened (a reload): no notice
        self._polling = threading.Lock()  # taken by a poll as it starts, let go by its worker as it ends

    def start(self) -> None:
        self.poll()
        self.app.set_interval(self.interval, self.poll, name="room-link")

    def poll(self) -> None:
        if self.app.closing or not self._polling.acquire(blocking=False):
            return
        self.app.run_worker(self._poll, name="room-link", group="room-link", thread=True, exit_on_error=False)

    def _poll(self) -> None:
        try:
            line = self.source.poll()
        except Exception as exc:  # a room that went away must not stop the lesson: logged, tried again later
            self.app.log_error(exc, "reading the teacher's line")
            line = None
        finally:
            self._polling.release()
        problem = getattr(self.source, "problem", "")  # a room's server (--room) says why it could not be reached
        if problem != self._problem:
            self._problem = problem
            self.app.post_message(msg.RoomProblem(problem))
        if line is not None:
            # Told apart by order, not by time: a room's server and a learner's laptop do not share a clock.
            fresh, self._heard = self._heard, True
            self.app.post_message(msg.TeacherSaid(line.text, fresh=fresh))
