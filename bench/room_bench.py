"""A room in headless Chromium: how soon a learner sees their step, and how fresh the teacher's view is.

    python3 bench/room_bench.py [--seats 3]

Prints, for SEATS new seats in browsers of their own: page open to the first step on screen (a new seat: its lab
made then), reload to the learner's own step on screen again (the lab kept), room.json's freshness after a
learner's check (the check pressed to the passed step showing in room.json), and each seat's lab's memory after
its first step (docker stats); the labs are removed after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from browser import Browser  # noqa: E402
from room_server import RoomServer, seat_name  # noqa: E402

from celery_tutor.lab.docker_engine import connect  # noqa: E402


def _memory(client, lab: str) -> int:
    total = 0
    for container in client.api.containers(filters={"label": f"celery-tutor.lab={lab}"}):
        stats = client.api.stats(container["Id"], stream=False)["memory_stats"]
        total += stats.get("usage", 0) - stats.get("stats", {}).get("inactive_file", stats.get("stats", {})
                                                                       .get("cache", 0))
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=3)
    args = parser.parse_args()
    client = connect()
    rows = []
    with tempfile.TemporaryDirectory() as state:
        room = RoomServer(Path(state)).start()
        browsers = []
        try:
            for _ in range(args.seats):
                name = seat_name("bench")
                browser = Browser()
                browsers.append(browser)
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
                rows.append((name, first, reload, fresh, _memory(client, lab)))
        finally:
            for browser in browsers:
                browser.close()
            room.end()
    print(f"{'seat':<14}{'first step':>12}{'reload':>10}{'room.json':>12}{'memory':>10}")
    for name, first, reload, fresh, memory in rows:
        print(f"{name:<14}{first:>11.1f}s{reload:>9.1f}s{fresh:>11.1f}s{memory / 2**20:>8.0f}MiB")
    print(f"median: first step {statistics.median(r[1] for r in rows):.1f} s, reload "
          f"{statistics.median(r[2] for r in rows):.1f} s, room.json after a check "
          f"{statistics.median(r[3] for r in rows):.1f} s (including the check itself)")


if __name__ == "__main__":
    main()
