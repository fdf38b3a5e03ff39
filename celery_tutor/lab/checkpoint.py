"""Checkpoints: a lab's nodes committed as images after a lesson, and the daemons they ran started again on restore.

A checkpoint belongs to the engine, not to a lab: any lab restores from the same images. Each node's image carries
the tutor's label (with the value CHECKPOINT_LAB, a lab no one runs: the containers made from it get their own lab's
label, which overrides the image's), the lesson it follows, a key (the lab image and the lessons it was made from),
the nodes of the whole checkpoint and what ran in the node: the processes that PID 1 adopted (brokers, `celery
multi` workers, the tutor's background jobs), read from /proc when the checkpoint was made."""

from __future__ import annotations

import base64
import json
import os
import shlex
import time
from dataclasses import dataclass, field

import docker
from docker.errors import APIError, ImageNotFound, NotFound

from celery_tutor.lab.errors import LabError
from celery_tutor.lab.image import LABEL
from celery_tutor.lab.node import LOG_DIR

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

# What the node ran, in one exec: every process's parent, the processes PID 1 adopted (but the container's own
# bash, its first child) with what starts them again, the sockets they hold, the TCP sockets that listen or are
# connected, and the pid files that name one of those processes.
_CAPTURE = r"""
main=$(ps -o pid= --ppid 1 | sort -n | head -1 | tr -d ' ')
ps -eo pid=,ppid= | while read -r pid ppid; do echo "T $pid $ppid"; done
roots=""
for p in $(ps -o pid= --ppid 1); do
  [ "$p" = "$main" ] && continue
  [ -r /proc/$p/cmdline ] || continue
  roots="$roots $p"
  printf 'P\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$(cut -d' ' -f22 /proc/$p/stat)" "$(stat -c %u:%g /proc/$p)" \
    "$(base64 -w0 /proc/$p/cmdline)" "$(readlink /proc/$p/cwd)" "$(base64 -w0 /proc/$p/environ)" \
    "$(readlink /proc/$p/fd/1)" "$(readlink /proc/$p/fd/2)"
done
find /proc/[0-9]*/fd -lname 'socket:*' -printf 'S %h %l\n' 2>/dev/null
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" || $4 == "01" {print "N", $4, $2, $3, $10}'
[ -n "$roots" ] && find / -xdev \( -path /proc -o -path /sys -o -path /usr -o -path /dev \) -prune -o \
  -name '*.pid' -type f -size -2k -print 2>/dev/null | while read -r f; do
  content=$(head -c 32 "$f" | tr -d ' \n')
  for p in $roots; do [ "$content" = "$p" ] && printf 'F\t%s\t%s\n' "$p" "$f"; done
done
true
"""


@dataclass
class Process:
    """A process PID 1 adopted, and how to start it again: its argv, as its user, in its directory, with its
    environment, its output going where it went; the pid files naming it (removed before, so it writes them anew;
    the tutor's own job pid file written with the new pid)."""

    argv: list[str]
    user: str
    cwd: str
    env: list[str]
    stdout: str
    stderr: str
    pidfiles: list[str] = field(default_factory=list)
    listens: list[int] = field(default_factory=list)  # a server's ports: it starts before its clients

    def launcher(self) -> str:
        def target(path: str) -> str:
            return path if path.startswith("/") and " (deleted)" not in path else "/dev/null"

        out, err = target(self.stdout), target(self.stderr)
        redirect = f">>{shlex.quote(out)} " + ("2>&1" if err == out else f"2>>{shlex.quote(err)}")
        command = " ".join(shlex.quote(word) for word in ["setsid", "env", "-i", *self.env, *self.argv])
        own = [path for path in self.pidfiles if path.startswith("/run/celery-tutor/")]
        record = "".join(f"; echo $! > {shlex.quote(path)}" for path in own)
        return (f"mkdir -p {LOG_DIR}; cd {shlex.quote(self.cwd)} 2>/dev/null || cd /; "
                f"{{ {command} {redirect} </dev/null & }}{record}; echo $!")


@dataclass
class Running:
    """What ran in one node: its adopted processes, oldest first, and the TCP ports they listened on or were
    connected through (a service port: one some node of the lab listened on)."""

    processes: list[Process] = field(default_factory=list)
    listens: list[int] = field(default_factory=list)
    connected: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"processes": [p.__dict__ for p in self.processes], "listens": self.listens,
                           "connected": self.connected}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Running:
        data = json.loads(text)
        return cls([Process(**p) for p in data["processes"]], list(data["listens"]), list(data["connected"]))


