"""What the nodes' answers to the map mean: processes, worker banners, HAProxy's CSV, a worker's name."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from celery_tutor.lab.map_model import HAProxyServer, WorkerView


@dataclass
class NodeFacts:
    host: str = ""
    installed: bool = False
    vm: bool = False
    listening: bool = False
    workers: dict[int, list[str]] = field(default_factory=dict)  # pid: argv
    banners: dict[int, list[str]] = field(default_factory=dict)  # pid: "ready", "queue NAME" from its log
    broker: tuple[int, str] | None = None  # (exit code, what the broker said) when it was asked
    stats: str = ""  # HAProxy's stats, as its page or socket answered


def parse_node(output: str) -> NodeFacts:
    facts = NodeFacts()
    output, _, stats = output.partition("\nstats-from ")
    facts.stats = stats.partition("\n")[2]
    code = None
    for line in output.splitlines():
        key, _, rest = line.partition(" ")
        if key == "host":
            facts.host = rest.strip()
        elif line == "rabbitmq installed":
            facts.installed = True
        elif key == "rabbitmq" and rest.startswith("vm "):
            facts.vm = True
        elif line == "amqp listening":
            facts.listening = True
        elif key == "broker-exit" and rest.isdigit():
            code = int(rest)
        elif key == "broker" and code is not None:
            facts.broker = (code, rest)
        elif key in ("worker", "banner"):
            pid, _, args = rest.partition(" ")
            if pid.isdigit() and key == "worker":
                facts.workers[int(pid)] = args.split("\t")
            elif pid.isdigit():
                facts.banners.setdefault(int(pid), []).append(args)
    return facts


def option(argv: list[str], *names: str) -> str | None:
    """The value of -Q/--queues style options, whichever way they are written (-Q a, -Qa, --queues=a, --queues a)."""
    for index, arg in enumerate(argv):
        for name in names:
            if arg == name and index + 1 < len(argv):
                return argv[index + 1]
            if name.startswith("--") and arg.startswith(name + "="):
                return arg[len(name) + 1:]
            if not name.startswith("--") and arg.startswith(name) and len(arg) > len(name):
                return arg[len(name):]
    return None


def worker_name(argv: list[str], host: str) -> str:
    """Celery's own rule: -n/--hostname, %h the host name, %n its first part; no @ means celery's default prefix."""
    name = option(argv, "-n", "--hostname") or "celery@%h"
    name = name.replace("%h", host).replace("%n", host.split(".")[0]).replace("%d", "")
    return name if "@" in name else f"{name}@{host}"


def worker(node: str, pid: int, argv: list[str], facts: NodeFacts) -> WorkerView:
    banner = facts.banners.get(pid, [])
    queues = option(argv, "-Q", "--queues")
    return WorkerView(node, worker_name(argv, facts.host or node),
                      queues.split(",") if queues else sorted({line[6:] for line in banner if line.startswith("queue ")}),
                      "ready" in banner, pid, option(argv, "-A", "--app") or "")


def stats_csv(payload: str) -> str:
    """The CSV out of HAProxy's answer: a socket's as it is, or an HTTP response, whose body HAProxy sends
    chunked even to an HTTP/1.0 request."""
    if not payload.startswith("HTTP/"):
        return payload
    head, _, body = payload.partition("\r\n\r\n")
    if "transfer-encoding: chunked" not in head.lower():
        return body
    text, rest = [], body
    while rest:
        size, _, rest = rest.partition("\r\n")
        try:
            length = int(size.split(";")[0], 16)
        except ValueError:
            break
        if length == 0:
            break
        text.append(rest[:length])
        rest = rest[length + 2:]
    return "".join(text)


def parse_haproxy_csv(text: str, node: str) -> list[HAProxyServer]:
    text = text.lstrip("# ")
    servers = []
    for row in csv.DictReader(io.StringIO(text)):
        name, proxy = row.get("svname") or "", row.get("pxname") or ""
        if not name or name in ("FRONTEND", "BACKEND") or proxy == "stats":
            continue
        sessions = row.get("scur") or ""
        servers.append(HAProxyServer(name, (row.get("status") or "").strip(), node, proxy,
                                     int(sessions) if sessions.isdigit() else None))
    return servers


QUEUE_TYPES = {"rabbit_classic_queue": "classic", "rabbit_quorum_queue": "quorum", "rabbit_stream_queue": "stream"}


def count(value) -> int | None:
    return value if isinstance(value, int) else None
