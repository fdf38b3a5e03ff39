"""Lab and verify speed, as ratios against baselines measured in the same run (absolute times drift here).

    python3 bench/lab_bench.py [--to 2] [--rounds 3]

Prints: lab up vs plain `docker run` of three containers; a warm lab-image rebuild vs a warm one-line
image build; verify over the selected sections per step vs solving and checking them without the fail-first proof;
every check's time vs a bare `exec true` in the same node.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
import uuid

from rich.console import Console
from rich.table import Table

from celery_tutor.course import load_course
from celery_tutor.steps.runner import StepRunner
from celery_tutor.steps.selection import select_steps
from celery_tutor.steps.verify import verify
from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.image import BASE, LABEL, LabImage
from celery_tutor.lab.lab import Lab

console = Console()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(rounds: int, action, reset=lambda: None) -> float:
    times = []
    for _ in range(rounds):
        times.append(timed(action))
        reset()
    return statistics.median(times)


class _Quiet:
    def phase(self, step, phase): pass
    def finished(self, outcome): pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--to", default=None, help="verify through this section, lesson or step (default: all)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    client = connect()
    image = LabImage(client)
    image.ensure()
    tag = f"bench-{uuid.uuid4().hex[:6]}"
    rows: list[tuple[str, float, str, float]] = []

    # 1. lab up vs three plain containers
    lab = Lab(client, name=f"{tag}-up", image=image)
    plain: list = []

    def three_plain():
        for n in range(3):
            plain.append(client.containers.run(BASE, "sleep 600", detach=True, labels={LABEL: lab.name}))

    def remove_plain():
        for container in plain:
            container.remove(force=True)
        plain.clear()
    base_up = median_of(args.rounds, three_plain, remove_plain)
    lab_up = median_of(args.rounds, lab.up, lab.down)
    rows.append(("lab up (3 nodes)", lab_up, "docker run x3", base_up))

    # 2. warm rebuilds
    trivial = io.BytesIO(f"FROM {BASE}\nRUN true\nLABEL {LABEL}=bench\n".encode())

    def trivial_build():
        trivial.seek(0)
        for _ in client.api.build(fileobj=trivial, tag=f"celery-tutor/{tag}:bench", rm=True, decode=True):
            pass
    trivial_build()  # warm its cache
    rows.append(("lab image rebuild (warm)", median_of(args.rounds, image.build), "one-line image rebuild (warm)",
                 median_of(args.rounds, trivial_build)))
    client.images.remove(f"celery-tutor/{tag}:bench", force=True)

    # 3. verify vs solutions alone, per step
    course = load_course()
    replay, steps = select_steps(course, None, args.to)
    solve_lab = Lab(client, name=f"{tag}-solve", image=image)
    verify_lab = Lab(client, name=f"{tag}-verify", image=image)
    per_step = Table("step", "verify s", "solve + check s", "ratio", title="verify, per step")
    try:
        # The baseline does each step as a learner with the tutor would: solution, then its check (retried until
        # the async state holds). verify adds the proof that each check fails first.
        solver = StepRunner(solve_lab)
        solved = {}
        for step in steps:
            solver.begin_step(step)
            started = time.perf_counter()
            solver.run_actions(step)
            solver.check(step)
            solved[step.full_id] = time.perf_counter() - started
        solver.close()
        runner = StepRunner(verify_lab)
        outcomes = verify(runner, replay, steps, _Quiet())
        assert all(o.passed for o in outcomes), [o.reason for o in outcomes if not o.passed]
        total_verify = sum(o.seconds for o in outcomes)
        for outcome in outcomes:
            base = solved[outcome.step.full_id]
            per_step.add_row(outcome.step.full_id, f"{outcome.seconds:.2f}", f"{base:.2f}",
                             f"{outcome.seconds / base:.2f}" if base > 0.01 else "-")
        rows.append((f"verify through {args.to or 'the end'} (fresh lab)", total_verify,
                     "solve + check, no fail-first proof", sum(solved.values())))
        sections = Table("section", "steps", "verify s", "solve + check s", "ratio", title="verify, per section")
        for section in course.sections:
            mine = [o for o in outcomes if o.step.lesson.section is section]
            if mine:
                spent, base = sum(o.seconds for o in mine), sum(solved[o.step.full_id] for o in mine)
                sections.add_row(f"{section.number} {section.notes}", str(len(mine)), f"{spent:.1f}", f"{base:.1f}",
                                 f"{spent / base:.2f}")

        # 4. each check once on the finished lab vs exec true
        check_table = Table("check of step", "seconds", "ratio to exec true", title="checks on the finished lab")
        node = verify_lab.node("celery-1")
        bare = median_of(5, lambda: node.exec("true"))
        check_times = []
        for step in steps:
            seconds = median_of(3, lambda: runner.check(step, retries=False))
            check_times.append(seconds)
            check_table.add_row(step.full_id, f"{seconds:.3f}", f"{seconds / bare:.1f}")
        runner.close()
        rows.append(("a typical check (median)", statistics.median(check_times), "exec true", bare))
    finally:
        for each in (lab, solve_lab, verify_lab):
            each.down()

    table = Table("measured", "seconds", "baseline", "seconds", "ratio", title="celery-tutor lab bench")
    for name, value, base_name, base in rows:
        table.add_row(name, f"{value:.2f}", base_name, f"{base:.2f}", f"{value / base:.2f}")
    console.print(table)
    console.print(sections)
    console.print(per_step)
    console.print(check_table)


if __name__ == "__main__":
    main()
