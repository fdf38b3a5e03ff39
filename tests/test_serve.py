"""`celery-tutor serve`: HTTP answers on 127.0.0.1, and each seat gets an app and a lab of its own, on its engines."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from celery_tutor.lab.lab import Lab, list_labs

from engine_proxy import EngineProxy
from room_server import PREFIX, RoomServer, seat_name

pytestmark = pytest.mark.lab


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _web_labs(client) -> dict[str, int]:
    return {lab.name: lab.running for lab in list_labs(client) if lab.name.startswith(f"{PREFIX}-")}


def test_serve_starts_an_app_on_the_seats_lab_and_keeps_the_lab_after_the_connection(docker_client, lab_image,
                                                                                       tmp_path):
    server = RoomServer(tmp_path / "state").start()
    name = seat_name("ada")
    code, teacher_code = server.code, server.teacher_code

    async def session() -> tuple[int, str, int, dict]:
        status, html = server.get("/", code=server.code, seat=name)
        url = re.search(r'data-session-websocket-url="([^"]+)"', html).group(1)
        lab = server.seat(name)["lab"]
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(f"{url}?width=100&height=30") as ws:
                await ws.send_json(["resize", {"width": 100, "height": 30}])
                received = 0
                labs: dict = {}
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and (received < 2000 or labs.get(lab) != 3):
                    try:
                        message = await ws.receive(timeout=1)
                    except asyncio.TimeoutError:
                        message = None
                    if message is not None and message.type == aiohttp.WSMsgType.BINARY:
                        received += len(message.data)
                    labs = _web_labs(docker_client)
                return status, html, received, lab

    try:
        status, html, received, lab = asyncio.run(session())
        assert status == 200 and "celery-tutor" in html
        assert _web_labs(docker_client).get(lab) == 3  # the seat's lab, its three nodes running
        assert received > 2000  # the app drew its screen down the websocket
        time.sleep(3)
        assert _web_labs(docker_client).get(lab) == 3, "the seat's lab went with its connection"
    finally:
        output = server.stop()
        server.end()
    assert "127.0.0.1" in output and "anyone who can reach" not in output
    assert f"/?code={code}" in output and f"/room?code={teacher_code}" in output
    assert lab not in _web_labs(docker_client)  # `room end` removed it


def _app_argv(lab: str) -> list[str]:
    """The command line of the app process serving `lab` (read from /proc)."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        words = [word.decode(errors="replace") for word in argv if word]
        if "start" in words and lab in words and "celery_tutor" in words:
            return words
    return []


def test_serve_spreads_the_seats_labs_over_its_engines_in_turn(docker_client, lab_image, tmp_path):
    # Two routes to engines: the local socket, and TCP through a proxy that records the API calls it carries.
    proxy = EngineProxy()
    engines = ["unix:///var/run/docker.sock", proxy.url]
    server = RoomServer(tmp_path / "state", "--engines", *engines).start()
    before = set(_web_labs(docker_client))

    def new_labs() -> dict[str, int]:
        return {name: up for name, up in _web_labs(docker_client).items() if name not in before}

    async def session() -> tuple[dict, dict, dict, list[int]]:
        urls = []
        for name in (seat_name("ada"), seat_name("bob")):
            page = server.get("/", code=server.code, seat=name)[1]
            urls.append(re.search(r'data-session-websocket-url="([^"]+)"', page).group(1) + "?width=100&height=30")
        async with aiohttp.ClientSession() as http:
            async with http.ws_connect(urls[0], heartbeat=15) as first, \
                    http.ws_connect(urls[1], heartbeat=15) as second:
                sockets = [first, second]
                for ws in sockets:
                    await ws.send_json(["resize", {"width": 100, "height": 30}])
                received = [0, 0]
                labs: dict = {}
                argv: dict = {}
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline and (min(received) < 2000 or len(argv) < 2
                                                       or sorted(labs.values()) != [3, 3]):
                    for index, ws in enumerate(sockets):
                        try:
                            message = await ws.receive(timeout=0.5)
                        except asyncio.TimeoutError:
                            continue
                        if message.type == aiohttp.WSMsgType.BINARY:
                            received[index] += len(message.data)
                    labs = new_labs()
                    argv = {name: words for name in labs if (words := _app_argv(name))}
                containers = {name: [c["Id"] for c in docker_client.api.containers(
                    all=True, filters={"label": f"celery-tutor.lab={name}"})] for name in labs}
                return labs, argv, containers, received

    try:
        labs, argv, containers, received = asyncio.run(session())
        assert len(labs) == 2 and list(labs.values()) == [3, 3], labs  # two labs, each with its three nodes running
        assert min(received) > 2000, received  # each app drew its screen down its own websocket
        # Exactly one lab was made through the proxy: the engines were taken in turn, one lab on each.
        through_proxy = [name for name in labs if proxy.seen("POST", f"/containers/create?name={name}-celery-")]
        assert len(through_proxy) == 1, (through_proxy, proxy.requests[:20])
        remote = through_proxy[0]
        (local,) = set(labs) - {remote}
        assert not proxy.seen("POST", f"/containers/create?name={local}-")
        # Each lab's app talks to the engine its lab is on.
        assert argv[remote][argv[remote].index("--engine") + 1] == proxy.url, argv[remote]
        assert argv[local][argv[local].index("--engine") + 1] == engines[0], argv[local]
        # The connections are closed, the labs stay; the room's end removes each through its own engine.
        assert set(new_labs()) == set(labs)
        server.end()
        assert not set(_web_labs(docker_client)) - before, "a lab outlived the room"
        assert all(proxy.seen("DELETE", f"/containers/{cid}") for cid in containers[remote])
        assert not any(proxy.seen("DELETE", f"/containers/{cid}") for cid in containers[local])
    finally:
        server.end()
        for name in set(_web_labs(docker_client)) - before:
            Lab(docker_client, name=name).down()
        proxy.close()
    assert f"on unix:///var/run/docker.sock, {proxy.url}" in " ".join(server.output.split())  # as the console wraps it


def test_serve_at_brings_each_new_lab_to_the_step_and_records_it(docker_client, lab_image, monkeypatch, tmp_path):
    from celery_tutor.server.tutor_server import TutorServer
    from celery_tutor.steps.progress import SavedProgress

    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path))
    server = TutorServer(port=_free_port(), at="rabbitmq-install/install")
    name = f"{PREFIX}-{os.urandom(4).hex()}"
    try:
        server._lab_up(name, None)
        progress = SavedProgress.for_lab(name)
        assert progress.current == "rabbitmq-install/install"  # where the app opens
        assert progress.passed("containers/start") and progress.steps["containers/start"].revealed
        assert not progress.passed("rabbitmq-install/install")
        assert Lab(docker_client, name=name).node("celery-1").exec("hostname").output.strip() == "celery-1"
    finally:
        server._lab_down(name, None)


def test_serve_refuses_a_step_not_in_the_course_before_serving():
    result = subprocess.run([sys.executable, "-m", "celery_tutor", "serve", "--port", str(_free_port()),
                             "--at", "nope/step"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no step 'nope/step'" in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
