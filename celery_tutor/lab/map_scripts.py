"""What the map runs inside the nodes: one bash look per node, and one Erlang question to a broker about its cluster."""

from __future__ import annotations

# One broker's view of its whole cluster, as JSON, evaluated inside the RabbitMQ node. Queue counts are asked of
# the node that holds (or leads) each queue, as `rabbitmqctl list_queues` does (another node's counters are stale):
# one request per node, all at once, each given up after a second, so that a node shutting down or frozen costs the
# map one second and blanks only its own queues' counts, not the whole answer.
BROKER_EXPRESSION = r"""
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
ERL_EVAL = r"""
try
  {ok, T, _} = erl_scan:string(os:getenv("MAP_BROKER_EXPR")), {ok, E} = erl_parse:parse_exprs(T),
  case rpc:call(list_to_atom(os:getenv("MAP_BROKER")), erl_eval, exprs, [E, []], 4000) of
    {value, V, _} -> io:put_chars([V, $\n]), erlang:halt(0);
    Other -> io:format("~0p~n", [Other]), erlang:halt(3)
  end
catch C:R -> io:format("~0p~n", [{C, R}]), erlang:halt(4)
end."""

ASK_BROKER = r"""
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
NODE_SCRIPT = ASK_BROKER + r"""
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

BROKER_SCRIPT = ASK_BROKER + "ask_broker\n"
