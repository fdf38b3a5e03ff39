"""What ran in a node: the processes PID 1 adopted, read from /proc, the ports they served, and how each is started
again as it was (its argv, user, directory, environment and output)."""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field

from celery_tutor.lab.in_node import LOG_DIR

# What the node ran, in one exec: every process's parent, the processes PID 1 adopted (but the container's own
# bash, its first child) with what starts them again, the sockets they hold, the TCP sockets that listen or are
# connected, and the pid files that name one of those processes.
CAPTURE = r"""
main=$(ps -o pid= --ppid 1 | sort -n | head -1 | tr -d ' ')
ps -eo pid=,ppid= | while read -r pid ppid; do echo "T $pid $ppid"; done
roots=""
for p in $(ps -o pid= --ppid 1); do
  [ "$p" = "$main" ] && continue
  [ -r /proc/$p/cmdline ] || continue
  roots="$roots $p"
  printf 'P\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$(cut -d' ' -f22 /proc/$p/stat)" "$(stat -c %u:%g /proc/$p)" \
    "$(base64 -w0 /proc/$p/cmdline)" "$(readlink /proc/$p/cwd)" "$(base64 -w0 /proc/$p/environ)" \
    "$(readlink /proc/$p/fd/1)" "$(readlink /proc/$p/fd/2)"
done
find /proc/[0-9]*/fd -lname 'socket:*' -printf 'S %h %l\n' 2>/dev/null
cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "0A" || $4 == "01" {print "N", $4, $2, $3, $10}'
[ -n "$roots" ] && find / -xdev \( -path /proc -o -path /sys -o -path /usr -o -path /dev \) -prune -o \
  -name '*.pid' -type f -size -2k -print 2>/dev/null | while read -r f; do
  content=$(head -c 32 "$f" | tr -d ' \n')
  for p in $roots; do [ "$content" = "$p" ] && printf 'F\t%s\t%s\n' "$p" "$f"; done
done
true
"""
# The same reading without the search for pid files: enough to see whether the processes are back.
PROCESSES = CAPTURE.split('[ -n "$roots" ]')[0] + "true"


@dataclass
class Process:
    """A process PID 1 adopted, and how to start it again: its argv, as its user, in its directory, with its
    environment, its output going where it went; the pid files naming it (removed before, so it writes them anew;
    the tutor's own job pid file written with the new pid)."""

    argv: list[str]
    user: str
    cwd: str
    env: list[str]
    stdout: str
    stderr: str
    pidfiles: list[str] = field(default_factory=list)
    listens: list[int] = field(default_factory=list)  # a server's ports: it starts before its clients

    def launcher(self) -> str:
        def target(path: str) -> str:
            return path if path.startswith("/") and " (deleted)" not in path else "/dev/null"

        out, err = target(self.stdout), target(self.stderr)
        redirect = f">>{shlex.quote(out)} " + ("2>&1" if err == out else f"2>>{shlex.quote(err)}")
        command = " ".join(shlex.quote(word) for word in ["setsid", "env", "-i", *self.env, *self.argv])
        own = [path for path in self.pidfiles if path.startswith("/run/celery-tutor/")]
        record = "".join(f"; echo $! > {shlex.quote(path)}" for path in own)
        return (f"mkdir -p {LOG_DIR}; cd {shlex.quote(self.cwd)} 2>/dev/null || cd /; "
                f"{{ {command} {redirect} </dev/null & }}{record}; echo $!")


@dataclass
class Running:
    """What ran in one node: its adopted processes, oldest first, and the TCP ports they listened on or were
    connected through (a service port: one some node of the lab listened on)."""

    processes: list[Process] = field(default_factory=list)
    listens: list[int] = field(default_factory=list)
    connected: list[int] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"processes": [p.__dict__ for p in self.processes], "listens": self.listens,
                           "connected": self.connected}, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Running:
        data = json.loads(text)
        return cls([Process(**p) for p in data["processes"]], list(data["listens"]), list(data["connected"]))


@dataclass
class Seen:
    """One capture's reading: adopted processes (pid -> Process, start time), and the daemons' sockets."""

    processes: dict[int, tuple[int, Process]]
    listens: set[int]
    connections: set[tuple[int, int]]  # (local port, remote port) of the daemons' connected sockets


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1], 16)


def parse(output: str) -> Seen:
    """CAPTURE's output read: the adopted processes, each with the ports its tree listened on, and the sockets."""
    parents: dict[int, int] = {}
    roots: dict[int, tuple[int, Process]] = {}
    sockets: dict[str, int] = {}
    tcp: list[list[str]] = []
    for line in output.splitlines():
        kind, _, rest = line.partition(" " if line[:2] in ("T ", "S ", "N ") else "\t")
        fields = rest.split("\t") if kind in ("P", "F") else rest.split()
        if kind == "T" and len(fields) == 2:
            parents[int(fields[0])] = int(fields[1])
        elif kind == "P" and len(fields) == 8:
            pid, start, user, argv, cwd, env, out, err = fields
            words = [w.decode(errors="replace") for w in base64.b64decode(argv).split(b"\0") if w]
            env_words = [w.decode(errors="replace") for w in base64.b64decode(env).split(b"\0") if w]
            if words:  # read again as the process's own user: that reading knows more, the pid files stay
                known = roots.get(int(pid))
                roots[int(pid)] = (int(start or 0), Process(words, user, cwd, env_words, out, err,
                                                            known[1].pidfiles if known else []))
        elif kind == "S" and len(fields) == 2:  # /proc/PID/fd socket:[INODE]
            sockets[fields[1].strip("socket:[]")] = int(fields[0].split("/")[2])
        elif kind == "N" and len(fields) == 4:
            tcp.append(fields)
        elif kind == "F" and len(fields) == 2 and int(fields[0]) in roots:
            roots[int(fields[0])][1].pidfiles.append(fields[1])

    def root(pid: int | None) -> int | None:
        for _ in range(64):  # up the tree to an adopted process (or to an exec's, whose parent is 0)
            if pid is None or pid <= 1:
                return None
            if pid in roots:
                return pid
            pid = parents.get(pid)
        return None

    listens, connections = set(), set()
    for state, local, remote, inode in tcp:
        owner = root(sockets.get(inode))
        if owner is None:
            continue
        if state == "0A":
            listens.add(_port(local))
            served = roots[owner][1].listens
            if _port(local) not in served:
                served.append(_port(local))
        else:
            connections.add((_port(local), _port(remote)))
    for _, process in roots.values():
        process.listens.sort()
    return Seen(roots, listens, connections)


def service_ports(connections: set[tuple[int, int]], services: set[int]) -> set[int]:
    # Either end: which of two Erlang nodes dials the other differs from one start to the next.
    return {port for pair in connections for port in pair if port in services}
