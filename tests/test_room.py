"""The room on the real engine: limits on every container, one seat's fork bomb beside another's passing step, a
server killed and started again, the teacher's room.json and actions, a full room, the room's end."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import threading
import time

import aiohttp
import pytest

from celery_tutor.course import load_course
from celery_tutor.course.model import Block
from celery_tutor.lab.lab import Lab, list_labs
from celery_tutor.lab.limits import Limits
from celery_tutor.steps.runner import StepRunner

from conftest import new_lab_name, run_cli
from room_server import RoomServer, seat_name

pytestmark = pytest.mark.lab


@pytest.fixture
def room(tmp_path, lab_image):
    made: list[RoomServer] = []

    def start(*args: str) -> RoomServer:
        made.append(RoomServer(tmp_path / "state", *args).start())
        return made[-1]

    yield start
    for server in made:
        server.end()


def _seat_socket(server: RoomServer, name: str) -> str:
    """The websocket address the seat's page gives its terminal."""
    status, page = server.get("/", code=server.code, seat=name)
    assert status == 200, page
    return re.search(r'data-session-websocket-url="([^"]+)"', page).group(1)


async def _open(url: str, until, timeout: float = 120) -> None:
    """A seat's terminal connected (as its browser would), held open until `until()` holds, then closed."""
    async with aiohttp.ClientSession() as http:
        async with http.ws_connect(f"{url}?width=120&height=40", heartbeat=15) as ws:
            await ws.send_json(["resize", {"width": 120, "height": 40}])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not until():
                try:
                    await ws.receive(timeout=0.5)
                except asyncio.TimeoutError:
                    pass
            assert until(), "the seat's app never got there"


def _containers(client, lab: str) -> list[dict]:
    return client.api.containers(all=True, filters={"label": f"celery-tutor.lab={lab}"})


def test_every_lab_container_gets_the_limits_and_options_change_them(docker_client, lab_image, tmp_path):
    defaults = Limits()
    lab = new_lab_name()
    try:
        result = run_cli("lab", "up", "--lab", lab, "--memory", "512m", "--pids", "300", "--cpus", "0.5",
                         env={"CELERY_TUTOR_STATE_DIR": str(tmp_path)})
        assert result.returncode == 0, result.stderr
        for container in _containers(docker_client, lab):
            host = docker_client.api.inspect_container(container["Id"])["HostConfig"]
            assert (host["Memory"], host["MemorySwap"], host["PidsLimit"], host["NanoCpus"]) == \
                (512 * 2**20, 512 * 2**20, 300, 500_000_000)
    finally:
        Lab(docker_client, name=lab).down()
    made = Lab(docker_client, name=new_lab_name(), nodes=["celery-1"])
    try:
        made.up()
        host = docker_client.api.inspect_container(made.container_name("celery-1"))["HostConfig"]
        assert (host["Memory"], host["PidsLimit"], host["NanoCpus"]) == \
            (defaults.memory, defaults.pids, int(defaults.cpus * 1e9))
    finally:
        made.down()


