"""The Textual app's speed, as ratios against baselines measured in the same run (absolute times drift here).

    python3 bench/app_bench.py [--rounds 5] [--lines 100000] [--skip-flood]

Prints one table:
- first frame: `python -m celery_tutor start` in a pseudo-terminal until the current step is on screen, vs a
  two-widget Textual app (Header + Static) started the same way (issue: < 0.5 s and <= 1.5x); once as on every
  start after the first (the parsed course and the lesson's drawn lines in the cache), once with an empty cache,
  once in Chinese (warm);
- flood: N lines printed by a step's command until the last one is in the app's pane (headless app, real lab) vs the
  same command drained through docker-py into nothing (issue: <= 1.5x);
- key latency during that flood: a bound key posted every 30 ms, time until its action ran (issue: < 100 ms);
- RSS of the process after the flood (issue: < 150 MB).
Both apps run with compiled bytecode (a pycache of the run's own, warmed once), as an installed copy would; the
tutor's cache is the run's own too (warmed by the same first run).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import re
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pexpect
from rich.console import Console
from rich.table import Table

console = Console()
SIZE = (130, 40)
CHINESE_MARKER = "步，共"  # the step bar's 第 1 步，共 N 步
KEY_EVERY = 0.03  # seconds between keys posted during the flood
BASELINE_APP = textwrap.dedent("""\
    from textual.app import App
    from textual.widgets import Header, Static


    class TwoWidgets(App):
        def compose(self):
            yield Header()
            yield Static("two-widget baseline ready")


    TwoWidgets().run()
    """)
_ESCAPES = re.compile(r"\x1b\[[0-9;?<>=]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


# --- first frame ----------------------------------------------------------------------------------------------

def time_to_text(argv: list[str], marker: str, env: dict[str, str], timeout: float = 20.0) -> float:
    """Seconds from spawning `argv` in a pseudo-terminal until `marker` is on its screen; then quits it."""
    started = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(SIZE[1], SIZE[0]), encoding="utf-8",
                          codec_errors="replace")
    seen = ""
    try:
        while marker not in _ESCAPES.sub("", seen):
            seen += child.read_nonblocking(1 << 16, timeout=timeout)
        return time.perf_counter() - started
    finally:
        child.sendcontrol("q")
        try:
            child.expect(pexpect.EOF, timeout=20)
        except pexpect.TIMEOUT:
            child.terminate(force=True)


def first_frame(rounds: int, work: Path) -> dict[str, tuple[float, float, str]]:
    """Median seconds of the tutor and of the baseline, and the rounds' spread: warm (cache filled) and cold."""
    baseline_file = work / "two_widgets.py"
    baseline_file.write_text(BASELINE_APP)
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES", "PYTHONDONTWRITEBYTECODE")}
    env.update(PYTHONPYCACHEPREFIX=str(work / "pycache"), TERM="xterm-256color", XDG_STATE_HOME=str(work / "state"),
               XDG_DATA_HOME=str(work / "data"), CELERY_TUTOR_STATE_DIR=str(work / "state"),
               XDG_CACHE_HOME=str(work / "cache"))
    tutor = [sys.executable, "-m", "celery_tutor", "start", "--lab", f"bench-{uuid.uuid4().hex[:6]}"]
    # The lessons' and the tutor's own catalogs on top; a lab of its own, as --lang is remembered with its progress.
    chinese = [*tutor[:3], "--lang", "zh", "start", "--lab", f"bench-zh-{uuid.uuid4().hex[:6]}"]
    baseline = [sys.executable, str(baseline_file)]
    for argv, marker in ((tutor, "Step 1 of"), (chinese, CHINESE_MARKER), (baseline, "two-widget baseline ready")):
        time_to_text(argv, marker, env)  # warm-up: compiles the bytecode, fills the OS's file cache and the tutor's
    times: dict[str, list[float]] = {"warm": [], "cold": [], "zh": [], "baseline": []}
    for round_ in range(rounds):  # interleaved, so a busy moment of the machine hits all three
        times["baseline"].append(time_to_text(baseline, "two-widget baseline ready", env))
        times["warm"].append(time_to_text(tutor, "Step 1 of", env))
        times["zh"].append(time_to_text(chinese, CHINESE_MARKER, env))
        times["cold"].append(time_to_text(tutor, "Step 1 of", env | {"XDG_CACHE_HOME": str(work / f"cold-{round_}")}))
    base = statistics.median(times["baseline"])
    return {kind: (statistics.median(times[kind]), base, _spread(times[kind], times["baseline"]))
            for kind in ("warm", "cold", "zh")}


