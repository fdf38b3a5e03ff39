"""The `celery-tutor` command line: parses arguments and hands the work to the course, lab and engine packages."""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import stat
import sys
import traceback
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console

from celery_tutor import __version__
from celery_tutor.course import Course, LessonError, load_course
from celery_tutor.course.loader import COURSE_FILE, lint, unreadable_dir
from celery_tutor.lab.errors import LabError
from celery_tutor.paths import lessons_dir, log_dir

if TYPE_CHECKING:
    from rich.progress import Progress

VERIFY_LAB = "celery-tutor-verify"
console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(Exception):
    """Bad input on the command line: one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, its usage errors in one line with the way out like every other bad input, not usage + error."""

    def error(self, message: str):
        err.print(f"{self.prog}: {message}; `{self.prog} --help` says what it takes", markup=False)
        self.exit(2)


def _whole(what: str, low: int, high: int | None = None):
    """An argparse type: a whole number from `low` (to `high`), whose error says which."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            span = f" from {low} to {high}" if high is not None else f", {low} or more"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}: give a whole number{span}")
        return value
    return parse


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="celery-tutor",
                                     description="Follow the Celery + RabbitMQ study notes, for real, in Docker.")
    parser.add_argument("--version", action="version", version=f"celery-tutor {__version__}")
    parser.add_argument("--lessons", type=Path, metavar="DIR", help="a lessons directory other than the shipped one")
    parser.add_argument("--engine", metavar="URL", help="the Docker engine to use (default: DOCKER_HOST or the local one)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def lab_option(command, default=None):
        command.add_argument("--lab", default=default, metavar="NAME",
                             help="lab name, prefixing its containers (default: $CELERY_TUTOR_LAB or celery-tutor)")

    start = commands.add_parser("start", help="open the tutor (the default)")
    lab_option(start)
    start.add_argument("--at", metavar="STEP",
                       help="jump to this step: a fresh lab, the earlier steps' solutions replayed")

    lessons = commands.add_parser("lessons", help="print the course as a tree")
    lessons.add_argument("--json", action="store_true", help="machine-readable output")

    lint_cmd = commands.add_parser("lint", help="check lesson files; prints file:line: message per problem")
    lint_cmd.add_argument("paths", nargs="*", type=Path, metavar="PATH")

    lab = commands.add_parser("lab", help="manage the lab's containers",
                              description="build | up [--at STEP] | status | down [--all] | reset | list | "
                                          "export FILE | import FILE")
    lab.add_argument("action", choices=["build", "up", "status", "down", "reset", "list", "export", "import"])
    lab.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the kit file, for export and import")
    lab_option(lab)
    lab.add_argument("--at", metavar="STEP", help="with up: replay every step before STEP, so a workshop starts there")
    lab.add_argument("--all", action="store_true", help="with down: remove every lab on the engine")
    lab.add_argument("--isolated", action="store_true", help="give the lab no route outside its own network")

    verify = commands.add_parser("verify", help="run every step's solution and check, headless, on a fresh lab")
    verify.add_argument("--from", dest="start", metavar="STEP", help="a step id, lesson id or section number")
    verify.add_argument("--to", dest="end", metavar="STEP", help="a step id, lesson id or section number")
    lab_option(verify, VERIFY_LAB)
    verify.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    verify.add_argument("--isolated", action="store_true", help="give the lab no route outside its own network")

    progress = commands.add_parser("progress", help="what you have done so far")
    lab_option(progress)
    progress.add_argument("--json", action="store_true", help="machine-readable output")

    reset = commands.add_parser("reset", help="forget progress: from STEP on, of one lesson, or all")
    lab_option(reset)
    reset.add_argument("step", nargs="?", metavar="STEP", help="forget this step and every step after it")
    reset.add_argument("--lesson", metavar="ID", help="forget one lesson's steps")
    reset.add_argument("--all", action="store_true", help="forget everything")

    serve = commands.add_parser("serve", help="serve the tutor in a browser, one lab per connection")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_whole("a port", 1, 65535), default=8000)
    serve.add_argument("--engines", nargs="+", metavar="URL",
                       help="Docker engines to spread the labs over, in turn (default: --engine or the local one)")
    serve.add_argument("--public-url", metavar="URL", help="the URL browsers use, when behind a proxy")

    doctor = commands.add_parser("doctor", help="check this machine for the course (or a room of N labs)")
    lab_option(doctor)
    doctor.add_argument("--labs", type=_whole("a number of labs", 1), default=1, metavar="N",
                        help="how many labs the machine should hold")
    return parser


def _course(args) -> Course:
    return load_course(args.lessons)


def _lab_name(args) -> str:
    from celery_tutor.lab.naming import default_name

    return getattr(args, "lab", None) or default_name()


def _lab(args, name: str | None = None):
    from celery_tutor.course.loader import course_nodes
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab

    nodes = course_nodes(args.lessons or lessons_dir())
    return Lab(connect(args.engine), name=name or _lab_name(args), nodes=nodes,
               isolated=getattr(args, "isolated", False))


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
    from rich.tree import Tree

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

def _bar(label: str, transient: bool = False) -> Progress:
    """The progress bar of a long command (imported here: `celery-tutor start` has no use for it)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.description}"), TimeElapsedColumn(), console=err, transient=transient)


