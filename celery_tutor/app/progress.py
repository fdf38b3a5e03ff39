"""The app's view of the learner's saved progress: marks, hints, solutions shown and time per step."""

# It wraps steps.progress, the file `celery-tutor progress` reads.
from __future__ import annotations

import time

from celery_tutor.steps.progress import SavedProgress

NOT_STARTED, PASSED, FAILED = "not started", "passed", "failed"


class ProgressView:
    """Wraps the saved progress; with none given it lives in memory only (tests, a lab with no name)."""

    def __init__(self, saved: SavedProgress | None = None):
        self.saved = saved if saved is not None else SavedProgress(path=None)  # type: ignore[arg-type]
        self._since = time.monotonic()

    @property
    def current(self) -> str | None:
        return self.saved.current

    @property
    def warning(self) -> str:
        return self.saved.warning

    def save(self) -> None:
        if self.saved.path is None:
            return
        try:
            self.saved.save()
        except OSError:
            pass  # progress is a convenience; losing it must never stop the lesson

    # --- marks --------------------------------------------------------------------------------------------

    def mark(self, step_id: str) -> str:
        record = self.saved.steps.get(step_id)
        if record is None:
            return NOT_STARTED
        if record.passed_at:
            return PASSED
        return FAILED if record.failures else NOT_STARTED

    def passed(self, step_id: str) -> bool:
        return self.saved.passed(step_id)

    def record(self, step_id: str, passed: bool) -> int:
        """Note a check's result; returns how many times the step's check has failed so far."""
        record = self.saved.record(step_id)
        if passed:
            record.passed_at = record.passed_at or time.time()
        else:
            record.failures += 1
        self.save()
        return record.failures

    def mark_replayed(self, step_ids: list[str]) -> None:
        """Steps the tutor replayed to rebuild the lab, recorded by the rule every replay follows (SavedProgress)."""
        self.saved.mark_replayed(step_ids)
        self.save()

    def unmark(self, step_ids: list[str]) -> list[str]:
        """A rewind took these steps back (SavedProgress.unmark); returns those that had passed."""
        unmarked = self.saved.unmark(step_ids)
        self.save()
        return unmarked

    # --- help asked for -----------------------------------------------------------------------------------

    def revealed(self, step_id: str) -> bool:
        record = self.saved.steps.get(step_id)
        return bool(record and record.revealed)

    def reveal(self, step_id: str) -> None:
        self.saved.record(step_id).revealed = True
        self.save()

    def hints_shown(self, step_id: str) -> int:
        record = self.saved.steps.get(step_id)
        return record.hints if record else 0

    def show_hint(self, step_id: str) -> None:
        self.saved.record(step_id).hints += 1
        self.save()

    # --- where the learner is -------------------------------------------------------------------------------

    def move_to(self, step_id: str) -> None:
        """The learner is now on `step_id`: the time since the last move counts for the step they leave."""
        self.add_time()
        self.saved.current = step_id
        self.save()

    def add_time(self) -> None:
        now = time.monotonic()
        if self.saved.current:
            self.saved.record(self.saved.current).seconds += now - self._since
        self._since = now
