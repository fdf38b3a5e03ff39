"""The map of the lab: its nodes, brokers, queues, HAProxy's servers and Celery workers, read without changing them."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from dataclasses import asdict, dataclass, field

from celery_tutor.lab.lab import Lab

NODE_SECONDS = 4.0  # one node's look at its own processes, ports, worker logs and HAProxy's stats
BROKER_SECONDS = 5.0  # one broker's answer about its cluster and queues
BUDGET_SECONDS = 12.0  # the whole map: past it, brokers not asked yet are shown as not answering

# One broker's view of its whole cluster, as JSON, evaluated inside the RabbitMQ node. Queue counts are asked of
# the node that holds (or leads) each queue, as `rabbitmqctl list_queues` does (another node's counters are stale):
# one request per node, all at once, each given up after a second, so that a node shutting down or frozen costs the
# map one second and blanks only its own queues' counts, not the whole answer.
_BROKER_EXPRESSION = r"""
B = fun(A) when is_atom(A) -> atom_to_binary(A, utf8); (X) -> X end,
Within = fun(F, Default) -> try erpc:call(node(), F, 1000) catch _:_ -> Default end end,
Running = rabbit_mnesia:cluster_nodes(running),
Items = [messages_ready, messages_unacknowledged, consumers, leader, members, online],
All = rabbit_amqqueue:list(),
Asked = [{N, [Q || Q <- All, amqqueue:qnode(Q) =:= N]} || N <- Running],
Requests = [{Qs, erpc:send_request(N, fun() -> [try rabbit_amqqueue:info(Q, Items) catch _:_ -> [] end || Q <- Qs] end)}
            || {N, Qs} <- Asked, Qs =/= []],
Infos = maps:from_list(lists:append(
  [try lists:zip([amqqueue:get_name(Q) || Q <- Qs], erpc:receive_response(Request, 1000)) catch _:_ -> [] end
   || {Qs, Request} <- Requests])),
Queue = fun(Q) ->
  Type = amqqueue:get_type(Q),
  Home = amqqueue:qnode(Q),
  Info = maps:get(amqqueue:get_name(Q), Infos, []),
  Get = fun(K, D) -> case lists:keyfind(K, 1, Info) of {K, V} when V =/= '' -> V; _ -> D end end,
  Mirrors = case Type of
              rabbit_classic_queue -> case amqqueue:get_slave_pids(Q) of L when is_list(L) -> [node(P) || P <- L]; _ -> [] end;
              _ -> [] end,
  Members = Get(members, [Home | Mirrors]),
  #{<<"vhost">> => amqqueue:get_vhost(Q), <<"name">> => element(4, amqqueue:get_name(Q)),
    <<"type">> => B(Type), <<"leader">> => B(Get(leader, Home)), <<"members">> => [B(M) || M <- Members],
    <<"online">> => [B(M) || M <- Get(online, [M || M <- Members, lists:member(M, Running)])],
    <<"ready">> => Get(messages_ready, null), <<"unacked">> => Get(messages_unacknowledged, null),
    <<"consumers">> => Get(consumers, null)}
end,
Consumers = Within(fun() -> [[element(2, R), element(4, R), B(node(proplists:get_value(channel_pid, C)))]
                             || V <- rabbit_vhost:list_names(), C <- rabbit_amqqueue:consumers_all(V),
                                R <- [proplists:get_value(queue_name, C)]] end, []),
Cuts = lists:zip(Running, erpc:multicall(Running, rabbit_node_monitor, partitions, [], 1000)),
rabbit_json:encode(#{<<"node">> => B(node()), <<"members">> => [B(N) || N <- rabbit_mnesia:cluster_nodes(all)],
  <<"disc">> => [B(N) || N <- rabbit_mnesia:cluster_nodes(disc)], <<"running">> => [B(N) || N <- Running],
  <<"partitions">> => [[B(N), [B(P) || P <- Cut]] || {N, {ok, Cut}} <- Cuts],
  <<"connections">> => Within(fun() -> [B(node(P)) || P <- rabbit_networking:connections()] end, null),
  <<"consumers">> => Consumers, <<"queues">> => [Queue(Q) || Q <- All]}).