def test_bad_limits_are_refused_in_one_line():
    for args, words in ((["--memory", "lots"], "'lots' is not a memory limit"),
                        (["--memory", "10m"], "256m or more"), (["--pids", "3"], "'3' is not a number of processes"),
                        (["--cpus", "0"], "'0' is not a number of CPUs")):
        result = run_cli("lab", "up", *args)
        assert result.returncode == 2 and words in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_fork_bomb_and_a_memory_hog_fail_in_their_seat_while_another_seat_passes_a_step(docker_client, lab_image):
    course = load_course()
    install = course.step("rabbitmq-install/install")
    bomb_lab = Lab(docker_client, name=new_lab_name(), nodes=["celery-1", "celery-2"])
    good_lab = Lab(docker_client, name=new_lab_name())
    results: dict = {}

    def misbehave() -> None:
        runner = StepRunner(bomb_lab)
        try:
            # A runaway loop starting processes without end, and counting them: it meets the container's limit.
            runaway = 'for i in $(seq 2000); do sleep 300 & done; test "$(jobs -p | wc -l)" -ge 2000'
            results["bomb"] = runner.run_action(Block("run", runaway, {"node": "celery-1", "timeout": "60"}, 1))
            results["pids"] = docker_client.api.stats(bomb_lab.container_name("celery-1"), stream=False)[
                "pids_stats"].get("current", 0)
            results["hog"] = runner.run_action(Block("run", "head -c 3G /dev/zero | tail > /dev/null",
                                                     {"node": "celery-2", "timeout": "60"}, 1))
        finally:
            runner.close()

    try:
        bomb_lab.up()
        good_lab.up()
        misbehaving = threading.Thread(target=misbehave)
        misbehaving.start()
        time.sleep(3)  # the bomb has gone off
        runner = StepRunner(good_lab)
        try:
            acted = runner.run_actions(install)
            checked = runner.check(install)
        finally:
            runner.close()
        misbehaving.join(timeout=180)
        assert acted.ok, acted.reason
        assert checked.passed, checked.reason
        assert results["pids"] <= Limits().pids  # the bomb stopped at its own container's limit
        for outcome in (results["bomb"], results["hog"]):
            assert not outcome.ok and outcome.reason and "\n" not in outcome.reason, outcome
        assert "status 137" in results["hog"].reason  # killed at the memory limit, nothing else touched
    finally:
        bomb_lab.down()
        good_lab.down()


def test_a_seat_keeps_its_lab_and_progress_across_connections_and_a_killed_server(room, docker_client):
    server = room("--code", "letmein", "--teacher-code", "teach-secret")
    name = seat_name("ada")
    url = _seat_socket(server, name)
    lab = server.seat(name)["lab"]
    asyncio.run(_open(url, lambda: len([c for c in _containers(docker_client, lab) if c["State"] == "running"]) == 3
                      and server.seat(name)["step"] is not None))
    containers = {c["Id"] for c in _containers(docker_client, lab)}
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and server.seat(name)["connected"]:
        time.sleep(0.2)
    assert not server.seat(name)["connected"]
    assert {c["Id"] for c in _containers(docker_client, lab)} == containers  # closed: the lab stays

    server.stop(signal.SIGKILL)
    again = RoomServer(server.state)  # on the same port, no codes given: the room's own are kept, links still work
    again.port = server.port
    again.start()
    assert (again.code, again.teacher_code) == ("letmein", "teach-secret")
    assert again.get("/", code="letmein", seat=name)[0] == 200
    row = again.seat(name)
    assert row["lab"] == lab and row["step"] is not None
    assert {c["Id"] for c in _containers(docker_client, lab)} == containers
    assert _seat_socket(again, name).split("/ws/")[1] == url.split("/ws/")[1]  # the same seat's address
    assert len(again.room()) == 1
    again.stop()