def _spread(tutor: list[float], baseline: list[float]) -> str:
    """The lowest and highest ratio of the rounds, each against the baseline run beside it: how noisy it was."""
    ratios = [mine / theirs for mine, theirs in zip(tutor, baseline)]
    return f"{min(ratios):.2f}-{max(ratios):.2f}"


# --- flood ----------------------------------------------------------------------------------------------------

def flood_command(lines: int) -> str:
    return f"seq -f 'flood line %06g: the quick brown fox jumps over the lazy dog' 1 {lines}"


def flood_course(work: Path, lines: int) -> Path:
    lessons = work / "lessons"
    lessons.mkdir()
    (lessons / "course.yaml").write_text(textwrap.dedent("""\
        title: Flood bench
        nodes: [celery-1, celery-2, celery-3]
        sections:
          - number: 1
            title: Flood
            notes: 一
            lessons: [flood]
        """))
    (lessons / "flood.md").write_text(textwrap.dedent(f"""\
        ---
        id: flood
        title: Flood
        notes: 洪水
        nodes: [celery-1]
        ---

        # Flood

        ## Print a lot {{#print}}

        ```sh {{run node=celery-1 timeout=600}}
        {flood_command(lines)}
        ```

        ```sh {{check node=celery-1}}
        true
        ```
        """))
    return lessons


def drain_with_docker_py(lab, lines: int) -> float:
    """The baseline: the same command's output read through docker-py's stream and thrown away."""
    api = lab.client.api
    started = time.perf_counter()
    exec_id = api.exec_create(lab.container_name("celery-1"), ["bash", "-c", flood_command(lines)])["Id"]
    for _ in api.exec_start(exec_id, stream=True):
        pass
    return time.perf_counter() - started


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def flood_in_app(lab, course, lines: int, work: Path) -> tuple[float, list[float]]:
    """Seconds from the learner's `r` until the flood's last line is in the pane, and the latency of every key
    posted (every 30 ms) meanwhile. Keys are posted as the terminal driver posts them, not through Pilot.press,
    which waits for the app to be idle and would measure that instead. The pane reports the last line's arrival
    itself and keys go out on timers: the bench does not poll, which would load the app it measures."""
    from textual import events

    from celery_tutor.app import make_app
    from celery_tutor.app.progress import ProgressView

    app = make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=work / "log",
                   status_interval=5.0)
    latencies: list[float] = []
    gc.disable()  # as `celery-tutor start` does: the app freezes what start-up made and collects again at its first frame
    async with app.run_test(size=SIZE) as pilot:
        while app.runner is None:
            await asyncio.sleep(0.05)
        await pilot.pause(0.5)  # start-up work (the first status probe, the footer) is not the flood's
        main = app.main
        posted: list[float] = []

        def key_handled(step: int) -> None:  # stands in for the "]" key's action: records, changes nothing
            latencies.append(time.perf_counter() - posted.pop(0))
        main.action_pane = key_handled
        pane = main.output.pane("celery-1")
        last = f"flood line {lines:06d}"
        loop = asyncio.get_running_loop()
        arrived = asyncio.Event()
        arrived_at: list[float] = []
        write = pane.write

        def write_and_look(text: str, skipped: int = 0) -> None:  # the pane says when the last line is in
            write(text, skipped)
            if not arrived_at and pane.total_lines >= lines and pane.lines and pane.lines[-1].startswith(last):
                arrived_at.append(time.perf_counter())
                arrived.set()
        pane.write = write_and_look

        def post_key() -> None:  # one key every 30 ms, the next only once the last was answered
            if arrived.is_set():
                return
            if not posted:
                posted.append(time.perf_counter())
                app.post_message(events.Key("right_square_bracket", "]"))
            loop.call_later(KEY_EVERY, post_key)

        started = time.perf_counter()
        app.post_message(events.Key("r", "r"))
        loop.call_later(KEY_EVERY, post_key)
        try:
            await asyncio.wait_for(arrived.wait(), 120)
        except asyncio.TimeoutError:
            raise RuntimeError("the flood never reached the pane") from None
        elapsed = arrived_at[0] - started
        while posted:  # the last key's answer
            await asyncio.sleep(0.002)
        while app.main.busy:
            await asyncio.sleep(0.05)
    return elapsed, latencies


