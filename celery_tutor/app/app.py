"""The Textual app: holds the course, the lab and its runner, moves output to the panes, keeps errors off the screen."""

from __future__ import annotations

import gc
import logging
import re
import threading
import time
import traceback
from pathlib import Path
from typing import Callable, Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from celery_tutor.app import messages as msg
from celery_tutor.app.guard import guarded
from celery_tutor.app.output_buffer import OutputBuffer
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.screens.main import SHELL, MainScreen
from celery_tutor.app.widgets.output_pane import MAX_LINES
from celery_tutor.app.widgets.status_bar import NodeState
from celery_tutor.course.model import Course
from celery_tutor.steps.rebuild import step_label

FLUSH_SECONDS = 0.05  # output reaches the panes in batches this far apart, never line by line
LOG_DIR = "/var/log/celery-tutor"  # lab.node.LOG_DIR, where background jobs log (not imported: docker-py)
# One exec per running node: is RabbitMQ's port open, does a worker run, which background logs exist.
PROBE = ("(exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && echo rabbitmq=1 || echo rabbitmq=0; "
         "pgrep -f '[c]elery .*worker' >/dev/null && echo worker=1 || echo worker=0; "
         f"for f in {LOG_DIR}/*.log; do [ -e \"$f\" ] && basename \"$f\" .log | sed 's/^/log=/'; done; true")
_PROMPT = re.compile(r"\[ct:(\d+)\]([#$]) ")

LabFactory = Callable[[], object]


class _Closing(Exception):
    """Raised inside a worker's callback to stop work the app no longer needs (it is quitting)."""


