"""The lab's map on the real engine: a fresh lab, one broker after 二, the whole cluster behind HAProxy, failures."""

from __future__ import annotations

import subprocess
import time

import pytest
from rich.console import Console

from celery_tutor.course import load_course
from celery_tutor.lab.checkpoint import SETTING
from celery_tutor.lab.lab import Lab
from celery_tutor.lab.lab_map import LabMap, NodeView, QueueView, HAProxyServer, WorkerView, read_map
from celery_tutor.lab.map_reading import stats_csv, worker_name
from celery_tutor.lab.map_table import render
from conftest import new_lab_name, run_cli

NODES = ["celery-1", "celery-2", "celery-3"]


def _text(lab_map: LabMap) -> str:
    console = Console(record=True, width=120, color_system=None)
    console.print(render(lab_map))
    return console.export_text()


def _until(lab: Lab, wanted, seconds: float) -> LabMap:
    """Read the map again and again, as the tutor refreshes it, until `wanted(map)` or `seconds` pass; the last
    map either way, for the assertion to show."""
    deadline = time.monotonic() + seconds
    lab_map = None
    while True:
        lab_map = read_map(lab, lab_map)
        if wanted(lab_map) or time.monotonic() > deadline:
            return lab_map
        time.sleep(1)


def _lab_at(docker_client, step: str | None) -> Lab:
    name = new_lab_name()
    result = run_cli("lab", "up", "--lab", name, *(["--at", step] if step else []), timeout=900)
    if result.returncode != 0:
        run_cli("lab", "down", "--lab", name)
        pytest.fail(f"lab up --at {step} failed: {result.stderr[-2000:]}")
    return Lab(docker_client, name=name)


# --- without the engine ---------------------------------------------------------------------------------------

def test_haproxy_stats_are_read_through_chunked_http():
    csv = "# pxname,svname,status\nrabbitmq,celery-1,UP\nrabbitmq,celery-2,DOWN\n"
    first, second = csv[:20], csv[20:]
    response = ("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
                f"{len(first):X}\r\n{first}\r\n{len(second):x}\r\n{second}\r\n0\r\n\r\n")
    assert stats_csv(response) == csv
    assert stats_csv(csv) == csv  # from the stats socket: no HTTP around it


def test_worker_names_follow_celery():
    assert worker_name(["celery", "-A", "tasks", "worker"], "celery-1") == "celery@celery-1"
    assert worker_name(["celery", "multi", "worker", "-n", "w1@%h"], "celery-1") == "w1@celery-1"
    assert worker_name(["celery", "worker", "--hostname=w2"], "celery-3") == "w2@celery-3"


def test_the_drawing_shows_a_down_node_its_reason_and_a_down_server():
    lab_map = LabMap("demo", taken_at=time.time(), nodes=[
        NodeView("celery-1", "running", "up", "disc", NODES, True, connections=2),
        NodeView("celery-2", "running", "unknown", "disc", NODES, True, problem="RabbitMQ did not answer"),
        NodeView("celery-3", "exited", "down", "ram", NODES, False)],
        queues=[QueueView("cluster", "quorum", "celery-1", NODES, ["celery-1", "celery-2"], 5, 1, 4, 1),
                QueueView("celeryev.1234", "classic", "celery-1", ["celery-1"], ["celery-1"], 0, 1, 0, 0)],
        haproxy=[HAProxyServer("celery-3", "DOWN", "celery-1", "rabbitmq")],
        workers=[WorkerView("celery-2", "celery@celery-2", ["cluster"], True)])
    text = _text(lab_map)
    assert "RabbitMQ did not answer" in text and "exited" in text
    assert "cluster" in text and "celeryev" not in text and "and 1 queue Celery made for itself" in text
    assert "DOWN" in text and "celery@celery-2" in text