@dataclass
class _Seen:
    """One capture's reading: adopted processes (pid -> Process, start time), and the daemons' sockets."""

    processes: dict[int, tuple[int, Process]]
    listens: set[int]
    connections: set[tuple[int, int]]  # (local port, remote port) of the daemons' connected sockets


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def _parse(output: str) -> _Seen:
    parents: dict[int, int] = {}
    roots: dict[int, tuple[int, Process]] = {}
    sockets: dict[str, int] = {}
    tcp: list[list[str]] = []
    for line in output.splitlines():
        kind, _, rest = line.partition(" " if line[:2] in ("T ", "S ", "N ") else "\t")
        fields = rest.split("\t") if kind in ("P", "F") else rest.split()
        if kind == "T" and len(fields) == 2:
            parents[int(fields[0])] = int(fields[1])
        elif kind == "P" and len(fields) == 8:
            pid, start, user, argv, cwd, env, out, err = fields
            words = [w.decode(errors="replace") for w in base64.b64decode(argv).split(b"\0") if w]
            env_words = [w.decode(errors="replace") for w in base64.b64decode(env).split(b"\0") if w]
            if words:  # read again as the process's own user: that reading knows more, the pid files stay
                known = roots.get(int(pid))
                roots[int(pid)] = (int(start or 0), Process(words, user, cwd, env_words, out, err,
                                                            known[1].pidfiles if known else []))
        elif kind == "S" and len(fields) == 2:  # /proc/PID/fd socket:[INODE]
            sockets[fields[1].strip("socket:[]")] = int(fields[0].split("/")[2])
        elif kind == "N" and len(fields) == 4:
            tcp.append(fields)
        elif kind == "F" and len(fields) == 2 and int(fields[0]) in roots:
            roots[int(fields[0])][1].pidfiles.append(fields[1])

    def root(pid: int | None) -> int | None:
        for _ in range(64):  # up the tree to an adopted process (or to an exec's, whose parent is 0)
            if pid is None or pid <= 1:
                return None
            if pid in roots:
                return pid
            pid = parents.get(pid)
        return None

    listens, connections = set(), set()
    for state, local, remote, inode in tcp:
        owner = root(sockets.get(inode))
        if owner is None:
            continue
        if state == "0A":
            listens.add(_port(local))
            served = roots[owner][1].listens
            if _port(local) not in served:
                served.append(_port(local))
        else:
            connections.add((_port(local), _port(remote)))
    for _, process in roots.values():
        process.listens.sort()
    return _Seen(roots, listens, connections)


def _service_ports(connections: set[tuple[int, int]], services: set[int]) -> set[int]:
    # Either end: which of two Erlang nodes dials the other differs from one start to the next.
    return {port for pair in connections for port in pair if port in services}


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
            seen = captured.get(node) or _Seen({}, set(), set())
            runs[node] = Running([process for _, process in sorted(seen.processes.values(), key=lambda p: p[0])],
                                 sorted(seen.listens), sorted(_service_ports(seen.connections, services)))
        return runs

    def capture(self, node, script: str = _CAPTURE) -> _Seen:
        """What runs in the node. Read again as each daemon's own user: root in a container may not read another
        user's /proc/PID/{cwd,environ,fd} (no CAP_SYS_PTRACE), and RabbitMQ runs as rabbitmq."""
        output = self._as(node, "0:0", script)
        seen = _parse(output)
        users = {process.user for _, process in seen.processes.values()} - {"0:0"}
        for user in sorted(users):
            output += "\n" + "\n".join(line for line in self._as(node, user, script).splitlines()
                                       if line.startswith(("S ", "P\t")) and f"\t{user}\t" in line
                                       or line.startswith("S "))
        return _parse(output)

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
        servers = {node: Running([p for p in what.processes if p.listens], what.listens, [])
                   for node, what in running.items()}
        for node, what in servers.items():
            self._start_processes(lab.node(node), what)
        self._wait(lab, servers, deadline, timeout, "listen")
        for node, what in running.items():
            self._start_processes(lab.node(node), Running([p for p in what.processes if not p.listens]))
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
        seen = self.capture(node, _CAPTURE.split("[ -n \"$roots\" ]")[0] + "true")
        if len(seen.processes) < len(running.processes) or not set(running.listens) <= seen.listens:
            return False
        return set(running.connected) <= _service_ports(seen.connections, set(running.connected))

    def image_id(self, name: str) -> str | None:
        try:
            return self.client.images.get(name).id
        except ImageNotFound:
            return None