@guarded("flush_output", "probe_status")
class TutorApp(App):
    """Everything that is about the lab lives here; what the learner does with a step lives in MainScreen."""

    CSS_PATH = Path(__file__).with_name("tutor.tcss")  # absolute: subclasses elsewhere (benches) find it too
    TITLE = "celery-tutor"
    BINDINGS = [
        Binding("question_mark,f1", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+c", "interrupt", "Interrupt", show=False, priority=True),
        Binding("ctrl+r", "reconnect", "Reconnect", show=False),
    ]

    def __init__(self, course: Course, lab_factory: LabFactory, lab_name: str = "celery-tutor",
                 progress: ProgressView | None = None, log_dir: Path | None = None, status_interval: float = 5.0,
                 shown_home: str | None = None, crash_on_error: bool = False):
        super().__init__()
        self.crash_on_error = crash_on_error  # tests want Textual's own behaviour: fail loudly, at once
        self.course = course
        self.lab_factory = lab_factory
        self.lab_name = lab_name
        self.progress = progress or ProgressView()
        self._reconciled = False  # the lab compared once with the saved progress, at start
        self.log_dir = log_dir
        self.status_interval = status_interval
        self.shown_home = shown_home if shown_home is not None else str(Path.home())
        self.buffer = OutputBuffer(log_dir / lab_name if log_dir else None, keep_lines=MAX_LINES)
        self.lab = None
        self.runner = None
        self.lab_problem: str | None = None
        self.unexpected_errors: list[BaseException] = []
        self._follows: dict[str, threading.Event] = {}
        self._probing = False
        self._quitting = False
        self._last_error_notice = 0.0
        self.main: MainScreen | None = None

    # --- paths --------------------------------------------------------------------------------------------

    def pane_log_path(self, source: str) -> Path | None:
        return self.buffer.log_path(source)

    def shown_log_path(self, source: str) -> str:
        """The pane's log path as the learner reads it: ~ for the home directory."""
        return self.shown(self.buffer.log_path(source))

    def shown(self, path: Path | None) -> str:
        if path is None:
            return ""
        text, home = str(path), self.shown_home.rstrip("/")
        return "~" + text[len(home):] if home and text.startswith(home + "/") else text

    @property
    def error_log_path(self) -> Path | None:
        return self.log_dir / "celery-tutor.log" if self.log_dir else None

    # --- start and stop -----------------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        self.main = MainScreen(self.course, self.progress, self.lab_name)
        return self.main

    def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self.flush_output, name="flush-output")

    def on_ready(self) -> None:
        if not gc.isenabled():
            # `celery-tutor start` held the cyclic collector off through its imports and the first frame, which
            # free nothing; what they made is frozen, so that collections later (in a flood of output) skip it.
            gc.freeze()
            gc.enable()
        # Only after the first frame: importing docker and talking to the engine never delays it.
        self.connect()
        if self.status_interval:
            self.set_interval(self.status_interval, self.probe_status, name="status")

    def action_quit(self) -> None:
        self.shut_down()
        self.exit()

    def on_unmount(self) -> None:
        self.shut_down()

    def shut_down(self) -> None:
        """End every thread the app started: a Python interpreter waits for them before it exits."""
        if self._quitting:
            return
        self._quitting = True
        self.progress.add_time()
        self.progress.save()
        for stop in list(self._follows.values()):
            stop.set()
        if self.main is not None:
            self.main.cancel_rebuild()
        if self.runner is not None:
            for ending in (self.runner.interrupt, self.runner.close):
                try:
                    ending()
                except Exception as exc:  # a session that is already gone
                    self.log_error(exc, "closing the sessions")
        self.buffer.close()

    @property
    def closing(self) -> bool:
        """Messages the lab's threads posted may still arrive while the app closes, its screen's widgets gone."""
        return self._quitting or not self.is_running

    # --- the lab ------------------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def connect(self) -> None:
        from celery_tutor.lab.errors import LabError

        try:
            lab = self.lab_factory()
            last = [0.0]

            def building(event) -> None:
                if self._quitting:
                    raise _Closing()
                now = time.monotonic()
                if now - last[0] > 0.25:
                    last[0] = now
                    where = f" step {event.step}/{event.total}" if event.total else ""
                    self.post_message(msg.LabNote(f"preparing the lab image (once, a few minutes){where}…"))

            lab.image.ensure(building)
            from celery_tutor.steps.runner import StepRunner

            runner = StepRunner(lab, on_output=self.buffer.write, on_background=self._background_started)
        except _Closing:
            return
        except LabError as exc:
            self.post_message(msg.LabUnavailable(exc.reason, exc.fix))
            return
        self.post_message(msg.LabConnected(lab, runner))

    def on_lab_connected(self, message: msg.LabConnected) -> None:
        self.lab, self.runner, self.lab_problem = message.lab, message.runner, None
        if self.closing:
            self.runner.close()
            return
        self.main.lab_connected()
        self.probe_status()

    def on_lab_unavailable(self, message: msg.LabUnavailable) -> None:
        if self.closing:
            return
        self.lab = self.runner = None
        self.lab_problem = message.reason + (f". {message.fix}" if message.fix else "")
        self.main.lab_unavailable(message.reason, message.fix)

    def on_lab_note(self, message: msg.LabNote) -> None:
        if self.closing:
            return
        self.main.lab_note(message.text)

    def action_reconnect(self) -> None:
        if self.lab is None:
            self.main.lab_note("connecting to Docker…")
            self.connect()
        else:
            self.probe_status()  # what the learner may have wanted: the status bar brought up to date
            self.notify("Docker is connected already: ctrl+r is for after fixing what the banner says.", timeout=4)

    def probe_status(self) -> None:
        if self.lab is not None and not self._probing and not self._quitting:
            self._probing = True
            self._probe(self.lab)

    @work(thread=True, group="status", exit_on_error=False)
    def _probe(self, lab) -> None:
        try:
            nodes, logs = [], []
            for status in lab.status():
                if status.state != "running":
                    nodes.append(NodeState(status.name, status.state))
                    continue
                result = lab.node(status.name).exec(PROBE, cwd="/", timeout=5)
                seen = dict(line.split("=", 1) for line in result.output.split() if "=" in line)
                logs += [(status.name, line[4:]) for line in result.output.split() if line.startswith("log=")]
                nodes.append(NodeState(status.name, status.state, seen.get("rabbitmq") == "1",
                                       seen.get("worker") == "1"))
            self.post_message(msg.StatusProbed(nodes, logs))
        except Exception as exc:  # Docker went away mid-probe: say so in the bar, log the details
            self.log_error(exc, "probing the lab's state")
            self.post_message(msg.LabNote("cannot read the lab's state (see the log)"))
        finally:
            self._probing = False

    def on_status_probed(self, message: msg.StatusProbed) -> None:
        if self.closing:
            return
        self.main.status_bar.show_nodes(message.nodes)
        self.main.lab_probed(message.nodes, first=not self._reconciled)
        self._reconciled = True
        for node, name in message.logs:
            self.follow(node, name, f"{LOG_DIR}/{name}.log")

    # --- background jobs: their log in a pane of its own ------------------------------------------------------

    def _background_started(self, node: str, name: str, log: str) -> None:
        self.post_message(msg.BackgroundStarted(node, name, log))  # called in a worker thread

    def on_background_started(self, message: msg.BackgroundStarted) -> None:
        if self.closing:
            return
        self.follow(message.node, message.name, message.log)

    def followed_jobs(self, node: str) -> set[str]:
        return {source.partition("/")[2] for source in self._follows if source.startswith(node + "/")}

    def follow(self, node: str, name: str, log: str) -> None:
        source = f"{node}/{name}"
        if source in self._follows or self.lab is None or self._quitting:
            return
        self._follows[source] = threading.Event()
        self.main.output.ensure(source)
        self._follow(self.lab, node, source, log, self._follows[source])

    @work(thread=True, group="follow", exit_on_error=False)
    def _follow(self, lab, node: str, source: str, log: str, stop: threading.Event) -> None:
        try:
            lab.node(node).follow(log, lambda text: self.buffer.write(source, text), stop)
        finally:
            self._follows.pop(source, None)

    # --- output -------------------------------------------------------------------------------------------

    def flush_output(self) -> None:
        """Every FLUSH_SECONDS: everything the lab's threads wrote since the last time, one write per pane."""
        batches = self.buffer.drain()
        if not batches or self.closing or self.main is None or not self.main.is_mounted:
            return
        tabs = self.main.output
        for source, batch in batches.items():
            text = batch.text
            node, _, name = source.partition("/")
            if name == SHELL:
                # The learner's shell shows in the node's own pane, with a prompt they can read.
                text = _PROMPT.sub(lambda m: f"{node}{'' if m[1] == '0' else f' [{m[1]}]'}{m[2]} ", text)
                source = node
            tabs.write(source, text, batch.skipped)

    # --- keys of the whole app ----------------------------------------------------------------------------

    def action_interrupt(self) -> None:
        if self.main is None or not self.main.interrupt():
            self.notify("Nothing is running to interrupt. q quits.", timeout=3)

    def action_help(self) -> None:
        from celery_tutor.app.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.key_table(), self.shown(self.log_dir)))

    def key_table(self) -> list[tuple[str, str]]:
        keys = [(self.get_key_display(b), b.tooltip or b.description) for b in MainScreen.BINDINGS if b.show]
        keys += [("b", "Rebuild the lab to this step, replaying the earlier steps"),
                 ("[  ]", "The previous / next output tab"),
                 ("end", "Follow the end of an output pane again, after scrolling up"),
                 ("esc", "Leave the command line: the keys above work again"),
                 ("↑ ↓", "In the command line: earlier and later commands"),
                 ("ctrl+c", "Interrupt the running command (not the app); stop a check's waiting"),
                 ("ctrl+r", "Connect to Docker again, after fixing what the banner says"),
                 ("ctrl+p", "The command palette: everything here, by name"),
                 ("?", "This help"), ("q", "Quit (ctrl+q works everywhere)")]
        return keys


    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        if main is None:
            return
        yield SystemCommand("Run the step", "Run the current step's commands in the lab (r)", main.action_run)
        yield SystemCommand("Check the step", "Check the lab's state for the current step (c)", main.action_check)
        yield SystemCommand("Next step", "Go to the next step, once this one passed (n)", main.action_next)
        yield SystemCommand("Previous step", "Go back one step (p)", main.action_previous)
        yield SystemCommand("Show a hint", "Show the step's next hint (h)", main.action_hint)
        yield SystemCommand("Show the solution", "Show the step's hidden commands (s)", main.action_solution)
        yield SystemCommand("Do it for me", "Let the tutor do the step and check it (d)", main.action_do_it)
        yield SystemCommand("Type a command", "Focus the command line (/)", main.action_command_line)
        yield SystemCommand("Edit tasks.py", "Edit the notes' tasks.py and write it into the node (e)",
                            main.action_edit)
        for node in self.course.nodes:
            yield SystemCommand(f"Open a Python REPL on {node}", f"python3 in /root on {node}, in a tab of its own",
                                lambda node=node: main.open_session(node, "python", python=True))
        yield SystemCommand("Interrupt", "Ctrl+C to the running command", self.action_interrupt)
        yield SystemCommand("Connect to Docker again", "After fixing what the banner says (ctrl+r)",
                            self.action_reconnect)
        yield SystemCommand("Rebuild the lab to this step", "Fresh containers, the earlier steps replayed (b)",
                            main.action_rebuild)
        for step in main.steps:  # found by typing, not listed: "jump signatures"
            yield SystemCommand(f"Jump to {step_label(step)}", f"{step.full_id}; the steps before it are replayed "
                                "if the lab is not there yet", lambda step=step: main.jump_to(step), discover=False)
        yield SystemCommand("Help", "Keys and how the tutor works (?)", self.action_help)

    # --- errors: logged, one line on the screen, never a traceback ------------------------------------------

    def log_error(self, error: BaseException, doing: str = "") -> None:
        logger = _error_logger(self.error_log_path)
        lines = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        logger.error("unexpected error%s:\n%s", f" while {doing}" if doing else "", lines)

    def _handle_exception(self, error: Exception) -> None:
        """The last resort, for an error outside the app's guarded handlers (inside Textual itself): Textual would
        print a traceback; the learner gets one line saying where the details are, and the lab is left as it is."""
        if self.crash_on_error:
            super()._handle_exception(error)
            return
        self.unexpected_errors.append(error)
        self.log_error(error, "drawing the screen")
        self.shut_down()
        where = f"; details in {self.error_log_path}" if self.error_log_path else ""
        self.exit(return_code=1, message=f"celery-tutor stopped on an unexpected error "
                                         f"({type(error).__name__}: {str(error)[:120]}){where}")

    def report_error(self, error: BaseException, doing: str = "") -> None:
        self.unexpected_errors.append(error)
        self.log_error(error, doing)
        now = time.monotonic()
        if now - self._last_error_notice > 5:
            self._last_error_notice = now
            where = f" Details: {self.error_log_path}" if self.error_log_path else ""
            try:
                self.notify(f"{type(error).__name__}: {str(error)[:100]}.{where}", title="Unexpected error",
                            severity="error", timeout=10)
            except Exception:
                pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error, f"running {event.worker.name}")
            if event.worker.group == "step" and self.main is not None:
                self.main.busy = None
                self.main.step_bar.show_note("That did not work because of an unexpected error (see the notice).")
            if event.worker.group == "connect":
                self.post_message(msg.LabUnavailable(f"unexpected error: {event.worker.error}",
                                                     f"details are in {self.error_log_path}"))