def _build_progress():
    """A Rich progress bar fed by the image build's steps; returns (context manager, callback)."""
    progress = _bar("lab image", transient=True)
    task = progress.add_task("", total=None)

    def report(event) -> None:
        progress.update(task, completed=event.step, total=event.total or None,
                        description=event.line.strip()[:60])
    return progress, report


def _status_table(lab) -> Table:
    from rich.table import Table

    table = Table("node", "container", "hostname", "state", title=f"lab {lab.name}")
    for status in lab.status():
        colour = "green" if status.state == "running" else "red"
        table.add_row(status.name, status.container, status.hostname, f"[{colour}]{status.state}[/]")
    return table


def cmd_lab(args) -> int:
    if args.action in ("export", "import") and args.file is None:
        raise UsageError(f"lab {args.action} needs a FILE, e.g. celery-tutor lab {args.action} celery-tutor-kit.tar.gz")
    if args.file is not None and args.action not in ("export", "import"):
        # `lab down alice` reads as naming the lab, and would take down the default one.
        raise UsageError(f"lab {args.action} takes no FILE ({args.file}); to name the lab: "
                         f"celery-tutor lab {args.action} --lab {args.file}")
    if args.at and args.action not in ("up", "reset"):
        raise UsageError(f"--at goes with lab up and lab reset: celery-tutor lab up --at {args.at}")
    if args.all and args.action != "down":
        raise UsageError("--all goes with lab down only; `celery-tutor lab list` shows every lab")
    if args.action in ("export", "import"):
        _check_kit(args.action, args.file)
    if args.at:
        from celery_tutor.steps.selection import SelectionError, select_steps

        try:  # before the lab is touched: a mistyped step must not cost a lab's worth of containers
            select_steps(_course(args), args.at, None)
        except SelectionError as exc:
            raise UsageError(str(exc)) from None
    if args.action == "list":
        return _lab_list(args)
    if args.action == "down" and args.all:
        return _lab_down_all(args)
    lab = _lab(args)
    if args.action == "build":
        progress, report = _build_progress()
        with progress:
            lab.image.build(report)
        console.print(f"built {lab.image.tag}")
    elif args.action in ("up", "reset"):
        if args.action == "reset":
            lab.down()  # recreate the nodes from scratch; progress is kept (see `celery-tutor reset`)
        progress, report = _build_progress()
        with progress:
            lab.up(report)
        if args.at:
            if _fast_forward(args, lab, args.at) != 0:
                return 1
        console.print(_status_table(lab))
    elif args.action == "status":
        from celery_tutor.lab.lab import list_labs

        if lab.name not in {summary.name for summary in list_labs(lab.client)}:
            up = "celery-tutor lab up" + (f" --lab {args.lab}" if args.lab else "")
            raise UsageError(f"no lab {lab.name!r} on this engine; `{up}` makes it, "
                             "`celery-tutor lab list` shows the labs there are")
        console.print(_status_table(lab))
    elif args.action == "down":
        removed = lab.down()
        if removed:
            console.print(f"lab {lab.name} is down ({removed} container(s) and network(s) removed)")
        else:
            # Idempotent, as `docker compose down` is: a teacher's cleanup, run twice, must not fail the second
            # time; the words still show a mistyped name.
            console.print(f"no lab {lab.name!r} on this engine, nothing to remove "
                          "(`celery-tutor lab list` shows the labs there are)")
    elif args.action == "export":
        lab.image.ensure(_build_progress()[1])
        progress, report = _build_progress()
        with progress:
            size = lab.image.export(args.file, report)
        console.print(f"wrote {args.file} ({size / 2**20:.0f} MiB): `celery-tutor lab import {args.file.name}` "
                      "on a machine without network makes the whole course work")
    elif args.action == "import":
        current = lab.image.import_(args.file)
        console.print(f"loaded the lab image from {args.file}")
        if not current:
            err.print("note: the kit was made by another version of celery-tutor; this version will want to rebuild "
                      "the image, which needs the network")
    return 0


