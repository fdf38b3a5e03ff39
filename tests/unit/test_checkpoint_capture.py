"""Reading what ran in a node for a checkpoint (lab/checkpoint.py): which adopted process is a server (it listened,
so it starts again before its clients), and how a restore starts them: servers first, the rest once they listen."""

from __future__ import annotations

import base64

from celery_tutor.lab import checkpoint
from celery_tutor.lab.checkpoint import Checkpoint, CheckpointStore, Process, Running, _parse


def _b64(*words: str) -> str:
    return base64.b64encode(b"\0".join(w.encode() for w in words) + b"\0").decode()


def _adopted(pid: int, *argv: str, user: str = "0:0") -> str:
    return "\t".join(["P", str(pid), "100", user, _b64(*argv), "/root", _b64("PATH=/usr/bin"),
                      "/var/log/x.log", "/var/log/x.log"])


# A broker (pid 20, its Erlang VM a child of it: pid 21) listening on 5672, and a worker (pid 30) connected to it.
CAPTURE = "\n".join([
    "T 1 0", "T 7 1", "T 20 1", "T 21 20", "T 30 1",
    _adopted(20, "rabbitmq-server"), _adopted(30, "celery", "-A", "tasks", "worker"),
    "S /proc/21/fd socket:[1001]", "S /proc/30/fd socket:[1002]", "S /proc/21/fd socket:[1003]",
    "N 0A 00000000:1628 00000000:0000 1001",  # 5672, listening (the VM: its adopted parent is the server)
    "N 01 0100007F:A000 0100007F:1628 1002",  # the worker's connection to 5672
    "N 01 0100007F:1628 0100007F:A000 1003",  # the broker's end of it
])


def test_the_process_whose_tree_listened_is_the_server_and_the_worker_is_not():
    seen = _parse(CAPTURE)
    by_pid = {pid: process for pid, (_, process) in seen.processes.items()}
    assert by_pid[20].listens == [5672]
    assert by_pid[30].listens == []
    assert seen.listens == {5672}


def test_a_checkpoint_made_before_servers_were_known_still_reads():
    old = '{"processes":[{"argv":["celery"],"user":"0:0","cwd":"/","env":[],"stdout":"a","stderr":"a",' \
          '"pidfiles":[]}],"listens":[],"connected":[]}'
    assert Running.from_json(old).processes[0].listens == []


class _Recorder(CheckpointStore):
    """A store whose nodes are not containers: it records what it starts, and a node is back once its servers
    were started (listening) and, for the whole set, once everything was."""

    def __init__(self):
        self.started: list[list[str]] = []

    def _start_processes(self, node, running: Running) -> None:
        if running.processes:
            self.started.append([process.argv[0] for process in running.processes])

    def _back(self, node, running: Running) -> bool:
        return bool(self.started)


class _Lab:
    def node(self, name):
        return name


def test_a_restore_starts_the_servers_first_and_their_clients_after():
    server = Process(["rabbitmq-server"], "0:0", "/", [], "a", "a", listens=[5672])
    worker = Process(["celery"], "0:0", "/", [], "b", "b")
    labels = {checkpoint.RUNNING_LABEL: Running([server, worker], [5672], [5672]).to_json()}
    made = Checkpoint("x", "k", {"celery-1": "running"}, {"celery-1": {"Labels": labels}})
    store = _Recorder()
    store.start(_Lab(), made, timeout=5)
    assert store.started == [["rabbitmq-server"], ["celery"]]