"""

# Asked by a hidden Erlang node that lives a fraction of a second: it reads the node's own cookie (as root,
# through HOME), asks, prints, halts, and writes no crash dump even when the broker goes away under it.
# rabbitmqctl would boot Elixir and the whole CLI as well: 0.6 s of CPU against 0.15.
_ERL_EVAL = r"""
try
  {ok, T, _} = erl_scan:string(os:getenv("MAP_BROKER_EXPR")), {ok, E} = erl_parse:parse_exprs(T),
  case rpc:call(list_to_atom(os:getenv("MAP_BROKER")), erl_eval, exprs, [E, []], 4000) of
    {value, V, _} -> io:put_chars([V, $\n]), erlang:halt(0);
    Other -> io:format("~0p~n", [Other]), erlang:halt(3)
  end
catch C:R -> io:format("~0p~n", [{C, R}]), erlang:halt(4)
end."""

_ASK_BROKER = r"""
ask_broker() {
  local said code
  said=$(HOME=/var/lib/rabbitmq ERL_CRASH_DUMP_SECONDS=0 MAP_BROKER="rabbit@$host" timeout -k 1 "$MAP_BROKER_SECONDS" \
         erl -noshell -hidden -sname "map-$$" -eval "$MAP_ERL_EVAL" 2>&1)
  code=$?
  echo "broker-exit $code"
  echo "broker ${said//$'\n'/ }"
}
host=$(</proc/sys/kernel/hostname)
"""

# What a node reports about itself, one fact a line, in bash alone (no Python, no file written): RabbitMQ
# installed, its VM, its AMQP port; each Celery worker with the queues and `ready.` of its log's last banner;
# HAProxy's stats from the page or socket its configuration declares; and, when asked, its broker's view.
# It runs from the environment (bash -c 'eval "$MAP_PROBE"'), so that the lessons' `pgrep -f`/`pkill -f` patterns
# never match the map's own processes.
_NODE_SCRIPT = _ASK_BROKER + r"""
echo "host $host"
[ -x /usr/sbin/rabbitmq-server ] && echo "rabbitmq installed"
listening=""
for f in /proc/net/tcp /proc/net/tcp6; do
  [ -r "$f" ] || continue
  while read -r _ local _ st _; do
    [ "$st" = 0A ] && [ "${local##*:}" = 1628 ] && { listening=1; echo "amqp listening"; break 2; }
  done < "$f"
