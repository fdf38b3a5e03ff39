"""Checkpoints: a lab's nodes committed as images after a lesson, and the daemons they ran started again on restore.

A checkpoint belongs to the engine, not to a lab: any lab restores from the same images. Each node's image carries
the tutor's label (with the value CHECKPOINT_LAB, a lab no one runs: the containers made from it get their own lab's
label, which overrides the image's), the lesson it follows, a key (the lab image and the lessons it was made from),
the nodes of the whole checkpoint and what ran in the node: the processes that PID 1 adopted (brokers, `celery
multi` workers, the tutor's background jobs), read from /proc when the checkpoint was made."""

from __future__ import annotations

import os
import shlex
import time
from dataclasses import dataclass

import docker
from docker.errors import APIError, ImageNotFound, NotFound

from celery_tutor.lab.errors import LabError
from celery_tutor.lab.image import LABEL
from celery_tutor.lab.running import CAPTURE, PROCESSES, Running, Seen, parse, service_ports

REPOSITORY = "celery-tutor/checkpoint"
# CELERY_TUTOR_CHECKPOINTS: another repository for the checkpoints (a test suite's own, cleared after it), or "off"
# for none at all (a replay then neither uses nor saves them).
SETTING = "CELERY_TUTOR_CHECKPOINTS"
CHECKPOINT_LAB = "checkpoint"
AFTER_LABEL = "celery-tutor.checkpoint"  # the lesson the checkpoint comes after
KEY_LABEL = "celery-tutor.checkpoint-key"
NODES_LABEL = "celery-tutor.checkpoint-nodes"  # node=state,... of the whole checkpoint
RUNNING_LABEL = "celery-tutor.checkpoint-running"  # JSON: what this node ran
REPOSITORY_LABEL = "celery-tutor.checkpoint-repository"
READY_SECONDS = 120.0  # a three-node RabbitMQ cluster booting at once on two busy cores

def repository() -> str:
    return os.environ.get(SETTING) or REPOSITORY


def enabled() -> bool:
    return os.environ.get(SETTING, "").lower() not in ("off", "0", "no")


def tag(after: str, key: str, node: str) -> str:
    """One per lesson, lessons' text and image: a lesson edited and put back finds its checkpoints again."""
    return f"{repository()}:{after}.{key[:10]}.{node}"


@dataclass
class Checkpoint:
    """The lab after lesson `after`: one image per node, `nodes` maps each node to its state then."""

    after: str
    key: str
    nodes: dict[str, str]
    images: dict[str, dict]  # node -> the engine's image summary (Id, Created, Size, Labels)
    problem: str = ""  # why it cannot be used; empty when it can

    @property
    def usable(self) -> bool:
        return not self.problem

    @property
    def created(self) -> float:
        return min((image.get("Created", 0) for image in self.images.values()), default=0)

    def running(self, node: str) -> Running:
        return Running.from_json(self.images[node]["Labels"][RUNNING_LABEL])


def _nodes_label(text: str) -> dict[str, str]:
    pairs = [item.partition("=") for item in text.split(",") if item]
    return {name: state for name, _, state in pairs}


def _servers(running: Running) -> Running:
    """What a restore starts first in a node: the processes that listened. A checkpoint made before each process's
    ports were recorded knows only the node's: all of its processes then start at once, as they did then."""
    servers = [process for process in running.processes if process.listens]
    if running.listens and not servers:
        servers = list(running.processes)
    return Running(servers, running.listens, [])


