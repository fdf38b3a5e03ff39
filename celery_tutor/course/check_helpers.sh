# The check helpers: bash functions the tutor defines before every check script (`check node=...`), so that a
# check reads as what it tests. They are the tutor's, not the notes': the learner never types or installs them.
# The list, with examples, is in docs/lesson-format.md ("Check helpers"). A helper that finds a problem says why
# on stderr (the check's output, whose last line is the reason shown) and returns 1; `|| exit 1` ends the check.
# shellcheck disable=SC2119,SC2120  # last_line reads stdin when it is given no file

# fail REASON: the check fails, and REASON is what the learner reads.
fail() { echo "$*"; exit 1; }

# give_up REASON: the check fails, and waiting cannot help (exit 3): the learner gets REASON at once.
give_up() { echo "$*"; exit 3; }

# last_line [FILE]: the last non-blank line of FILE (or of stdin), or nothing.
last_line() { grep -v '^[[:space:]]*$' "$@" 2>/dev/null | tail -n1; }

# among WORD LIST: whether WORD is one of the space-separated words of LIST.
among() { case " $2 " in *" $1 "*) return 0 ;; esac; return 1; }

# port_open PORT [HOST]: whether something accepts TCP connections there (HOST defaults to 127.0.0.1).
port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/${2:-127.0.0.1}/$1" 2>/dev/null; }

# broker_answers [NODE]: whether the RabbitMQ node (this one, or e.g. rabbit@celery-1) answers a ping.
broker_answers() { rabbitmq-diagnostics -q ${1:+-n "$1"} -t 10 ping >/dev/null 2>&1; }

# job_log JOB: the log of a `run background=JOB` block.
job_log() { echo "/var/log/celery-tutor/$1.log"; }

# worker_log_since_start [JOB]: what the Celery worker started as `background=JOB` (default: worker) logged
# since its banner last appeared, so that lines of a run before a restart never count.
worker_log_since_start() {
  awk -v banner=" celery@$(hostname) v[0-9]" '$0 ~ banner {buf = ""} {buf = buf $0 "\n"} END {printf "%s", buf}' \
    "$(job_log "${1:-worker}")" 2>/dev/null
}

# worker_logged PATTERN [JOB]: whether the worker's log since its last start has a line matching PATTERN (ERE).
worker_logged() { worker_log_since_start "${2:-worker}" | grep -Eq -- "$1"; }

# task_succeeded TASK RESULT [JOB]: whether the worker, since its last start, logged TASK succeeding with
# RESULT (an ERE matched to the end of the line): `Task tasks.add[<id>] succeeded in 0.01s: 8`.
task_succeeded() {
  worker_logged "Task ${1//./\\.}\[[0-9a-f-]+\] succeeded in [0-9.e-]+s: $2\$" "${3:-worker}"
}

# expect_worker_running [APP]: give up unless `celery -A APP worker` (default: tasks) runs in this node.
expect_worker_running() {
  pgrep -f "[c]elery -A ${1:-tasks} worker" >/dev/null \
    || give_up "expected a Celery worker to run on $(hostname), but none does: start it (and look at the end of its log if it stopped)"
}

# expect_worker_ready WHAT [JOB]: fail unless the worker has said `celery@<node> ready.` since its last start;
# WHAT says what is fine already ("the worker has rpc://").
expect_worker_ready() {
  worker_logged "celery@$(hostname) ready\." "${2:-worker}" \
    || fail "$1 but is not ready yet; last line: $(worker_log_since_start "${2:-worker}" | last_line)"
}

# cluster_status: sets running_nodes, disc_nodes and ram_nodes (sorted, space-separated) from this node's
# `rabbitmqctl cluster_status`; fails the check if rabbitmqctl cannot tell.
cluster_status() {
  local out
  out=$(rabbitmqctl -q cluster_status --formatter json 2>&1) \
    || fail "rabbitmqctl cluster_status failed on $(hostname): $(printf '%s\n' "$out" | last_line)"
  eval "$(printf '%s' "$out" | python3 -c '
import json, shlex, sys
status = json.load(sys.stdin)
for key, name in (("running_nodes", "running_nodes"), ("disk_nodes", "disc_nodes"), ("ram_nodes", "ram_nodes")):
    print(f"{name}={shlex.quote(chr(32).join(sorted(status.get(key, []))))}")
')"
}

