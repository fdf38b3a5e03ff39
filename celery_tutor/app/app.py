"""The Textual app: the course, the lab's owner and the main screen put together; keys of the whole app; errors off
the screen."""

from __future__ import annotations

import gc
import time
from pathlib import Path
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from celery_tutor.app import messages as msg
from celery_tutor.app.errors import log_error, quiet_logging
from celery_tutor.app.guard import guarded
from celery_tutor.app.lab_owner import LabFactory, LabOwner
from celery_tutor.app.output_buffer import OutputBuffer
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.screens.main import MainScreen
from celery_tutor.app.translated_bindings import translate_bindings
from celery_tutor.app.widgets.output_pane import MAX_LINES
from celery_tutor.course.model import Course
from celery_tutor.i18n import N_, _


@guarded("probe_status")
class TutorApp(App):
    """Puts the parts together: the lab belongs to the LabOwner, what the learner does with a step to MainScreen."""

    CSS_PATH = Path(__file__).with_name("tutor.tcss")  # absolute: subclasses elsewhere (benches) find it too
    TITLE = "celery-tutor"
    BINDINGS = [
        Binding("question_mark,f1", "help", N_("Help"), key_display="?"),
        Binding("q", "quit", N_("Quit")),
        Binding("ctrl+c", "interrupt", N_("Interrupt"), show=False, priority=True),
        Binding("ctrl+r", "reconnect", N_("Reconnect"), show=False),
    ]

    def __init__(self, course: Course, lab_factory: LabFactory, lab_name: str = "celery-tutor",
                 progress: ProgressView | None = None, log_dir: Path | None = None, status_interval: float = 5.0,
                 shown_home: str | None = None, crash_on_error: bool = False, room_source=None):
        super().__init__()
        self.crash_on_error = crash_on_error  # tests want Textual's own behaviour: fail loudly, at once
        self.course = course
        self.lab_name = lab_name
        self.progress = progress or ProgressView()
        self.log_dir = log_dir
        self.status_interval = status_interval
        self.shown_home = shown_home if shown_home is not None else str(Path.home())
        self.buffer = OutputBuffer(log_dir / lab_name if log_dir else None, keep_lines=MAX_LINES)
        self.lab_owner = LabOwner(lab_factory, self.buffer, self.log_error)
        self.unexpected_errors: list[BaseException] = []
        self._quitting = False
        self._last_error_notice = 0.0
        self.main: MainScreen | None = None
        translate_bindings(self)
        self.room_source = room_source  # where the teacher's lines come from (room_link.py), in a room

    @property
    def lab(self):
        return self.lab_owner.lab

    @property
    def runner(self):
        return self.lab_owner.runner

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
        self.main = MainScreen(self.course, self.progress, self.lab_name, self.lab_owner)
        return self.main

    def on_ready(self) -> None:
        if not gc.isenabled():
            # `celery-tutor start` held the cyclic collector off through its imports and the first frame, which
            # free nothing; what they made is frozen, so that collections later (in a flood of output) skip it.
            gc.freeze()
            gc.enable()
        # Only after the first frame: importing docker and talking to the engine never delays it.
        self.lab_owner.connect()
        if self.status_interval:
            self.set_interval(self.status_interval, self.probe_status, name="status")
        if self.room_source is not None:
            from celery_tutor.app.room_link import RoomLink

            RoomLink(self, self.room_source).start()

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
        self.lab_owner.shut_down()
        self.buffer.close()

    @property
    def closing(self) -> bool:
        """Messages the lab's threads posted may still arrive while the app closes, its screen's widgets gone."""
        return self._quitting or not self.is_running

    # --- the lab ------------------------------------------------------------------------------------------

    def action_reconnect(self) -> None:
        if self.lab is None:
            self.main.post_message(msg.LabNote(_("connecting to Docker…")))
            self.lab_owner.connect()
        else:
            self.probe_status()  # what the learner may have wanted: the status bar brought up to date
            self.notify(_("Docker is connected already: ctrl+r is for after fixing what the banner says."), timeout=4)

    def probe_status(self) -> None:
        self.lab_owner.probe()

    def on_room_problem(self, message: msg.RoomProblem) -> None:
        if self.closing or self.main is None:
            return
        if message.problem:
            self.main.status_bar.show_note(_("room not reachable, your work goes on here: {problem}").format(
                problem=message.problem))
        else:
            self.main.status_bar.show_note(_("the room answers again"))

    def on_teacher_said(self, message: msg.TeacherSaid) -> None:
        if self.closing or self.main is None:
            return
        self.main.step_bar.show_teacher(message.text)
        if message.fresh:
            self.notify(message.text, title=_("From the teacher"), timeout=20)

    # --- keys of the whole app ----------------------------------------------------------------------------

    def action_interrupt(self) -> None:
        if self.main is None or not self.main.interrupt():
            self.notify(_("Nothing is running to interrupt. q quits."), timeout=3)

    def action_help(self) -> None:
        from celery_tutor.app.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(self.key_table(), self.shown(self.log_dir)))

    def key_table(self) -> list[tuple[str, str]]:
        keys = [(self.get_key_display(b), _(b.tooltip or b.description)) for b in MainScreen.BINDINGS if b.show]
        keys += [("b", _("Rebuild the lab to this step, replaying the earlier steps")),
                 ("l", _("The live map of the lab (nodes, queues, HAProxy); l again hides it")),
                 ("[  ]", _("The previous / next output tab")),
                 ("end", _("Follow the end of an output pane again, after scrolling up")),
                 ("esc", _("Leave the command line: the keys above work again")),
                 ("↑ ↓", _("In the command line: earlier and later commands")),
                 ("ctrl+c", _("Interrupt the running command (not the app); stop a check's waiting")),
                 ("ctrl+r", _("Connect to Docker again, after fixing what the banner says")),
                 ("ctrl+p", _("The command palette: everything here, by name")),
                 ("?", _("This help")), ("q", _("Quit (ctrl+q works everywhere)"))]
        return keys


    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        from celery_tutor.app.commands import main_screen_commands

        yield from super().get_system_commands(screen)
        if self.main is not None:
            yield from main_screen_commands(self, self.main)

    # --- errors: logged, one line on the screen, never a traceback ------------------------------------------

    def log_error(self, error: BaseException, doing: str = "") -> None:
        log_error(self.error_log_path, error, doing)

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
            where = _(" Details: {path}").format(path=self.error_log_path) if self.error_log_path else ""
            try:
                self.notify(f"{type(error).__name__}: {str(error)[:100]}.{where}", title=_("Unexpected error"),
                            severity="error", timeout=10)
            except Exception:
                pass

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A worker's unexpected error (the screen whose worker it was has put its own state right already)."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.report_error(event.worker.error, f"running {event.worker.name}")


