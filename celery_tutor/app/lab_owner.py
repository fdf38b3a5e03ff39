"""The lab's one owner in the app: the lab, its runner, the followed logs and the status probe, and every thread."""

# Like Toolong's watcher: the threads this starts are handed what they need as arguments and only post messages
# (to the screen given as `to`); the tables here are read and changed on the UI thread alone.
from __future__ import annotations

import functools
import threading
import time
from typing import Callable

from textual.dom import DOMNode

from celery_tutor.app import messages as msg
from celery_tutor.app import node_files
from celery_tutor.app.output_buffer import OutputBuffer
from celery_tutor.app.rebuild_reporter import RebuildReporter
from celery_tutor.app.widgets.status_bar import NodeState
from celery_tutor.course.model import COMMAND_LINE_SESSION as SHELL
from celery_tutor.course.model import Block, Step
from celery_tutor.i18n import _
from celery_tutor.lab.in_node import LOG_DIR
from celery_tutor.steps.rebuild import Plan, gone_nodes, plan_rebuild, rebuild

LEARNER_LINE_TIMEOUT = 24 * 3600  # a line the learner typed runs until it ends or they press Ctrl+C
# One exec per running node: is RabbitMQ's port open, does a worker run, which background logs exist.
PROBE = ("(exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && echo rabbitmq=1 || echo rabbitmq=0; "
         "pgrep -f '[c]elery .*worker' >/dev/null && echo worker=1 || echo worker=0; "
         f"for f in {LOG_DIR}/*.log; do [ -e \"$f\" ] && basename \"$f\" .log | sed 's/^/log=/'; done; true")

LabFactory = Callable[[], object]


class _Closing(Exception):
    """Raised inside a worker's callback to stop work the app no longer needs (it is quitting)."""


