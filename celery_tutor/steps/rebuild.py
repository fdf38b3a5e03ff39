"""Rebuilding a lab to a step: a fresh lab (or the one there is), then the earlier steps replayed with their checks."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from celery_tutor.course.model import Block, Step
from celery_tutor.i18n import N_, _, ngettext

if TYPE_CHECKING:  # they pull in docker-py: planning a rebuild must not (the app plans on its UI thread)
    from celery_tutor.steps.progress import SavedProgress
    from celery_tutor.steps.runner import StepRunner
    from celery_tutor.steps.verify import Reporter, StepOutcome

RESTORED = "restored from a checkpoint"  # the outcome of a step a checkpoint stood for
RESET_SECONDS = 6.0  # the containers removed and started afresh
_INSTALL = re.compile(r"\b(apt-get|apt|pip3?)\s+install\b")
_SLEEP = re.compile(r"\bsleep\s+(\d+(?:\.\d+)?)")
_ERLANG = re.compile(r"\brabbitmq(ctl|-server|-diagnostics|-plugins)\b")
_STATES = {"absent": N_("removed"), "removing": N_("removed"), "exited": N_("stopped"), "created": N_("never started"),
           "dead": N_("dead")}


def step_label(step: Step) -> str:
    """'1-2 Install the package': section and lesson number, as the lessons' files are numbered, then the title."""
    lesson = step.lesson
    section = lesson.section if lesson is not None else None
    if section is None or lesson not in section.lessons:
        return step.title
    return f"{section.number}-{section.lessons.index(lesson) + 1} {step.title}"


def expected_nodes(steps: Iterable[Step]) -> list[str]:
    """The nodes that run once `steps` are done: those the steps used, less those a lab block stopped or removed."""
    nodes: dict[str, None] = {}
    for step in steps:
        for block in [*step.actions, *step.checks]:
            if not block.node:
                continue
            if block.role == "lab" and block.get("action") in ("stop", "remove"):
                nodes.pop(block.node, None)
            else:
                nodes[block.node] = None
    return list(nodes)


def gone_nodes(states: Iterable[tuple[str, str]], expected: Iterable[str]) -> list[tuple[str, str]]:
    """(node, state) of every expected node that is not running, from (node, container state) pairs."""
    wanted = set(expected)
    return [(name, state) for name, state in states if name in wanted and state != "running"]


def describe_gone(gone: list[tuple[str, str]]) -> str:
    """'celery-2 is gone (removed)', 'celery-1 and celery-2 are gone (removed, stopped)'."""
    names = [name for name, _state in gone]
    comma = _(", ")  # between the items of a list
    listed = names[0] if len(names) == 1 else _("{names} and {last}").format(names=comma.join(names[:-1]),
                                                                             last=names[-1])
    states = comma.join(_(_STATES.get(state, state)) for _name, state in gone)
    return ngettext("{nodes} is gone ({states})", "{nodes} are gone ({states})", len(names)).format(
        nodes=listed, states=states)


def _block_seconds(block: Block) -> float:
    if block.role == "lab":
        return 1.0
    if block.role == "file":
        return 0.3
    if block.role == "repl":
        return 0.15 * max(1, len(block.body.splitlines()))
    if block.get("background"):
        return 2.0
    # Timed on two cores: a package install is most of a step, an Erlang CLI (rabbitmqctl) about 1.5 s.
    return (0.3 * max(1, len(block.body.splitlines())) + 8.0 * len(_INSTALL.findall(block.body))
            + 1.5 * len(_ERLANG.findall(block.body))
            + sum(min(float(seconds), block.timeout) for seconds in _SLEEP.findall(block.body)))


def _check_seconds(block: Block) -> float:
    return 0.4 + (0.6 if block.number("retries", 0) else 0.0)  # a check that retries waits for something to start


def estimate_seconds(steps: Iterable[Step], reset: bool) -> float:
    """A rough time for a replay, from what the steps' blocks do; within a factor of two of the real one."""
    steps = list(steps)
    return ((RESET_SECONDS if reset else 0.0) + sum(_block_seconds(block) for step in steps for block in step.actions)
            + sum(_check_seconds(block) for step in steps for block in step.checks))


