"""The `celery-tutor` command line: parses the arguments, runs the command's module, says every failure in one line.

One module per command (lessons, lint, lab, verify, start, progress, reset, serve, room, doctor), each with `run(args)`;
the grammar in parser.py, the arguments' types in options.py, what they draw in render.py."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import traceback
from pathlib import Path

from celery_tutor.cli.errors import UsageError
from celery_tutor.cli.render import err
from celery_tutor.course import LessonError
from celery_tutor.i18n import _, set_language
from celery_tutor.lab.errors import LabError
from celery_tutor.paths import log_dir

# The commands that name their lab by CELERY_TUTOR_LAB when --lab is not given, and those that keep progress.
NAMES_A_LAB = {"start", "lab", "progress", "reset", "doctor"}
KEEPS_PROGRESS = {"start": True, "progress": False, "reset": True}  # command -> writes it


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


def _run(argv: list[str] | None) -> int:
    from celery_tutor.cli import context, options
    from celery_tutor.cli.parser import parse

    args = parse(argv)  # the arguments' types refuse bad values as they are read
    if args.command in NAMES_A_LAB and not args.lab:
        options.check_lab_from_environment()
    if args.command in KEEPS_PROGRESS:
        options.check_state_dir(write=KEEPS_PROGRESS[args.command])
    set_language(context.language(args))  # the tutor's own words: after the checks that say why a lab is refused
    return importlib.import_module(f"celery_tutor.cli.{args.command}").run(args)


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(argv)
    except LessonError as exc:
        if len(exc.problems) == 1:
            err.print(str(exc.problems[0]), markup=False)  # one problem, one line: file:line says where to fix it
            return 2
        for problem in exc.problems:
            err.print(str(problem), markup=False)
        err.print(_("the lessons have problems; fix them, or run `celery-tutor lint` for the full list"))
        return 2
    except LabError as exc:
        err.print(f"celery-tutor: {exc.reason}" + (_("; what to do: {fix}").format(fix=exc.fix) if exc.fix else ""),
                  markup=False)
        return exc.exit_code
    except UsageError as exc:
        err.print(f"celery-tutor: {exc}", markup=False)
        return 2
    except KeyboardInterrupt:
        err.print(_("interrupted"))
        return 130
    except BrokenPipeError:
        # The reader went away (`celery-tutor lab map --json | head`): done, as a pipe's writer would be. Python
        # would report the pipe again when it flushes stdout at exit, so stdout is pointed at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:
        try:
            details = _("details in {path}").format(path=_log_unexpected())
        except OSError as unwritable:  # the one line all the same, not a second traceback
            details = f"no details kept, the log cannot be written ({unwritable.strerror or unwritable})"
        err.print(_("celery-tutor: unexpected error ({error}); {details}").format(
            error=f"{type(exc).__name__}: {str(exc)[:120]}", details=details), markup=False)
        return 1


if __name__ == "__main__":
    sys.exit(main())