class LabOwner:
    """Starts every thread that talks to the lab; what they find comes back to `to` as messages."""

    def __init__(self, lab_factory: LabFactory, buffer: OutputBuffer, on_error: Callable[[BaseException, str], None]):
        self.lab_factory = lab_factory
        self.buffer = buffer
        self.on_error = on_error  # logs an error a thread caught (thread-safe: a logger)
        self.to: DOMNode | None = None
        self.lab = None
        self.runner = None
        self.problem: str | None = None  # why there is no lab, once connecting failed
        self.base_offered = False  # the banner offers to make the missing base image (m)
        self._follows: dict[str, threading.Event] = {}  # source -> its stop; UI thread only
        self._probing = False
        self._mapping = False  # a read of the lab's map is under way
        self.map_reads = 0  # reads of the map started: the map is read only while it is shown
        self._rebuild_cancel: threading.Event | None = None
        self._closing = threading.Event()  # read by the threads: quit what the app no longer needs

    def report_to(self, screen: DOMNode) -> None:
        """The screen that gets the messages; the threads run as its workers."""
        self.to = screen

    def _start(self, work: Callable[[], None], group: str, exclusive: bool = False, to: DOMNode | None = None) -> None:
        name = getattr(work, "func", work).__name__.lstrip("_")
        (to or self.to).run_worker(work, name=name, group=group, thread=True, exclusive=exclusive,
                                   exit_on_error=False)

    def _post(self, message) -> None:
        self.to.post_message(message)

    # --- connecting ---------------------------------------------------------------------------------------

    def connect(self) -> None:
        self._start(functools.partial(self._connect, self.lab_factory, self.buffer.write), "connect", True)

    def make_base(self) -> None:
        """Make the missing base image (debootstrap), then connect as ctrl+r would: the closed network's first run."""
        self._start(functools.partial(self._make_base, self.lab_factory, self.buffer.write), "connect", True)

    def _make_base(self, lab_factory: LabFactory, write: Callable[[str, str], None]) -> None:
        from celery_tutor.lab.errors import LabError

        last = [0.0]

        def making(line: str) -> None:
            if self._closing.is_set():
                raise _Closing()
            now = time.monotonic()
            if now - last[0] > 0.25:
                last[0] = now
                self._post(msg.LabNote(_("making the base image: {line}").format(line=line[:70])))

        try:
            lab_factory().image.make_base(making)
        except _Closing:
            return
        except LabError as exc:
            self._post(msg.LabUnavailable(exc.reason, exc.fix))
            return
        self._connect(lab_factory, write)

    def _connect(self, lab_factory: LabFactory, write: Callable[[str, str], None]) -> None:
        from celery_tutor.lab.errors import BaseImageMissing, LabError

        try:
            lab = lab_factory()
            last = [0.0]

            def building(event) -> None:
                if self._closing.is_set():
                    raise _Closing()
                now = time.monotonic()
                if now - last[0] > 0.25:
                    last[0] = now
                    where = _(" step {step}/{total}").format(step=event.step, total=event.total) if event.total else ""
                    self._post(msg.LabNote(_("preparing the lab image (once, a few minutes){where}…").format(
                        where=where)))

            lab.image.ensure(building)
            from celery_tutor.steps.runner import StepRunner

            runner = StepRunner(lab, on_output=write, on_background=lambda node, name, log: self._post(
                msg.BackgroundStarted(node, name, log)))
        except _Closing:
            return
        except BaseImageMissing as exc:
            from celery_tutor.lab import base_image

            if base_image.can_make() is None:
                self._post(msg.LabUnavailable(exc.reason, _("press m to make it here with debootstrap (about "
                                                            "{seconds} s), then the lab image is "
                                                            "built").format(seconds=base_image.MAKE_SECONDS),
                                              can_make_base=True))
            else:
                self._post(msg.LabUnavailable(exc.reason, exc.fix))
            return
        except LabError as exc:
            self._post(msg.LabUnavailable(exc.reason, exc.fix))
            return
        self._post(msg.LabConnected(lab, runner))

    def connected(self, lab, runner) -> bool:
        """The connect thread's lab and runner, taken over; False if the app closes meanwhile (they are closed)."""
        if self._closing.is_set():
            runner.close()
            return False
        self.lab, self.runner, self.problem, self.base_offered = lab, runner, None, False
        return True

    def unavailable(self, reason: str, fix: str, can_make_base: bool = False) -> None:
        self.lab = self.runner = None
        self.problem = reason + (f". {fix}" if fix else "")
        self.base_offered = can_make_base

    # --- the status probe ---------------------------------------------------------------------------------

    def probe(self) -> None:
        if self.lab is not None and not self._probing and not self._closing.is_set():
            self._probing = True
            self._start(functools.partial(self._probe, self.lab), "status")

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
            self._post(msg.StatusProbed(nodes, logs))
        except Exception as exc:  # Docker went away mid-probe: say so in the bar, log the details
            self.on_error(exc, "probing the lab's state")
            self._post(msg.LabNote(_("cannot read the lab's state (see the log)")))
        finally:
            self._post(msg.ProbeEnded())

    def probe_ended(self) -> None:
        self._probing = False

    # --- the map of the lab, read while it is shown ------------------------------------------------------

    def read_map(self, previous) -> bool:
        """Start a read of the map (`previous`, the map on show, tells it which broker answered last); False if
        one is under way already or there is no lab."""
        if self.lab is None or self._mapping or self._closing.is_set():
            return False
        self._mapping = True
        self.map_reads += 1
        self._start(functools.partial(self._read_map, self.lab, previous), "map")
        return True

    def _read_map(self, lab, previous) -> None:
        lab_map, problem = None, ""
        try:
            from celery_tutor.lab import lab_map as map_module  # here: docker-py is not the first frame's

            lab_map = map_module.read_map(lab, previous)
        except Exception as exc:  # read_map shows what does not answer; this is for what it did not foresee
            self.on_error(exc, "reading the map of the lab")
            problem = f"the map could not be read ({type(exc).__name__}; see the log)"
        finally:
            self._post(msg.MapRead(lab_map, problem))

    def map_read(self) -> None:
        self._mapping = False

    @property
    def reading_map(self) -> bool:
        return self._mapping

    # --- background jobs: their log followed into a pane of its own ---------------------------------------

    def follow(self, node: str, name: str, log: str = "") -> str | None:
        """Follow a background job's log; the pane's source if it is newly followed."""
        source = f"{node}/{name}"
        if source in self._follows or self.lab is None or self._closing.is_set():
            return None
        stop = self._follows[source] = threading.Event()
        # A thread of its own, not a worker: a follow lasts as long as its job, and Textual's thread workers share
        # asyncio's default pool (6 threads on 2 cores). By section 四 the follows held all of it, and no probe, map
        # read or step run could start.
        threading.Thread(target=self._follow, name=f"follow {source}", daemon=True,
                         args=(self.lab, node, source, log or f"{LOG_DIR}/{name}.log", stop, self.buffer.write)).start()
        return source

    def _follow(self, lab, node: str, source: str, log: str, stop: threading.Event,
                write: Callable[[str, str], None]) -> None:
        try:
            lab.node(node).follow(log, lambda text: write(source, text), stop)
        except Exception as exc:  # what a worker's failure would have been: logged, the pane just stops
            self.on_error(exc, f"following {source}")
        finally:
            self._post(msg.FollowEnded(source))

    def follow_ended(self, source: str) -> None:
        self._follows.pop(source, None)

    def followed_jobs(self, node: str) -> set[str]:
        return {source.partition("/")[2] for source in self._follows if source.startswith(node + "/")}

    # --- a step's run and check ---------------------------------------------------------------------------

    def run_step(self, step: Step, include_solution: bool, expected: list[str]) -> None:
        """`expected`: the nodes the lab should have by now, to tell a failure from a node gone."""
        self._start(functools.partial(self._run_step, self.runner, self.lab, step, include_solution, expected,
                                      self._echo), "step")

    def check_step(self, step: Step, expected: list[str]) -> None:
        self._start(functools.partial(self._check_step, self.runner, self.lab, step, expected), "step")

    def _check_step(self, runner, lab, step: Step, expected: list[str]) -> None:
        self._check(runner, lab, step, expected)

    def _run_step(self, runner, lab, step: Step, include_solution: bool, expected: list[str], echo) -> None:
        result = runner.run_actions(step, include_solution=include_solution, on_block=echo)
        gone = [] if result.ok or runner.cancel.is_set() else _gone(lab, expected)
        self._post(msg.RunFinished(step, result.ok, result.reason, gone))
        if result.ok:
            self._check(runner, lab, step, expected)

    def _check(self, runner, lab, step: Step, expected: list[str]) -> None:
        self._post(msg.CheckStarted(step))
        result = runner.check(step, retries=True, on_wait=lambda attempt, tries, delay, reason: self._post(
            msg.CheckWaiting(step, attempt, tries, delay, reason)))
        interrupted = runner.cancel.is_set() and not result.passed
        gone = [] if result.passed or interrupted else _gone(lab, expected)
        self._post(msg.CheckFinished(step, result.passed, result.reason, interrupted, gone))

    def _echo(self, block: Block) -> None:
        """Show the command the tutor runs, as a terminal would (sessions and the REPL echo by themselves)."""
        if block.role != "run" or (block.session and not block.get("background")):
            return
        lines = block.body.rstrip("\n").split("\n")
        if block.get("background"):
            lines[-1] += " &"
        text = "".join(f"\x1b[1;36m{'$' if index == 0 else '>'}\x1b[0m \x1b[1m{line}\x1b[0m\n"
                       for index, line in enumerate(lines))
        self.buffer.write(block.source, text)

    # --- rebuilding the lab to a step ---------------------------------------------------------------------

    def plan_rebuild(self, steps: list[Step], target: Step, lab_at: int, gone: list[tuple[str, str]], fresh: bool,
                     passed: set[str], go: bool) -> None:
        """Weigh the rebuild to `target` against the checkpoints (steps.rebuild.plan_rebuild) in a thread: finding
        them asks the engine. RebuildPlanned comes back."""
        self._start(functools.partial(self._plan_rebuild, self.lab, steps, target, lab_at, gone, fresh, passed, go),
                    "plan")

    def _plan_rebuild(self, lab, steps: list[Step], target: Step, lab_at: int, gone: list[tuple[str, str]],
                      fresh: bool, passed: set[str], go: bool) -> None:
        from celery_tutor.lab.checkpoint import enabled
        from celery_tutor.steps.checkpoints import Checkpoints

        checkpoint, cost = 0, 0.0
        if enabled():
            try:
                checkpoint, cost = Checkpoints(lab, steps).nearest_restore(steps.index(target))
            except Exception as exc:  # the engine gone away: planned as a replay, the rebuild itself will say why
                self.on_error(exc, "looking for a checkpoint")
        self._post(msg.RebuildPlanned(plan_rebuild(steps, target, lab_at, checkpoint=checkpoint, restore_cost=cost,
                                                   gone=gone, fresh=fresh, passed=passed), go, lab_at))

    def rebuild(self, plan: Plan, go: bool) -> None:
        self._rebuild_cancel = cancel = threading.Event()
        reporter = RebuildReporter(self._post, self.buffer.write, plan.replay)
        self._start(functools.partial(self._rebuild_lab, self.lab, self.runner, plan, go, reporter, cancel,
                                      self._echo), "step")

    def _rebuild_lab(self, lab, runner, plan: Plan, go: bool, reporter, cancel: threading.Event, echo) -> None:
        rebuilt = rebuild(lab, runner, plan.replay, reporter, reset=plan.reset, cancel=cancel, on_block=echo)
        self._post(msg.RebuildFinished(plan, rebuilt, go))

    def rebuild_ended(self) -> None:
        self._rebuild_cancel = None

    def cancel_rebuild(self) -> None:
        """Ctrl+C, or the app closing: a replay would otherwise go on to its next step (and Python waits for it)."""
        if self._rebuild_cancel is not None:
            self._rebuild_cancel.set()

    # --- the learner's own lines and sessions -------------------------------------------------------------

    def send_line(self, node: str, name: str, line: str, python: bool) -> None:
        self._start(functools.partial(self._send_line, self.runner, node, name, line, python), "line")

    def _send_line(self, runner, node: str, name: str, line: str, python: bool) -> None:
        from celery_tutor.lab.errors import LabError
        from celery_tutor.lab.session import PythonSession, SessionError, ShellSession

        source = node if name == SHELL else f"{node}/{name}"
        try:
            session = runner.session(node, name, PythonSession if python else ShellSession)
            if session.busy:
                session.type_line(line)  # the answer to a question the running command asked
                return
            session.send_line(line, timeout=LEARNER_LINE_TIMEOUT)
        except LabError as exc:
            self._post(msg.LineFailed(source, exc.reason))
        except SessionError as exc:
            self._post(msg.LineFailed(source, f"{exc}; the next line starts a new one"))
        except OSError as exc:
            self._post(msg.LineFailed(source, f"the connection to {node} was lost ({exc.strerror or exc})"))

    def open_session(self, node: str, name: str, python: bool) -> None:
        self._start(functools.partial(self._open_session, self.runner, node, name, python), "session")

    def _open_session(self, runner, node: str, name: str, python: bool) -> None:
        from celery_tutor.lab.errors import LabError
        from celery_tutor.lab.session import PythonSession, SessionError, ShellSession

        source = f"{node}/{name}"
        try:
            runner.session(node, name, PythonSession if python else ShellSession)
        except (LabError, SessionError) as exc:
            self._post(msg.LineFailed(source, getattr(exc, "reason", None) or str(exc)))
            return
        self._post(msg.SessionOpened(source))

    # --- a file of a node, for the editor -------------------------------------------------------------------

    def load_file(self, node: str, path: str, starter: str, to: DOMNode) -> None:
        """Read `path` from the node in a thread; `to` (the editor) gets FileRead, with `starter` if it is missing."""
        self._start(functools.partial(node_files.load, self.lab, node, path, starter, to.post_message), "editor-load",
                    exclusive=True, to=to)

    def save_file(self, node: str, path: str, text: str, to: DOMNode) -> None:
        self._start(functools.partial(node_files.save, self.lab, node, path, text, to.post_message), "editor-save",
                    exclusive=True, to=to)

    # --- ending ---------------------------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Ctrl+C while a step works: a replay stops before its next phase; the runner ends the running command."""
        self.cancel_rebuild()
        if self.runner is not None:
            self.runner.interrupt()

    def shut_down(self) -> None:
        """Stop every thread this started: a Python interpreter waits for them before it exits."""
        self._closing.set()
        for stop in self._follows.values():
            stop.set()
        self.cancel_rebuild()
        if self.runner is not None:
            for ending in (self.runner.interrupt, self.runner.close):
                try:
                    ending()
                except Exception as exc:  # a session that is already gone
                    self.on_error(exc, "closing the sessions")


def _gone(lab, expected: list[str]) -> list[tuple[str, str]]:
    """In a step's thread, after a failure: the nodes the lab should have by now that do not run."""
    try:
        states = [(status.name, status.state) for status in lab.status()]
    except Exception:  # the engine went away: the failure's own reason says so already
        return []
    return gone_nodes(states, expected)
