"""A `celery-tutor serve` of a test's own: its own state dir and port, killed or restarted as the test says, ended after."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The labs of this run's rooms are named PREFIX-1, PREFIX-2-ada ...: another room on the engine (a developer's, a
# second suite's) has labs of its own names, which this run neither counts nor removes.
PREFIX = f"web{uuid.uuid4().hex[:4]}"


def seat_name(who: str) -> str:
    """A seat name no other test run uses at the same time: its lab's name comes from it."""
    return f"{who}-{uuid.uuid4().hex[:4]}"


class RoomServer:
    def __init__(self, state: Path, *args: str, env: dict | None = None):
        self.state = state
        self.args = args
        self.env = {**os.environ, "COLUMNS": "200", "CELERY_TUTOR_STATE_DIR": str(state), **(env or {})}
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.output = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> RoomServer:
        argv = [sys.executable, "-m", "celery_tutor", "serve", "--port", str(self.port), "--lab", PREFIX, *self.args]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self.env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url, timeout=2)
            except urllib.error.HTTPError:
                return self  # 403 without the code: the server answers
            except OSError:
                if self.process.poll() is not None:
                    raise AssertionError(f"serve exited: {self.process.communicate()[0]}")
                time.sleep(0.2)
        raise AssertionError("serve never answered")

    def stop(self, how: int = signal.SIGTERM) -> str:
        if self.process is not None:
            self.process.send_signal(how)
            self.output += self.process.communicate(timeout=60)[0]
            self.process = None
        return self.output

    def end(self) -> None:
        """The room over: serve stopped, every seat's lab removed (as a teacher would: `celery-tutor room end`)."""
        self.stop()
        subprocess.run([sys.executable, "-m", "celery_tutor", "room", "end"], env=self.env, check=True,
                       capture_output=True, timeout=120)

    def saved(self) -> dict:
        return json.loads((self.state / "room.json").read_text())

    @property
    def code(self) -> str:
        return self.saved()["code"]

    @property
    def teacher_code(self) -> str:
        return self.saved()["teacher_code"]

    def get(self, path: str, **query) -> tuple[int, str]:
        url = f"{self.url}{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    def post(self, path: str, form: dict, **query) -> tuple[int, str]:
        url = f"{self.url}{path}?{urllib.parse.urlencode(query)}"
        request = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(),
                                         headers={"Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read().decode()

    def room(self) -> list[dict]:
        status, body = self.get("/room.json", code=self.teacher_code)
        assert status == 200, body
        return json.loads(body)["seats"]

    def seat(self, name: str) -> dict:
        return next(row for row in self.room() if row["name"] == name)

    def seat_url(self, name: str) -> str:
        return f"{self.url}/?{urllib.parse.urlencode({'code': self.code, 'seat': name})}"
