"""The main screen: outline, lesson, output panes and command line; it turns the learner's keys into lab work."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.lazy import Lazy
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Header

from celery_tutor.app.activity import Activity
from celery_tutor.app.guard import guarded
from celery_tutor.app.lab_owner import LabOwner
from celery_tutor.app.progress import ProgressView
from celery_tutor.app.screens.main_lab import LabReports
from celery_tutor.app.screens.main_lines import TypedLines
from celery_tutor.app.screens.main_map import LabMapShown
from celery_tutor.app.translated_bindings import translate_bindings
from celery_tutor.app.widgets.banner import Banner
from celery_tutor.app.widgets.command_line import CommandLine
from celery_tutor.app.widgets.lesson_view import LessonView
from celery_tutor.app.widgets.outline import Outline
from celery_tutor.app.widgets.output_tabs import OutputTabs
from celery_tutor.app.widgets.status_bar import StatusBar
from celery_tutor.app.widgets.step_bar import StepBar
from celery_tutor.course.model import Course, Step
from celery_tutor.i18n import N_, _

FLUSH_SECONDS = 0.05  # output reaches the panes in batches this far apart, never line by line
WIDE = 170  # columns from which the lesson and the panes stand side by side
NARROW = 100  # columns below which the outline folds away (o brings it back): the lesson needs them more
SHORT = 30  # rows below which the lesson gets what the panes can spare


@guarded()
class MainScreen(LabReports, TypedLines, LabMapShown, Screen):
    """Screens coordinate, widgets draw: this one owns the current step and what the learner does with it; the lab
    and every thread that acts on it belong to the lab owner, which reports back here."""

    BINDINGS = [
        Binding("r", "run", N_("Run"), tooltip=N_("Run the step's commands in the lab, then check the step")),
        Binding("c", "check", N_("Check"), tooltip=N_("Check the step: the tutor looks at the lab's real state")),
        Binding("n", "next", N_("Next"), tooltip=N_("The next step (once this one's check has passed)")),
        Binding("p", "previous", N_("Prev"), tooltip=N_("The step before")),
        Binding("h", "hint", N_("Hint"), tooltip=N_("Show the step's next hint")),
        Binding("s", "solution", N_("Solution"), tooltip=N_("Show the commands the step hides until you ask")),
        Binding("d", "do_it", N_("Do it for me"), tooltip=N_("Let the tutor do the whole step, then check it")),
        Binding("slash", "command_line", N_("Type"),
                tooltip=N_("Type commands yourself: a shell in the node, or the REPL")),
        # Shown (and working) only on a narrow screen, early enough in the footer to be seen there.
        Binding("o", "outline", N_("Outline"),
                tooltip=N_("On a narrow screen: show the outline folded away, or fold it")),
        Binding("e", "edit", N_("Edit tasks.py"), tooltip=N_("Edit tasks.py and write it into the node")),
        # Not in the footer (no room at 120 columns): the step bar offers it in the lessons where it helps.
        Binding("l", "lab_map", N_("Lab map"), show=False,
                tooltip=N_("The lab map: nodes, queues and their leaders, HAProxy, workers, live; l again hides it")),
        Binding("m", "make_base", N_("Make the base image"), show=False,
                tooltip=N_("When the banner offers it: make the lab's missing base image here (debootstrap)")),
        Binding("b", "rebuild", N_("Rebuild"), show=False,
                tooltip=N_("Rebuild the lab to this step: fresh containers, the earlier steps' solutions replayed")),
        Binding("right_square_bracket", "pane(1)", N_("Next pane"), show=False, tooltip=N_("Show the next output tab")),
        Binding("left_square_bracket", "pane(-1)", N_("Previous pane"), show=False,
                tooltip=N_("Show the previous output tab")),
    ]

    activity: var[Activity] = var(Activity.IDLE)  # a step's run or check, or a rebuild, while a thread does it
    outline_shown: var[bool] = var(False)  # on a narrow screen, o brought the outline back

    def __init__(self, course: Course, progress: ProgressView, lab_name: str, owner: LabOwner, **kwargs):
        super().__init__(**kwargs)
        self.course = course
        self.progress = progress
        self.lab_name = lab_name
        self.owner = owner
        owner.report_to(self)
        translate_bindings(self)
        self._outline = Outline(course, progress, id="outline")
        self.steps: list[Step] = list(course.steps())
        self.step: Step = progress.saved.resume_step(course) or self.steps[0]
        self.lab_at = self._frontier()  # the index of the step the lab is ready for
        self._reconciled = False  # the lab compared once with the saved progress, at start
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

    @property
    def busy(self) -> bool:
        return self.activity is not Activity.IDLE

    async def on_mount(self) -> None:
        self.set_interval(FLUSH_SECONDS, self.flush_output, name="flush-output")
        self.title = self.course.title
        await self.go_to(self.step)
        self._update_prompt()
        self.lesson_view.focus()
        if self.progress.warning:
            self.app.notify(self.progress.warning, title=_("Progress"), severity="warning", timeout=10)

    def on_resize(self) -> None:
        width, height = self.size
        self.set_class(width >= WIDE, "-wide")
        self.set_class(height < SHORT, "-short")
        footer = self.query_one(Footer)
        footer.compact = width < NARROW
        footer.show_command_palette = width >= NARROW  # its room shows o there; ctrl+p works all the same
        self._fold_outline()
        self.refresh_bindings()

    def watch_outline_shown(self) -> None:
        self._fold_outline()

    def _fold_outline(self) -> None:
        narrow = self.size.width < NARROW
        self.set_class(narrow and not self.outline_shown, "-outline-folded")

    def action_outline(self) -> None:
        self.outline_shown = not self.outline_shown

    # --- where the learner is -----------------------------------------------------------------------------

    @property
    def position(self) -> str:
        lesson = self.step.lesson
        index = lesson.steps.index(self.step) + 1
        return _("Step {index} of {count}").format(index=index, count=len(lesson.steps))

    async def go_to(self, step: Step) -> None:
        self.step = step
        self.progress.move_to(step.full_id)
        self.sub_title = f"{step.lesson.notes} {step.lesson.title}"
        self.outline.set_current(step)
        await self.lesson_view.show(step)
        if self.owner.runner is not None:
            self.owner.runner.begin_step(step)
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
        self.app.notify(_("Stuck on this step? Press h for hint {number} of {count}.").format(
                            number=shown + 1, count=len(step.hints)),
                        title=_("A hint is ready"), timeout=15)

    def _show_todo(self) -> None:
        self.step_bar.show_todo(self.position, self.progress.passed(self.step.full_id), bool(self.step.learner_actions),
                                self.step.lesson.offers_map)

    def _index(self, step: Step) -> int:
        return self.steps.index(step)

    def _frontier(self) -> int:
        """Where the progress says the lab is: ready for the step after the last one passed."""
        passed = [index for index, step in enumerate(self.steps) if self.progress.passed(step.full_id)]
        return passed[-1] + 1 if passed else 0

    def reachable(self, step: Step) -> bool:
        """Steps up to the one the lab is ready for; with no lab, every step can be read."""
        return self.owner.lab is None or self._index(step) <= self.lab_at

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return True if self.progress.passed(self.step.full_id) or self.owner.lab is None else None
        if action == "previous":
            return True if self._index(self.step) > 0 else None
        if action == "outline":
            return self.size.width < NARROW
        return True

    # --- keys ---------------------------------------------------------------------------------------------

    def _can_act(self) -> bool:
        """The lab is there and nothing else is running; otherwise say so."""
        if self.owner.lab is None:
            self.app.notify(self.owner.problem or _("The lab is not connected yet."), title=_("No lab"),
                            severity="warning")
            return False
        if self.busy:
            self.app.notify(self.activity.still(), severity="warning")
            return False
        return True

    def action_run(self) -> None:
        if not self._can_act():
            return
        if not self.step.learner_actions:
            self.step_bar.show_note(_("This step has no commands for the tutor to run: it is yours to do. "
                                      "h gives a hint, s shows the solution, d lets the tutor do it."))
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
            self.output.ensure(first.source, select=not self.map_shown)  # the learner watches the map: it stays
        self.activity = Activity.RUNNING
        self.step_bar.show_running(_("Running the step's commands…") if not include_solution
                                   else _("Doing the step for you…"))
        self.owner.run_step(self.step, include_solution, self._expected_by(self.step))

    async def action_check(self) -> None:
        if not self._can_act():
            return
        self.activity = Activity.CHECKING
        self.step_bar.show_checking()
        self.owner.check_step(self.step, self._expected_by(self.step))

    def _expected_by(self, step: Step) -> list[str]:
        """The nodes the lab should have by the time `step` fails: a step's thread tells a gone node by them."""
        return self._expected(max(self.lab_at, self._index(step)))

    async def action_next(self) -> None:
        if self.busy:
            self.app.notify(self.activity.still(short=True), severity="warning")
            return
        if not self.progress.passed(self.step.full_id) and self.owner.lab is not None:
            self.app.notify(_("Pass this step's check first (c)."), severity="warning")
            return
        index = self._index(self.step)
        if index + 1 >= len(self.steps):
            self.app.notify(_("This is the last step of the course so far."))
            return
        await self.go_to(self.steps[index + 1])

    async def action_previous(self) -> None:
        if self.busy:
            self.app.notify(self.activity.still(short=True), severity="warning")
            return
        index = self._index(self.step)
        if index > 0:
            await self.go_to(self.steps[index - 1])

    async def action_hint(self) -> None:
        step = self.step
        shown = self.progress.hints_shown(step.full_id)
        if not step.hints:
            self.app.notify(_("This step has no hints. s shows the solution."))
            return
        if shown >= len(step.hints):
            self.app.notify(_("That was the last hint. s shows the solution; d lets the tutor do the step."))
            return
        self.progress.show_hint(step.full_id)
        await self.lesson_view.refresh_step(step, scroll_to_end=True)

    async def action_solution(self) -> None:
        step = self.step
        if not any(block.solution for block in step.actions):
            self.app.notify(_("Every command of this step is already shown in the lesson: "
                              "r runs them, d runs them and checks."))
            return
        self.progress.reveal(step.full_id)
        await self.lesson_view.refresh_step(step)

    def action_command_line(self) -> None:
        self.command_line.input.focus()

    def action_pane(self, step: int) -> None:
        self.output.cycle(step)

    def action_edit(self) -> None:
        from celery_tutor.app.screens.editor import EditorScreen

        node = self._edit_node()
        self.app.push_screen(EditorScreen(self.owner, node, "/root/tasks.py", self._starter_code()))

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
        if self.owner.runner is None:
            return False
        if self.busy:
            self.owner.interrupt()
            return True
        session = self._session_for(self.output.current_source or "")
        if session is not None and session.busy:
            session.interrupt()
            return True
        return False

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
            self.app.notify(self.activity.still(short=True), severity="warning")
            return
        if self.reachable(step):
            await self.go_to(step)
            return
        # From a checkpoint when that is quicker; afresh if a node is gone (a replay on that lab would fail).
        self.plan_rebuild(self._gone_now(), step, go=True, fresh=False)

