"""Course, Section, Lesson, Step and Block: what the parser makes and the engine runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from celery_tutor.course import attributes

# The session of the learner's command line: its output belongs in the node's own pane, not a tab of its own.
COMMAND_LINE_SESSION = "shell"


@dataclass(frozen=True)
class Block:
    """A fenced block the tutor acts on: an action, a check or a hint."""

    role: str
    body: str
    attrs: dict[str, str]
    line: int
    lang: str = ""

    def get(self, key: str, default: str | None = None) -> str | None:
        """The key's value; when the block does not give it, `default`, else the declared default."""
        if key in self.attrs:
            return self.attrs[key]
        return default if default is not None else attributes.default(self.role, key)

    def number(self, key: str, default: float | None = None) -> float:
        value = self.get(key)
        return float(value) if value is not None else float(default or 0)

    def flag(self, key: str) -> bool:
        return key in self.attrs

    @property
    def node(self) -> str | None:
        return self.attrs.get("node")

    @property
    def session(self) -> str | None:
        return self.get("session")

    @property
    def source(self) -> str:
        """Where the block's output shows: the node's pane, or the tab of a session or background job in it."""
        name = self.get("background") or (self.session if self.role in ("run", "repl") else None)
        return f"{self.node}/{name}" if name and name != COMMAND_LINE_SESSION else str(self.node)

    @property
    def solution(self) -> bool:
        """Hidden from the learner until the solution is revealed."""
        return "solution" in self.attrs

    @property
    def timeout(self) -> float:
        return self.number("timeout", 60.0)


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
    # The reasons its checks may print (their English templates) in the course's language: empty in English.
    reasons: dict[str, str] = field(default_factory=dict, repr=False)
    lesson: Lesson | None = field(default=None, repr=False, compare=False)

    @property
    def full_id(self) -> str:
        return f"{self.lesson.id}/{self.id}" if self.lesson else self.id

    @property
    def must_fail_first(self) -> list[Block]:
        """The checks `verify` proves fail before the solution: all but those marked may-pass-first."""
        return [check for check in self.checks if not check.flag("may-pass-first")]

    @property
    def may_pass_first(self) -> bool:
        """Every check of the step may pass before its solution: there is nothing to prove first."""
        return not self.must_fail_first

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

    @property
    def offers_map(self) -> bool:
        return self.section is not None and self.section.offers_map


@dataclass
class Section:
    number: int
    title: str
    notes: str
    lessons: list[Lesson]
    offers_map: bool = False  # course.yaml's `map: true`: its lessons' step bar offers the live map of the lab (l)


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