def test_the_teacher_sees_the_room_and_resets_ends_and_speaks(room, docker_client, tmp_path):
    server = room("--seats", "2")
    first, second = seat_name("ada"), seat_name("bob")
    for name in (first, second):
        _seat_socket(server, name)
    status, page = server.get("/", code=server.code, seat=seat_name("eve"))
    assert status == 403 and "The room is full" in page and "2 seats" in page
    assert server.get("/room.json")[0] == 403 and server.get("/room.json", code=server.code)[0] == 403
    assert server.post("/room/say", {"text": "hi"}, code=server.code)[0] == 403

    rows = {row["name"]: row for row in server.room()}
    assert set(rows) == {first, second}
    assert set(rows[first]) == {"name", "lab", "step", "passed", "failures", "hints", "solutions",
                                "seconds_on_step", "connected", "stuck", "remote", "bringing"}
    lab = rows[first]["lab"]
    # The view reads the seat's saved progress: a failed check three times over shows at once, as stuck.
    progress = tmp_path / "state" / f"progress-{lab}.json"
    progress.write_text(json.dumps({"version": 1, "lab": lab, "current": "containers/start", "steps": {
        "containers/start": {"failures": 3, "hints": 1, "seconds": 40.0}}}))
    row = server.seat(first)
    assert (row["step"], row["failures"], row["hints"], row["stuck"]) == ("containers/start", 3, 1, True)
    status, page = server.get("/room", code=server.teacher_code)
    assert status == 200 and first in page and "stuck" in page and server.code in page

    _until_labs = time.monotonic() + 120
    while time.monotonic() < _until_labs and len(_containers(docker_client, lab)) < 3:
        time.sleep(0.5)  # the seat's lab starts when its page opens
    before = {c["Id"] for c in _containers(docker_client, lab)}
    status, body = server.post("/room/reset", {"seat": first}, code=server.teacher_code)
    assert status == 200 and json.loads(body)["reset"] == first, body
    assert not {c["Id"] for c in _containers(docker_client, lab)} & before  # the lab made afresh on its next visit
    assert progress.exists()  # its progress kept, as `lab reset` keeps it

    status, body = server.post("/room/say", {"text": "break until 15:00"}, code=server.teacher_code)
    assert status == 200 and json.loads(body)["seats"] == 2
    for row in server.room():
        said = json.loads((tmp_path / "state" / f"message-{row['lab']}.json").read_text())
        assert said["text"] == "break until 15:00"

    second_lab = server.seat(second)["lab"]
    status, body = server.post("/room/end", {"seat": second}, code=server.teacher_code)
    assert status == 200, body
    assert [row["name"] for row in server.room()] == [first]
    assert not _containers(docker_client, second_lab)
    assert server.post("/room/end", {"seat": "nobody"}, code=server.teacher_code)[0] == 404
    # The seat freed, a new learner fits again.
    assert server.get("/", code=server.code, seat=seat_name("eve"))[0] == 200


def test_the_teacher_brings_a_seat_and_every_seat_to_a_step(room, docker_client):
    server = room()
    ada, bob = seat_name("ada"), seat_name("bob")
    for name in (ada, bob):
        _seat_socket(server, name)
    teacher = {"code": server.teacher_code}
    assert server.post("/room/bring", {"seat": ada, "step": "no-such-lesson"}, **teacher)[0] == 400
    assert server.post("/room/bring", {"seat": ada}, **teacher)[0] == 400

    status, body = server.post("/room/bring", {"seat": ada, "step": "rabbitmq-install"}, **teacher)
    # Answered at once (a room's bring takes minutes): the view shows the seat under way until its lab is made.
    assert status == 202 and json.loads(body) == {"bringing": [ada], "step": "rabbitmq-install/install"}, body
    assert server.seat(ada)["bringing"]["step"] == "rabbitmq-install/install"
    _until(lambda: server.seat(ada)["bringing"] is None, 300, "ada brought")
    row = server.seat(ada)
    assert (row["step"], row["passed"]) == ("rabbitmq-install/install", 1)  # containers/start replayed, recorded
    assert len([c for c in _containers(docker_client, row["lab"]) if c["State"] == "running"]) == 3
    assert server.seat(bob)["passed"] == 0

    status, body = server.post("/room/bring", {"seat": "*", "step": "rabbitmq-install/install"}, **teacher)
    assert status == 202 and sorted(json.loads(body)["bringing"]) == sorted([ada, bob]), body
    states = {row["name"]: row["bringing"]["state"] for row in server.room()}
    assert sorted(states.values()) == ["under way", "waiting"], states  # one seat after another
    status, page = server.get("/room", code=server.teacher_code)
    assert status == 200 and "(waiting)" in page  # the teacher's page says so too
    _until(lambda: all(row["bringing"] is None for row in server.room()), 600, "every seat brought")
    assert {row["name"]: row["step"] for row in server.room()} == {ada: "rabbitmq-install/install",
                                                                  bob: "rabbitmq-install/install"}