@dataclass
class Plan:
    """A rebuild to `target`: `replay` run in order, on a fresh lab when `reset` (the steps before `target`, the first
    `restore` of them stood for by the nearest checkpoint, restored in about `restore_cost` s), else on the lab as it
    is (the steps between where the lab is and `target`). `gone` says why, if a node went; `forget`, the steps from
    `target` on whose marks a rewind takes back (the lab will not have what they did)."""

    target: Step
    replay: list[Step]
    reset: bool
    gone: list[tuple[str, str]] = field(default_factory=list)
    restore: int = 0
    restore_cost: float = 0.0
    forget: list[Step] = field(default_factory=list)

    @property
    def restored_after(self) -> str:
        """The lesson whose checkpoint the plan restores, or ''."""
        return self.replay[self.restore - 1].lesson.id if self.restore else ""

    @property
    def replayed(self) -> list[Step]:
        """The steps the plan runs: those after the checkpoint."""
        return self.replay[self.restore:]

    @property
    def seconds(self) -> float:
        if self.restore:
            return self.restore_cost + estimate_seconds(self.replayed, reset=False)
        return estimate_seconds(self.replay, self.reset)


def plan_rebuild(steps: list[Step], target: Step, lab_at: int, *, checkpoint: int = 0, restore_cost: float = 0.0,
                 gone: Iterable[tuple[str, str]] = (), fresh: bool = False, passed: Iterable[str] = ()) -> Plan:
    """The rebuild of a lab ready for steps[lab_at] to `target`, `checkpoint` the steps the nearest usable checkpoint
    at or before it stands for (0: none). A fresh lab (from that checkpoint, if there is one) when asked (`fresh`), when
    a node is gone, or when `target` is behind the lab (a rewind: `passed` steps from `target` on are forgotten);
    a jump ahead replays on the lab as it is, unless restoring the checkpoint and replaying from it is quicker."""
    index = steps.index(target)
    checkpoint = checkpoint if 0 < checkpoint <= index else 0
    passed = set(passed)
    afresh = Plan(target, steps[:index], reset=True, gone=list(gone), restore=checkpoint,
                  restore_cost=restore_cost, forget=[step for step in steps[index:] if step.full_id in passed])
    if fresh or afresh.gone or index < lab_at:
        return afresh
    as_it_is = Plan(target, steps[lab_at:index], reset=False)
    return afresh if checkpoint > lab_at and afresh.seconds < as_it_is.seconds else as_it_is


class Cancelled(Exception):
    """The rebuild was stopped (Ctrl+C): raised between two phases of the replay."""


@dataclass
class Rebuilt:
    """What a rebuild did: the replayed steps' outcomes, in order, and why it stopped early, if it did."""

    outcomes: list[StepOutcome]
    total: int
    cancelled: bool = False
    error: str = ""  # the lab could not be reset (the engine went away, a name is taken)
    seconds: float = 0.0
    restored_after: str = ""  # the lesson whose checkpoint the lab was restored from, if one was
    notes: list[str] = field(default_factory=list)  # one line per checkpoint not used or not saved, and why

    @property
    def replayed(self) -> list[Step]:
        return [outcome.step for outcome in self.outcomes if outcome.passed]

    @property
    def restored(self) -> int:
        """How many of the steps a checkpoint stood for."""
        return sum(1 for outcome in self.outcomes if outcome.reason == RESTORED)

    def how_far(self) -> str:
        """'12 step(s) replayed', or '40 step(s) restored from the checkpoint after chords, 2 replayed'."""
        if not self.restored:
            return _("{count} step(s) replayed").format(count=self.total)
        return _("{count} step(s) restored from the checkpoint after {lesson}, {replayed} replayed").format(
            count=self.restored, lesson=self.restored_after, replayed=self.total - self.restored)

    @property
    def failed(self) -> StepOutcome | None:
        return next((outcome for outcome in self.outcomes if not outcome.passed), None)

    @property
    def ok(self) -> bool:
        return not self.cancelled and not self.error and len(self.replayed) == self.total

    @property
    def reason(self) -> str:
        """One line: where and why the rebuild stopped; empty when it did not."""
        if self.error:
            return _("the lab could not be reset: {why}").format(why=self.error)
        if self.cancelled:
            return _("interrupted (Ctrl+C) after {done} of {count} step(s)").format(done=len(self.replayed),
                                                                                   count=self.total)
        failed = self.failed
        if failed is None:
            return ""
        return _("step {label} ({step}) did not replay: {why}").format(label=step_label(failed.step),
                                                                       step=failed.step.full_id, why=failed.reason)


