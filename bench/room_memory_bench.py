"""A room's memory: N seats at section 四 on this machine, what one seat takes and how many fit, beside doctor's figure.

    python3 bench/room_memory_bench.py [--seats 20] [--at haproxy] [--repository REPO]

Brings N labs one after another to STEP (default haproxy, the last lesson's start: three clustered brokers and the
workers, the most a lab holds) from checkpoints (`lab prepare` first, unless --repository names a store made
already), and opens the tutor on each (in tmux, as a served seat runs one tutor process per learner). Once all are
up and settled it prints each seat's lab memory (the containers' cgroups, page cache that can be dropped left out)
and its tutor's (proportional set size), the machine's memory taken as a whole (MemAvailable before and after), the
CPU each seat takes with no one at work (lab and tutor, over 30 s), how many such seats this machine holds by memory
and by CPU, and how many `doctor --labs` reckons it holds. Removes its labs, its
tutors and (unless given) its checkpoints at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import shlex
import signal
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.table import Table

console = Console()
MiB = 2**20


def meminfo() -> dict[str, int]:
    values = {}
    with open("/proc/meminfo") as info:
        for line in info:
            key, value = line.split(":")
            values[key] = int(value.split()[0]) * 1024
    return values


def lab_memory(client, lab: str) -> int:
    """The lab's containers' memory as the engine counts it against their limits, less reclaimable page cache."""
    total = 0
    for container in client.api.containers(filters={"label": f"celery-tutor.lab={lab}"}):
        stats = client.api.stats(container["Id"], stream=False)["memory_stats"]
        cache = stats.get("stats", {})
        total += stats.get("usage", 0) - cache.get("inactive_file", cache.get("cache", 0))
    return total


def lab_cpu(client, labs: list[str], seconds: float) -> dict[str, float]:
    """Each lab's CPU in cores over `seconds`, as the engine counts its containers' time."""
    ids = {container["Id"]: container["Labels"]["celery-tutor.lab"]
           for container in client.api.containers(filters={"label": "celery-tutor.lab"})
           if container["Labels"]["celery-tutor.lab"] in labs}

    def used() -> dict[str, int]:
        with ThreadPoolExecutor(8) as pool:
            totals = pool.map(lambda id_: client.api.stats(id_, stream=False, one_shot=True)["cpu_stats"]
                              ["cpu_usage"]["total_usage"], ids)
        return dict(zip(ids, totals))

    before, started = used(), time.monotonic()
    time.sleep(seconds)
    after, elapsed = used(), time.monotonic() - started
    cores = dict.fromkeys(labs, 0.0)
    for id_, lab in ids.items():
        cores[lab] += (after[id_] - before[id_]) / elapsed / 1e9
    return cores


def _over_tree(pid: int, read) -> float:
    """`read(pid)` summed over a process and its descendants; one that ended meanwhile counts nothing."""
    total = 0.0
    for child in [pid, *_children(pid)]:
        try:
            total += read(child)
        except (OSError, IndexError, ValueError, StopIteration):
            pass
    return total


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        return next(int(line.split()[1]) * 1024 for line in rollup if line.startswith("Pss:"))


def tree_cpu(pid: int) -> float:
    """Seconds of CPU a process tree has used (user and system)."""
    return _over_tree(pid, _cpu_seconds)


def pss(pid: int) -> int:
    """A process tree's proportional set size: shared libraries counted once across the seats' tutors."""
    return int(_over_tree(pid, _pss_bytes))


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in found] + [grand for child in found for grand in _children(int(child))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=20)
    parser.add_argument("--at", default="haproxy", help="the step every seat's lab is brought to")
    parser.add_argument("--repository", help="checkpoints prepared already (by `lab prepare` with "
                                             "CELERY_TUTOR_CHECKPOINTS=REPOSITORY): used, and left there")
    args = parser.parse_args()
    repository = args.repository or f"celery-tutor-bench/memory-{uuid.uuid4().hex[:6]}"
    os.environ["CELERY_TUTOR_CHECKPOINTS"] = repository
    state = tempfile.mkdtemp(prefix="celery-tutor-membench-")
    os.environ["CELERY_TUTOR_STATE_DIR"] = state  # the seats' progress, not the user's

    from celery_tutor.cli.doctor import LAB_CPU, LAB_MEMORY
    from celery_tutor.lab.checkpoint import CheckpointStore
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab

    client = connect()
    prefix = f"membench-{uuid.uuid4().hex[:4]}"
    labs = [f"{prefix}-{number}" for number in range(1, args.seats + 1)]
    tutors: dict[str, int] = {}

    def cli(*argv: str) -> None:
        done = subprocess.run([sys.executable, "-m", "celery_tutor", *argv], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"`celery-tutor {' '.join(argv)}` failed: {done.stderr[-1500:]}")

    before = meminfo()
    try:
        if not args.repository:
            cli("--lab", labs[0], "lab", "prepare")
            cli("--lab", labs[0], "lab", "down")
            before = meminfo()
        for number, lab in enumerate(labs, 1):
            started = time.monotonic()
            cli("--lab", lab, "lab", "up", "--at", args.at)
            session = f"{prefix}-{number}"
            subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "36",
                            shlex.join(["env", f"CELERY_TUTOR_STATE_DIR={state}", sys.executable, "-m",
                                        "celery_tutor", "start", "--lab", lab])], check=True)
            tutors[lab] = int(subprocess.run(["tmux", "display-message", "-p", "-t", session, "#{pane_pid}"],
                                             capture_output=True, text=True, check=True).stdout)
            print(f"{lab} at {args.at} in {time.monotonic() - started:.0f} s; "
                  f"{meminfo()['MemAvailable'] / 2**30:.1f} GiB available", flush=True)
        time.sleep(60)  # the brokers settle (their first minute allocates), the tutors draw and wait
        after = meminfo()
        seats = [(lab, lab_memory(client, lab), pss(tutors[lab])) for lab in labs]
        spent = {lab: tree_cpu(tutors[lab]) for lab in labs}
        cores = lab_cpu(client, labs, 30.0)  # no one at work: what the seats cost the CPU just being there
        spent = {lab: (tree_cpu(tutors[lab]) - spent[lab]) / 30.0 for lab in labs}
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl+C would leave labs and tutors behind
        for number in range(1, len(tutors) + 1):
            subprocess.run(["tmux", "kill-session", "-t", f"{prefix}-{number}"], capture_output=True)
        for lab in labs:
            Lab(client, name=lab).down()
        if not args.repository:
            CheckpointStore(client).clear()
        shutil.rmtree(state, ignore_errors=True)

    per_lab = [memory for _, memory, _ in seats]
    per_tutor = [tutor for _, _, tutor in seats]
    taken = before["MemAvailable"] - after["MemAvailable"]
    per_seat = taken / len(seats)
    table = Table("seat", "lab", "tutor", "lab CPU", "tutor CPU", title=f"{len(seats)} seats at {args.at}")
    for lab, memory, tutor in seats:
        table.add_row(lab, f"{memory / MiB:.0f} MiB", f"{tutor / MiB:.0f} MiB", f"{cores[lab]:.3f}",
                      f"{spent[lab]:.3f}")
    console.print(table)
    print(f"per seat: lab median {statistics.median(per_lab) / MiB:.0f} MiB (max {max(per_lab) / MiB:.0f}), "
          f"tutor median {statistics.median(per_tutor) / MiB:.0f} MiB; the machine's available memory fell by "
          f"{taken / 2**30:.1f} GiB, {per_seat / MiB:.0f} MiB a seat")
    free, total = before["MemAvailable"], before["MemTotal"]
    cpu = (sum(cores.values()) + sum(spent.values())) / len(seats)
    cpus = os.cpu_count() or 1
    print(f"CPU a seat takes idle (lab and tutor): {cpu:.3f} of a core; {len(seats)} seats take "
          f"{cpu * len(seats):.2f} of this machine's {cpus}")
    print(f"seats that fit: by memory, in the {free / 2**30:.1f} GiB available before the room (of "
          f"{total / 2**30:.1f} GiB), {int(free // per_seat)}; by CPU, idle, {int(cpus // cpu)}")
    print(f"doctor reckons {LAB_MEMORY / MiB:.0f} MiB and {LAB_CPU:g} of a core a seat: "
          f"{int(min(total // LAB_MEMORY, cpus // LAB_CPU))} seats; ratios doctor / measured: memory "
          f"{LAB_MEMORY / per_seat:.2f}, CPU {LAB_CPU / cpu:.2f}")


if __name__ == "__main__":
    main()