def make_app(course: Course, lab_factory: LabFactory, *, lab_name: str = "celery-tutor",
             progress: ProgressView | None = None, log_dir: Path | None = None, status_interval: float = 5.0,
             shown_home: str | None = None, crash_on_error: bool = False, room_source=None) -> TutorApp:
    """The app from its parts: tests hand in a course, a lab (real or fake) and where logs go."""
    return TutorApp(course, lab_factory, lab_name=lab_name, progress=progress, log_dir=log_dir,
                    status_interval=status_interval, shown_home=shown_home, crash_on_error=crash_on_error,
                    room_source=room_source)


def run_app(course: Course, lab_name: str = "celery-tutor", engine: str | None = None, lang: str | None = None,
            room=None) -> int:
    """What `celery-tutor start` runs: the real lab on the engine, progress and logs in the user's directories; the
    tutor's words in i18n's language (the CLI set it), `lang` the one --lang chose."""
    from celery_tutor.steps.progress import SavedProgress
    from celery_tutor.paths import log_dir

    def lab_factory():
        from celery_tutor.lab.docker_engine import connect
        from celery_tutor.lab.lab import Lab

        return Lab(connect(engine), name=lab_name, nodes=course.nodes)

    logs = log_dir()
    quiet_logging(logs / "celery-tutor.log")
    from celery_tutor.course.model import COMMAND_LINE_SESSION as SHELL
    from celery_tutor.server.teacher_line import Watcher

    progress = ProgressView(SavedProgress.for_lab(lab_name))
    if lang:
        progress.saved.language = lang  # --lang given is remembered for the next start, as a palette choice is
    # A seat of a served room: the teacher's lines to it come in a file beside its progress; `room` (a
    # RoomReporter, --room URL): this machine's own tutor, reporting to a room's server and hearing from it.
    app = make_app(course, lab_factory, lab_name=lab_name, progress=progress, log_dir=logs,
                   room_source=room or Watcher(lab_name))
    # Read before the app runs: a reload of a seat's page (a new app) finds the panes as they were.
    app.buffer.restore([source for node in course.nodes for source in (node, f"{node}/{SHELL}")])
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
