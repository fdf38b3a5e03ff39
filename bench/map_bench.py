"""The lab map's probe: CPU seconds per minute at a steady refresh, in the tutor with the map shown and hidden, and
how soon the map shows an event, as ratios against baselines measured in the same run (absolute numbers drift on a
shared machine).

    python3 bench/map_bench.py [--lab NAME] [--seconds 30] [--refresh 2]

Without --lab it replays the whole course on a lab of its own (about 5 minutes) and removes it afterwards; with
--lab it uses that lab as it is (best at the end of the course) and leaves it as it found it, give or take a
restarted broker. CPU is counted in three places: the lab's containers (their cgroups, via the engine's stats),
the engine's processes serving the execs (dockerd and containerd are shared with every other lab on the machine,
so that column is noisy), and this process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from rich.console import Console
from rich.table import Table

from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.lab import Lab
from celery_tutor.lab.lab_map import LabMap, read_map

console = Console(width=150)
TICK = os.sysconf("SC_CLK_TCK")


def _ticks(pid: int) -> float:
    """A process's CPU seconds, its waited-for children's included (the runc of each exec)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICK


class Meter:
    """CPU seconds used so far by the lab's containers, by the engine on their behalf, and by this process."""

    def __init__(self, lab: Lab):
        self.lab = lab
        self.ids = [self.lab.client.api.inspect_container(node.container_name)["Id"] for node in lab.nodes]
        self.engine = [pid for pid, line in _processes() if line.startswith(("/usr/sbin/dockerd", "dockerd",
                                                                                "containerd "))]

    def _shims(self) -> list[int]:
        return [pid for pid, line in _processes() if "containerd-shim" in line and any(i in line for i in self.ids)]

    def read(self) -> tuple[float, float, float]:
        containers = 0.0
        for container_id in self.ids:
            try:
                stats = self.lab.client.api.stats(container_id, stream=False, one_shot=True)
                containers += stats["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9
            except Exception:  # a stopped container has no usage
                pass
        engine = sum(_ticks(pid) for pid in self.engine + self._shims())
        return containers, engine, time.process_time()


def _processes():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                pass


def _exec(lab: Lab, node: str, argv: list[str]) -> None:
    api = lab.client.api
    exec_id = api.exec_create(lab.container_name(node), argv)["Id"]
    api.exec_start(exec_id)


def window(meter: Meter, seconds: float, refresh: float, action) -> tuple[tuple[float, float, float], float]:
    """CPU used over `seconds` while `action` runs every `refresh` seconds, and its mean wall time."""
    before = meter.read()
    started, calls, spent = time.monotonic(), 0, 0.0
    while time.monotonic() - started < seconds:
        tick = time.monotonic()
        if action is not None:
            action()
            calls += 1
            spent += time.monotonic() - tick
        time.sleep(max(0.0, refresh - (time.monotonic() - tick)))
    after = meter.read()
    elapsed = time.monotonic() - started
    per_minute = tuple((a - b) * 60 / elapsed for a, b in zip(after, before))
    return per_minute, (spent / calls if calls else 0.0)


class Watcher:
    """The map refreshed every `refresh` seconds in a thread, as the tutor's pane would; each map with the
    moment its probe began and ended."""

    def __init__(self, lab: Lab, refresh: float):
        self.lab, self.refresh = lab, refresh
        self.maps: list[tuple[float, float, LabMap]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop.is_set():
            began = time.monotonic()
            lab_map = read_map(self.lab, self.maps[-1][2] if self.maps else None)
            self.maps.append((began, time.monotonic(), lab_map))
            self.stop.wait(max(0.0, self.refresh - (time.monotonic() - began)))

    def first(self, since: float, wanted, seconds: float = 60) -> float | None:
        """Seconds from `since` until a map that shows `wanted` was on screen (its probe ended)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for began, ended, lab_map in list(self.maps):
                if ended >= since and wanted(lab_map):
                    return ended - since
            time.sleep(0.1)
        return None

    def close(self):
        self.stop.set()
        self.thread.join(30)


def _servers(lab_map: LabMap) -> dict[str, str]:
    return {server.server: server.status for server in lab_map.haproxy}


def _start_broker(lab: Lab, node: str) -> None:
    lab.node(node).exec("rabbitmq-server -detached; until rabbitmq-diagnostics -q ping >/dev/null 2>&1; "
                        "do sleep 1; done; rabbitmqctl -q await_startup", timeout=180)


def _wait_whole(lab: Lab, brokers: set[str], seconds: float = 90) -> None:
    """Until the brokers that were up at the start are up again (the cluster's queue whole, HAProxy all UP)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lab_map = read_map(lab)
        cluster = lab_map.queue("cluster")
        if all(n.rabbitmq == "up" for n in lab_map.nodes if n.name in brokers) \
                and (cluster is None or len(cluster.online) == 3) \
                and all(status == "UP" for status in _servers(lab_map).values()):
            return
        time.sleep(1)


def freshness(lab: Lab, refresh: float) -> list[tuple[str, float | None]]:
    rows: list[tuple[str, float | None]] = []
    start = read_map(lab)
    brokers = {node.name for node in start.nodes if node.rabbitmq == "up"}
    cluster = start.queue("cluster")
    victim = cluster.leader if cluster else next(n.name for n in start.nodes if n.rabbitmq == "up")
    watcher = Watcher(lab, refresh)
    try:
        time.sleep(refresh * 2)
        event = time.monotonic()
        lab.node(victim).exec("pkill -9 -x beam.smp")
        rows.append((f"RabbitMQ killed on {victim} (the drill): the map shows it down",
                     watcher.first(event, lambda m: m.node(victim).rabbitmq == "down")))
        if cluster:
            rows.append(("... and the quorum queue's new leader",
                         watcher.first(event, lambda m: m.queue("cluster") and m.queue("cluster").leader != victim)))
        if start.haproxy:
            rows.append(("... and HAProxy's DOWN (HAProxy's own checks: 3 failures 2 s apart)",
                         watcher.first(event, lambda m: _servers(m).get(victim) == "DOWN")))
        _start_broker(lab, victim)
        _wait_whole(lab, brokers)
        stopped = "celery-3"
        lab.stop_node(stopped)  # docker stop: bash ignores SIGTERM, so 3 s pass before the kill
        event = time.monotonic()
        rows.append((f"container {stopped} stopped (from docker stop's return): the map shows it exited",
                     watcher.first(event, lambda m: m.node(stopped).container == "exited")))
        if start.haproxy:
            rows.append(("... and HAProxy's DOWN (a silent address: each check waits its 2 s connect timeout)",
                         watcher.first(event, lambda m: _servers(m).get(stopped) == "DOWN")))
        lab.start_node(stopped)
        if stopped in brokers:  # before 四, celery-3 has no broker to start
            _start_broker(lab, stopped)
        _wait_whole(lab, brokers)
    finally:
        watcher.close()
    return rows


def tutor(lab: Lab, meter: Meter, seconds: float) -> list[tuple[str, tuple[float, float, float], int]]:
    """The tutor itself over the lab (headless, Textual's test driver): CPU per minute with the map hidden (the
    status bar's probe every 5 s, as always), then shown (l: read every 2 s), then hidden again; and its reads."""
    import asyncio
    import tempfile

    from celery_tutor.app import make_app
    from celery_tutor.app.progress import ProgressView
    from celery_tutor.course import load_course

    rows = []

    async def scenario(logs: str) -> None:
        app = make_app(load_course(), lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=Path(logs))
        async with app.run_test(size=(140, 44)) as pilot:
            while app.lab_owner.lab is None:
                await pilot.pause(0.2)

            async def window(label: str) -> None:
                reads = app.lab_owner.map_reads
                before, started = await asyncio.to_thread(meter.read), time.monotonic()
                await pilot.pause(seconds)
                after = await asyncio.to_thread(meter.read)
                minutes = (time.monotonic() - started) / 60
                rows.append((label, tuple((a - b) / minutes for a, b in zip(after, before)),
                             round((app.lab_owner.map_reads - reads) / minutes)))

            await window("tutor, map hidden")
            await pilot.press("l")
            await window("tutor, map shown (l)")
            await pilot.press("l")
            while app.lab_owner.reading_map:  # the read under way when it was hidden
                await pilot.pause(0.2)
            await window("tutor, map hidden again")
            app.shut_down()

    with tempfile.TemporaryDirectory() as logs:
        asyncio.run(scenario(logs))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", help="use this lab as it is (default: replay the course on a new one)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each measuring window")
    parser.add_argument("--refresh", type=float, default=2, help="seconds between two looks")
    args = parser.parse_args()
    client = connect()
    name = args.lab or f"bench-map-{uuid.uuid4().hex[:6]}"
    if not args.lab:
        console.print(f"replaying the course on lab {name} (about 5 minutes)")
        subprocess.run([sys.executable, "-m", "celery_tutor", "verify", "--from", "haproxy/heal", "--to",
                        "haproxy/heal", "--keep", "--lab", name], check=True, stdout=subprocess.DEVNULL)
    lab = Lab(client, name=name)
    try:
        meter = Meter(lab)
        read_map(lab)  # warm: the first exec in a node pays for things the next ones do not
        running = [n.name for n in lab.nodes if n.running()]
        broker = next(n.name for n in read_map(lab).nodes if n.rabbitmq == "up")
        modes = [
            ("idle (no probe)", None),
            ("exec true, once per node", lambda: [_exec(lab, node, ["true"]) for node in running]),
            ("rabbitmqctl status, once", lambda: _exec(lab, broker, ["rabbitmqctl", "-q", "status"])),
            ("rabbitmqctl list_queues + cluster_status (json)", lambda: [
                _exec(lab, broker, ["rabbitmqctl", "-q", "list_queues", "name", "type", "leader", "members", "online",
                                    "messages_ready", "messages_unacknowledged", "consumers", "--formatter", "json"]),
                _exec(lab, broker, ["rabbitmqctl", "-q", "cluster_status", "--formatter", "json"])]),
            ("read_map (the map)", lambda: read_map(lab)),
            ("idle again", None),
        ]
        measured = {label: window(meter, args.seconds, args.refresh, action) for label, action in modes}
        idle = tuple((a + b) / 2 for a, b in zip(measured["idle (no probe)"][0], measured["idle again"][0]))
        cpu = Table("probe every %g s" % args.refresh, "wall s per look", "lab containers", "engine (shared)",
                    "this process", "total above idle", "vs exec true", "vs rabbitmqctl status",
                    title="CPU seconds per minute (above idle, except the idle rows)")
        above = {label: sum(max(0.0, value - base) for value, base in zip(per_minute, idle))
                 for label, (per_minute, _) in measured.items()}
        for label, (per_minute, wall) in measured.items():
            is_idle = label.startswith("idle")
            values = per_minute if is_idle else tuple(max(0.0, v - b) for v, b in zip(per_minute, idle))
            total = sum(values)
            cpu.add_row(label, f"{wall:.2f}" if wall else "-", *(f"{v:.2f}" for v in values), f"{total:.2f}",
                        "-" if is_idle else f"{total / above['exec true, once per node']:.1f}",
                        "-" if is_idle else f"{total / above['rabbitmqctl status, once']:.2f}")
        console.print(cpu)
        in_tutor = Table("the tutor, for %g s each" % args.seconds, "map reads per minute", "lab containers",
                         "engine (shared)", "this process", "total above idle", "vs map hidden",
                         title="CPU seconds per minute in the tutor (above idle): the map costs only while shown")
        windows = tutor(lab, meter, args.seconds)
        hidden = sum(max(0.0, v - b) for v, b in zip(windows[0][1], idle)) or 1e-9
        for label, per_minute, reads in windows:
            values = tuple(max(0.0, v - b) for v, b in zip(per_minute, idle))
            in_tutor.add_row(label, str(reads), *(f"{v:.2f}" for v in values), f"{sum(values):.2f}",
                             f"{sum(values) / hidden:.1f}")
        console.print(in_tutor)
        status_wall = measured["rabbitmqctl status, once"][1]
        fresh = Table("event", "seconds until the map shows it", "vs the refresh", "vs one rabbitmqctl status",
                      title=f"freshness, map refreshed every {args.refresh:g} s")
        for label, seconds in freshness(lab, args.refresh):
            fresh.add_row(label, "not seen" if seconds is None else f"{seconds:.1f}",
                          "-" if seconds is None else f"{seconds / args.refresh:.2f}",
                          "-" if seconds is None else f"{seconds / status_wall:.2f}")
        console.print(fresh)
    finally:
        if not args.lab:
            lab.down()


if __name__ == "__main__":
    main()
