"""Course, Section, Lesson, Step and Block: what the parser makes and the engine runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

ACTION_ROLES = ("run", "file", "repl", "lab")


@dataclass(frozen=True)
class Block:
    """A fenced block the tutor acts on: an action, a check or a hint."""

    role: str
    body: str
    attrs: dict[str, str]
    line: int
    lang: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.attrs.get(key, default)

    def number(self, key: str, default: float) -> float:
        value = self.attrs.get(key)
        return default if value is None else float(value)

    def flag(self, key: str) -> bool:
        return key in self.attrs

    @property
    def node(self) -> str | None:
        return self.attrs.get("node")

    @property
    def session(self) -> str | None:
        if self.role == "repl":
            return self.attrs.get("session", "python")
        return self.attrs.get("session")

    @property
    def solution(self) -> bool:
        """Hidden from the learner until the solution is revealed."""
        return "solution" in self.attrs

    @property
    def timeout(self) -> float:
        default = {"run": 60.0, "repl": 30.0, "check": 30.0}.get(self.role, 60.0)
        return self.number("timeout", default)


@dataclass
class Step:
    id: str
    title: str
    line: int
    markdown: str
    actions: list[Block] = field(default_factory=list)
    checks: list[Block] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)
    # Every tutor block (checks and hints too) with the lines it spans in `markdown`, from its opening fence to
    # the line after its closing one: what the app replaces with captions or leaves out, without parsing again.
    fences: list[tuple[int, int, Block]] = field(default_factory=list, repr=False)
    lesson: Lesson | None = field(default=None, repr=False, compare=False)

    @property
    def full_id(self) -> str:
        return f"{self.lesson.id}/{self.id}" if self.lesson else self.id

    @property
    def may_pass_first(self) -> bool:
        return any(check.flag("may-pass-first") for check in self.checks)

    @property
    def learner_actions(self) -> list[Block]:
        return [block for block in self.actions if not block.solution]


@dataclass
class Lesson:
    id: str
    title: str
    notes: str
    nodes: list[str]
    path: Path
    intro: str
    steps: list[Step]
    section: Section | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for step in self.steps:
            step.lesson = self


@dataclass
class Section:
    number: int
    title: str
    notes: str
    lessons: list[Lesson]


@dataclass
class Course:
    title: str
    nodes: list[str]
    sections: list[Section]
    root: Path

    @property
    def lessons(self) -> list[Lesson]:
        return [lesson for section in self.sections for lesson in section.lessons]

    def steps(self) -> Iterator[Step]:
        for lesson in self.lessons:
            yield from lesson.steps

    def lesson(self, lesson_id: str) -> Lesson | None:
        return next((lesson for lesson in self.lessons if lesson.id == lesson_id), None)

    def step(self, full_id: str) -> Step | None:
        return next((step for step in self.steps() if step.full_id == full_id), None)
