"""The `celery-tutor` command line: parses arguments and hands the work to the course, lab and engine packages."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from collections import deque
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.tree import Tree

from celery_tutor import __version__
from celery_tutor.course import Course, LessonError, load_course
from celery_tutor.course.loader import lint
from celery_tutor.lab.errors import LabError
from celery_tutor.paths import lessons_dir, log_dir

VERIFY_LAB = "celery-tutor-verify"
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """Bad input on the command line: one line, exit status 2."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="celery-tutor",
                                     description="Follow the Celery + RabbitMQ study notes, for real, in Docker.")
    parser.add_argument("--version", action="version", version=f"celery-tutor {__version__}")
    parser.add_argument("--lessons", type=Path, metavar="DIR", help="a lessons directory other than the shipped one")
    parser.add_argument("--engine", metavar="URL", help="the Docker engine to use (default: DOCKER_HOST or the local one)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    start = commands.add_parser("start", help="open the tutor (the default)")
    start.add_argument("--lab", default="celery-tutor", metavar="NAME", help="lab name (prefixes its containers)")

    lessons = commands.add_parser("lessons", help="print the course as a tree")
    lessons.add_argument("--json", action="store_true", help="machine-readable output")

    lint_cmd = commands.add_parser("lint", help="check lesson files; prints file:line: message per problem")
    lint_cmd.add_argument("paths", nargs="*", type=Path, metavar="PATH")

    lab = commands.add_parser("lab", help="manage the lab's containers")
    lab.add_argument("action", choices=["build", "up", "status", "down"])
    lab.add_argument("--lab", default="celery-tutor", metavar="NAME", help="lab name (prefixes its containers)")

    verify = commands.add_parser("verify", help="run every step's solution and check, headless, on a fresh lab")
    verify.add_argument("--from", dest="start", metavar="STEP", help="a step id, lesson id or section number")
    verify.add_argument("--to", dest="end", metavar="STEP", help="a step id, lesson id or section number")
    verify.add_argument("--lab", default=VERIFY_LAB, metavar="NAME", help=f"lab to use and recreate (default {VERIFY_LAB})")
    verify.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    return parser


def _course(args) -> Course:
    return load_course(args.lessons)


def _lab(args, name: str):
    from celery_tutor.course.loader import course_nodes
    from celery_tutor.lab.engine import connect
    from celery_tutor.lab.lab import Lab

    nodes = course_nodes(args.lessons or lessons_dir())
    return Lab(connect(args.engine), name=name, nodes=nodes)


# --- lessons ------------------------------------------------------------------------------------------------

def course_dict(course: Course) -> dict:
    return {
        "title": course.title,
        "nodes": course.nodes,
        "sections": [{
            "number": section.number, "title": section.title, "notes": section.notes,
            "lessons": [{
                "id": lesson.id, "title": lesson.title, "notes": lesson.notes, "nodes": lesson.nodes,
                "file": lesson.path.name,
                "steps": [{"id": step.full_id, "title": step.title, "checks": len(step.checks),
                           "hints": len(step.hints)} for step in lesson.steps],
            } for lesson in section.lessons],
        } for section in course.sections],
    }


def cmd_lessons(args) -> int:
    course = _course(args)
    if args.json:
        print(json.dumps(course_dict(course), ensure_ascii=False, indent=2))
        return 0
    tree = Tree(f"[bold]{course.title}[/]")
    for section in course.sections:
        branch = tree.add(f"[bold]{section.number}[/]  {section.title}  [cyan]{section.notes}[/]")
        for lesson in section.lessons:
            twig = branch.add(f"{lesson.title}  [cyan]{lesson.notes}[/]  [dim]{lesson.id}[/]")
            for step in lesson.steps:
                twig.add(f"{step.title}  [dim]{step.full_id}[/]")
    console.print(tree)
    return 0


def cmd_lint(args) -> int:
    paths = args.paths or [args.lessons or lessons_dir()]
    problems = lint(paths)
    for problem in problems:
        print(problem)
    if problems:
        err.print(f"{len(problems)} problem(s)")
        return 1
    console.print(f"ok: {', '.join(str(p) for p in paths)}")
    return 0


# --- lab ----------------------------------------------------------------------------------------------------

def _build_progress():
    """A Rich progress bar fed by the image build's steps; returns (context manager, callback)."""
    progress = Progress(TextColumn("[bold]lab image[/]"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=True)
    task = progress.add_task("", total=None)

    def report(event) -> None:
        progress.update(task, completed=event.step, total=event.total or None,
                        description=event.line.strip()[:60])
    return progress, report


def _status_table(lab) -> Table:
    table = Table("node", "container", "hostname", "state", title=f"lab {lab.name}")
    for status in lab.status():
        colour = "green" if status.state == "running" else "red"
        table.add_row(status.name, status.container, status.hostname, f"[{colour}]{status.state}[/]")
    return table


def cmd_lab(args) -> int:
    lab = _lab(args, args.lab)
    if args.action == "build":
        progress, report = _build_progress()
        with progress:
            lab.image.build(report)
        console.print(f"built {lab.image.tag}")
    elif args.action == "up":
        progress, report = _build_progress()
        with progress:
            lab.up(report)
        console.print(_status_table(lab))
    elif args.action == "status":
        console.print(_status_table(lab))
    elif args.action == "down":
        removed = lab.down()
        console.print(f"lab {lab.name} is down ({removed} container(s) and network(s) removed)")
    return 0


# --- verify -------------------------------------------------------------------------------------------------

class _VerifyReporter:
    """Shows verify's progress with Rich and keeps each step's recent output for the failure message."""

    def __init__(self, progress: Progress, task, total: int):
        self.progress, self.task, self.total = progress, task, total
        self.recent: deque[str] = deque(maxlen=20)
        self._partial = ""

    def output(self, source: str, text: str) -> None:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self.recent.extend(f"{source}| {line.rstrip()}" for line in lines if line.strip())

    def phase(self, step, phase: str) -> None:
        if phase != "solution":
            pass
        self.progress.update(self.task, description=f"{step.full_id} [dim]({phase})[/]")

    def finished(self, outcome) -> None:
        mark = "[green]✓[/]" if outcome.passed else "[red]✗[/]"
        kind = "replayed" if outcome.replayed else "verified"
        detail = ", ".join(f"{phase} {seconds:.1f}" for phase, seconds in outcome.timings.items())
        self.progress.console.print(f"{mark} {outcome.step.full_id:<34} {outcome.seconds:6.1f} s  "
                                    f"[dim]{kind}; {detail}[/]")
        self.progress.advance(self.task)
        if outcome.passed:
            self.recent.clear()


def cmd_verify(args) -> int:
    from celery_tutor.engine.runner import StepRunner
    from celery_tutor.engine.selection import SelectionError, select_steps
    from celery_tutor.engine.verify import verify

    course = _course(args)
    try:
        replay, steps = select_steps(course, args.start, args.end)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    lab = _lab(args, args.lab)
    progress_bar, report = _build_progress()
    with progress_bar:
        lab.image.ensure(report)
    lab.down()  # a fresh lab: the proof that checks fail first means nothing on a lab already set up
    progress = Progress(TextColumn("[bold]verify[/]"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), TimeElapsedColumn(), console=err)
    reporter = None
    runner = None
    try:
        with progress:
            task = progress.add_task("", total=len(replay) + len(steps))
            reporter = _VerifyReporter(progress, task, len(replay) + len(steps))
            runner = StepRunner(lab, on_output=reporter.output)
            outcomes = verify(runner, replay, steps, reporter)
    finally:
        if runner:
            runner.close()
        if not args.keep:
            lab.down()
    failed = [outcome for outcome in outcomes if not outcome.passed]
    total = sum(outcome.seconds for outcome in outcomes)
    if failed:
        outcome = failed[0]
        if reporter and reporter.recent:
            err.print("[dim]last output:[/]")
            for line in reporter.recent:
                err.print(f"[dim]  {line}[/]", markup=False)
        err.print(f"[red]verify failed at {outcome.step.full_id}[/]: {outcome.reason}")
        return 1
    verified = sum(1 for outcome in outcomes if not outcome.replayed)
    console.print(f"[green]verify passed[/]: {verified} step(s) verified"
                  f"{f', {len(replay)} replayed' if replay else ''} in {total:.1f} s")
    return 0


# --- start --------------------------------------------------------------------------------------------------

def cmd_start(args) -> int:
    try:
        from celery_tutor.app import run_app
    except ImportError:
        raise UsageError("the terminal app is not part of this version yet; "
                         "try `celery-tutor lessons` or `celery-tutor verify`") from None
    return run_app(course=_course(args), lab_name=getattr(args, "lab", "celery-tutor"), engine=args.engine)


COMMANDS = {"lessons": cmd_lessons, "lint": cmd_lint, "lab": cmd_lab, "verify": cmd_verify, "start": cmd_start}


def _log_unexpected() -> Path:
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "celery-tutor.log"
    logging.basicConfig(filename=path, level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.error("unexpected error: %s", traceback.format_exc())
    return path


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS[args.command or "start"]
    try:
        if args.lessons is not None and not args.lessons.is_dir():
            raise UsageError(f"--lessons {args.lessons}: no such directory")
        return command(args)
    except LessonError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        err.print("the lessons have problems; fix them, or run `celery-tutor lint` for the full list")
        return 2
    except LabError as exc:
        err.print(f"celery-tutor: {exc.reason}", markup=False)
        if exc.fix:
            err.print(f"  what to do: {exc.fix}", markup=False)
        return exc.exit_code
    except UsageError as exc:
        err.print(f"celery-tutor: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:
        path = _log_unexpected()
        err.print(f"celery-tutor: unexpected error ({type(exc).__name__}: {str(exc)[:120]}); details in {path}",
                  markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
