"""The command line's grammar: the tutor's own options, its commands, and the lab's sub-commands (argparse)."""

from __future__ import annotations

import argparse
from pathlib import Path

from celery_tutor import __version__
from celery_tutor.cli import options
from celery_tutor.cli.errors import UsageError
from celery_tutor.cli.render import err

LANG_HELP = "the course's language: en or zh (简体中文) (default: the locale's, LANGUAGE/LC_ALL/LANG)"
LAB_HELP = "lab name, prefixing its containers (default: $CELERY_TUTOR_LAB or celery-tutor)"


class Parser(argparse.ArgumentParser):
    """argparse, its usage errors in one line with the way out like every other bad input, not usage + error.
    `missing` replaces its words for a missing positional; `helped_by` names the command whose --help to read."""

    def __init__(self, *args, missing: str = "", helped_by: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.missing, self.helped_by = missing, helped_by

    def error(self, message: str):
        if self.missing and "the following arguments are required" in message:
            raise UsageError(self.missing)
        err.print(f"{self.prog}: {message}; `{self.helped_by or self.prog} --help` says what it takes", markup=False)
        self.exit(2)


def _lab_option(command: argparse.ArgumentParser) -> None:
    # SUPPRESS: unless given after the command, the tutor's own --lab (before it) stands.
    command.add_argument("--lab", type=options.lab_name, default=argparse.SUPPRESS, metavar="NAME", help=LAB_HELP)


def _lang_option(command: argparse.ArgumentParser) -> None:
    # SUPPRESS, as --lab: unless given after the command, the tutor's own --lang (before it) stands.
    command.add_argument("--lang", type=options.language, default=argparse.SUPPRESS, metavar="LANG", help=LANG_HELP)


def _isolated_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--isolated", action="store_true", help="give the lab no route outside its own network")


def _memory(text: str) -> int:
    """--memory: 768m, 1g, 1.5g or bytes, at least 256 MiB (RabbitMQ alone needs about 100)."""
    from celery_tutor.lab.limits import parse_memory

    value = parse_memory(text)
    if value is None or value < 256 * 2**20:
        raise argparse.ArgumentTypeError(f"{text!r} is not a memory limit: give one like 768m or 1g, 256m or more")
    return value


def _cpus(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of CPUs: give one like 0.5 or 2")
    return value


def _limit_options(command: argparse.ArgumentParser) -> None:
    from celery_tutor.lab.limits import CPUS, MEMORY, PIDS

    command.add_argument("--memory", type=_memory, metavar="SIZE",
                         help=f"memory each lab container may use (default {MEMORY // 2**20}m)")
    command.add_argument("--pids", type=options.whole("a number of processes", 50), metavar="N",
                         help=f"processes each lab container may run (default {PIDS})")
    command.add_argument("--cpus", type=_cpus, metavar="N", help=f"CPUs each lab container may use (default {CPUS:g})")


def _lab_commands(lab: argparse.ArgumentParser) -> None:
    actions = lab.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, text: str, **kwargs) -> argparse.ArgumentParser:
        made = actions.add_parser(name, help=text, description=text, helped_by="celery-tutor lab", **kwargs)
        _lab_option(made)
        _lang_option(made)
        return made

    action("build", "build the lab image (and its base, if no registry has it)")
    for name, text in (("up", "start the lab's nodes"), ("reset", "recreate the lab's nodes from scratch")):
        command = action(name, text)
        command.add_argument("--at", metavar="STEP",
                             help="replay every step before STEP, so a workshop starts there")
        _isolated_option(command)
        _limit_options(command)
    action("status", "the lab's nodes and their state")
    lab_map = action("map", "the lab drawn once: nodes, brokers, queues and their leaders, HAProxy, workers")
    lab_map.add_argument("--json", action="store_true", help="machine-readable output")
    down = action("down", "remove the lab's containers and network")
    down.add_argument("--all", action="store_true", help="remove every lab on the engine")
    action("list", "every lab on the engine")
    for name, text in (("export", "write the lab image to FILE, the offline kit for a closed room"),
                       ("import", "load the lab image from a kit FILE made by lab export")):
        command = action(name, text, missing=f"lab {name} needs a FILE, e.g. celery-tutor lab {name} "
                                             "celery-tutor-kit.tar.gz")
        command.add_argument("file", type=options.kit(name), metavar="FILE")
    action("base", "make the base image (Debian) with debootstrap, as root, where no registry has it")
    action("prepare", "save a checkpoint at the start of every lesson (for a room, the evening before)")
    checkpoints = action("checkpoints", "the saved checkpoints: lesson, size, age, whether usable")
    checkpoints.add_argument("--clear", action="store_true", help="remove every checkpoint")


def build() -> Parser:
    parser = Parser(prog="celery-tutor", description="Follow the Celery + RabbitMQ study notes, for real, in Docker.")
    parser.add_argument("--version", action="version", version=f"celery-tutor {__version__}")
    parser.add_argument("--lessons", type=options.lessons_folder, metavar="DIR",
                        help="a lessons directory other than the shipped one")
    parser.add_argument("--engine", metavar="URL", help="the Docker engine to use (default: DOCKER_HOST or the local one)")
    parser.add_argument("--lab", type=options.lab_name, metavar="NAME", help=LAB_HELP + "; before or after COMMAND")
    parser.add_argument("--lang", type=options.language, metavar="LANG", help=LANG_HELP + "; before or after COMMAND")
    parser.add_argument("--room", metavar="URL", help="report this tutor's progress to a served room "
                                                      "(`celery-tutor serve` on the teacher's machine)")
    parser.add_argument("--code", dest="room_code", metavar="CODE", help="with --room: the room's code")
    parser.add_argument("--seat", metavar="NAME", help="with --room: your seat's name (default: user@host)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    start = commands.add_parser("start", help="open the tutor (the default)")
    _lab_option(start)
    start.add_argument("--at", metavar="STEP",
                       help="jump to this step: a fresh lab, the earlier steps' solutions replayed")
    _limit_options(start)

    lessons = commands.add_parser("lessons", help="print the course as a tree")
    lessons.add_argument("--json", action="store_true", help="machine-readable output")

    lint = commands.add_parser("lint", help="check lesson files; prints file:line: message per problem")
    lint.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    lint.add_argument("--update", action="store_true",
                      help="with --lang: write the language's catalogs anew from the English lessons (new texts "
                           "added untranslated, changed ones marked fuzzy), then lint")

    lab = commands.add_parser("lab", help="manage the lab's containers",
                              description="build | up [--at STEP] | status | map [--json] | down [--all] | reset [--at STEP] | "
                                          "list | export FILE | import FILE | base | prepare | "
                                          "checkpoints [--clear]")
    _lab_commands(lab)

    verify = commands.add_parser("verify", help="run every step's solution and check, headless, on a fresh lab")
    verify.add_argument("--from", dest="start", metavar="STEP", help="a step id, lesson id or section number")
    verify.add_argument("--to", dest="end", metavar="STEP", help="a step id, lesson id or section number")
    _lab_option(verify)
    verify.add_argument("--keep", action="store_true", help="leave the lab running afterwards")
    _isolated_option(verify)

    progress = commands.add_parser("progress", help="what you have done so far")
    _lab_option(progress)
    progress.add_argument("--json", action="store_true", help="machine-readable output")

    reset = commands.add_parser("reset", help="forget progress: from STEP on, of one lesson, or all")
    _lab_option(reset)
    reset.add_argument("step", nargs="?", metavar="STEP", help="forget this step and every step after it")
    reset.add_argument("--lesson", metavar="ID", help="forget one lesson's steps")
    reset.add_argument("--all", action="store_true", help="forget everything")

    serve = commands.add_parser("serve", help="serve the tutor to a room: a seat and a lab per learner, in a browser")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=options.whole("a port", 1, 65535), default=8000)
    serve.add_argument("--engines", nargs="+", metavar="URL",
                       help="Docker engines to spread the labs over, in turn (default: --engine or the local one)")
    serve.add_argument("--public-url", metavar="URL", help="the URL browsers use, when behind a proxy")
    serve.add_argument("--lab", type=options.lab_name, default=argparse.SUPPRESS, metavar="PREFIX",
                       help="a new room's labs are named PREFIX-1, PREFIX-2-ada ... (default web): two rooms on one "
                            "engine need two prefixes")
    serve.add_argument("--at", metavar="STEP", help="every new seat's lab starts at this step, the earlier "
                                                    "steps' solutions replayed")
    serve.add_argument("--code", metavar="CODE", help="the room code learners join with (default: made up, printed, "
                                                      "kept for the next serve)")
    serve.add_argument("--teacher-code", metavar="CODE", help="the code of the teacher's view (default: made up)")
    serve.add_argument("--seats", type=options.whole("a number of seats", 1), metavar="N",
                       help="at most N seats (labs) in the room")
    serve.add_argument("--warm", type=options.whole("a number of labs", 0), default=0, metavar="N",
                       help="keep N labs made (brought to --at) ahead of the seats that will take them")
    serve.add_argument("--idle", type=options.minutes, metavar="MINUTES",
                       help="stop a seat's lab after this long with no one on it (started again, as it was, when "
                            "its learner comes back)")
    serve.add_argument("--expire", type=options.minutes, metavar="MINUTES",
                       help="end a seat (its lab and progress removed) after this long with no one on it")
    _limit_options(serve)

    room = commands.add_parser("room", help="the room `serve` keeps: end it", description="end: remove every "
                               "seat's lab and progress, and the room's codes")
    room.add_argument("action", choices=["end"], metavar="ACTION")

    doctor = commands.add_parser("doctor", help="check this machine for the course (or a room of N labs)")
    _lab_option(doctor)
    doctor.add_argument("--labs", type=options.whole("a number of labs", 1), default=1, metavar="N",
                        help="how many labs the machine should hold")
    _limit_options(doctor)
    for command in commands.choices.values():
        _lang_option(command)
    return parser


def _lab_extras(action: str, extras: list[str]) -> UsageError | None:
    """Words `lab ACTION` does not take, said as what they were probably meant for."""
    words = iter(extras)
    file = at = every = None
    for word in words:
        if word == "--at":
            at = next(words, "STEP")
        elif word.startswith("--at="):
            at = word.split("=", 1)[1]
        elif word == "--all":
            every = word
        elif not word.startswith("-") and file is None and action not in ("export", "import"):
            file = word
    if file is not None:
        # `lab down alice` reads as naming the lab, and would take down the default one.
        return UsageError(f"lab {action} takes no FILE ({file}); to name the lab: "
                          f"celery-tutor lab {action} --lab {file}")
    if at is not None:
        return UsageError(f"--at goes with lab up and lab reset: celery-tutor lab up --at {at}")
    if every is not None:
        return UsageError("--all goes with lab down only; `celery-tutor lab list` shows every lab")
    return None


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The arguments; no command means start (`celery-tutor --lab alice` opens alice's tutor)."""
    parser = build()
    args, extras = parser.parse_known_args(argv)
    if extras:
        misplaced = _lab_extras(args.action, extras) if args.command == "lab" else None
        if misplaced:
            raise misplaced
        parser.error(f"unrecognized arguments: {' '.join(extras)}")
    if args.command is None:
        args.command = "start"
        args.at = None
    if (args.room or args.room_code or args.seat) and args.command != "start":
        raise UsageError("--room, --code and --seat go with the tutor itself: "
                         "celery-tutor --room URL --code CODE [--seat NAME]")
    if args.room and not args.room_code:
        raise UsageError("--room needs the room's code: celery-tutor --room URL --code CODE (ask your teacher)")
    if (args.room_code or args.seat) and not args.room:
        raise UsageError("--code and --seat go with --room URL: celery-tutor --room URL --code CODE")
    if args.room and not args.room.startswith(("http://", "https://")):
        raise UsageError(f"--room takes the room's http:// URL, as `celery-tutor serve` printed it, not {args.room!r}")
    _export_limits(args)
    return args


def _export_limits(args: argparse.Namespace) -> None:
    """Limits given on the command line go where Lab reads them, also in the app processes serve starts."""
    given = {key: getattr(args, key, None) for key in ("memory", "pids", "cpus")}
    if any(value is not None for value in given.values()):
        from dataclasses import replace

        from celery_tutor.lab.limits import Limits

        replace(Limits.from_env(), **{key: value for key, value in given.items() if value is not None}).export()
