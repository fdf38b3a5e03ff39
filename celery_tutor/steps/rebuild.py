"""Rebuilding a lab to a step: a fresh lab (or the one there is), then the earlier steps replayed with their checks."""

from __future__ import annotations

import hashlib
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
    """A rebuild to `target`: `replay` run in order, on a fresh lab when `reset` (the steps before `target`),
    else on the lab as it is (the steps between where the lab is and `target`). `gone` says why, if a node went."""

    target: Step
    replay: list[Step]
    reset: bool
    gone: list[tuple[str, str]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return estimate_seconds(self.replay, self.reset)


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
            return f"the lab could not be reset: {self.error}"
        if self.cancelled:
            return f"interrupted (Ctrl+C) after {len(self.replayed)} of {self.total} step(s)"
        failed = self.failed
        if failed is None:
            return ""
        return f"step {step_label(failed.step)} ({failed.step.full_id}) did not replay: {failed.reason}"


CHAIN_BYTES = 48 << 20  # a checkpoint this much larger than the images its nodes ran from: the lab moves onto it
_KEY_FORMAT = "1"  # what a checkpoint holds and how; a change makes every older one unusable


def checkpoint_key(image_id: str, nodes: Iterable[str], steps: list[Step]) -> str:
    """What a checkpoint after `steps` (from the course's first) depends on: the lab image, the nodes, and the bytes
    of every lesson those steps come from. An edited lesson or a rebuilt image changes it."""
    sha = hashlib.sha256(f"{_KEY_FORMAT}\n{image_id}\n{','.join(nodes)}\n".encode())
    lessons = {step.lesson.id: step.lesson for step in steps if step.lesson is not None}  # in order, once each
    for lesson in lessons.values():
        try:
            content = lesson.path.read_bytes()
        except OSError:
            content = lesson.id.encode()  # moved away since it was read: no checkpoint will match by chance
        sha.update(lesson.id.encode() + b"\0" + content + b"\0")
    return sha.hexdigest()[:20]


def lesson_ends(steps: list[Step]) -> list[int]:
    """Where checkpoints go: every i (1..len) such that steps[i - 1] is the last step of its lesson."""
    return [index + 1 for index, step in enumerate(steps)
            if step.lesson is not None and step.lesson.steps and step is step.lesson.steps[-1]]


def proving_step(steps: list[Step], index: int) -> Step | None:
    """The step whose checks a restored lab must pass: the last one before `index` with a check that looks at the
    nodes (a session's output is not in a checkpoint)."""
    return next((step for step in reversed(steps[:index]) if any(block.node for block in step.checks)), None)


class Checkpoints:
    """The checkpoints a replay of `steps` (from the course's first step) in `lab` can start from and saves on its
    way; `notes` collects one line for each that could not be used or saved."""

    def __init__(self, lab, steps: list[Step]):
        from celery_tutor.lab.checkpoint import CheckpointStore, enabled

        self.lab, self.steps = lab, steps
        self.store = CheckpointStore(lab.client)
        self.image_id = self.store.image_id(lab.image.tag) or "missing"
        self.notes: list[str] = []
        self.enabled = self.saving = enabled()
        self.broken: set[int] = set()

    def key(self, index: int) -> str:
        return checkpoint_key(self.image_id, self.lab.node_names, self.steps[:index])

    def _nearest(self, index: int):
        """(end, checkpoint) of the nearest usable checkpoint at or before `index`, or (0, None); and why a nearer
        one there is was passed over: one line, not one per lesson."""
        skipped = ""
        every = None
        for end in reversed([end for end in lesson_ends(self.steps) if end <= index]):
            after = self.steps[end - 1].lesson.id
            found = self.store.find(after, self.key(end))
            if found is not None and found.usable:
                return end, found, skipped
            if not skipped and found is not None:
                skipped = f"the checkpoint after {after} is {found.problem}"
            elif not skipped:
                every = self.store.all() if every is None else every
                if any(c.after == after for c in every):
                    skipped = f"the checkpoint after {after} was made from other lessons or another lab image"
        return 0, None, skipped

    def nearest(self, index: int) -> int:
        """How many steps the nearest usable checkpoint at or before `index` stands for (0: none), without using it:
        a jump ahead can ask whether a restore would beat replaying from where its lab is."""
        return self._nearest(index)[0] if self.enabled else 0

    def restore_nearest(self, runner: StepRunner, index: int) -> int:
        """Make the lab the nearest usable checkpoint at or before `index`, proved by its last step's checks; returns
        how many steps it stands for (0: none could be used, the lab is down)."""
        from celery_tutor.lab.errors import LabError

        if not self.enabled:
            return 0
        end, found, skipped = self._nearest(index)
        if found is None:
            if skipped:
                self.notes.append(f"{skipped}: replaying instead (it is made again on the way)")
            return 0
        if skipped:
            self.notes.append(f"{skipped}: starting from the one after {found.after} instead")
        runner.close()
        self.lab.down()
        try:
            problem = self._prove(runner, end, found)
        except LabError as exc:
            problem = exc.reason
        if problem:
            runner.close()
            self.lab.down()
            self.broken.add(end)  # saved again on the way: its tags go to the new images
            self.notes.append(f"the checkpoint after {found.after} did not restore ({problem}): replaying instead")
            return 0
        self._announce(runner, found)
        return end

    def _prove(self, runner: StepRunner, end: int, checkpoint) -> str:
        """Restore `checkpoint` and run the proving step's node checks on it: each must pass on its files before
        its daemons start again (a check of a worker's last run reads a log the restarted worker begins a new run
        in), or with them back. Returns why not, or ''."""
        step = proving_step(self.steps, end)
        blocks = [block for block in step.checks if block.node] if step else []
        self.store.create(self.lab, checkpoint)
        waiting = [block for block in blocks if not runner.check_block(block, retries=False).passed]
        self.store.start(self.lab, checkpoint)
        for block in waiting:
            result = runner.check_block(block, retries=True)
            if not result.passed:
                return f"the check of {step.full_id} failed on it: {result.reason}"
        return ""

    def _announce(self, runner: StepRunner, checkpoint) -> None:
        """The tutor's background jobs running again, told as if the runner had started them (the app follows
        their logs)."""
        from celery_tutor.lab.node import LOG_DIR

        if runner.on_background is None:
            return
        for node, state in checkpoint.nodes.items():
            if state != "running":
                continue
            for process in checkpoint.running(node).processes:
                for path in process.pidfiles:
                    if path.startswith("/run/celery-tutor/"):
                        name = path.rsplit("/", 1)[1].removesuffix(".pid")
                        runner.on_background(node, name, f"{LOG_DIR}/{name}.log")

    def save(self, runner: StepRunner, index: int) -> None:
        """The lab as it is once steps[:index] are done saved as a checkpoint, unless a usable one is there; a big
        one becomes what the lab runs from, so that the next checkpoint's layers are only what changed since."""
        from celery_tutor.lab.errors import LabError

        if not self.saving or index not in lesson_ends(self.steps):
            return
        after, key = self.steps[index - 1].lesson.id, self.key(index)
        known = self.store.find(after, key)
        if known is not None and known.usable and index not in self.broken:
            return
        try:
            before = self._sizes()
            checkpoint = self.store.save(self.lab, after, key)
        except LabError as exc:
            self.saving = False  # a full disk stays full for the rest of this replay
            self.notes.append(f"{exc.reason}; the replay goes on without saving checkpoints")
            return
        grown = sum(int(image.get("Size") or 0) - before.get(node, 0) for node, image in checkpoint.images.items())
        if grown > CHAIN_BYTES:
            runner.close()
            self.lab.down()
            self.store.restore(self.lab, checkpoint)  # a failure is the replay's: its steps did not come back
            self._announce(runner, checkpoint)

    def _sizes(self) -> dict[str, int]:
        """node -> the size of the image its container runs from."""
        sizes = {}
        api = self.lab.client.api
        for status in self.lab.status():
            if status.state == "absent":
                continue
            image = api.inspect_image(api.inspect_container(status.container)["Image"])
            sizes[status.name] = int(image.get("Size") or 0)
        return sizes


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
    SavedProgress.mark_replayed marks them, the learner put at `target` if the whole replay went through, and the
    progress saved. `lab up --at`, `start --at`, `serve --at` and the app's rebuild all come here."""
    rebuilt = rebuild(lab, runner, replay, reporter, reset=reset, cancel=cancel, on_block=on_block,
                      checkpoints=checkpoints)
    progress.mark_replayed([step.full_id for step in rebuilt.replayed],
                           at=target.full_id if target is not None and rebuilt.ok else None)
    progress.save()
    return rebuilt