done
vm=""
declare -A worker haproxy
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  mapfile -d '' -t argv < "$p/cmdline" 2>/dev/null || continue
  [ ${#argv[@]} -gt 0 ] || continue
  line=" ${argv[*]} "
  read -r stat < "$p/stat" 2>/dev/null || continue
  stat=${stat##*) }; set -- $stat; parent=$2
  case "${argv[0]##*/}" in
    beam.smp) [[ $line == *" -s rabbit boot "* ]] && { vm=1; echo "rabbitmq vm $pid"; } ;;
    haproxy) haproxy[$pid]="$parent"$'\t'"$(IFS=$'\t'; echo "${argv[*]}")" ;;
  esac
  # A worker is celery's own program (or python running it) with `worker` among its words, not a pgrep naming it.
  program="${argv[0]##*/} ${argv[1]##*/} ${argv[2]}"
  if [[ ( $program == "celery "* || $program == python*" celery "* || $program == python*" -m celery" )
        && $line == *" worker "* ]]; then
    worker[$pid]="$parent"$'\t'"$(IFS=$'\t'; echo "${argv[*]}")"
  fi
done

worker_log() {  # where a worker logs: its stdout or stderr if a file, else --logfile as `celery multi` gives it
  local pid=$1 target fd a prev="" name="" log=""
  shift
  for fd in 1 2; do
    target=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null)
    [[ -f $target && $target != /dev/* ]] && { echo "$target"; return; }
  done
  for a in "$@"; do
    case "$prev" in -n|--hostname) name=$a ;; -f|--logfile) log=$a ;; esac
    case "$a" in --hostname=*) name=${a#*=} ;; --logfile=*) log=${a#*=} ;; esac
    prev=$a
  done
  [ -n "$log" ] || return
  name=${name:-celery@%h}; name=${name//%h/$host}
  log=${log//%n/${name%%@*}}; log=${log//%I/}; log=${log//%h/$host}
  echo "$log"
}
for pid in "${!worker[@]}"; do
  [ -n "${worker[${worker[$pid]%%$'\t'*}]}" ] && continue  # a pool process of a worker listed already
  args=${worker[$pid]#*$'\t'}
  echo "worker $pid $args"
  IFS=$'\t' read -r -a argv <<< "$args"
  log=$(worker_log "$pid" "${argv[@]}")
  [ -n "$log" ] || continue
  echo "worker-log $pid $log"
  tac -- "$log" 2>/dev/null | awk -v pid="$pid" '/ready\.[[:space:]]*$/ { print "banner", pid, "ready" }
    /^[[:space:]]*\.> / { print "banner", pid, "queue", $2 } /\[queues\]/ { exit }' | head -n 100
done

[ -n "$MAP_BROKER_EXPR" ] && [ -n "$vm" ] && [ -n "$listening" ] && ask_broker

haproxy_stats() {  # HAProxy's CSV over HTTP (bash's /dev/tcp), or from its stats socket with Python
  awk '/^[[:space:]]*(listen|frontend|backend|defaults|global)([[:space:]]|$)/ {
         if (bind && stats) print "http", bind, uri; bind = ""; stats = 0; uri = "/haproxy?stats" }
       /^[[:space:]]*bind[[:space:]]/ { bind = $2 } /^[[:space:]]*stats[[:space:]]+(enable|uri)/ { stats = 1 }
       /^[[:space:]]*stats[[:space:]]+uri[[:space:]]/ { uri = $3 }
       /^[[:space:]]*stats[[:space:]]+socket[[:space:]]/ { print "socket", $3 }
       END { if (bind && stats) print "http", bind, uri }' "$1" 2>/dev/null | while read -r kind where uri; do
    if [ "$kind" = http ]; then
      port=${where##*:}; address=${where%:*}; address=${address#*@}
      case "$address" in ''|'*'|0.0.0.0|'::'|'[::]') address=127.0.0.1 ;; esac
      exec 3<>"/dev/tcp/$address/$port" 2>/dev/null || continue
      printf 'GET %s;csv HTTP/1.0\r\nHost: localhost\r\n\r\n' "$uri" >&3
      echo "stats-from $1"; cat <&3; exit 0
    elif command -v python3 >/dev/null; then
      python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536): data += chunk
sys.stdout.write("stats-from " + sys.argv[2] + "\n" + data.decode())' "$where" "$1" 2>/dev/null && exit 0
    fi
  done
}
# Last, as its answer runs to the end of the output: one HAProxy's stats (a master and its workers share them).
for pid in "${!haproxy[@]}"; do
  [ -n "${haproxy[${haproxy[$pid]%%$'\t'*}]}" ] && continue
  IFS=$'\t' read -r -a argv <<< "${haproxy[$pid]#*$'\t'}"
  for ((i = 0; i < ${#argv[@]}; i++)); do
    [ "${argv[i]}" = -f ] && haproxy_stats "${argv[i+1]}" && break 2
  done
done
exit 0
"""

_BROKER_SCRIPT = _ASK_BROKER + "ask_broker\n"


@dataclass
class NodeView:
    name: str  # the node's name in the course, celery-1
    container: str  # the container's state: running, exited, ..., absent, or unknown when the engine did not say
    rabbitmq: str  # absent (not installed), down, stopped (its VM runs, the application does not), up, unknown
    type: str | None = None  # disc or ram, once the node belongs to a cluster a broker answered for
    cluster: list[str] = field(default_factory=list)  # the members of its cluster (itself alone: a lone broker)
    running: bool = False  # whether its cluster counts it as running
    partitions: list[str] = field(default_factory=list)  # the nodes this one reports as cut off from it
    connections: int | None = None  # client connections served by this node
    problem: str = ""  # why something is not known, e.g. the node did not answer in time


@dataclass
class QueueView:
    name: str
    type: str  # classic, quorum or stream
    leader: str  # the node that holds (classic) or leads (quorum) the queue
    members: list[str]
    online: list[str]
    messages: int | None  # ready + unacked; None when the queue's node cannot be asked
    consumers: int | None
    ready: int | None = None
    unacked: int | None = None
    vhost: str = "/"
    consumer_nodes: list[str] = field(default_factory=list)  # the node serving each consumer's connection


@dataclass
class HAProxyServer:
    server: str
    status: str  # as HAProxy says it: UP, DOWN, UP 1/3 (going down), DOWN 1/2 (coming up), MAINT, no check
    node: str = ""  # the node HAProxy runs on
    proxy: str = ""  # the proxy (listen section) the server belongs to
    sessions: int | None = None  # connections HAProxy holds to it now


@dataclass
class WorkerView:
    node: str
    name: str  # celery@celery-2, or what -n/--hostname says
    queues: list[str]  # from -Q, else from the queues its banner lists; empty when neither says
    ready: bool = False  # its log says `... ready.` after its last banner
    pid: int = 0
    app: str = ""  # what -A names


@dataclass
class LabMap:
    lab: str
    nodes: list[NodeView] = field(default_factory=list)
    queues: list[QueueView] = field(default_factory=list)
    haproxy: list[HAProxyServer] = field(default_factory=list)
    workers: list[WorkerView] = field(default_factory=list)
    taken_at: float = 0.0  # time.time() when the probe started
    seconds: float = 0.0  # how long the probe took

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def node(self, name: str) -> NodeView | None:
        return next((node for node in self.nodes if node.name == name), None)

    def queue(self, name: str) -> QueueView | None:
        return next((queue for queue in self.queues if queue.name == name), None)


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


# --- parsing what the nodes said ------------------------------------------------------------------------------

@dataclass
class _NodeFacts:
    host: str = ""
    installed: bool = False
    vm: bool = False
    listening: bool = False
    workers: dict[int, list[str]] = field(default_factory=dict)  # pid: argv
    banners: dict[int, list[str]] = field(default_factory=dict)  # pid: "ready", "queue NAME" from its log
    broker: tuple[int, str] | None = None  # (exit code, what the broker said) when it was asked
    stats: str = ""  # HAProxy's stats, as its page or socket answered


def _parse_node(output: str) -> _NodeFacts:
    facts = _NodeFacts()
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


def _option(argv: list[str], *names: str) -> str | None:
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


def _worker_name(argv: list[str], host: str) -> str:
    """Celery's own rule: -n/--hostname, %h the host name, %n its first part; no @ means celery's default prefix."""
    name = _option(argv, "-n", "--hostname") or "celery@%h"
    name = name.replace("%h", host).replace("%n", host.split(".")[0]).replace("%d", "")
    return name if "@" in name else f"{name}@{host}"


def _worker_name(argv: list[str], host: str) -> str:
    """Celery's own rule: -n/--hostname, %h the host name, %n its first part; no @ means celery's default prefix."""
    name = _option(argv, "-n", "--hostname") or "celery@%h"
    name = name.replace("%h", host).replace("%n", host.split(".")[0]).replace("%d", "")
    return name if "@" in name else f"{name}@{host}"


def _worker(node: str, pid: int, argv: list[str], facts: _NodeFacts) -> WorkerView:
    banner = facts.banners.get(pid, [])
    queues = _option(argv, "-Q", "--queues")
    return WorkerView(node, _worker_name(argv, facts.host or node),
                      queues.split(",") if queues else sorted({line[6:] for line in banner if line.startswith("queue ")}),
                      "ready" in banner, pid, _option(argv, "-A", "--app") or "")


def _stats_csv(payload: str) -> str:
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


def _parse_haproxy_csv(text: str, node: str) -> list[HAProxyServer]:
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


_QUEUE_TYPES = {"rabbit_classic_queue": "classic", "rabbit_quorum_queue": "quorum", "rabbit_stream_queue": "stream"}


def _count(value) -> int | None:
    return value if isinstance(value, int) else None


# --- the probe ------------------------------------------------------------------------------------------------

def read_map(lab: Lab, previous: LabMap | None = None) -> LabMap:
    """The lab as it is now. Never raises and never waits much past BUDGET_SECONDS: what cannot be read is
    shown as such (a node's `problem`, `unknown` states). One exec per running node; one of them also asks its
    broker, which speaks for its whole cluster (a broker outside that cluster is asked after): the first node whose
    broker was up in the `previous` map, so that a refreshing pane does not ask a dead broker first."""
    started = time.monotonic()
    found = LabMap(lab.name, taken_at=time.time())
    try:
        statuses = {status.name: status for status in lab.status()}
    except Exception as exc:
        reason = f"the Docker engine did not answer ({type(exc).__name__})"
        found.nodes = [NodeView(name, "unknown", "unknown", problem=reason) for name in lab.node_names]
        found.seconds = time.monotonic() - started
        return found

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
        calls[name] = lambda c=container, e=env, t=seconds: _run(lab, c, _NODE_SCRIPT, t, e)
    said = _bounded(calls, NODE_SECONDS + BROKER_SECONDS + 2)
    facts: dict[str, _NodeFacts] = {}
    for name, answer in said.items():
        view = views[name]
        if not isinstance(answer, tuple) or answer[0] != 0:
            view.rabbitmq = "unknown"
            view.problem = _silence(answer, NODE_SECONDS)
            continue
        facts[name] = node_facts = _parse_node(answer[1])
        view.rabbitmq = ("up" if node_facts.listening and node_facts.vm else
                         "stopped" if node_facts.vm else "down" if node_facts.installed else "absent")
        found.workers += [_worker(name, pid, argv, node_facts) for pid, argv in sorted(node_facts.workers.items())]
        if node_facts.stats:
            found.haproxy += _parse_haproxy_csv(_stats_csv(node_facts.stats), name)

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
            said = _bounded({name: lambda: _run(lab, running[name], _BROKER_SCRIPT, BROKER_SECONDS,
                                                _broker_env())},
                            BROKER_SECONDS + 2)[name]
            answer = _parse_node(said[1]).broker if isinstance(said, tuple) else None
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
    return {"MAP_BROKER_EXPR": _BROKER_EXPRESSION, "MAP_ERL_EVAL": _ERL_EVAL, "MAP_BROKER_SECONDS": f"{BROKER_SECONDS:g}"}


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
        ready, unacked = _count(queue.get("ready")), _count(queue.get("unacked"))
        found.queues.append(QueueView(
            queue.get("name", "?"), _QUEUE_TYPES.get(queue.get("type"), str(queue.get("type"))),
            _short(lab, queue.get("leader") or ""), [_short(lab, node) for node in queue.get("members") or []],
            [_short(lab, node) for node in queue.get("online") or []],
            ready + unacked if ready is not None and unacked is not None else None,
            _count(queue.get("consumers")), ready, unacked, queue.get("vhost", "/"),
            sorted(served.get((queue.get("vhost"), queue.get("name")), []))))
    return up | {name}
