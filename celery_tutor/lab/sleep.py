"""A lab put to sleep and woken (an idle seat of a room, serve --idle): what runs in its nodes recorded, the
containers stopped (their memory and CPU freed, their files kept), then started with those processes again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from celery_tutor.files import write_whole
from celery_tutor.lab.checkpoint import CheckpointStore
from celery_tutor.lab.running import Running


@dataclass
class _Asleep:
    """What CheckpointStore.start needs of a checkpoint: the nodes' states and what ran in each."""

    nodes: dict[str, str]
    runs: dict[str, Running]

    def running(self, node: str) -> Running:
        return self.runs[node]


def put_to_sleep(lab, record: Path) -> int:
    """Record in `record` what runs in each running node, then stop them; how many were stopped (none: no record)."""
    states = {status.name: status.state for status in lab.status() if status.state != "absent"}
    if "running" not in states.values():
        return 0  # nothing to free, and no record: a lab removed meanwhile is made again on the next visit
    runs = CheckpointStore(lab.client).running_now(lab, states)
    data = {"nodes": states, "running": {node: running.to_json() for node, running in runs.items()}}
    write_whole(record, json.dumps(data), durable=True)  # before a node stops: a serve killed meanwhile still wakes it
    stopped = 0
    for node, state in states.items():
        if state == "running":
            lab.stop_node(node)
            stopped += 1
    return stopped


def wake(lab, record: Path) -> None:
    """The nodes that ran started again, and their processes (servers first, as a checkpoint's); raises LabError
    saying what did not come back. The record is removed once the lab is awake."""
    data = json.loads(record.read_text())
    asleep = _Asleep(dict(data["nodes"]), {node: Running.from_json(text) for node, text in data["running"].items()})
    for node, state in asleep.nodes.items():
        if state == "running":
            lab.start_node(node)
    CheckpointStore(lab.client).start(lab, asleep)
    record.unlink(missing_ok=True)