# queue_field QUEUE FIELD: one field of a queue from `rabbitmqctl list_queues` in this node (a list's items
# sorted, space-separated); nothing if there is no such queue. Says why on stderr and fails if rabbitmqctl does.
queue_field() {
  local out
  out=$(rabbitmqctl -q list_queues name "$2" --formatter json 2>&1) \
    || { echo "rabbitmqctl list_queues failed on $(hostname): $(printf '%s\n' "$out" | last_line)" >&2; return 1; }
  printf '%s' "$out" | python3 -c '
import json, sys
queue = {q["name"]: q for q in json.load(sys.stdin)}.get(sys.argv[1])
if queue is not None:
    value = queue[sys.argv[2]]
    print(" ".join(sorted(map(str, value))) if isinstance(value, list) else value)
' "$1" "$2"
}

# amqp_message_count QUEUE: the messages in QUEUE as the broker on this node tells an AMQP client (a passive
# declare, as guest); prints the broker's error instead, and fails, when the queue cannot be reached.
amqp_message_count() {
  python3 - "$1" 2>&1 <<'EOF' | tail -n1
import sys, amqp
with amqp.Connection("localhost:5672", userid="guest", password="guest", connect_timeout=5) as connection:
    print(connection.channel().queue_declare(sys.argv[1], passive=True)[1])
EOF
  return "${PIPESTATUS[0]}"
}

# haproxy_status SERVER: what HAProxy's stats page (port 8404 in this node) says of SERVER in the backend
# rabbitmq: UP, DOWN, ... or missing. Says why on stderr and fails if the page does not answer.
haproxy_status() {
  python3 - "$1" <<'EOF'
import csv, io, socket, sys, urllib.request
try:
    text = urllib.request.urlopen("http://localhost:8404/;csv", timeout=3).read().decode()
except OSError as exc:
    sys.exit(f"expected HAProxy's stats page on {socket.gethostname()} port 8404, but it does not answer ({exc})")
rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
print({row["svname"]: row["status"] for row in rows if row["pxname"] == "rabbitmq"}.get(sys.argv[1], "missing"))
EOF
}

# rabbitmqctl_json COMMAND [ARG ...]: what `rabbitmqctl -q COMMAND ARG ... --formatter json` prints in this node.
# Says why on stderr and fails if rabbitmqctl does: its last line, or for a command it lacks (one that comes
# with a plugin not enabled), the line saying so, above its usage.
rabbitmqctl_json() {
  local out
  out=$(rabbitmqctl -q "$@" --formatter json 2>&1) || {
    echo "rabbitmqctl $1 failed on $(hostname): $(grep -m1 "^Command '.*' not found" <<< "$out" || last_line <<< "$out")" >&2
    return 1
  }
  printf '%s\n' "$out"
}

# federation_link TYPE NAME: the status of this node's federation link for the exchange or queue (TYPE) NAME:
# `running`, or the status and its error (`error econnrefused`); nothing if there is no such link. Says why on
# stderr and fails if rabbitmqctl does (`federation_status` is missing while the federation plugin is disabled).
federation_link() {
  local out
  out=$(rabbitmqctl_json federation_status) || return 1
  printf '%s' "$out" | python3 -c '
import json, sys
kind, name = sys.argv[1:]
for link in json.loads(sys.stdin.read() or "[]"):
    if link["type"] == kind and link[kind] == name:
        print(" ".join(str(part) for part in (link["status"], link.get("error")) if part))
' "$1" "$2"
}

# expect_messages QUEUE COUNT WHY: fail unless QUEUE in this node holds COUNT messages (`rabbitmqctl list_queues`);
# WHY begins the reason ("expected 2 messages in news"), which goes on with what the queue holds.
expect_messages() {
  local n
  n=$(queue_field "$1" messages) || exit 1
  [ -n "$n" ] || fail "$3, but there is no queue $1 on $(hostname)"
  [ "$n" = "$2" ] || fail "$3, but $1 holds $n"
}
