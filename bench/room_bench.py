"""A room in headless Chromium: how soon a learner sees their step, and how fresh the teacher's view is.

    python3 bench/room_bench.py [--seats 3] [--warm N]

Prints, for SEATS new seats in browsers of their own: page open to the first step on screen (a new seat: its lab
made then, or with --warm taken from the pool made ready before), reload to the learner's own step on screen again
(the lab kept), room.json's freshness after a learner's check (the check pressed to the passed step showing in
room.json), the teacher's line from its POST to the seat's screen, and each seat's lab's memory after its first
step (docker stats); the labs are removed after. The baseline, in the same run: a bare textual-serve app (one
Static) from page open to its text on screen.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import urllib.request
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import Browser  # noqa: E402
from room_server import RoomServer, free_port, seat_name  # noqa: E402

from celery_tutor.lab.docker_engine import connect  # noqa: E402


def _memory(client, lab: str) -> int:
    total = 0
    for container in client.api.containers(filters={"label": f"celery-tutor.lab={lab}"}):
        stats = client.api.stats(container["Id"], stream=False)["memory_stats"]
        total += stats.get("usage", 0) - stats.get("stats", {}).get("inactive_file", stats.get("stats", {})
                                                                       .get("cache", 0))
    return total


_BARE_APP = """
from textual.app import App
from textual.widgets import Static


class Bare(App):
    def compose(self):
        yield Static("bare-app-on-screen")


Bare().run()
"""
_BARE_SERVER = """
import sys
from textual_serve.server import Server

Server(f"{sys.executable} {sys.argv[1]}", port=int(sys.argv[2])).serve()
"""


def _bare_baseline(rounds: int) -> float:
    """A textual-serve app with one Static: page open to its text on screen (median of `rounds`)."""
    with tempfile.TemporaryDirectory() as folder:
        app, server = Path(folder) / "bare.py", Path(folder) / "serve.py"
        app.write_text(_BARE_APP)
        server.write_text(_BARE_SERVER)
        port = free_port()
        process = subprocess.Popen([sys.executable, str(server), str(app), str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        browser = Browser()
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            times = []
            for _ in range(rounds):
                started = time.monotonic()
                browser.open(f"http://127.0.0.1:{port}")
                browser.wait_for("bare-app-on-screen", timeout=60)
                times.append(time.monotonic() - started)
            return statistics.median(times)
        finally:
            browser.close()
            process.terminate()
            process.wait(timeout=30)


def _ready(room: RoomServer) -> bool:
    return any(entry["ready"] for entry in room.saved().get("pool", []))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=3)
    parser.add_argument("--warm", type=int, default=0, help="serve's --warm: seats take labs made ready")
    args = parser.parse_args()
    client = connect()
    rows = []
    bare = _bare_baseline(3)
    with tempfile.TemporaryDirectory() as state:
        room = RoomServer(Path(state), *(("--warm", str(args.warm)) if args.warm else ())).start()
        browsers = []
        try:
            for _ in range(args.seats):
                name = seat_name("bench")
                browser = Browser()
                browsers.append(browser)
                while args.warm and not _ready(room):
                    time.sleep(0.2)  # the pool made ready before the learner comes, as in a room
                started = time.monotonic()
                browser.open(room.seat_url(name))
                browser.wait_for("Start celery-1")
                first = time.monotonic() - started
                lab = room.seat(name)["lab"]
                time.sleep(2)  # the app settles; its lab's three nodes run
                pressed = time.monotonic()
                browser.press("c")
                while room.seat(name)["passed"] < 1 and time.monotonic() - pressed < 60:
                    time.sleep(0.1)
                fresh = time.monotonic() - pressed
                browser.wait_for("Passed")
                started = time.monotonic()
                browser.reload()
                browser.wait_for(lab, "✓")
                reload = time.monotonic() - started
                said = f"bench line {name}"
                started = time.monotonic()
                room.post("/room/say", {"text": said}, code=room.teacher_code)
                browser.wait_for(said, timeout=60)
                line = time.monotonic() - started
                rows.append((name, first, reload, fresh, line, _memory(client, lab)))
        finally:
            for browser in browsers:
                browser.close()
            room.end()
    print(f"{'seat':<14}{'first step':>12}{'reload':>10}{'room.json':>12}{'line':>8}{'memory':>10}")
    for name, first, reload, fresh, line, memory in rows:
        print(f"{name:<14}{first:>11.1f}s{reload:>9.1f}s{fresh:>11.1f}s{line:>7.1f}s{memory / 2**20:>8.0f}MiB")
    first, reload = statistics.median(r[1] for r in rows), statistics.median(r[2] for r in rows)
    print(f"median: first step {first:.1f} s{' (warm pool)' if args.warm else ''}, reload {reload:.1f} s, "
          f"room.json after a check {statistics.median(r[3] for r in rows):.1f} s (including the check itself), "
          f"the teacher's line {statistics.median(r[4] for r in rows):.1f} s")
    print(f"baseline: a bare textual-serve app {bare:.2f} s to its text; ratios: first step {first / bare:.1f}, "
          f"reload {reload / bare:.1f}")


if __name__ == "__main__":
    main()
