"""Checkpoints without the engine: where they go, what their key depends on, how a process is started again (the
servers first, then their clients)."""

from __future__ import annotations

import base64
import shutil
import subprocess

from celery_tutor.course import load_course
from celery_tutor.lab import checkpoint
from celery_tutor.lab.checkpoint import Checkpoint, CheckpointStore
from celery_tutor.lab.running import Process, Running, parse
from celery_tutor.steps.checkpoints import checkpoint_key, lesson_ends, proving_step

from conftest import ROOT


def test_a_checkpoint_goes_where_each_lesson_ends():
    course = load_course(ROOT / "lessons")
    steps = list(course.steps())
    ends = lesson_ends(steps)
    assert len(ends) == len(course.lessons) and ends[-1] == len(steps)
    assert [steps[end].lesson.id for end in ends[:-1]] == [lesson.id for lesson in course.lessons[1:]]


def test_the_key_changes_with_the_image_and_with_any_earlier_lesson_only(tmp_path):
    lessons = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", lessons)
    steps = list(load_course(lessons).steps())
    nodes = ["celery-1", "celery-2", "celery-3"]
    ends = lesson_ends(steps)
    before = [checkpoint_key("sha256:a", nodes, steps[:end]) for end in ends]
    assert checkpoint_key("sha256:b", nodes, steps[: ends[0]]) != before[0]
    edited = lessons / "1-3-celery.md"  # the third lesson
    edited.write_text(edited.read_text() + "\n<!-- edited -->\n")
    after = [checkpoint_key("sha256:a", nodes, steps[:end]) for end in ends]
    assert after[:2] == before[:2] and all(a != b for a, b in zip(after[2:], before[2:]))


def test_a_restored_lab_is_proved_by_the_last_check_that_looks_at_the_nodes():
    steps = list(load_course(ROOT / "lessons").steps())
    multi = next(index for index, step in enumerate(steps) if step.lesson.id == "celery-multi")
    step = proving_step(steps, multi)
    assert step is not None and any(block.node for block in step.checks)
    assert steps.index(step) < multi


def test_what_ran_is_read_from_proc_and_started_again_as_it_was(tmp_path):
    argv = base64.b64encode(b"celery\0-A\0tasks\0worker\0--loglevel=info\0").decode()
    env = base64.b64encode(b"HOME=/root\0A=it's\0").decode()
    output = "\n".join([
        "T 7 1", "T 40 1", "T 41 40", "T 90 0",
        f"P\t40\t1234\t0:0\t{argv}\t/root\t{env}\t/var/log/celery-tutor/worker.log\t/var/log/celery-tutor/worker.log",
        "S /proc/41/fd socket:[555]", "S /proc/90/fd socket:[777]",
        "N 01 0100007F:B8F2 0200000A:1628 555",  # the worker's pool child, connected to 5672
        "N 01 0100007F:B8F3 0200000A:1628 777",  # a REPL's (an exec's): not the daemons'
        "F\t40\t/run/celery-tutor/worker.pid",
    ])
    seen = parse(output)
    assert list(seen.processes) == [40]
    process = seen.processes[40][1]
    assert process.argv[:3] == ["celery", "-A", "tasks"] and process.env == ["HOME=/root", "A=it's"]
    assert process.pidfiles == ["/run/celery-tutor/worker.pid"] and seen.connections == {(47346, 5672)}
    running = Running.from_json(Running([process], [], [5672]).to_json())
    assert running.processes[0] == process
    # The launcher, run by bash (here with `setsid` and `env` replaced by echo), starts exactly that argv.
    script = Process(["printf", "%s|", "a b", "it's"], "0:0", str(tmp_path), ["X=1"], str(tmp_path / "out"),
                     str(tmp_path / "out")).launcher().replace("setsid env -i", "env -i")
    subprocess.run(["bash", "-c", script.replace("mkdir -p /var/log/celery-tutor; ", "") + "; wait"],
                   check=True, capture_output=True)
    assert (tmp_path / "out").read_text() == "a b|it's|"


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
    seen = parse(CAPTURE)
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


def test_a_checkpoint_that_knows_only_its_nodes_ports_starts_all_at_once_as_it_did_before():
    broker = Process(["rabbitmq-server"], "0:0", "/", [], "a", "a")  # made before each process's ports were read
    labels = {checkpoint.RUNNING_LABEL: Running([broker, Process(["celery"], "0:0", "/", [], "b", "b")], [5672],
                                                [5672]).to_json()}
    store = _Recorder()
    store.start(_Lab(), Checkpoint("x", "k", {"celery-1": "running"}, {"celery-1": {"Labels": labels}}), timeout=5)
    assert store.started == [["rabbitmq-server", "celery"]]
