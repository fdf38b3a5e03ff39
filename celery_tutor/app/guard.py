"""Keeps tracebacks off the screen: a handler's unexpected error becomes a logged one-line notice."""

# Textual stops a widget whose handler raised; guarded handlers report the error and the app goes on.
from __future__ import annotations

import functools
import inspect
from typing import Callable, TypeVar

T = TypeVar("T", bound=type)
HANDLER_PREFIXES = ("action_", "on_", "watch_", "_on_")


def _report(node, error: Exception, name: str) -> None:
    app = getattr(node, "app", node)
    if getattr(app, "closing", False):
        # Widgets go away under messages still in flight while the app closes: nobody is left to tell.
        app.log_error(error, f"running {type(node).__name__}.{name} while closing")
        return
    report = getattr(app, "report_error", None)
    if report is None or getattr(app, "crash_on_error", False):
        raise error
    report(error, f"running {type(node).__name__}.{name}")


def _guard(method: Callable) -> Callable:
    if inspect.iscoroutinefunction(method):
        @functools.wraps(method)
        async def guarded_async(self, *args, **kwargs):
            try:
                return await method(self, *args, **kwargs)
            except Exception as error:
                _report(self, error, method.__name__)
        return guarded_async

    @functools.wraps(method)
    def guarded_sync(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as error:
            _report(self, error, method.__name__)
    return guarded_sync


def guarded(*also: str) -> Callable[[T], T]:
    """Class decorator: every action_/on_/watch_ method the class itself defines (and the methods named in
    `also`, such as timer callbacks) reports its unexpected errors instead of raising them into Textual."""
    def decorate(cls: T) -> T:
        for name, value in list(vars(cls).items()):
            if inspect.isfunction(value) and (name.startswith(HANDLER_PREFIXES) or name in also):
                setattr(cls, name, _guard(value))
        return cls
    return decorate