def flood(rounds: int, lines: int, work: Path) -> dict[str, float]:
    from celery_tutor.course import load_course
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab

    lab = Lab(connect(), name=f"bench-{uuid.uuid4().hex[:6]}")
    try:
        lab.image.ensure()
        lab.start_node("celery-1")
        course = load_course(flood_course(work, lines))
        drain_with_docker_py(lab, lines)  # warm-up
        baseline, tutor, latencies = [], [], []
        for round_ in range(rounds):
            baseline.append(drain_with_docker_py(lab, lines))
            elapsed, keys = asyncio.run(flood_in_app(lab, course, lines, work / f"round-{round_}"))
            gc.unfreeze()  # what the round's app froze goes with it, as it would with its process
            gc.collect()
            tutor.append(elapsed)
            latencies += keys
        return {"tutor": statistics.median(tutor), "baseline": statistics.median(baseline),
                "spread": _spread(tutor, baseline),
                "key_median": statistics.median(latencies) if latencies else float("nan"),
                "key_max": max(latencies) if latencies else float("nan"), "keys": len(latencies), "rss": rss_mb()}
    finally:
        lab.down()


# --- report ---------------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--skip-flood", action="store_true", help="only the first frame (no Docker needed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="celery-tutor-bench-") as temp:
        work = Path(temp)
        frames = first_frame(args.rounds, work)
        table = Table("measure", "tutor", "baseline", "ratio", "rounds' ratios", "issue's target",
                      title=f"celery-tutor app bench ({os.cpu_count()} cores, median of {args.rounds})")
        for kind, label, target in (("warm", "first frame", "< 0.5 s and <= 1.5x"),
                                    ("cold", "first frame, empty cache", ""),
                                    ("zh", "first frame in Chinese (--lang zh)", "")):
            tutor_frame, baseline_frame, spread = frames[kind]
            table.add_row(label, f"{tutor_frame:.3f} s", f"{baseline_frame:.3f} s (two-widget app)",
                          f"{tutor_frame / baseline_frame:.2f}x", spread, target)
        if not args.skip_flood:
            result = flood(args.rounds, args.lines, work)
            table.add_row(f"{args.lines:,} lines to the pane", f"{result['tutor']:.3f} s",
                          f"{result['baseline']:.3f} s (docker-py drain)",
                          f"{result['tutor'] / result['baseline']:.2f}x", result["spread"], "<= 1.5x")
            table.add_row("key during the flood", f"median {result['key_median'] * 1000:.0f} ms, "
                          f"max {result['key_max'] * 1000:.0f} ms", f"{result['keys']} keys", "", "", "< 100 ms")
            table.add_row("RSS after the flood", f"{result['rss']:.0f} MB", "", "", "", "< 150 MB")
        console.print(table)


if __name__ == "__main__":
    main()