_loggers: dict[str, logging.Logger] = {}


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


def make_app(course: Course, lab_factory: LabFactory, *, lab_name: str = "celery-tutor",
             progress: ProgressView | None = None, log_dir: Path | None = None, status_interval: float = 5.0,
             shown_home: str | None = None, crash_on_error: bool = False) -> TutorApp:
    """The app from its parts: tests hand in a course, a lab (real or fake) and where logs go."""
    return TutorApp(course, lab_factory, lab_name=lab_name, progress=progress, log_dir=log_dir,
                    status_interval=status_interval, shown_home=shown_home, crash_on_error=crash_on_error)


def run_app(course: Course, lab_name: str = "celery-tutor", engine: str | None = None) -> int:
    """What `celery-tutor start` runs: the real lab on the engine, progress and logs in the user's directories."""
    from celery_tutor.steps.progress import SavedProgress
    from celery_tutor.paths import log_dir

    def lab_factory():
        from celery_tutor.lab.docker_engine import connect
        from celery_tutor.lab.lab import Lab

        return Lab(connect(engine), name=lab_name, nodes=course.nodes)

    logs = log_dir()
    _quiet_logging(logs / "celery-tutor.log")
    progress = ProgressView(SavedProgress.for_lab(lab_name))
    app = make_app(course, lab_factory, lab_name=lab_name, progress=progress, log_dir=logs)
    try:
        app.run()
    except Exception as exc:  # the terminal itself failed; the CLI prints one line and logs the rest
        app.log_error(exc, "running the app")
        raise
    finally:
        app.shut_down()
    if app.unexpected_errors:
        print(f"celery-tutor: {len(app.unexpected_errors)} unexpected error(s) were logged in {app.error_log_path}")
    return app.return_code or 0


def _quiet_logging(path: Path) -> None:
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

        _quiet_logging.dump_file = open(path, "a", encoding="utf-8")  # type: ignore[attr-defined]
        faulthandler.register(signal.SIGUSR1, file=_quiet_logging.dump_file, all_threads=True)  # type: ignore
    except (AttributeError, OSError, ValueError):
        pass
