"""The learner's progress: which step they are on and each step's mark, kept in a small JSON file per lab."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

NOT_STARTED, PASSED, FAILED = "not started", "passed", "failed"


@dataclass
class Progress:
    """Marks by step full id; `path` None keeps it in memory only (tests, a read-only session)."""

    path: Path | None = None
    current: str | None = None
    marks: dict[str, str] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # failed checks since the step was last passed
    revealed: set[str] = field(default_factory=set)  # steps whose solution the learner asked to see
    hints: dict[str, int] = field(default_factory=dict)  # how many hints of a step were shown

    @classmethod
    def load(cls, path: Path | None) -> "Progress":
        progress = cls(path)
        if path is None or not path.is_file():
            return progress
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return progress  # an unreadable file is a fresh start, not a crash
        if isinstance(data, dict):
            progress.current = data.get("current") if isinstance(data.get("current"), str) else None
            marks = data.get("marks")
            if isinstance(marks, dict):
                progress.marks = {str(k): v for k, v in marks.items() if v in (PASSED, FAILED)}
        return progress

    def save(self) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            data = {"current": self.current, "marks": self.marks}
            self.path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass  # progress is a convenience; losing it must never stop the lesson

    def mark(self, step_id: str) -> str:
        return self.marks.get(step_id, NOT_STARTED)

    def passed(self, step_id: str) -> bool:
        return self.marks.get(step_id) == PASSED

    def record(self, step_id: str, passed: bool) -> int:
        """Note a check's result; returns how many times in a row the step's check has now failed."""
        if passed:
            self.marks[step_id] = PASSED
            self.failures.pop(step_id, None)
        else:
            self.marks[step_id] = FAILED
            self.failures[step_id] = self.failures.get(step_id, 0) + 1
        self.save()
        return self.failures.get(step_id, 0)

    def move_to(self, step_id: str) -> None:
        self.current = step_id
        self.save()
