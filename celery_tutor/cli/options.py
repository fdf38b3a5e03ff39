"""The arguments' types: each bad value refused in one line with the way out, before any command runs.

argparse turns a ValueError of a `type=` into its own "invalid value" words; these raise UsageError instead, which
argparse lets through, so each keeps the words the bad-option tests pin."""

from __future__ import annotations

import argparse
import os
import stat
from pathlib import Path

from celery_tutor.cli.errors import UsageError
from celery_tutor.course.loader import COURSE_FILE, unreadable_dir


def whole(what: str, low: int, high: int | None = None):
    """A whole number from `low` (to `high`), whose error says which (argparse's own line: the way to --help)."""
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


def minutes(text: str) -> float:
    """A number of minutes above 0 (0.5 is half a minute)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes: give one above 0, e.g. 30")
    return value


def language(text: str) -> str:
    """--lang: one of the course's languages."""
    from celery_tutor.language import LANGUAGES

    code = text.strip().lower().replace("-", "_").split("_")[0]
    if code not in LANGUAGES:
        raise UsageError(f"--lang {text}: no such language; give one of: "
                         f"{', '.join(f'{k} ({v})' for k, v in LANGUAGES.items())}")
    return code


def lessons_folder(text: str) -> Path:
    """--lessons: a lessons directory this user can read, refused before anything is loaded from it."""
    path = Path(text)
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
    return path


def _refuse_lab_name(name: str, given: str, fix: str) -> None:
    from celery_tutor.lab.naming import name_problem

    problem = name_problem(name)
    if problem:
        shown = name if len(name) <= 48 else name[:40] + "…"
        raise UsageError(f"{given}{'' if given.endswith('=') else ' '}{shown!r} {problem}; {fix}")


def lab_name(text: str) -> str:
    """--lab: a name that can name a lab (it names containers and the progress file)."""
    _refuse_lab_name(text, "--lab", "give another, e.g. --lab alice")
    return text


def check_lab_from_environment() -> None:
    """CELERY_TUTOR_LAB, for a command that names its lab that way (no --lab given)."""
    name = os.environ.get("CELERY_TUTOR_LAB")
    if name:
        _refuse_lab_name(name, "CELERY_TUTOR_LAB=", "set it to another, e.g. CELERY_TUTOR_LAB=alice, or unset it")


def kit(action: str):
    """A kit FILE that cannot be read (import) or written (export), refused before the engine builds or loads."""
    made_by = "give the path of a file made by `celery-tutor lab export`"

    def parse(text: str) -> Path:
        path = Path(text)
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
                raise UsageError(f"cannot read the kit {path} (permission denied); make it readable "
                                 f"(chmod a+r {path}) or copy it somewhere you can read")
            return path
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
        return path
    return parse


def check_state_dir(write: bool) -> None:
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


def check_listen(host: str, port: int) -> None:
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
