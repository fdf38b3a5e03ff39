"""What the map of the lab shows: its nodes, queues, HAProxy's servers and Celery workers, as JSON for scripts."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass
class NodeView:
    name: str  # the node's name in the course, celery-1
    container: str  # the container's state: running, exited, ..., absent, or unknown when the engine did not say
    rabbitmq: str  # absent (not installed), down, stopped (its VM runs, the application does not), up, unknown
    type: str | None = None  # disc or ram, once the node belongs to a cluster a broker answered for
    cluster: list[str] = field(default_factory=list)  # the members of its cluster (itself alone: a lone broker)
    running: bool = False  # whether its cluster counts it as running
    partitions: list[str] = field(default_factory=list)  # the nodes this one reports as cut off from it
    connections: int | None = None  # client connections served by this node
    problem: str = ""  # why something is not known, e.g. the node did not answer in time


@dataclass
class QueueView:
    name: str
    type: str  # classic, quorum or stream
    leader: str  # the node that holds (classic) or leads (quorum) the queue
    members: list[str]
    online: list[str]
    messages: int | None  # ready + unacked; None when the queue's node cannot be asked
    consumers: int | None
    ready: int | None = None
    unacked: int | None = None
    vhost: str = "/"
    consumer_nodes: list[str] = field(default_factory=list)  # the node serving each consumer's connection


@dataclass
class HAProxyServer:
    server: str
    status: str  # as HAProxy says it: UP, DOWN, UP 1/3 (going down), DOWN 1/2 (coming up), MAINT, no check
    node: str = ""  # the node HAProxy runs on
    proxy: str = ""  # the proxy (listen section) the server belongs to
    sessions: int | None = None  # connections HAProxy holds to it now


@dataclass
class WorkerView:
    node: str
    name: str  # celery@celery-2, or what -n/--hostname says
    queues: list[str]  # from -Q, else from the queues its banner lists; empty when neither says
    ready: bool = False  # its log says `... ready.` after its last banner
    pid: int = 0
    app: str = ""  # what -A names


@dataclass
class LabMap:
    lab: str
    nodes: list[NodeView] = field(default_factory=list)
    queues: list[QueueView] = field(default_factory=list)
    haproxy: list[HAProxyServer] = field(default_factory=list)
    workers: list[WorkerView] = field(default_factory=list)
    taken_at: float = 0.0  # time.time() when the probe started
    seconds: float = 0.0  # how long the probe took

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def node(self, name: str) -> NodeView | None:
        return next((node for node in self.nodes if node.name == name), None)

    def queue(self, name: str) -> QueueView | None:
        return next((queue for queue in self.queues if queue.name == name), None)
