"""Where the app's unexpected errors and the libraries' warnings go: a log file, never the screen."""

from __future__ import annotations

import logging
import threading
import traceback
from pathlib import Path

_loggers: dict[str, logging.Logger] = {}


def log_error(path: Path | None, error: BaseException, doing: str = "") -> None:
    lines = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    _error_logger(path).error("unexpected error%s:\n%s", f" while {doing}" if doing else "", lines)


def _error_logger(path: Path | None) -> logging.Logger:
    """A logger writing to the app's error log; with no log directory, to nowhere (never to the screen)."""
    key = str(path)
    if key not in _loggers:
        logger = logging.getLogger(f"celery_tutor.app.errors.{len(_loggers)}")
        logger.propagate = False
        try:
            if path is None:
                raise OSError
            path.parent.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        except OSError:
            handler = logging.NullHandler()
        logger.addHandler(handler)
        _loggers[key] = logger
    return _loggers[key]


def quiet_logging(path: Path) -> None:
    """Library warnings (docker, urllib3) go to the log file: anything on stderr would scar the screen."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    threading.excepthook = lambda args: logging.getLogger("celery_tutor.threads").error(
        "unexpected error in a thread", exc_info=(args.exc_type, args.exc_value, args.exc_traceback))
    logging.captureWarnings(True)
    try:  # `kill -USR1 <pid>` writes every thread's stack to the log: how a hang is diagnosed
        import faulthandler
        import signal

        quiet_logging.dump_file = open(path, "a", encoding="utf-8")  # type: ignore[attr-defined]
        faulthandler.register(signal.SIGUSR1, file=quiet_logging.dump_file, all_threads=True)  # type: ignore
    except (AttributeError, OSError, ValueError):
        pass
