"""Checkpoints' speed and disk, as ratios against baselines measured in the same run (absolute times drift here).

    python3 bench/checkpoint_bench.py [--room 10]

Makes every checkpoint in a repository of its own (`lab prepare`), then prints: `lab up --at 4` from a checkpoint
vs the same by replay; the last lesson's start (`--at haproxy`) from a checkpoint vs by replay; a restore of the
three-node cluster vs `docker run` x3 plus one broker start; the disk every checkpoint takes (layers shared); a room
of N labs brought to section 四 one after another. Removes its labs and checkpoints at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid

from rich.console import Console
from rich.table import Table

console = Console()
REPOSITORY = f"celery-tutor-bench/checkpoint-{uuid.uuid4().hex[:6]}"


def cli(*args: str, checkpoints: bool = True) -> float:
    """Seconds one `celery-tutor` command takes; it must succeed."""
    env = {**os.environ, "CELERY_TUTOR_CHECKPOINTS": REPOSITORY if checkpoints else "off"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "celery_tutor", *args], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"`celery-tutor {' '.join(args)}` failed: {done.stderr[-1500:]}")
    if checkpoints and "--at" in args and "restored from the checkpoint" not in done.stdout:
        raise SystemExit(f"`celery-tutor {' '.join(args)}` did not start from a checkpoint: {done.stdout[-800:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--room", type=int, default=10, help="labs brought to section 四 one after another")
    parser.add_argument("--repository", help="checkpoints prepared already (by `lab prepare` with "
                                             "CELERY_TUTOR_CHECKPOINTS=REPOSITORY): used, and left there")
    args = parser.parse_args()
    global REPOSITORY
    REPOSITORY = args.repository or REPOSITORY
    os.environ["CELERY_TUTOR_CHECKPOINTS"] = REPOSITORY  # this process's store too

    from celery_tutor.cli.checkpoints import listing
    from celery_tutor.course import load_course
    from celery_tutor.lab.checkpoint import CheckpointStore, tag
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab
    from celery_tutor.steps.checkpoints import Checkpoints, lesson_ends

    client = connect()
    store = CheckpointStore(client)
    prefix = f"ckbench-{uuid.uuid4().hex[:4]}"
    labs: list[str] = []

    def name() -> str:
        labs.append(f"{prefix}-{len(labs)}")
        return labs[-1]

    def down(lab: str) -> None:
        Lab(client, name=lab).down()

    rows: list[tuple[str, str, str, str]] = []

    def row(*cells: str) -> None:
        rows.append(cells)
        print(" | ".join(cells), flush=True)  # as it comes: the slow baselines come last

    try:
        prepared = None if args.repository else cli("--lab", name(), "lab", "prepare")
        steps = list(load_course(None).steps())
        def pair(at: str) -> None:
            lab = name()
            fast = cli("--lab", lab, "lab", "up", "--at", at)
            down(lab)
            lab = name()
            slow = cli("--lab", lab, "lab", "up", "--at", at, checkpoints=False)
            down(lab)
            row(f"lab up --at {at}: checkpoint vs replay", f"{fast:.1f} s", f"{slow:.1f} s", f"{fast / slow:.2f}")

        pair("4")
        # The three-node cluster (the checkpoint before haproxy) vs docker run x3 and one broker started in one.
        helper = Checkpoints(Lab(client, name=name()), steps)
        last = lesson_ends(steps)[-2]
        cluster = store.find(steps[last - 1].lesson.id, helper.key(last))
        lab = Lab(client, name=labs[-1])
        restore = time.perf_counter()
        store.restore(lab, cluster)
        restore = time.perf_counter() - restore
        lab.down()
        first = lesson_ends(steps)[1]  # after rabbitmq-install: RabbitMQ installed on celery-1, not started
        broker = store.find(steps[first - 1].lesson.id, helper.key(first))
        lab = Lab(client, name=name())
        plain = time.perf_counter()
        for node in lab.node_names:
            lab.start_node(node, image=tag(broker.after, broker.key, node))
        started = lab.node("celery-1").exec(
            "rabbitmq-server -detached; for i in $(seq 120); do rabbitmq-diagnostics -q ping && exit 0; sleep 1; "
            "done; exit 1", timeout=180)
        plain = time.perf_counter() - plain
        lab.down()
        assert started.ok, started.output[-500:]
        row("restore of three nodes vs docker run x3 + one broker start", f"{restore:.1f} s", f"{plain:.1f} s",
            f"{restore / plain:.2f}")

        checkpoints = listing(Lab(client, name=labs[-1]), steps)
        disk = sum(row[1] for row in checkpoints)
        row(f"disk for every checkpoint ({len(checkpoints)}, layers shared)", f"{disk / 2**30:.2f} GiB", "", "")

        room = []
        for _ in range(args.room):
            lab = name()
            room.append(cli("--lab", lab, "lab", "up", "--at", "4"))
        row(f"a room: {args.room} labs to section 四 one after another", f"{sum(room):.0f} s",
            f"{sum(room) / len(room):.1f} s per lab", f"slowest {max(room):.1f} s")
        pair("haproxy")
        if prepared is not None:
            row("lab prepare (every checkpoint, once)", f"{prepared:.0f} s", "", "")
    finally:
        for lab in labs:
            down(lab)
        if not args.repository:
            store.clear()

    table = Table("measured", "value", "baseline", "ratio", title="checkpoints")
    for row in rows:
        table.add_row(*row)
    console.print(table)


if __name__ == "__main__":
    main()
