"""Messages the tutor's thread workers post back to the UI: what the lab said, what a step's run or check gave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from textual.message import Message

from celery_tutor.app.widgets.status_bar import NodeState


@dataclass
class LabConnected(Message):
    """Docker answered and the lab image is there: steps can run."""

    lab: Any
    runner: Any


@dataclass
class LabUnavailable(Message):
    """Docker (or the lab image) cannot be used: the banner says why and what to do."""

    reason: str
    fix: str = ""
    can_make_base: bool = False  # the base image is missing and this tutor can make it (root, debootstrap)


@dataclass
class LabNote(Message):
    """A passing word for the status bar (the lab image being built, say)."""

    text: str


@dataclass
class StatusProbed(Message):
    """The lab's state as the status worker saw it, and the background logs found in the nodes."""

    nodes: list[NodeState]
    logs: list[tuple[str, str]] = field(default_factory=list)  # (node, job name)


class ProbeEnded(Message):
    """The status probe is over, whatever it found: the next one may start."""


@dataclass
class MapRead(Message):
    """A read of the lab's map is over: the map (lab.map_model.LabMap), or None and why not; the next may start."""

    lab_map: Any
    problem: str = ""


@dataclass
class FollowEnded(Message):
    """A background job's log is no longer followed (its node stopped, or the app closes)."""

    source: str


@dataclass
class BackgroundStarted(Message):
    """A step started a background job: its log gets a pane that follows it."""

    node: str
    name: str
    log: str


@dataclass
class RunFinished(Message):
    """A step's actions ran; `reason` says why they failed, if they did, and `gone` which nodes it found gone."""

    step: Any
    ok: bool
    reason: str = ""
    gone: list[tuple[str, str]] = field(default_factory=list)  # (node, container state)


@dataclass
class CheckStarted(Message):
    step: Any


@dataclass
class CheckWaiting(Message):
    """A check that retries failed a try and waits `delay` seconds before the next."""

    step: Any
    attempt: int
    tries: int
    delay: float
    reason: str


@dataclass
class CheckFinished(Message):
    step: Any
    passed: bool
    reason: str
    interrupted: bool = False
    gone: list[tuple[str, str]] = field(default_factory=list)  # (node, container state), when it failed


@dataclass
class RebuildPlanned(Message):
    """The plan of a rebuild, weighed against the checkpoints there are: the learner is asked next."""

    plan: Any
    go: bool  # the learner asked for the target step: show it once the lab is there
    lab_at: int  # where the lab was when it was planned: a plan the lab has moved past since is dropped


@dataclass
class RebuildProgress(Message):
    """The rebuild worker reached a phase (reset, solution, check) of the `done + 1`-th of `total` steps."""

    done: int
    total: int
    step: Any
    phase: str


@dataclass
class RebuildFinished(Message):
    """The rebuild ended: `rebuilt` (steps.rebuild.Rebuilt) says how far it got and why it stopped."""

    plan: Any
    rebuilt: Any
    go: bool  # the learner asked for the target step: show it once the lab is there


@dataclass
class SessionOpened(Message):
    """An interactive session the learner asked for is ready; its pane should come to the front."""

    source: str


@dataclass
class LineFailed(Message):
    """A line typed in the command line could not be delivered (no node, the session ended, ...)."""

    source: str
    reason: str


@dataclass
class FileRead(Message):
    """The editor's file as the node has it (or the notes' version, if it is missing), and a word about it."""

    text: str
    note: str


@dataclass
class FileWritten(Message):
    """The editor's file was written into the node, or why not."""

    note: str


@dataclass
class TeacherSaid(Message):
    """The teacher of the room sent a line to every learner: `fresh` if said since the tutor opened."""

    text: str
    fresh: bool = True


@dataclass
class RoomProblem(Message):
    """The room this tutor reports to (--room) stopped answering, or answers again (`problem` empty)."""

    problem: str