class CheckpointStore:
    """The checkpoints on one engine: found by the tutor's label and their own, never any other image."""

    def __init__(self, client: docker.DockerClient):
        self.client = client

    def images(self) -> list[dict]:
        """Every checkpoint image (the tutor's label and a checkpoint label both), tagged or not."""
        found = self.client.api.images(all=False, filters={"label": [f"{LABEL}={CHECKPOINT_LAB}", AFTER_LABEL]})
        mine = f"{repository()}:"
        # An untagged one (its tag taken by a newer checkpoint) is known by the repository it was committed to.
        return [image for image in found if (image.get("Labels") or {}).get(LABEL) == CHECKPOINT_LAB
                and any(name.startswith(mine) for name in (image.get("RepoTags") or []) + [self._origin(image)])]

    def _origin(self, image: dict) -> str:
        return (image.get("Labels") or {}).get(REPOSITORY_LABEL, "") + ":"

    def all(self) -> list[Checkpoint]:
        """Every checkpoint, grouped by lesson and key; `problem` set on those missing an image or damaged."""
        groups: dict[tuple[str, str], Checkpoint] = {}
        for image in self.images():
            labels = image.get("Labels") or {}
            after, key = labels.get(AFTER_LABEL, ""), labels.get(KEY_LABEL, "")
            node = labels.get("celery-tutor.node", "")
            group = groups.setdefault((after, key), Checkpoint(after, key, _nodes_label(labels.get(NODES_LABEL, "")),
                                                               {}))
            if tag(after, key, node) in (image.get("RepoTags") or []):
                group.images[node] = image
        for group in groups.values():
            group.problem = self._problem(group)
        return sorted(groups.values(), key=lambda c: c.created)

    @staticmethod
    def _problem(checkpoint: Checkpoint) -> str:
        if not checkpoint.nodes:
            return "damaged: it does not say which nodes it holds"
        missing = [node for node in checkpoint.nodes if node not in checkpoint.images]
        if missing:
            return f"incomplete: the image of {', '.join(missing)} is missing"
        for node, image in checkpoint.images.items():
            try:
                Running.from_json(image["Labels"][RUNNING_LABEL])
            except (KeyError, ValueError, TypeError):
                return f"damaged: the image of {node} does not say what ran in it"
        return ""

    def find(self, after: str, key: str) -> Checkpoint | None:
        """The checkpoint after lesson `after` made with `key`, usable or not; None if there is none."""
        return next((c for c in self.all() if c.after == after and c.key == key), None)

    # --- making one -----------------------------------------------------------------------------------------

    def save(self, lab, after: str, key: str) -> Checkpoint:
        """Commit every node of `lab` as the checkpoint after lesson `after`. All of it or nothing: a failed commit
        (a full disk) removes the images already made, and raises LabError."""
        states = {status.name: status.state for status in lab.status() if status.state != "absent"}
        runs = self.running_now(lab, states)
        nodes_label = ",".join(f"{node}={state}" for node, state in states.items())
        made: list[str] = []
        try:
            for node in states:
                running = runs[node]
                labels = {LABEL: CHECKPOINT_LAB, "celery-tutor.node": node, "celery-tutor.owner": "",
                          AFTER_LABEL: after, KEY_LABEL: key, NODES_LABEL: nodes_label, REPOSITORY_LABEL: repository(),
                          RUNNING_LABEL: running.to_json()}
                into, _, name = tag(after, key, node).rpartition(":")
                image = self.client.api.commit(lab.container_name(node), repository=into, tag=name,
                                               conf={"Labels": labels}, pause=True)
                made.append(image["Id"])
        except (APIError, NotFound) as exc:
            for image_id in reversed(made):
                self._remove(image_id)
            detail = getattr(exc, "explanation", None) or str(exc)
            raise LabError(f"the checkpoint after {after} could not be saved: {detail}",
                           "free disk space for the Docker engine (docker system df)") from None
        for image in self.images():  # an incomplete one made again: its old images lost their tags to the new
            labels = image.get("Labels") or {}
            if (labels.get(AFTER_LABEL), labels.get(KEY_LABEL)) == (after, key) and image["Id"] not in made:
                self._remove(image["Id"])
        checkpoint = self.find(after, key)
        if checkpoint is None or not checkpoint.usable:
            raise LabError(f"the checkpoint after {after} did not save whole", "")
        return checkpoint

    def running_now(self, lab, states: dict[str, str]) -> dict[str, Running]:
        """What runs in each node of `lab` (by its state), as a checkpoint records it to be started again."""
        captured = {node: self.capture(lab.node(node)) for node, state in states.items() if state == "running"}
        services = set().union(*(seen.listens for seen in captured.values())) if captured else set()
        runs = {}
        for node in states:
            seen = captured.get(node) or Seen({}, set(), set())
            runs[node] = Running([process for _, process in sorted(seen.processes.values(), key=lambda p: p[0])],
                                 sorted(seen.listens), sorted(service_ports(seen.connections, services)))
        return runs

    def capture(self, node, script: str = CAPTURE) -> Seen:
        """What runs in the node. Read again as each daemon's own user: root in a container may not read another
        user's /proc/PID/{cwd,environ,fd} (no CAP_SYS_PTRACE), and RabbitMQ runs as rabbitmq."""
        output = self._as(node, "0:0", script)
        seen = parse(output)
        users = {process.user for _, process in seen.processes.values()} - {"0:0"}
        for user in sorted(users):
            output += "\n" + "\n".join(line for line in self._as(node, user, script).splitlines()
                                       if line.startswith(("S ", "P\t")) and f"\t{user}\t" in line
                                       or line.startswith("S "))
        return parse(output)

    @staticmethod
    def _as(node, user: str, script: str) -> str:
        try:
            exec_id = node.api.exec_create(node.container_name, ["bash", "-c", script], user=user, workdir="/")["Id"]
            return node.api.exec_start(exec_id).decode(errors="replace")
        except APIError as exc:
            raise LabError(f"cannot read what runs in {node.name}: {exc.explanation or exc}", "") from None

    def forget(self, keep: set[str]) -> int:
        """Remove the checkpoints whose key is not in `keep` (made from other lessons' text or another image)."""
        removed = 0
        for image in sorted(self.images(), key=lambda image: image.get("Created", 0), reverse=True):
            if (image.get("Labels") or {}).get(KEY_LABEL) not in keep:
                removed += self._remove(image["Id"])
        return removed

    def _remove(self, image_id: str) -> bool:
        try:
            self.client.api.remove_image(image_id, force=True)
            return True
        except NotFound:
            return True
        except APIError:  # in use by a container, or the parent of another checkpoint: it goes with them
            return False

    def clear(self) -> int:
        """Remove every checkpoint image, the newest first (a later checkpoint is built on an earlier one)."""
        removed = 0
        for image in sorted(self.images(), key=lambda image: image.get("Created", 0), reverse=True):
            removed += self._remove(image["Id"])
        return removed

    # --- restoring one --------------------------------------------------------------------------------------

    def restore(self, lab, checkpoint: Checkpoint, timeout: float = READY_SECONDS) -> None:
        """Make `lab` the checkpoint's lab (it must be down): `create`, then `start`."""
        self.create(lab, checkpoint)
        self.start(lab, checkpoint, timeout)

    def create(self, lab, checkpoint: Checkpoint) -> None:
        """Every node made from its image under this lab's names and label, started if it ran, nothing in it yet
        but its files: the logs as the checkpoint's steps left them, before a daemon started again writes to them."""
        for node, state in checkpoint.nodes.items():
            lab.start_node(node, image=tag(checkpoint.after, checkpoint.key, node), start=state == "running")

    def start(self, lab, checkpoint: Checkpoint, timeout: float = READY_SECONDS) -> None:
        """The processes that ran started again, and waited for until they listen and connect as they did: the
        servers first (the processes that listened), then the rest once every server listens, so that a worker
        finds its broker up, as it did when the checkpoint was made, and logs no outage of its own. Raises
        LabError saying what did not come back."""
        running = {node: checkpoint.running(node) for node, state in checkpoint.nodes.items() if state == "running"}
        deadline = time.monotonic() + timeout
        first = {node: _servers(what) for node, what in running.items()}
        for node, what in first.items():
            self._start_processes(lab.node(node), what)
        self._wait(lab, first, deadline, timeout, "listen")
        for node, what in running.items():
            rest = [process for process in what.processes if process not in first[node].processes]
            self._start_processes(lab.node(node), Running(rest))
        self._wait(lab, running, deadline, timeout, "listen or connect")

    def _wait(self, lab, running: dict[str, Running], deadline: float, timeout: float, what: str) -> None:
        waiting = dict(running)
        while waiting:
            for node, expected in list(waiting.items()):
                if self._back(lab.node(node), expected):
                    del waiting[node]
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise LabError(f"{', '.join(waiting)} did not come back within {timeout:g} s "
                               f"(its services did not {what} again)", "")
            time.sleep(0.5)

    def _start_processes(self, node, running: Running) -> None:
        if not running.processes:
            return
        pidfiles = [path for process in running.processes for path in process.pidfiles]
        if pidfiles:  # stale: a daemon that finds its old pid file alive (a reused pid) would refuse to start
            node.exec("rm -f " + " ".join(shlex.quote(path) for path in pidfiles), cwd="/", timeout=10)
        api = node.api
        for process in running.processes:
            try:
                exec_id = api.exec_create(node.container_name, ["bash", "-c", process.launcher()], user=process.user,
                                          workdir="/")["Id"]
                api.exec_start(exec_id)
            except APIError as exc:
                raise LabError(f"{process.argv[0]} could not be started again in {node.name}: "
                               f"{exc.explanation or exc}", "") from None

    def _back(self, node, running: Running) -> bool:
        seen = self.capture(node, PROCESSES)
        if len(seen.processes) < len(running.processes) or not set(running.listens) <= seen.listens:
            return False
        return set(running.connected) <= service_ports(seen.connections, set(running.connected))

    def image_id(self, name: str) -> str | None:
        try:
            return self.client.images.get(name).id
        except ImageNotFound:
            return None
