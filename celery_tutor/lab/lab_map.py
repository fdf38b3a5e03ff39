"""The map of the lab: its nodes, brokers, queues, HAProxy's servers and Celery workers, read without changing them."""

from __future__ import annotations

import json
import re
import threading
import time

from celery_tutor.lab.lab import Lab
from celery_tutor.lab.map_model import HAProxyServer, LabMap, NodeView, QueueView, WorkerView  # noqa: F401 (the map's API)
from celery_tutor.lab.map_reading import (QUEUE_TYPES, NodeFacts, count, parse_haproxy_csv, parse_node, stats_csv,
                                          worker)
from celery_tutor.lab.map_scripts import BROKER_EXPRESSION, BROKER_SCRIPT, ERL_EVAL, NODE_SCRIPT

ENGINE_SECONDS = 8.0  # the engine's list of the lab's containers
NODE_SECONDS = 4.0  # one node's look at its own processes, ports, worker logs and HAProxy's stats
BROKER_SECONDS = 5.0  # one broker's answer about its cluster and queues
BUDGET_SECONDS = 12.0  # the whole map: past it, brokers not asked yet are shown as not answering


# --- running things in the nodes ------------------------------------------------------------------------------

def _run(lab: Lab, container: str, script: str, seconds: float, env: dict[str, str] | None = None) -> tuple[int | None, str]:
    """One short exec, bounded by coreutils' timeout in the container; (exit code, stdout). Node.exec would stream
    and poll the engine four times a second, and writes a pid file the map has no use for."""
    api = lab.client.api
    exec_id = api.exec_create(container, ["timeout", "-k", "1", f"{seconds:g}", "bash", "-c", 'eval "$MAP_PROBE"'],
                              environment={"MAP_PROBE": script, **(env or {})}, workdir="/")["Id"]
    out, _ = api.exec_start(exec_id, demux=True)
    return api.exec_inspect(exec_id)["ExitCode"], (out or b"").decode("utf-8", "replace")


def _bounded(calls: dict[str, callable], seconds: float) -> dict[str, object]:
    """Run the calls in threads at once; a result, an exception, or None for each call that did not end in time.
    The engine's socket has its own 60 s timeout: a thread left waiting on it ends by itself, the map does not wait."""
    results: dict[str, object] = {}

    def one(key, call):
        try:
            results[key] = call()
        except Exception as exc:  # the node went away, the engine refused: shown, never raised
            results[key] = exc

    threads = [threading.Thread(target=one, args=item, daemon=True, name=f"map-{item[0]}") for item in calls.items()]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + seconds
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {key: results.get(key) for key in calls}


def _short(lab: Lab, rabbit_node: str) -> str:
    """rabbit@celery-1 is celery-1 on the map; a node named otherwise keeps its full name."""
    prefix, _, host = rabbit_node.partition("@")
    return host if prefix == "rabbit" and host in lab.node_names else rabbit_node


# --- the probe ------------------------------------------------------------------------------------------------

def read_map(lab: Lab, previous: LabMap | None = None) -> LabMap:
    """The lab as it is now. Never raises and never waits much past BUDGET_SECONDS: what cannot be read is
    shown as such (a node's `problem`, `unknown` states). One exec per running node; one of them also asks its
    broker, which speaks for its whole cluster (a broker outside that cluster is asked after): the first node whose
    broker was up in the `previous` map, so that a refreshing pane does not ask a dead broker first."""
    started = time.monotonic()
    found = LabMap(lab.name, taken_at=time.time())
    # The engine's own timeout is minutes (meant for builds): a busy engine would freeze the map that long.
    listed = _bounded({"status": lab.status}, ENGINE_SECONDS)["status"]
    if not isinstance(listed, list):
        reason = (f"the Docker engine did not answer within {ENGINE_SECONDS:g} s" if listed is None else
                  f"the Docker engine did not answer ({type(listed).__name__})")
        found.nodes = [NodeView(name, "unknown", "unknown", problem=reason) for name in lab.node_names]
        found.seconds = time.monotonic() - started
        return found
    statuses = {status.name: status for status in listed}

    views: dict[str, NodeView] = {}
    running: dict[str, str] = {}  # node: container name
    for name in lab.node_names:
        status = statuses.get(name)
        views[name] = NodeView(name, status.state if status else "absent", "down")
        if status and status.state == "running":
            running[name] = status.container

    was_up = [node.name for node in previous.nodes if node.rabbitmq == "up"] if previous else []
    first = next((name for name in was_up if name in running), next(iter(running), None))
    calls = {}
    for name, container in running.items():
        env = _broker_env() if name == first else {}
        seconds = NODE_SECONDS + (BROKER_SECONDS if env else 0)
        calls[name] = lambda c=container, e=env, t=seconds: _run(lab, c, NODE_SCRIPT, t, e)
    said = _bounded(calls, NODE_SECONDS + BROKER_SECONDS + 2)
    facts: dict[str, NodeFacts] = {}
    for name, answer in said.items():
        view = views[name]
        if not isinstance(answer, tuple) or answer[0] != 0:
            view.rabbitmq = "unknown"
            view.problem = _silence(answer, NODE_SECONDS)
            continue
        facts[name] = node_facts = parse_node(answer[1])
        view.rabbitmq = ("up" if node_facts.listening and node_facts.vm else
                         "stopped" if node_facts.vm else "down" if node_facts.installed else "absent")
        found.workers += [worker(name, pid, argv, node_facts) for pid, argv in sorted(node_facts.workers.items())]
        if node_facts.stats:
            found.haproxy += parse_haproxy_csv(stats_csv(node_facts.stats), name)

    covered: set[str] = set()
    seen: set[tuple] = set()
    for name in lab.node_names:
        if views[name].rabbitmq != "up" or name in covered:
            continue
        answer = facts[name].broker
        if answer is None and time.monotonic() - started > BUDGET_SECONDS:
            views[name].problem = "not asked: the map ran out of time"
            continue
        if answer is None:
            said = _bounded({name: lambda: _run(lab, running[name], BROKER_SCRIPT, BROKER_SECONDS,
                                                _broker_env())},
                            BROKER_SECONDS + 2)[name]
            answer = parse_node(said[1]).broker if isinstance(said, tuple) else None
        covered |= _add_broker(lab, found, views, name, answer, seen)

    order = {name: index for index, name in enumerate(lab.node_names)}
    for queue in found.queues:
        queue.members.sort(key=lambda node: (order.get(node, len(order)), node))
        queue.online.sort(key=lambda node: (order.get(node, len(order)), node))
    found.queues.sort(key=lambda queue: (queue.vhost, _natural(queue.name)))
    found.nodes = [views[name] for name in lab.node_names]
    found.seconds = time.monotonic() - started
    return found


