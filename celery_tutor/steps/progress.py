"""The learner's progress: which steps passed, when, and with what help; saved atomically as they go."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

import platformdirs

from celery_tutor.course.model import Course, Step
from celery_tutor.files import write_whole
from celery_tutor.language import LANGUAGES
from celery_tutor.paths import APP_NAME

VERSION = 1


def state_dir() -> Path:
    return Path(os.environ.get("CELERY_TUTOR_STATE_DIR") or platformdirs.user_state_dir(APP_NAME))


@dataclass
class StepRecord:
    passed_at: float | None = None
    revealed: bool = False  # the solution was shown, or the tutor did the step
    hints: int = 0  # how many hints were shown
    failures: int = 0  # failed checks
    seconds: float = 0.0  # time spent on the step while the tutor was open


@dataclass
class SavedProgress:
    """One learner's progress in one lab, keyed by the steps' stable ids so edited lessons do not scramble it."""

    path: Path
    lab: str = "celery-tutor"
    current: str | None = None
    steps: dict[str, StepRecord] = field(default_factory=dict)
    warning: str = ""  # set when a damaged file had to be put aside
    language: str | None = None  # the learner's choice (--lang, or the tutor's palette); None: the locale's

    @classmethod
    def for_lab(cls, lab: str, directory: Path | None = None) -> SavedProgress:
        return cls.load((directory or state_dir()) / f"progress-{lab}.json", lab)

    @classmethod
    def load(cls, path: Path, lab: str = "celery-tutor") -> SavedProgress:
        progress = cls(path=path, lab=lab)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return progress
        except OSError as exc:
            progress.warning = f"cannot read {path} ({exc.strerror}); starting afresh"
            return progress
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("version") != VERSION:
                raise ValueError("not a progress file of this version")
            progress.current = data.get("current")
            progress.steps = {key: StepRecord(**value) for key, value in data.get("steps", {}).items()}
            language = data.get("language")
            progress.language = language if isinstance(language, str) and language in LANGUAGES else None
        except (ValueError, TypeError) as exc:
            # Keep the damaged file for a human to look at, and go on with a fresh one: never a crash.
            aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
            try:
                path.replace(aside)
                progress.warning = f"the progress file was damaged ({exc}); kept it as {aside.name}, started afresh"
            except OSError:
                progress.warning = f"the progress file was damaged ({exc}); started afresh"
            progress.current, progress.steps = None, {}
        return progress

    def save(self) -> None:
        """Written whole: a crash or a full disk leaves the previous file as it was (the OSError is the caller's)."""
        data = {"version": VERSION, "lab": self.lab, "current": self.current,
                "steps": {key: asdict(record) for key, record in self.steps.items()}}
        if self.language:
            data["language"] = self.language
        write_whole(self.path, json.dumps(data, ensure_ascii=False, indent=1), durable=True)

    # --- what happened ----------------------------------------------------------------------------------

    def record(self, step: Step | str) -> StepRecord:
        key = step if isinstance(step, str) else step.full_id
        return self.steps.setdefault(key, StepRecord())

    def passed(self, step: Step | str) -> bool:
        key = step if isinstance(step, str) else step.full_id
        record = self.steps.get(key)
        return bool(record and record.passed_at)

    def mark_passed(self, step: Step) -> None:
        record = self.record(step)
        if not record.passed_at:
            record.passed_at = time.time()

    def mark_replayed(self, step_ids: Iterable[str], at: str | None = None) -> None:
        """Steps the tutor replayed to bring a lab to a step: passed, and done by the tutor unless the learner had
        passed them already (their own work is not rewritten); `at`, where the learner now is."""
        for step_id in step_ids:
            record = self.record(step_id)
            if not record.passed_at:
                record.passed_at = time.time()
                record.revealed = True
        if at is not None:
            self.current = at

    def unmark(self, step_ids: Iterable[str]) -> list[str]:
        """A rewind: the steps' marks taken back (passed, failed checks), the hints, solutions seen and time spent
        kept (they are what the learner did); returns the ids that had a pass."""
        unmarked = []
        for step_id in step_ids:
            record = self.steps.get(step_id)
            if record is None:
                continue
            if record.passed_at:
                unmarked.append(step_id)
            record.passed_at, record.failures = None, 0
        return unmarked

    def forget_all(self) -> None:
        """Forget every record, those of steps the course no longer has included, and where the learner was."""
        self.steps.clear()
        self.current = None

    def reset(self, steps: list[Step]) -> int:
        """Forget the given steps; returns how many had a record."""
        forgotten = sum(1 for step in steps if self.steps.pop(step.full_id, None) is not None)
        if self.current in {step.full_id for step in steps}:
            self.current = steps[0].full_id if steps else None
        return forgotten

    def resume_step(self, course: Course) -> Step | None:
        """Where to carry on: the current step if it still exists, else the first step not passed."""
        if self.current and (step := course.step(self.current)):
            return step
        return next((step for step in course.steps() if not self.passed(step)), None)

    def unknown_steps(self, course: Course) -> list[str]:
        """Records of steps the course no longer has (a lesson was edited): kept, but reported."""
        known = {step.full_id for step in course.steps()}
        return sorted(key for key in self.steps if key not in known)