def test_an_engine_that_does_not_answer_leaves_the_map_unknown_not_frozen(monkeypatch):
    """The engine's client waits minutes (its timeout is meant for builds): the map gives up on it in seconds."""
    import celery_tutor.lab.lab_map as lab_map_module

    class Stuck:
        name, node_names = "stuck", tuple(NODES)

        def status(self):
            time.sleep(30)

    monkeypatch.setattr(lab_map_module, "ENGINE_SECONDS", 0.5)
    started = time.monotonic()
    lab_map = read_map(Stuck())
    assert time.monotonic() - started < 5
    assert [(n.container, n.rabbitmq, n.problem) for n in lab_map.nodes] == [
        ("unknown", "unknown", "the Docker engine did not answer within 0.5 s")] * 3


# --- on the engine --------------------------------------------------------------------------------------------

@pytest.mark.lab
def test_before_section_one_the_map_has_nodes_and_no_broker(docker_client, lab_image):
    lab = Lab(docker_client, name=new_lab_name())
    try:
        nothing = read_map(lab).to_dict()
        assert [(node["name"], node["container"]) for node in nothing["nodes"]] == [(n, "absent") for n in NODES]
        lab = _lab_at(docker_client, None)
        data = read_map(lab).to_dict()
        assert {"nodes", "queues", "haproxy", "workers"} <= set(data)
        assert [{key: node[key] for key in ("name", "container", "rabbitmq", "type", "cluster")}
                for node in data["nodes"]] == [
            {"name": n, "container": "running", "rabbitmq": "absent", "type": None, "cluster": []} for n in NODES]
        assert (data["queues"], data["haproxy"], data["workers"]) == ([], [], [])
        # The same picture from the command line, as JSON for scripts and drawn for people.
        import json

        printed = run_cli("lab", "map", "--lab", lab.name, "--json")
        assert printed.returncode == 0, printed.stderr
        assert [(node["name"], node["rabbitmq"]) for node in json.loads(printed.stdout)["nodes"]] == [
            (n, "absent") for n in NODES]
        drawn = run_cli("lab", "map", "--lab", lab.name)
        assert drawn.returncode == 0 and all(n in drawn.stdout for n in NODES) and "no broker" in drawn.stdout
        lab.stop_node("celery-3")
        stopped = read_map(lab).node("celery-3")
        assert (stopped.container, stopped.rabbitmq) == ("exited", "down")
    finally:
        lab.down()


@pytest.mark.lab
def test_after_section_two_one_broker_its_queue_and_its_worker(docker_client, lab_image):
    lab = _lab_at(docker_client, "3")
    try:
        lab_map = read_map(lab)
        one = lab_map.node("celery-1")
        assert (one.rabbitmq, one.type, one.cluster, one.running) == ("up", "disc", ["celery-1"], True)
        assert one.connections >= 1  # the worker's
        assert [(node.rabbitmq, node.cluster) for node in lab_map.nodes[1:]] == [("absent", [])] * 2
        celery = lab_map.queue("celery")
        assert (celery.type, celery.leader, celery.members, celery.online, celery.consumers) == (
            "classic", "celery-1", ["celery-1"], ["celery-1"], 1)
        assert [(w.node, w.name, w.queues, w.ready, w.app) for w in lab_map.workers] == [
            ("celery-1", "celery@celery-1", ["celery"], True, "tasks")]
        assert lab_map.haproxy == []

        # The queue fills while no worker takes from it.
        node = lab.node("celery-1")
        node.exec("pkill -f 'celery -A tasks worker'; while pgrep -f 'celery -A tasks worker' >/dev/null; do sleep 0.2; done")
        sent = node.exec("python3 -c 'from tasks import add; [add.delay(n, n) for n in range(3)]'", timeout=30)
        assert sent.ok, sent.output
        filled = _until(lab, lambda m: m.queue("celery").ready == 3, 10)
        assert (filled.queue("celery").ready, filled.queue("celery").consumers, filled.workers) == (3, 0, [])

        # A broker that does not answer: its VM frozen, the port still open. The map says so, and comes back.
        node.exec("pkill -STOP -x beam.smp")
        try:
            started = time.monotonic()
            frozen = read_map(lab)
            waited = time.monotonic() - started
        finally:
            node.exec("pkill -CONT -x beam.smp")
        assert "did not answer" in frozen.node("celery-1").problem and frozen.node("celery-1").rabbitmq == "unknown"
        assert frozen.queues == [] and waited < 30  # bounded, not hung
        assert read_map(lab).queue("celery").ready == 3
    finally:
        lab.down()