class _Watched:
    """A reporter that stops the replay between two phases once `cancel` is set, and keeps every outcome."""

    def __init__(self, reporter: Reporter, cancel: threading.Event):
        self.reporter, self.cancel = reporter, cancel
        self.outcomes: list[StepOutcome] = []

    def stop_if_cancelled(self) -> None:
        if self.cancel.is_set():
            raise Cancelled()

    def phase(self, step: Step, phase: str) -> None:
        self.stop_if_cancelled()
        self.reporter.phase(step, phase)

    def finished(self, outcome: StepOutcome) -> None:
        self.outcomes.append(outcome)
        self.reporter.finished(outcome)


def rebuild(lab, runner: StepRunner, replay: list[Step], reporter: Reporter, *, reset: bool = True,
            cancel: threading.Event | None = None, on_block: Callable[[Block], None] | None = None,
            checkpoints: bool = True) -> Rebuilt:
    """Bring `lab` to where it is once `replay` is done: with `reset`, every container removed and the course's nodes
    started afresh first (nothing else makes sure no trace of a later step is left); then each step's solution and
    checks, as verify replays them. With `reset` (and `checkpoints`), `replay` runs from the course's first step: the
    nearest usable checkpoint stands for the steps before it (their outcomes say so) and checkpoints are saved where a
    lesson ends on the way. Stops at the first failure, or between two phases once `cancel` is set (whoever sets it
    also interrupts the runner, which ends the command running then)."""
    from celery_tutor.steps.verify import StepOutcome, verify
    from celery_tutor.lab.docker_engine import CONNECTION_ERRORS, engine_lost
    from celery_tutor.lab.errors import LabError

    started = time.monotonic()
    watched = _Watched(reporter, cancel or threading.Event())
    result = Rebuilt(watched.outcomes, len(replay))
    try:
        done = 0
        saver = None
        if reset:
            runner.close()  # its sessions live in the containers about to be removed
            if checkpoints:
                from celery_tutor.steps.checkpoints import Checkpoints

                saver = Checkpoints(lab, replay)
                done = saver.restore_nearest(runner, len(replay))
                result.notes = saver.notes
                if done:
                    result.restored_after = replay[done - 1].lesson.id
                    for step in replay[:done]:
                        watched.outcomes.append(StepOutcome(step, passed=True, replayed=True,
                                                            reason=RESTORED))
            if not done:
                lab.down()
                watched.stop_if_cancelled()
                lab.up()
        before = (lambda index: saver.save(runner, done + index)) if saver else None
        verify(runner, replay[done:], [], watched, on_block=on_block, before_step=before)
        if saver and result.ok:
            saver.save(runner, len(replay))
    except Cancelled:
        result.cancelled = True
    except LabError as exc:
        result.error = exc.reason
    except CONNECTION_ERRORS as exc:
        result.error = engine_lost(exc).reason
    if watched.cancel.is_set() and not result.ok:
        result.cancelled = True  # the interrupted command failed its step: that is the interruption, not a failure
    result.seconds = time.monotonic() - started
    return result


def rebuild_and_record(lab, runner: StepRunner, replay: list[Step], reporter: Reporter, progress: SavedProgress, *,
                       target: Step | None = None, reset: bool = True, cancel: threading.Event | None = None,
                       on_block: Callable[[Block], None] | None = None, checkpoints: bool = True) -> Rebuilt:
    """Replay these steps, then record them: `rebuild`, then every step it replayed marked in `progress` as
    SavedProgress.mark_replayed marks them, the learner put at `target` if the whole replay went through, on a lab
    made afresh every other step's pass taken back (a rewind, a teacher's bring to an earlier step), and the
    progress saved. `lab up --at`, `start --at`, `serve --at` and the app's rebuild all come here."""
    rebuilt = rebuild(lab, runner, replay, reporter, reset=reset, cancel=cancel, on_block=on_block,
                      checkpoints=checkpoints)
    progress.mark_replayed([step.full_id for step in rebuilt.replayed],
                           at=target.full_id if target is not None and rebuilt.ok else None)
    if reset and not rebuilt.error:  # a lab made afresh holds only what was replayed: any later pass is taken back
        replayed = {step.full_id for step in rebuilt.replayed}
        progress.unmark([step_id for step_id in list(progress.steps) if step_id not in replayed])
    progress.save()
    return rebuilt