def test_a_warm_pool_has_a_lab_at_the_step_ready_before_the_seat_comes_and_makes_the_next(room, docker_client):
    server = room("--warm", "1", "--at", "rabbitmq-install")

    def ready() -> list[str]:
        return [entry["lab"] for entry in server.saved()["pool"] if entry["ready"]]

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not ready():
        time.sleep(0.5)
    [warm] = ready()
    assert len([c for c in _containers(docker_client, warm) if c["State"] == "running"]) == 3
    assert server.room() == []  # a lab kept ready is no seat

    name = seat_name("ada")
    _seat_socket(server, name)
    row = server.seat(name)
    assert row["lab"] == warm  # the ready lab, at the step at once: no replay for this seat
    assert (row["step"], row["passed"]) == ("rabbitmq-install/install", 1)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not ready():
        time.sleep(0.5)
    [refill] = ready()  # the next seat's lab, made after this one was taken
    assert refill != warm and server.seat(name)["lab"] == warm
    server.end()
    for lab in (warm, refill):
        assert not _containers(docker_client, lab)  # `room end` removes the pool's labs too


def _until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_idle_seat_sleeps_wakes_as_it_was_and_expires(room, docker_client):
    server = room("--idle", "0.1", "--expire", "0.6", "--at", "rabbitmq-install/status")
    name = seat_name("ada")
    url = _seat_socket(server, name)  # the page opened: the lab made, RabbitMQ installed and started in celery-1
    lab = server.seat(name)["lab"]
    asleep = server.state / f"asleep-{lab}.json"
    node = Lab(docker_client, name=lab).node("celery-1")

    def broker_up() -> bool:
        try:
            return node.exec("(exec 3<>/dev/tcp/127.0.0.1/5672)", cwd="/", timeout=10).ok
        except Exception:  # stopped: no exec
            return False

    _until(lambda: server.seat(name)["step"] == "rabbitmq-install/status", 400, "the seat's lab at its step")
    # No one on the seat for 6 s: its containers stopped, what ran in them recorded.
    _until(lambda: asleep.exists() and all(c["State"] == "exited" for c in _containers(docker_client, lab)), 120,
           "the idle seat's lab asleep")
    containers = {c["Id"] for c in _containers(docker_client, lab)}
    # The learner comes back: the same containers, RabbitMQ running again as it was.
    asyncio.run(_open(url, lambda: broker_up() and not asleep.exists()))  # awake once every process is back
    assert {c["Id"] for c in _containers(docker_client, lab)} == containers
    assert server.seat(name)["passed"] >= 2  # the replayed steps kept
    # Then gone for good: the seat is ended, its lab removed.
    _until(lambda: name not in {row["name"] for row in server.room()}, 180, "the seat expired")
    assert not _containers(docker_client, lab)


def test_room_end_removes_every_seats_lab_and_the_websocket_refuses_strangers(room, docker_client):
    server = room()
    name = seat_name("ada")
    url = _seat_socket(server, name)
    lab = server.seat(name)["lab"]

    async def refused(address: str) -> int:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.ws_connect(address):
                    return 101
            except aiohttp.WSServerHandshakeError as error:
                return error.status

    base = url.rsplit("/", 2)[0]
    assert asyncio.run(refused(f"{server.url.replace('http', 'ws')}/ws?width=80&height=24")) == 403
    assert asyncio.run(refused(f"{base}/{lab}/{'0' * 24}")) == 403
    assert asyncio.run(refused(f"{base}/web-99-nobody/{url.rsplit('/', 1)[1]}")) == 403
    server.end()
    assert not _containers(docker_client, lab)
    assert lab not in {summary.name for summary in list_labs(docker_client)}
    assert not (server.state / "room.json").exists()