@pytest.fixture(scope="module")
def whole_course(docker_client, course_checkpoints):
    """One lab at the end of the course, shared by the tests below: restored from the checkpoint before the last
    lesson, whose steps are replayed but the last, which is verified (replaying the course takes minutes)."""
    lab = Lab(docker_client, name=new_lab_name())
    try:
        result = run_cli("verify", "--from", "haproxy/heal", "--to", "haproxy/heal", "--keep", "--lab", lab.name,
                         env={SETTING: course_checkpoints}, timeout=2400)
    except subprocess.TimeoutExpired:
        lab.down()
        pytest.fail("the course did not replay within 40 minutes")
    lessons = load_course().lessons
    before_last = lessons[[lesson.id for lesson in lessons].index("haproxy") - 1].id
    if result.returncode != 0 or f"restored from the checkpoint after {before_last}" not in result.stdout:
        lab.down()  # its containers hold the checkpoint's images: the run's checkpoints could not be removed
        pytest.fail(f"the course did not come back from the checkpoint after {before_last}: "
                    f"{(result.stdout + result.stderr)[-2000:]}")
    yield lab
    run_cli("lab", "down", "--lab", lab.name)


@pytest.mark.lab
def test_at_the_end_of_the_course_one_cluster_a_quorum_queue_and_haproxy(whole_course):
    lab_map = _until(whole_course, lambda m: all(s.status == "UP" for s in m.haproxy) and len(m.haproxy) == 3, 20)
    data = lab_map.to_dict()
    assert [(node["name"], node["container"], node["rabbitmq"], node["type"], node["cluster"])
            for node in data["nodes"]] == [(n, "running", "up", "disc", NODES) for n in NODES]
    cluster = lab_map.queue("cluster")
    assert (cluster.type, cluster.members, cluster.online) == ("quorum", NODES, NODES)
    assert cluster.leader in NODES and cluster.consumers == 1
    assert [(s.server, s.status, s.node, s.proxy) for s in lab_map.haproxy] == [
        (n, "UP", "celery-1", "rabbitmq") for n in NODES]
    assert [(w.node, w.name, w.queues, w.ready) for w in lab_map.workers] == [
        ("celery-2", "celery@celery-2", ["cluster"], True)]
    assert sum(node.connections for node in lab_map.nodes) >= 2  # the worker's, through HAProxy
    text = _text(lab_map)
    assert "HAProxy on celery-1" in text and "celery@celery-2" in text and "quorum" in text


@pytest.mark.lab
def test_the_leader_s_broker_crashes_and_the_map_follows(whole_course):
    leader = read_map(whole_course).queue("cluster").leader
    node = whole_course.node(leader)
    node.exec("pkill -9 -x beam.smp")  # the drill's crash
    try:
        moved = _until(whole_course, lambda m: m.queue("cluster") and m.queue("cluster").leader != leader
                       and m.node(leader).rabbitmq == "down"
                       and {s.server: s.status for s in m.haproxy}.get(leader) == "DOWN", 40)
        assert moved.node(leader).rabbitmq == "down" and moved.node(leader).container == "running"
        cluster = moved.queue("cluster")
        assert cluster.leader != leader and leader not in cluster.online and len(cluster.online) == 2
        assert {s.server: s.status for s in moved.haproxy}[leader] == "DOWN"
    finally:
        node.exec("rabbitmq-server -detached; until rabbitmq-diagnostics -q ping >/dev/null 2>&1; do sleep 1; done",
                  timeout=120)
    healed = _until(whole_course, lambda m: len(m.queue("cluster").online) == 3
                    and all(s.status == "UP" for s in m.haproxy), 60)
    assert healed.node(leader).rabbitmq == "up" and healed.queue("cluster").online == NODES