def _check_kit(action: str, path: Path) -> None:
    """A kit that cannot be read (import) or written (export), refused before the engine builds or loads anything."""
    made_by = "give the path of a file made by `celery-tutor lab export`"
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None
    except OSError as exc:
        raise UsageError(f"cannot reach {path} ({exc.strerror}); give a path you can reach") from None
    if action == "import":
        if mode is None:
            raise UsageError(f"no such kit file: {path}; {made_by}")
        if stat.S_ISDIR(mode):
            raise UsageError(f"{path} is a directory, not a kit file; {made_by}")
        if not os.access(path, os.R_OK):
            raise UsageError(f"cannot read the kit {path} (permission denied); make it readable (chmod a+r {path}) "
                             "or copy it somewhere you can read")
        return
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"{path} is a directory; give the kit a file name: "
                         f"celery-tutor lab export {path / 'celery-tutor-kit.tar.gz'}")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: no directory {folder}; make it (mkdir -p {folder}) "
                         "or give another path")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write {path}: {folder} is not writable by you; give a path in a directory "
                         "you can write, e.g. ~/celery-tutor-kit.tar.gz")


def _lab_list(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import list_labs

    from rich.table import Table

    table = Table("lab", "owner", "running", "containers", title="labs on the engine")
    for lab in list_labs(connect(args.engine)):
        table.add_row(lab.name, lab.owner, str(lab.running), str(lab.containers))
    console.print(table)
    return 0


def _lab_down_all(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab, list_labs

    client = connect(args.engine)
    labs = list_labs(client)
    for summary in labs:
        Lab(client, name=summary.name).down()
    console.print(f"removed {len(labs)} lab(s): {', '.join(s.name for s in labs) or 'none'}")
    return 0


def _fast_forward(args, lab, target: str, reset: bool = False) -> int:
    """Replay the solutions (and checks) of every step before `target`, so the lab is as if they were done; with
    `reset`, on a lab made afresh first (the app's "rebuild the lab to this step" is the same steps.rebuild)."""
    from celery_tutor.steps.rebuild import rebuild
    from celery_tutor.steps.runner import StepRunner
    from celery_tutor.steps.selection import SelectionError, select_steps

    try:
        replay, _ = select_steps(_course(args), target, None)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    if reset:
        err.print(f"starting lab {lab.name} afresh at {target}: its containers are removed, the steps before "
                  "replayed", markup=False)
    progress = _bar("replaying")
    with progress:
        reporter = _VerifyReporter(progress, progress.add_task("", total=len(replay)), len(replay))
        runner = StepRunner(lab, on_output=reporter.output)
        try:
            rebuilt = rebuild(lab, runner, replay, reporter, reset=reset)
        finally:
            runner.close()
    if not rebuilt.ok:
        err.print(f"[red]the replay failed[/]: {rebuilt.reason}")
        return 1
    console.print(f"the lab is ready at {target} ({len(replay)} step(s) replayed)")
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
    from celery_tutor.steps.runner import StepRunner
    from celery_tutor.steps.selection import SelectionError, select_steps
    from celery_tutor.steps.verify import verify

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
    progress = _bar("verify")
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


# --- progress -----------------------------------------------------------------------------------------------

def _progress(args):
    from celery_tutor.steps.progress import SavedProgress

    progress = SavedProgress.for_lab(_lab_name(args))
    if progress.warning:
        err.print(f"warning: {progress.warning}", markup=False)
    return progress


def progress_dict(course: Course, progress) -> dict:
    lessons = []
    for lesson in course.lessons:
        records = [progress.steps.get(step.full_id) for step in lesson.steps]
        lessons.append({
            "id": lesson.id, "title": lesson.title, "notes": lesson.notes, "steps": len(lesson.steps),
            "passed": sum(1 for step in lesson.steps if progress.passed(step)),
            "revealed": sum(1 for record in records if record and record.revealed),
            "seconds": round(sum(record.seconds for record in records if record), 1),
        })
    return {"lab": progress.lab, "current": progress.current, "lessons": lessons,
            "passed": sum(lesson["passed"] for lesson in lessons),
            "steps": sum(lesson["steps"] for lesson in lessons),
            "seconds": round(sum(lesson["seconds"] for lesson in lessons), 1),
            "unknown_steps": progress.unknown_steps(course)}


def cmd_progress(args) -> int:
    course = _course(args)
    data = progress_dict(course, _progress(args))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    table = Table("lesson", "notes", "passed", "solutions shown", "time", title=f"progress in lab {data['lab']}")
    for lesson in data["lessons"]:
        done = lesson["passed"] == lesson["steps"]
        table.add_row(lesson["title"], lesson["notes"],
                      f"[{'green' if done else 'default'}]{lesson['passed']}/{lesson['steps']}[/]",
                      str(lesson["revealed"] or ""), _duration(lesson["seconds"]))
    console.print(table)
    console.print(f"{data['passed']} of {data['steps']} steps passed, {_duration(data['seconds'])} spent"
                  + (f"; next: {data['current']}" if data["current"] else ""))
    return 0


def _duration(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m {int(seconds % 60):02d}s"


def cmd_reset(args) -> int:
    from celery_tutor.steps.selection import SelectionError, select_steps

    chosen = [bool(args.step), bool(args.lesson), args.all]
    if sum(chosen) != 1:
        raise UsageError("say what to forget: a STEP (and every step after it), --lesson ID, or --all")
    course = _course(args)
    progress = _progress(args)
    try:
        if args.all:
            steps = list(course.steps())
        elif args.lesson:
            if course.lesson(args.lesson) is None:
                raise SelectionError(f"no lesson {args.lesson!r} in the course; `celery-tutor lessons` lists the ids")
            steps = course.lesson(args.lesson).steps
        else:
            steps = select_steps(course, args.step, None)[1]
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    forgotten = progress.reset(steps)
    if args.all:
        progress.steps.clear()
        progress.current = None
    progress.save()
    console.print(f"forgot {forgotten} step(s) of progress in lab {progress.lab}; the lab itself is unchanged "
                  f"(`celery-tutor lab reset` recreates it)")
    return 0


# --- serve --------------------------------------------------------------------------------------------------

def cmd_serve(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.serve import TutorServer

    _check_listen(args.host, args.port)
    engines = args.engines or [args.engine]
    for engine in engines:
        connect(engine)  # refuse at once, with the reason, if an engine cannot be reached
    _course(args)  # and if the lessons are broken
    TutorServer(host=args.host, port=args.port, engines=engines, lessons=args.lessons,
                public_url=args.public_url).serve()
    return 0


def _check_listen(host: str, port: int) -> None:
    """Refuse an address serve cannot listen on before it announces it: bound as asyncio's create_server binds."""
    import errno
    import socket

    try:
        probes = []
        try:
            for family, kind, proto, _, address in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                                      flags=socket.AI_PASSIVE):
                try:
                    probe = socket.socket(family, kind, proto)
                except OSError:
                    continue  # a family this machine lacks: create_server skips it too
                probes.append(probe)
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                if family == socket.AF_INET6:
                    probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                probe.bind(address)
        finally:
            for probe in probes:
                probe.close()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            fix = f"choose another port with --port, or stop what listens on {port} (ss -ltnp shows it)"
        elif exc.errno == errno.EACCES:
            fix = "ports below 1024 need root: choose --port 8000"
        else:
            fix = "give --host an address of this machine: 127.0.0.1, or 0.0.0.0 for every interface"
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); {fix}") from None


# --- doctor -------------------------------------------------------------------------------------------------

LAB_MEMORY = 1200 * 2**20  # a lab at the end of the course: three RabbitMQ nodes, HAProxy, workers (measured ~0.9 GiB)
LAB_DISK = 2 * 2**30


def cmd_doctor(args) -> int:
    import shutil

    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.errors import NameTaken

    problems = 0

    def line(ok: bool, text: str, fix: str = "") -> None:
        nonlocal problems
        problems += not ok
        mark = "[green]OK[/]" if ok else "[red]!![/]"
        console.print(f"{mark}  {text}" + (f"\n    what to do: {fix}" if fix and not ok else ""))

    client = connect(args.engine)  # without it nothing else can be checked: the one line of every command, exit 2
    info = client.info()
    version = client.version()
    line(True, f"Docker engine {version.get('Version')} (API {version.get('ApiVersion')}) at "
               f"{args.engine or 'DOCKER_HOST or the local socket'}, {info.get('NCPU')} CPUs")
    root = info.get("DockerRootDir", "/var/lib/docker")
    if not args.engine and Path(root).exists():
        free = shutil.disk_usage(root).free
        need = LAB_DISK + args.labs * 200 * 2**20
        line(free > need, f"{free / 2**30:.1f} GiB free for Docker at {root} (about {need / 2**30:.1f} GiB needed)",
             "free disk space: docker system prune removes unused images and build cache")
    memory = info.get("MemTotal", 0)
    need = args.labs * LAB_MEMORY
    line(memory > need, f"{memory / 2**30:.1f} GiB of memory for {args.labs} lab(s) (about {need / 2**30:.1f} GiB needed)",
         f"this engine holds about {max(1, memory // LAB_MEMORY)} lab(s); spread the room over several engines")
    lab = _lab(args)
    if lab.image.current():
        line(True, f"the lab image {lab.image.tag} is present and current")
    else:
        try:
            client.images.get(lab.image.base)
            has_base = True
        except Exception:
            has_base = False
        line(False, f"the lab image {lab.image.tag} is missing or out of date",
             "celery-tutor lab build (needs the network once), or celery-tutor lab import KIT" +
             ("" if has_base else f"; the base {lab.image.base} is missing too: sudo bash "
                                  f"{lab.image.assets / 'make-base-image.sh'}"))
    try:
        for node in lab.node_names:
            lab._get_container(node)
        lab._get_network()
        line(True, f"no name clashes for lab {lab.name} ({', '.join(lab.container_name(n) for n in lab.node_names)})")
    except NameTaken as exc:
        line(False, exc.reason, exc.fix)
    return 1 if problems else 0


# --- start --------------------------------------------------------------------------------------------------

def cmd_start(args) -> int:
    if args.engine is not None and not args.engine.strip():
        # The app would meet it only after it opens, as a banner: refused here as every other command refuses it.
        from celery_tutor.lab.docker_engine import connect

        connect(args.engine)  # raises DockerUnavailable before any contact; imported only on this wrong path
    if not getattr(args, "at", None):  # a replay first runs for minutes: it keeps the collector
        gc.disable()  # until the app's first frame (TutorApp.on_ready): start-up allocates much and frees nothing
    try:
        from celery_tutor.app import run_app
    except ImportError:
        raise UsageError("the terminal app is not part of this version yet; "
                         "try `celery-tutor lessons` or `celery-tutor verify`") from None
    course = _course(args)
    if getattr(args, "at", None):
        if _start_at(args, course, args.at) != 0:
            return 1
    return run_app(course=course, lab_name=_lab_name(args), engine=args.engine)


def _start_at(args, course: Course, target: str) -> int:
    """`start --at STEP`: make the lab afresh, replay the steps before STEP, and open the tutor there, those steps
    marked passed (and done by the tutor) in the learner's progress."""
    from celery_tutor.steps.progress import SavedProgress
    from celery_tutor.steps.selection import SelectionError, select_steps

    try:
        replay, chosen = select_steps(course, target, None)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None
    lab = _lab(args)
    progress_bar, report = _build_progress()
    with progress_bar:
        lab.image.ensure(report)
    # A fresh lab: replayed on top of a lab that is further on, or missing a node, the steps may not even pass.
    if _fast_forward(args, lab, target, reset=True) != 0:
        return 1
    progress = SavedProgress.for_lab(lab.name)
    for step in replay:
        progress.mark_passed(step)
        progress.record(step).revealed = True
    progress.current = chosen[0].full_id
    progress.save()
    return 0


COMMANDS = {"lessons": cmd_lessons, "lint": cmd_lint, "lab": cmd_lab, "verify": cmd_verify, "start": cmd_start,
            "progress": cmd_progress, "reset": cmd_reset, "doctor": cmd_doctor, "serve": cmd_serve}


def _log_unexpected() -> Path:
    """Writes the traceback of the error being handled to the log file, and nowhere else: a logger of its own, not
    the root's, which textual-serve has already pointed at the terminal (where basicConfig would change nothing)."""
    directory = log_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "celery-tutor.log"
    logger = logging.getLogger("celery-tutor.unexpected")
    logger.propagate = False
    logger.setLevel(logging.ERROR)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    try:
        logger.error("unexpected error: %s", traceback.format_exc())
    finally:
        logger.removeHandler(handler)
        handler.close()
    return path


def _check_lessons_option(path: Path) -> None:
    """A --lessons that is no lessons directory this user can read, refused before anything is loaded from it."""
    fix = "give the folder that holds course.yaml, or leave --lessons out for the shipped lessons"
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"--lessons {path}: no such directory; {fix}") from None
    except OSError as exc:
        raise UsageError(f"--lessons {path}: cannot reach it ({exc.strerror}); make the directories above it "
                         "searchable (chmod a+x) or copy the lessons somewhere you can read") from None
    if not stat.S_ISDIR(mode):
        raise UsageError(f"--lessons {path} is a file, not a directory; {fix}")
    unreadable = unreadable_dir(path)
    if unreadable:
        raise UsageError(f"--lessons {path}: {unreadable.message}")
    if not (path / COURSE_FILE).is_file():
        raise UsageError(f"--lessons {path} has no {COURSE_FILE}, so it holds no course; {fix}")


def _check_lab_name(args) -> None:
    """A lab name that cannot be one, refused before anything is made or saved under it (it names containers and
    the progress file)."""
    from celery_tutor.lab.naming import name_problem

    if getattr(args, "lab", None) is not None:
        name = args.lab
        given, fix = "--lab", "give another, e.g. --lab alice"
    elif (hasattr(args, "lab") or args.command is None) and os.environ.get("CELERY_TUTOR_LAB"):
        name = os.environ["CELERY_TUTOR_LAB"]
        given, fix = "CELERY_TUTOR_LAB=", "set it to another, e.g. CELERY_TUTOR_LAB=alice, or unset it"
    else:
        return
    problem = name_problem(name)
    if problem:
        shown = name if len(name) <= 48 else name[:40] + "…"
        raise UsageError(f"{given}{'' if given.endswith('=') else ' '}{shown!r} {problem}; {fix}")


def _check_state_dir(write: bool) -> None:
    """A progress directory that cannot be read (or written), refused at once rather than at the first save."""
    from celery_tutor.steps.progress import state_dir

    directory = state_dir()
    named = f"CELERY_TUTOR_STATE_DIR={directory}" if os.environ.get("CELERY_TUTOR_STATE_DIR") else str(directory)
    fix = "point CELERY_TUTOR_STATE_DIR at a directory you can write (it is made if missing)"
    for path in (directory, *directory.parents):
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise UsageError(f"{named}: cannot reach {path} ({exc.strerror}); {fix}") from None
        where = "it" if path == directory else path
        if not stat.S_ISDIR(mode):
            raise UsageError(f"{named}: {where} is a file, not a directory; {fix}")
        if write and not os.access(path, os.W_OK | os.X_OK):
            raise UsageError(f"{named}: {where} is not writable by you; {fix}")
        return


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    command = COMMANDS[args.command or "start"]
    try:
        if args.lessons is not None:
            _check_lessons_option(args.lessons)
        _check_lab_name(args)
        if (args.command or "start") in ("start", "progress", "reset"):
            _check_state_dir(write=args.command != "progress")
        return command(args)
    except LessonError as exc:
        if len(exc.problems) == 1:
            err.print(str(exc.problems[0]), markup=False)  # one problem, one line: file:line says where to fix it
            return 2
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        err.print("the lessons have problems; fix them, or run `celery-tutor lint` for the full list")
        return 2
    except LabError as exc:
        err.print(f"celery-tutor: {exc.reason}" + (f"; what to do: {exc.fix}" if exc.fix else ""), markup=False)
        return exc.exit_code
    except UsageError as exc:
        err.print(f"celery-tutor: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    except Exception as exc:
        try:
            details = f"details in {_log_unexpected()}"
        except OSError as unwritable:  # the one line all the same, not a second traceback
            details = f"no details kept, the log cannot be written ({unwritable.strerror or unwritable})"
        err.print(f"celery-tutor: unexpected error ({type(exc).__name__}: {str(exc)[:120]}); {details}",
                  markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
