"""`celery-tutor serve`: HTTP answers on 127.0.0.1, and each browser connection gets an app and a lab of its own."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest

from celery_tutor.lab.lab import Lab, list_labs

from engine_proxy import EngineProxy

pytestmark = pytest.mark.lab


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _first_page(http: aiohttp.ClientSession, port: int, server: subprocess.Popen,
                      within: float = 60) -> tuple[int, str]:
    """The server's first answer. It has `within` seconds to start (not a count of tries: its imports alone take
    seconds on a loaded machine); a server that ended is said at once."""
    deadline = time.monotonic() + within
    while True:
        try:
            async with http.get(f"http://127.0.0.1:{port}/") as page:
                return page.status, await page.text()
        except aiohttp.ClientConnectionError:
            if server.poll() is not None:
                raise AssertionError(f"the server ended with status {server.returncode}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not answer within {within:g} s") from None
            await asyncio.sleep(0.1)


def _web_labs(client) -> dict[str, int]:
    return {lab.name: lab.running for lab in list_labs(client) if lab.name.startswith("web-")}


def test_serve_starts_an_app_and_a_lab_per_connection(docker_client, lab_image):
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "celery_tutor", "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "COLUMNS": "120"})
    before = set(_web_labs(docker_client))

    async def session() -> tuple[int, str, int, dict]:
        async with aiohttp.ClientSession() as http:
            status, html = await _first_page(http, port, server)
            async with http.ws_connect(f"ws://127.0.0.1:{port}/ws?width=100&height=30") as ws:
                await ws.send_json(["resize", {"width": 100, "height": 30}])
                received = 0
                labs: dict = {}
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline and (received < 2000 or not labs):
                    try:
                        message = await ws.receive(timeout=1)
                    except asyncio.TimeoutError:
                        message = None
                    if message is not None and message.type == aiohttp.WSMsgType.BINARY:
                        received += len(message.data)
                    labs = {name: up for name, up in _web_labs(docker_client).items() if name not in before}
                return status, html, received, labs

    try:
        status, html, received, labs = asyncio.run(session())
        assert status == 200 and "celery-tutor" in html
        assert len(labs) == 1 and list(labs.values()) == [3]  # one lab, its three nodes running
        assert received > 2000  # the app drew its screen down the websocket
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and set(_web_labs(docker_client)) - before:
            time.sleep(0.5)
        assert not set(_web_labs(docker_client)) - before, "the lab outlived its connection"
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "127.0.0.1" in output and "anyone who can reach" not in output


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


def test_serve_spreads_the_labs_over_its_engines_in_turn(docker_client, lab_image):
    # Two routes to engines: the local socket, and TCP through a proxy that records the API calls it carries.
    proxy = EngineProxy()
    port = _free_port()
    engines = ["unix:///var/run/docker.sock", proxy.url]
    server = subprocess.Popen([sys.executable, "-m", "celery_tutor", "serve", "--port", str(port),
                               "--engines", *engines],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              env={**os.environ, "COLUMNS": "120"})
    before = set(_web_labs(docker_client))

    def new_labs() -> dict[str, int]:
        return {name: up for name, up in _web_labs(docker_client).items() if name not in before}

    async def session() -> tuple[dict, dict, dict, list[int]]:
        async with aiohttp.ClientSession() as http:
            await _first_page(http, port, server)
            url = f"ws://127.0.0.1:{port}/ws?width=100&height=30"
            async with http.ws_connect(url, heartbeat=15) as first, http.ws_connect(url, heartbeat=15) as second:
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
        # The connections are closed: both labs are removed, each through its own engine.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and set(_web_labs(docker_client)) - before:
            time.sleep(0.5)
        assert not set(_web_labs(docker_client)) - before, "a lab outlived its connection"
        assert all(proxy.seen("DELETE", f"/containers/{cid}") for cid in containers[remote])
        assert not any(proxy.seen("DELETE", f"/containers/{cid}") for cid in containers[local])
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
        for name in set(_web_labs(docker_client)) - before:
            Lab(docker_client, name=name).down()
        proxy.close()
    assert f"on unix:///var/run/docker.sock, {proxy.url}" in " ".join(output.split())  # as the console wraps it


def test_serve_at_brings_each_new_lab_to_the_step_and_records_it(docker_client, lab_image, monkeypatch, tmp_path):
    from celery_tutor.serve import TutorServer
    from celery_tutor.steps.progress import SavedProgress

    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path))
    server = TutorServer(port=_free_port(), at="rabbitmq-install/install")
    name = f"web-{os.urandom(4).hex()}"
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