@pytest.mark.lab
def test_the_tutor_s_map_during_the_failover_drill(whole_course, tmp_path):
    """The drill as the learner watches it in the tutor (l): the quorum queue's leader loses its broker; the map
    shows the broker down, the leader moved and HAProxy's DOWN, then all three back."""
    import asyncio

    from celery_tutor.app import make_app
    from celery_tutor.app.progress import ProgressView
    from celery_tutor.course import load_course
    from tests.app.tutor_helpers import SIZE, wait_for

    app = make_app(load_course(), lambda: whole_course, lab_name=whole_course.name, progress=ProgressView(),
                   log_dir=tmp_path / "log", status_interval=0, crash_on_error=True)

    def shown():
        view = app.main.map_view
        return view.lab_map if view is not None and view.lab_map is not None else LabMap("none")

    def holds(check):
        """A condition on the map on show; False while a part it names is not on it (yet)."""
        try:
            return bool(check())
        except (AttributeError, TypeError, KeyError):
            return False

    async def until(pilot, check, seconds: float, what: str) -> None:
        """wait_for on the map on show; a timeout says what the map showed then, and how the reads went."""
        try:
            await wait_for(pilot, lambda: holds(check), seconds, what)
        except AssertionError as exc:
            view = app.main.map_view
            raise AssertionError(f"{exc}; {app.lab_owner.map_reads} reads, one under way: "
                                 f"{app.lab_owner.reading_map}, problem: {view and view.problem!r}; the map on show:\n"
                                 f"{_text(shown())}") from None

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.lab_owner.lab is not None, 60, "the lab connected")
            await pilot.press("l")
            await until(pilot, lambda: len(shown().queue("cluster").online) == 3 and len(shown().haproxy) == 3, 60,
                        "the whole cluster on the map")
            leader = shown().queue("cluster").leader
            whole_course.node(leader).exec("pkill -9 -x beam.smp")
            try:
                await until(pilot, lambda: shown().node(leader).rabbitmq == "down"
                            and shown().queue("cluster").leader != leader
                            and {s.server: s.status for s in shown().haproxy}[leader] == "DOWN",
                            90, f"the map to show {leader} down, the leader moved, HAProxy's DOWN")
                assert app.is_running and app.main.map_shown
            finally:
                whole_course.node(leader).exec("rabbitmq-server -detached; until rabbitmq-diagnostics -q ping "
                                               ">/dev/null 2>&1; do sleep 1; done", timeout=120)
            await until(pilot, lambda: len(shown().queue("cluster").online) == 3
                        and all(s.status == "UP" for s in shown().haproxy), 90, "the cluster healed on the map")

    asyncio.run(scenario())


@pytest.mark.lab
def test_a_stopped_node_is_down_on_the_map_and_in_haproxy(whole_course):
    whole_course.stop_node("celery-3")
    lab_map = _until(whole_course, lambda m: {s.server: s.status for s in m.haproxy}.get("celery-3") == "DOWN", 60)
    three = lab_map.node("celery-3")
    assert (three.container, three.rabbitmq, three.running, three.cluster) == ("exited", "down", False, NODES)
    assert {s.server: s.status for s in lab_map.haproxy} == {"celery-1": "UP", "celery-2": "UP", "celery-3": "DOWN"}
    assert lab_map.queue("cluster").online == ["celery-1", "celery-2"]
    assert lab_map.node("celery-1").rabbitmq == lab_map.node("celery-2").rabbitmq == "up"
