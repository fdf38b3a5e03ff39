"""The teacher's view of the room: each seat's step, passes, failures and help, read from its saved progress."""

from __future__ import annotations

from celery_tutor.server.room import Room
from celery_tutor.steps.progress import SavedProgress

STUCK_FAILURES = 3  # failed checks on one step
STUCK_SECONDS = 15 * 60  # on one step


def seat_rows(room: Room, connected: set[str], brought: dict[str, dict] | None = None) -> list[dict]:
    """One row per seat, as /room.json gives them; read afresh from the files the seats' apps save as they go.
    `brought`: what a teacher's bring is doing to a seat's lab (waiting, under way, failed, and why)."""
    rows = []
    for seat in room.seats.values():
        progress = SavedProgress.for_lab(seat.lab)
        records = progress.steps
        current = records.get(progress.current or "")
        failures = current.failures if current else 0
        seconds = current.seconds if current else 0.0
        rows.append({"name": seat.name, "lab": seat.lab, "step": progress.current,
                     "passed": sum(1 for record in records.values() if record.passed_at),
                     "failures": failures, "hints": sum(record.hints for record in records.values()),
                     "solutions": sum(1 for record in records.values() if record.revealed),
                     "seconds_on_step": round(seconds, 1), "connected": seat.lab in connected,
                     "stuck": failures >= STUCK_FAILURES or seconds >= STUCK_SECONDS, "remote": seat.remote,
                     "bringing": (brought or {}).get(seat.lab)})
    return rows
