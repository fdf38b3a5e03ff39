"""`celery-tutor serve`: HTTP answers on 127.0.0.1, and each browser connection gets an app and a lab of its own."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time

import aiohttp
import pytest

from celery_tutor.lab.lab import list_labs

pytestmark = pytest.mark.lab


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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
            for _ in range(100):
                try:
                    async with http.get(f"http://127.0.0.1:{port}/") as page:
                        status, html = page.status, await page.text()
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            else:
                raise AssertionError("the server never answered")
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
