"""Seats whose tutor runs on the learner's own machine (`celery-tutor --room URL --code CODE`): their reports
taken as their progress, and the teacher's line sent back."""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import web

from celery_tutor.server import teacher_line
from celery_tutor.server.room import Room, RoomFull, same_code, seat_name_problem
from celery_tutor.steps.progress import SavedProgress, StepRecord

log = logging.getLogger("celery-tutor.serve")
REPORTED_WITHIN = 10.0  # seconds: a remote seat that reported since then is connected (it reports every 2)


class RemoteSeats:
    """Mixed into TutorServer: its room, its live connections and `_reported` are the ones used here."""

    def _connected(self) -> set[str]:
        """The labs of the seats open now: in a browser, or a tutor of the learner's own that reported lately."""
        recent = time.monotonic() - REPORTED_WITHIN
        return set(self.live) | {lab for lab, (when, _) in self._reported.items() if when >= recent}

    async def handle_report(self, request: web.Request) -> web.Response:
        """A tutor on the learner's own machine (`celery-tutor --room URL --code CODE`): its saved progress kept as
        its seat's, so the teacher's view covers it; the answer carries the teacher's last line."""
        def refused(status: int, why: str) -> web.Response:
            return web.json_response({"error": why}, status=status)

        if not same_code(request.query.get("code"), self.room.code):
            return refused(403, "wrong room code: ask your teacher for it (--code CODE)")
        try:
            body = await request.json()
            name, progress = str(body["seat"]).strip(), body.get("progress") or {}
            steps = {str(key): StepRecord(**value) for key, value in (progress.get("steps") or {}).items()}
            current = progress.get("current")
        except (ValueError, TypeError, KeyError, AttributeError):
            return refused(400, "not a tutor's report: {\"seat\": NAME, \"progress\": {...}}")
        problem = seat_name_problem(name)
        if problem:
            return refused(400, f"{problem} (--seat NAME)")
        if Room.key(name) in self.room.ended:
            return refused(410, "the teacher ended your seat in the room; your tutor goes on, unreported")
        seat = self.room.seat(name)
        if seat is not None and not seat.remote:
            return refused(409, f"the seat {seat.name!r} is taken in a browser: give another name with --seat NAME")
        if seat is None:
            try:
                seat, _ = self.room.take(name, remote=True)
            except RoomFull as full:
                return refused(403, str(full))
            log.info("seat %r reports from the learner's own machine", seat.name)
        _, before = self._reported.get(seat.lab, (0.0, None))
        if progress != before:  # a report every 2 s from each laptop: written only when it says something new
            saved = SavedProgress.for_lab(seat.lab)
            saved.current = current if isinstance(current, str) else None
            saved.steps = steps
            await asyncio.to_thread(saved.save)
        self._reported[seat.lab] = (time.monotonic(), progress)
        line = teacher_line.last(seat.lab)
        return web.json_response({"seat": seat.name, "lab": seat.lab,
                                  "say": {"text": line.text, "at": line.at} if line else None})
