"""The main screen: outline, lesson, output panes and command line; it turns the learner's keys into lab work."""

from __future__ import annotations

import functools
import re
import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent

from celery_tutor.app import messages as msg
from celery_tutor.app.guard import guarded
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.widgets.banner import Banner
from celery_tutor.app.widgets.command_line import CommandLine
from celery_tutor.app.widgets.lesson_view import LessonView
from celery_tutor.app.widgets.outline import Outline
from celery_tutor.app.widgets.output_tabs import OutputTabs
from celery_tutor.app.widgets.status_bar import StatusBar
from celery_tutor.app.widgets.step_bar import StepBar
from celery_tutor.course.model import Course, Step
from celery_tutor.steps.rebuild import Plan, describe_gone, expected_nodes, gone_nodes, rebuild, step_label

LEARNER_LINE_TIMEOUT = 24 * 3600  # a line the learner typed runs until it ends or they press Ctrl+C
SHELL = "shell"  # the session the command line types into; its output shows in the node's own pane
_OPENS_PYTHON = re.compile(r"^\s*(cd\s+\S+\s*&&\s*)?python3?(\s+-q)?\s*$")


def source_of(block) -> str:
    """Where a block's output appears (the same rule as the engine's, which is imported only when the lab is)."""
    name = block.get("background") or (block.session if block.role in ("run", "repl") else None)
    return f"{block.node}/{name}" if name and name != SHELL else str(block.node)