def _broker_env() -> dict[str, str]:
    return {"MAP_BROKER_EXPR": BROKER_EXPRESSION, "MAP_ERL_EVAL": ERL_EVAL, "MAP_BROKER_SECONDS": f"{BROKER_SECONDS:g}"}


def _natural(name: str) -> list:
    """celery_delayed_2 before celery_delayed_10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)]


def _silence(answer, seconds: float) -> str:
    if answer is None:
        return f"no answer within {seconds:g} s"
    if isinstance(answer, Exception):
        return f"cannot be asked ({str(answer).splitlines()[0][:120] if str(answer) else type(answer).__name__})"
    code, output = answer
    return f"no answer within {seconds:g} s" if code in (124, 137) else f"the probe failed (exit {code})"


def _add_broker(lab: Lab, found: LabMap, views: dict[str, NodeView], name: str, answer: tuple[int, str] | None,
                seen: set[tuple]) -> set[str]:
    """Put one broker's view of its cluster on the map; the nodes it speaks for (none if it did not answer)."""
    try:
        view = json.loads(answer[1]) if answer and answer[0] == 0 else None
    except ValueError:
        view = None
    if not isinstance(view, dict):
        views[name].rabbitmq = "unknown"
        views[name].problem = "RabbitMQ did not answer" + (
            f" within {BROKER_SECONDS:g} s" if answer is None or answer[0] in (124, 137) else f": {answer[1][:120]}")
        return set()
    members = [_short(lab, node) for node in view.get("members", [])]
    disc = {_short(lab, node) for node in view.get("disc", [])}
    up = {_short(lab, node) for node in view.get("running", [])}
    connections: dict[str, int] = {}
    counted = isinstance(view.get("connections"), list)  # null: the connections could not be listed in time
    for node in view.get("connections") or []:
        connections[_short(lab, node)] = connections.get(_short(lab, node), 0) + 1
    for member in members:
        if member in views:
            node_view = views[member]
            node_view.type = "disc" if member in disc else "ram"
            node_view.cluster = sorted(members)
            node_view.running = member in up
            node_view.connections = connections.get(member, 0) if member in up and counted else None
    for node, cut in view.get("partitions", []):
        if _short(lab, node) in views:
            views[_short(lab, node)].partitions = [_short(lab, other) for other in cut]
    served: dict[tuple, list[str]] = {}
    for vhost, queue_name, node in view.get("consumers", []):
        served.setdefault((vhost, queue_name), []).append(_short(lab, node))
    for queue in view.get("queues", []):
        key = (queue.get("vhost"), queue.get("name"), tuple(sorted(queue.get("members") or [])))
        if key in seen:  # a partition: both sides list the queue
            continue
        seen.add(key)
        ready, unacked = count(queue.get("ready")), count(queue.get("unacked"))
        found.queues.append(QueueView(
            queue.get("name", "?"), QUEUE_TYPES.get(queue.get("type"), str(queue.get("type"))),
            _short(lab, queue.get("leader") or ""), [_short(lab, node) for node in queue.get("members") or []],
            [_short(lab, node) for node in queue.get("online") or []],
            ready + unacked if ready is not None and unacked is not None else None,
            count(queue.get("consumers")), ready, unacked, queue.get("vhost", "/"),
            sorted(served.get((queue.get("vhost"), queue.get("name")), []))))
    return up | {name}
