"""The course's checkpoints during a replay: where they go (each lesson's end), what their key depends on, the nearest
one restored and proved by a check, and each one saved on the way."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Iterable

from celery_tutor.course.model import Step
from celery_tutor.i18n import _
from celery_tutor.steps.rebuild import RESET_SECONDS

if TYPE_CHECKING:  # docker-py: finding where checkpoints go must not pull it in
    from celery_tutor.steps.runner import StepRunner

# A restore, timed on two cores: the lab taken down and each node made again from its image, then each process it
# ran started again and waited for (a server, RabbitMQ's beam or epmd, boots for seconds; a client connects).
RESTORE_NODE_SECONDS = 3.0
RESTORE_SERVER_SECONDS = 4.0
RESTORE_CLIENT_SECONDS = 1.0


def restore_seconds(checkpoint) -> float:
    """A rough time for restoring `checkpoint` (lab.checkpoint.Checkpoint), from the nodes and processes it holds."""
    seconds = RESET_SECONDS
    for node, state in checkpoint.nodes.items():
        seconds += RESTORE_NODE_SECONDS
        if state == "running":
            processes = checkpoint.running(node).processes
            seconds += sum(RESTORE_SERVER_SECONDS if process.listens else RESTORE_CLIENT_SECONDS
                           for process in processes)
    return seconds


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
                skipped = _("the checkpoint after {lesson} is {problem}").format(lesson=after, problem=found.problem)
            elif not skipped:
                every = self.store.all() if every is None else every
                if any(c.after == after for c in every):
                    skipped = _("the checkpoint after {lesson} was made from other lessons or another lab "
                                "image").format(lesson=after)
        return 0, None, skipped

    def nearest_restore(self, index: int) -> tuple[int, float]:
        """nearest(index), and about how long restoring that checkpoint takes: what a plan weighs against a replay."""
        if not self.enabled:
            return 0, 0.0
        end, found, _skipped = self._nearest(index)
        return (end, restore_seconds(found)) if found is not None else (0, 0.0)

    def restore_nearest(self, runner: StepRunner, index: int) -> int:
        """Make the lab the nearest usable checkpoint at or before `index`, proved by its last step's checks; returns
        how many steps it stands for (0: none could be used, the lab is down)."""
        from celery_tutor.lab.errors import LabError

        if not self.enabled:
            return 0
        end, found, skipped = self._nearest(index)
        if found is None:
            if skipped:
                self.notes.append(_("{why}: replaying instead (it is made again on the way)").format(why=skipped))
            return 0
        if skipped:
            self.notes.append(_("{why}: starting from the one after {lesson} instead").format(why=skipped,
                                                                                                 lesson=found.after))
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
            self.notes.append(_("the checkpoint after {lesson} did not restore ({why}): replaying instead").format(
                lesson=found.after, why=problem))
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
            self.notes.append(_("{why}; the replay goes on without saving checkpoints").format(why=exc.reason))
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