@guarded("_rebuild_answered")
class MainScreen(Screen):
    """Screens coordinate, widgets draw: this one owns the current step and the workers that act on it."""

    BINDINGS = [
        Binding("r", "run", "Run", tooltip="Run the step's commands in the lab, then check the step"),
        Binding("c", "check", "Check", tooltip="Check the step: the tutor looks at the lab's real state"),
        Binding("n", "next", "Next", tooltip="The next step (once this one's check has passed)"),
        Binding("p", "previous", "Prev", tooltip="The step before"),
        Binding("h", "hint", "Hint", tooltip="Show the step's next hint"),
        Binding("s", "solution", "Solution", tooltip="Show the commands the step hides until you ask"),
        Binding("d", "do_it", "Do it for me", tooltip="Let the tutor do the whole step, then check it"),
        Binding("slash", "command_line", "Type", tooltip="Type commands yourself: a shell in the node, or the REPL"),
        Binding("e", "edit", "Edit tasks.py", tooltip="Edit tasks.py and write it into the node"),
        Binding("b", "rebuild", "Rebuild", show=False,
                tooltip="Rebuild the lab to this step: fresh containers, the earlier steps' solutions replayed"),
        Binding("right_square_bracket", "pane(1)", "Next pane", show=False, tooltip="Show the next output tab"),
        Binding("left_square_bracket", "pane(-1)", "Previous pane", show=False,
                tooltip="Show the previous output tab"),
    ]

    def __init__(self, course: Course, progress: ProgressView, lab_name: str, **kwargs):
        super().__init__(**kwargs)
        self.course = course
        self.progress = progress
        self.lab_name = lab_name
        self._outline = Outline(course, progress, id="outline")
        self.steps: list[Step] = list(course.steps())
        self.step: Step = progress.saved.resume_step(course) or self.steps[0]
        self.busy: str | None = None  # "running", "checking" or "rebuilding the lab" while a step worker works
        self.lab_at = self._frontier()  # the index of the step the lab is ready for
        self._rebuild_cancel: threading.Event | None = None
        self._running: set[str] = set()  # the nodes the last status probe saw running
        self._idle_timer = None
        self.background_jobs = {block.get("background") for step in self.steps for block in step.actions
                                if block.get("background")}

    # --- layout -------------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(icon="≡")
        yield Banner(id="banner")
        with Horizontal(id="body"):
            # Mounted just after the first frame (Textual's Lazy): the lesson and its step are what the learner
            # reads first, and the tree of 54 steps, with its styles, costs that frame the most of any widget.
            yield Lazy(self._outline)
            with Vertical(id="main"):
                with Vertical(id="reading"):
                    yield LessonView(self.progress, self.step, id="lesson")
                    yield StepBar(id="step-bar")
                with Vertical(id="doing"):
                    # Lazy too: empty at start, the panes and their tabs join the screen a frame later; tabbed
                    # content is the costliest part of the first frame after the outline.
                    self._output = OutputTabs(self.course.nodes, log_path=self.app.pane_log_path,
                                              shown_path=self.app.shown_log_path, id="output")
                    yield Lazy(self._output)
                    yield CommandLine(id="command-line")
        yield StatusBar(self.lab_name, id="status")
        yield Footer()

    @property
    def lesson_view(self) -> LessonView:
        return self.query_one(LessonView)

    @property
    def step_bar(self) -> StepBar:
        return self.query_one(StepBar)

    @property
    def output(self) -> OutputTabs:
        return self._output  # before it is mounted too: panes keep what is written and tabs what is shown

    @property
    def outline(self) -> Outline:
        return self._outline  # before it is mounted too: it keeps what it is told and shows it once mounted

    @property
    def command_line(self) -> CommandLine:
        return self.query_one(CommandLine)

    @property
    def banner(self) -> Banner:
        return self.query_one(Banner)

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    async def on_mount(self) -> None:
        self.title = self.course.title
        await self.go_to(self.step)
        self._update_prompt()
        self.lesson_view.focus()
        if self.progress.warning:
            self.app.notify(self.progress.warning, title="Progress", severity="warning", timeout=10)

    def on_resize(self) -> None:
        self.set_class(self.size.width >= 170, "-wide")

    # --- where the learner is -----------------------------------------------------------------------------

    @property
    def position(self) -> str:
        lesson = self.step.lesson
        index = lesson.steps.index(self.step) + 1
        return f"Step {index} of {len(lesson.steps)}"

    async def go_to(self, step: Step) -> None:
        self.step = step
        self.progress.move_to(step.full_id)
        self.sub_title = f"{step.lesson.notes} {step.lesson.title}"
        self.outline.set_current(step)
        await self.lesson_view.show(step)
        if self.app.runner is not None:
            self.app.runner.begin_step(step)
        self._show_todo()
        self._restart_idle()
        self.refresh_bindings()

    # Seconds on a step without passing it before the tutor offers the next hint (a failed check offers it too).
    IDLE_HINT_AFTER = 180.0

    def _restart_idle(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.stop()
        self._idle_timer = self.set_timer(self.IDLE_HINT_AFTER, self._offer_hint)

    def _offer_hint(self) -> None:
        step = self.step
        shown = self.progress.hints_shown(step.full_id)
        if self.busy or self.progress.passed(step.full_id) or shown >= len(step.hints):
            return
        self.app.notify(f"Stuck on this step? Press h for hint {shown + 1} of {len(step.hints)}.",
                        title="A hint is ready", timeout=15)

    def _show_todo(self) -> None:
        self.step_bar.show_todo(self.position, self.progress.passed(self.step.full_id), bool(self.step.learner_actions))

    def _index(self, step: Step) -> int:
        return self.steps.index(step)

    def _frontier(self) -> int:
        """Where the progress says the lab is: ready for the step after the last one passed."""
        passed = [index for index, step in enumerate(self.steps) if self.progress.passed(step.full_id)]
        return passed[-1] + 1 if passed else 0

    def reachable(self, step: Step) -> bool:
        """Steps up to the one the lab is ready for; with no lab, every step can be read."""
        return self.app.lab is None or self._index(step) <= self.lab_at

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return True if self.progress.passed(self.step.full_id) or self.app.lab is None else None
        if action == "previous":
            return True if self._index(self.step) > 0 else None
        return True

    # --- keys ---------------------------------------------------------------------------------------------

    def _can_act(self) -> bool:
        """The lab is there and nothing else is running; otherwise say so."""
        if self.app.lab is None:
            self.app.notify(self.app.lab_problem or "The lab is not connected yet.", title="No lab",
                            severity="warning")
            return False
        if self.busy:
            self.app.notify(f"Still {self.busy}: wait for it, or press ctrl+c to interrupt it.", severity="warning")
            return False
        return True

    def action_run(self) -> None:
        if not self._can_act():
            return
        if not self.step.learner_actions:
            self.step_bar.show_note("This step has no commands for the tutor to run: it is yours to do. "
                                    "h gives a hint, s shows the solution, d lets the tutor do it.")
            return
        self._start_run(include_solution=False)

    async def action_do_it(self) -> None:
        if not self._can_act():
            return
        if not self.step.actions:
            await self.action_check()
            return
        if any(block.solution for block in self.step.actions):
            self.progress.reveal(self.step.full_id)
            await self.lesson_view.refresh_step(self.step)
        self._start_run(include_solution=True)

    def _start_run(self, include_solution: bool) -> None:
        blocks = [block for block in self.step.actions if include_solution or not block.solution]
        first = next((block for block in blocks if block.node), None)
        if first is not None:
            self.output.ensure(source_of(first), select=True)
        self.busy = "running"
        self.step_bar.show_running("Running the step's commands…" if not include_solution
                                   else "Doing the step for you…")
        self.run_step(self.step, include_solution)

    async def action_check(self) -> None:
        if not self._can_act():
            return
        self.busy = "checking"
        self.step_bar.show_checking()
        self.check_step(self.step)

    async def action_next(self) -> None:
        if self.busy:
            self.app.notify(f"Still {self.busy}: wait for it, or press ctrl+c.", severity="warning")
            return
        if not self.progress.passed(self.step.full_id) and self.app.lab is not None:
            self.app.notify("Pass this step's check first (c).", severity="warning")
            return
        index = self._index(self.step)
        if index + 1 >= len(self.steps):
            self.app.notify("This is the last step of the course so far.")
            return
        await self.go_to(self.steps[index + 1])

    async def action_previous(self) -> None:
        if self.busy:
            self.app.notify(f"Still {self.busy}: wait for it, or press ctrl+c.", severity="warning")
            return
        index = self._index(self.step)
        if index > 0:
            await self.go_to(self.steps[index - 1])

    async def action_hint(self) -> None:
        step = self.step
        shown = self.progress.hints_shown(step.full_id)
        if not step.hints:
            self.app.notify("This step has no hints. s shows the solution.")
            return
        if shown >= len(step.hints):
            self.app.notify("That was the last hint. s shows the solution; d lets the tutor do the step.")
            return
        self.progress.show_hint(step.full_id)
        await self.lesson_view.refresh_step(step, scroll_to_end=True)

    async def action_solution(self) -> None:
        step = self.step
        if not any(block.solution for block in step.actions):
            self.app.notify("Every command of this step is already shown in the lesson: "
                            "r runs them, d runs them and checks.")
            return
        self.progress.reveal(step.full_id)
        await self.lesson_view.refresh_step(step)

    def action_command_line(self) -> None:
        self.command_line.input.focus()

    def action_pane(self, step: int) -> None:
        sources = self.output.sources
        current = self.output.current_source
        index = sources.index(current) if current in sources else 0
        self.output.show(sources[(index + step) % len(sources)])

    def action_edit(self) -> None:
        from celery_tutor.app.screens.editor import EditorScreen

        node = self._edit_node()
        self.app.push_screen(EditorScreen(self.app.lab, node, "/root/tasks.py", self._starter_code()))

    def _edit_node(self) -> str:
        for block in self.step.actions:
            if block.role == "file" and block.get("path", "").endswith("tasks.py"):
                return block.node
        current = self.output.current_source
        return (current or self.course.nodes[0]).partition("/")[0]

    def _starter_code(self) -> str:
        """The notes' version of the file, as the current lesson shows it, for a learner starting from nothing."""
        match = re.search(r"```python\n(.*?)```", self.step.markdown, re.S)
        return match.group(1) if match else ""

    def interrupt(self) -> bool:
        """Ctrl+C: the step's command and sessions if a step runs, else the selected pane's busy session."""
        runner = self.app.runner
        if runner is None:
            return False
        if self.busy:
            self.cancel_rebuild()  # a replay stops before its next phase; the interrupt ends this one
            runner.interrupt()
            return True
        session = self._session_for(self.output.current_source or "")
        if session is not None and session.busy:
            session.interrupt()
            return True
        return False

    # --- the step's workers ---------------------------------------------------------------------------------

    @work(thread=True, group="step", exit_on_error=False)
    def run_step(self, step: Step, include_solution: bool) -> None:
        runner = self.app.runner
        result = runner.run_actions(step, include_solution=include_solution, on_block=self._echo)
        gone = [] if result.ok or runner.cancel.is_set() else self._gone(step)
        self.post_message(msg.RunFinished(step, result.ok, result.reason, gone))
        if result.ok:
            self._check(step)

    def _echo(self, block) -> None:
        """Show the command the tutor runs, as a terminal would (sessions and the REPL echo by themselves)."""
        if block.role != "run" or (block.session and not block.get("background")):
            return
        lines = block.body.rstrip("\n").split("\n")
        if block.get("background"):
            lines[-1] += " &"
        text = "".join(f"\x1b[1;36m{'$' if index == 0 else '>'}\x1b[0m \x1b[1m{line}\x1b[0m\n"
                       for index, line in enumerate(lines))
        self.app.buffer.write(source_of(block), text)

    @work(thread=True, group="step", exit_on_error=False)
    def check_step(self, step: Step) -> None:
        self._check(step)

    def _check(self, step: Step) -> None:
        runner = self.app.runner
        self.post_message(msg.CheckStarted(step))
        result = runner.check(step, retries=True,
                              on_wait=lambda attempt, tries, delay, reason: self.post_message(
                                  msg.CheckWaiting(step, attempt, tries, delay, reason)))
        interrupted = runner.cancel.is_set() and not result.passed
        gone = [] if result.passed or interrupted else self._gone(step)
        self.post_message(msg.CheckFinished(step, result.passed, result.reason, interrupted, gone))

    def _gone(self, step: Step) -> list[tuple[str, str]]:
        """In a step worker, after a failure: the nodes the lab should have by now that do not run."""
        try:
            states = [(status.name, status.state) for status in self.app.lab.status()]
        except Exception:  # the engine went away: the failure's own reason says so already
            return []
        return gone_nodes(states, self._expected(max(self.lab_at, self._index(step))))

    def _expected(self, index: int) -> list[str]:
        return expected_nodes(self.steps[:index])

    def on_run_finished(self, message: msg.RunFinished) -> None:
        self.app.flush_output()  # the command's last lines before its verdict, not a timer tick after it
        self.app.probe_status()
        if message.ok:
            return
        self.busy = None
        if message.step is self.step:
            if message.gone:
                self.step_bar.show_node_gone("The run failed", message.reason, describe_gone(message.gone))
            else:
                self.step_bar.show_run_failed(message.reason)
        if message.gone:
            self.offer_rebuild(self._rebuild_plan(message.gone))

    def on_check_started(self, message: msg.CheckStarted) -> None:
        self.busy = "checking"
        if message.step is self.step:
            self.step_bar.show_checking()

    def on_check_waiting(self, message: msg.CheckWaiting) -> None:
        if message.step is self.step and self.busy:
            self.step_bar.show_waiting(message.attempt, message.tries, message.delay, message.reason)

    def on_check_finished(self, message: msg.CheckFinished) -> None:
        self.busy = None
        self._restart_idle()  # a check is progress of a kind: the wait for a hint starts again
        step = message.step
        if message.interrupted:
            self.step_bar.show_note("Check interrupted (ctrl+c). c checks again.")
            return
        if message.gone:  # not the learner's failure: the lab lost a node
            if step is self.step:
                self.step_bar.show_node_gone("Not yet", message.reason, describe_gone(message.gone))
            self.offer_rebuild(self._rebuild_plan(message.gone))
            self.app.probe_status()
            return
        if message.passed:
            self.lab_at = max(self.lab_at, self._index(step) + 1)
        failures = self.progress.record(step.full_id, message.passed)
        self.outline.refresh_step(step)
        if step is self.step:
            hints_left = self.progress.hints_shown(step.full_id) < len(step.hints)
            last = self._index(step) == len(self.steps) - 1
            self.step_bar.show_result(message.passed, message.reason, failures, hints_left, last)
        self.refresh_bindings()
        self.app.probe_status()

    # --- the command line -----------------------------------------------------------------------------------

    def _target(self, source: str) -> tuple[str, str]:
        """(node, session name) that a line typed while `source`'s pane is shown goes to."""
        node, _, name = source.partition("/")
        if not name or name in self.background_jobs or name in self.app.followed_jobs(node):
            return node, SHELL  # a background job's pane is a log: lines typed there go to the node's shell
        return node, name

    def _session_for(self, source: str):
        runner = self.app.runner
        if runner is None or not source:
            return None
        return runner.sessions.get(self._target(source))

    def _update_prompt(self) -> None:
        source = self.output.current_source or self.course.nodes[0]
        node, name = self._target(source)
        if name == SHELL:
            prompt = f"{node} #"
        elif self._is_python(node, name):
            prompt = f"{node} >>>"
        else:
            prompt = f"{node} {name} #"
        self.command_line.set_prompt(prompt)

    def _is_python(self, node: str, name: str) -> bool:
        from_runner = self.app.runner.sessions.get((node, name)) if self.app.runner else None
        if from_runner is not None:
            return type(from_runner).__name__ == "PythonSession"
        return name == "python" or any(block.role == "repl" and block.session == name for block in
                                       (b for s in self.steps for b in s.actions))

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._update_prompt()

    def on_command_line_left(self, event: CommandLine.Left) -> None:
        self.lesson_view.focus()

    def on_command_line_submitted(self, event: CommandLine.Submitted) -> None:
        if self.app.lab is None:
            self.app.notify(self.app.lab_problem or "The lab is not connected yet.", severity="warning")
            return
        source = self.output.current_source or self.course.nodes[0]
        node, name = self._target(source)
        if name == SHELL and event.line.strip() in ("clear", "reset"):
            self.output.pane(node).clear()
            return
        if name == SHELL and _OPENS_PYTHON.match(event.line):
            # The notes type `python` in the shell; here the REPL gets a tab of its own, which checks can read.
            self.open_session(node, "python", python=True)
            return
        self.send_line(node, name, event.line, self._is_python(node, name))

    @work(thread=True, group="line", exit_on_error=False)
    def send_line(self, node: str, name: str, line: str, python: bool) -> None:
        from celery_tutor.lab.errors import LabError
        from celery_tutor.lab.session import PythonSession, SessionError, ShellSession

        source = node if name == SHELL else f"{node}/{name}"
        try:
            session = self.app.runner.session(node, name, PythonSession if python else ShellSession)
            if session.busy:
                session.type_line(line)  # the answer to a question the running command asked
                return
            session.send_line(line, timeout=LEARNER_LINE_TIMEOUT)
        except LabError as exc:
            self.post_message(msg.LineFailed(source, exc.reason))
        except SessionError as exc:
            self.post_message(msg.LineFailed(source, f"{exc}; the next line starts a new one"))
        except OSError as exc:
            self.post_message(msg.LineFailed(source, f"the connection to {node} was lost ({exc.strerror or exc})"))

    @work(thread=True, group="session", exit_on_error=False)
    def open_session(self, node: str, name: str, python: bool) -> None:
        from celery_tutor.lab.errors import LabError
        from celery_tutor.lab.session import PythonSession, SessionError, ShellSession

        source = f"{node}/{name}"
        try:
            self.app.runner.session(node, name, PythonSession if python else ShellSession)
        except (LabError, SessionError) as exc:
            self.post_message(msg.LineFailed(source, getattr(exc, "reason", None) or str(exc)))
            return
        self.post_message(msg.SessionOpened(source))

    def on_session_opened(self, message: msg.SessionOpened) -> None:
        self.output.ensure(message.source, select=True)
        self.command_line.input.focus()

    def on_line_failed(self, message: msg.LineFailed) -> None:
        self.app.notify(message.reason, title=message.source, severity="error")

    # --- the outline ----------------------------------------------------------------------------------------

    async def on_outline_step_chosen(self, message: Outline.StepChosen) -> None:
        step = self.course.step(message.step_id)
        if step is not None:
            await self.jump_to(step)

    async def jump_to(self, step: Step) -> None:
        """Back, or up to where the lab is: just go. Further: offer to replay the steps in between first."""
        if step is self.step:
            return
        if self.busy:
            self.app.notify(f"Still {self.busy}: wait for it, or press ctrl+c.", severity="warning")
            return
        if self.reachable(step):
            await self.go_to(step)
            return
        gone = self._gone_now()
        if gone:  # replaying on a lab that lost a node would fail: it is made afresh
            self.offer_rebuild(self._rebuild_plan(gone, step), go=True)
        else:
            self.offer_rebuild(Plan(step, self.steps[self.lab_at: self._index(step)], reset=False), go=True)

    # --- rebuilding the lab to a step -------------------------------------------------------------------------

    def _gone_now(self) -> list[tuple[str, str]]:
        """The nodes gone as the last status probe saw them (no Docker call: this runs on the UI thread)."""
        nodes = self.status_bar.nodes
        return gone_nodes(((node.name, node.state) for node in nodes), self._expected(self.lab_at))

    def _rebuild_plan(self, gone: list[tuple[str, str]], target: Step | None = None) -> Plan:
        """A fresh lab brought to `target`; by default to where the learner or the lab is, whichever is further,
        so the progress's marks and the lab agree again."""
        if target is None:
            target = self.steps[min(max(self._index(self.step), self.lab_at), len(self.steps) - 1)]
        return Plan(target, self.steps[: self._index(target)], reset=True, gone=gone)

    def action_rebuild(self) -> None:
        if self._can_act():
            self.offer_rebuild(self._rebuild_plan(self._gone_now(), self.step))

    def offer_rebuild(self, plan: Plan, go: bool = False) -> None:
        """Ask first (a rebuild removes the containers, or runs steps for the learner); one question at a time."""
        from celery_tutor.app.screens.rebuild import RebuildScreen

        if any(isinstance(screen, RebuildScreen) for screen in self.app.screen_stack):
            return
        ready_for = step_label(self.steps[self.lab_at]) if self.lab_at < len(self.steps) else None
        self.app.push_screen(RebuildScreen(plan, ready_for), functools.partial(self._rebuild_answered, plan, go))

    def _rebuild_answered(self, plan: Plan, go: bool, rebuild: bool | None) -> None:
        if not rebuild or not self._can_act():
            return
        self.busy = "rebuilding the lab"
        self._rebuild_cancel = threading.Event()
        self.step_bar.show_rebuilding(0, len(plan.replay), "", "removing the containers, starting them afresh…"
                                      if plan.reset else "starting…")
        self.rebuild_lab(plan, go, self._rebuild_cancel)

    @work(thread=True, group="step", exit_on_error=False)
    def rebuild_lab(self, plan: Plan, go: bool, cancel: threading.Event) -> None:
        rebuilt = rebuild(self.app.lab, self.app.runner, plan.replay, _RebuildReporter(self, len(plan.replay)),
                          reset=plan.reset, cancel=cancel, on_block=self._echo)
        self.post_message(msg.RebuildFinished(plan, rebuilt, go))

    def cancel_rebuild(self) -> None:
        """Ctrl+C, or the app closing: a replay would otherwise go on to its next step (and Python waits for it)."""
        if self._rebuild_cancel is not None:
            self._rebuild_cancel.set()

    def on_rebuild_progress(self, message: msg.RebuildProgress) -> None:
        if self.busy:
            self.step_bar.show_rebuilding(message.done, message.total, step_label(message.step), message.phase)

    async def on_rebuild_finished(self, message: msg.RebuildFinished) -> None:
        self.busy = None
        self._rebuild_cancel = None
        plan, rebuilt = message.plan, message.rebuilt
        first = self._index(plan.replay[0]) if plan.replay else self._index(plan.target)
        self.lab_at = 0 if rebuilt.error and plan.reset else first + len(rebuilt.replayed)
        self.progress.mark_replayed([step.full_id for step in rebuilt.replayed])
        for step in rebuilt.replayed:
            self.outline.refresh_step(step)
        self.app.probe_status()
        if not rebuilt.ok:
            self.step_bar.show_rebuild_failed(rebuilt.reason, rebuilt.cancelled)
            return
        if message.go:
            await self.go_to(plan.target)
        else:
            self.app.runner.begin_step(self.step)  # the step's checks read what is printed from now on
            self._show_todo()
        count = len(rebuilt.replayed)
        self.app.notify(f"{count} step{'' if count == 1 else 's'} replayed in {rebuilt.seconds:.0f} s: the lab is "
                        f"ready for {step_label(plan.target)}.", title="Lab rebuilt", timeout=8)

    def lab_probed(self, nodes, first: bool) -> None:
        """The status probe's word on the lab. At start: does the lab still match the progress (offer a rebuild
        if not)? Later: did a node go away from outside while nothing ran (say so; a step run would fail)?"""
        expected = self._expected(self.lab_at)
        gone = gone_nodes(((node.name, node.state) for node in nodes), expected)
        if first and gone:
            self.offer_rebuild(self._rebuild_plan(gone))
        elif gone and not self.busy:
            # The current step's own lab blocks stop and start nodes on purpose.
            own = {block.node for block in self.step.actions if block.role == "lab"}
            newly = [(name, state) for name, state in gone if name in self._running and name not in own]
            if newly:
                self.app.notify(f"{describe_gone(newly)}: the lab no longer matches this step. b rebuilds it.",
                                title="The lab has changed", severity="warning", timeout=20)
        self._running = {node.name for node in nodes if node.state == "running"}

    # --- the lab, as the app reports it ---------------------------------------------------------------------

    def lab_connected(self) -> None:
        self.banner.clear()
        self.status_bar.show_note("")
        self.app.runner.begin_step(self.step)
        self.refresh_bindings()

    def lab_unavailable(self, reason: str, fix: str) -> None:
        self.banner.show_problem(reason, fix)
        self.status_bar.show_note("no lab")
        self.refresh_bindings()

    def lab_note(self, text: str) -> None:
        self.status_bar.show_note(text)


class _RebuildReporter:
    """Tells the screen how the replay goes (from the worker's thread) and marks each step's start in its pane."""

    def __init__(self, screen: MainScreen, total: int):
        self.screen, self.total, self.done = screen, total, 0

    def phase(self, step: Step, phase: str) -> None:
        self.screen.post_message(msg.RebuildProgress(self.done, self.total, step, phase))
        first = next((block for block in step.actions if block.node), None)
        if phase == "solution" and first is not None:
            banner = f"\x1b[2m── replaying {step_label(step)} ──\x1b[0m\n"
            self.screen.app.buffer.write(source_of(first), banner)

    def finished(self, outcome) -> None:
        self.done += 1
