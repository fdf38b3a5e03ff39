"""The line under the lesson that says where the current step stands: to do, running, waiting, passed, failed."""

from __future__ import annotations

import time

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from celery_tutor.app.guard import guarded
from celery_tutor.i18n import N_, _

# A replay's phases, named by verify (steps/verify.py) and shown here in the learner's language.
_PHASES = (N_("check must fail"), N_("solution"), N_("check"))


@guarded("_tick")
class StepBar(Static):
    """Shows the last thing that happened to the current step, with the key that comes next."""

    def __init__(self, **kwargs):
        super().__init__("", **kwargs)
        self._timer: Timer | None = None
        self._deadline = 0.0
        self._waiting: tuple[int, int, str] | None = None
        self._text = Text()
        self.teacher = ""  # the teacher's last line, kept under whatever the step's state says
        self.state = "todo"

    def _set(self, state: str, text: Text) -> None:
        if self._timer is not None and state != "waiting":
            self._timer.stop()
            self._timer = None
        self.state = state
        self.set_class(state == "passed", "-passed")
        self.set_class(state in ("failed", "run-failed"), "-failed")
        self.set_class(state in ("running", "checking", "waiting", "rebuilding"), "-busy")
        self._draw(text)

    def _draw(self, text: Text) -> None:
        self._text = text
        if self.teacher:
            text = Text.assemble(text, "\n", (_("Teacher: "), "bold magenta"), (self.teacher, "magenta"))
        self.update(text)

    def show_teacher(self, line: str) -> None:
        """The room's teacher said a line to every learner: it stays under the step's state until the next one."""
        self.teacher = line
        self._draw(self._text)

    def show_todo(self, position: str, passed: bool, runnable: bool, offers_map: bool = False) -> None:
        """`offers_map`: the lesson's section says the live map of the lab helps here (course.yaml's map: true)."""
        lab_map = ((" · ", "dim"), ("l", "bold"), _(" the lab map")) if offers_map else ()
        if passed:
            passed_text = _("{position} passed. ").format(position=position)
            self._set("passed", Text.assemble(("✓ ", "bold green"), passed_text,
                                              ("n", "bold"), _(" goes on; "), ("c", "bold"), _(" checks it again."),
                                              *lab_map))
            return
        text = Text.assemble(f"{position}", (" · ", "dim"), *((("r", "bold"), _(" runs it"), (" · ", "dim"))
                                                                 if runnable else ()),
                             ("/", "bold"), _(" type it yourself"), (" · ", "dim"), ("c", "bold"), _(" checks it"),
                             (" · ", "dim"), ("h", "bold"), _(" hint"), *lab_map)
        self._set("todo", text)

    def show_running(self, what: str) -> None:
        self._set("running", Text.assemble(("⋯ ", "bold yellow"), what, ("   ctrl+c", "bold"), _(" interrupts")))

    def show_checking(self) -> None:
        self._set("checking", Text.assemble(("⋯ ", "bold yellow"), _("Checking…")))

    def show_waiting(self, attempt: int, tries: int, delay: float, reason: str) -> None:
        """A check that may pass a little later failed a try: count down to the next one."""
        self._deadline = time.monotonic() + delay
        self._waiting = (attempt, tries, reason)
        self._set("waiting", self._waiting_text())
        if self._timer is None:
            self._timer = self.set_interval(0.1, self._tick)

    def _waiting_text(self) -> Text:
        attempt, tries, reason = self._waiting or (0, 0, "")
        left = max(0.0, self._deadline - time.monotonic())
        return Text.assemble(("⋯ ", "bold yellow"), _("Not yet: "), (reason, "italic"), "\n",
                             _("  try {attempt} of {tries} failed; next try in {left:.1f} s "
                               "(about {more} more at most)").format(attempt=attempt, tries=tries, left=left,
                                                                     more=max(0, tries - attempt)),
                             ("   ctrl+c", "bold"), _(" stops waiting"))

    def _tick(self) -> None:
        if self.state == "waiting":
            self._draw(self._waiting_text())

    def show_result(self, passed: bool, reason: str, failures: int = 0, hints_left: bool = True,
                    last: bool = False) -> None:
        if passed:
            goes_on = _("That was the last step: well done!") if last else _("Press n for the next step.")
            self._set("passed", Text.assemble((_("✓ Passed. "), "bold green"), goes_on))
            return
        text = Text.assemble((_("✗ Not yet: "), "bold red"), reason or _("the check failed"))
        if failures >= 2:
            if hints_left:
                text.append_text(Text.assemble(_("\n  Stuck? Press "), ("h", "bold"), _(" for a hint.")))
            else:
                text.append_text(Text.assemble(_("\n  Still stuck? "), ("s", "bold"), _(" shows the solution, "),
                                               ("d", "bold"), _(" lets the tutor do the step.")))
        self._set("failed", text)

    def show_rebuilding(self, done: int, total: int, label: str, phase: str) -> None:
        """A rebuild's progress: the step being replayed, and a bar of the steps done."""
        width = 24
        filled = round(width * done / total) if total else width
        what = _("replaying {number}/{total}: {label} ({phase})").format(number=done + 1, total=total, label=label,
                                                                         phase=_(phase)) if label else _(phase)
        self._set("rebuilding", Text.assemble(("⋯ ", "bold yellow"), _("Rebuilding the lab: "), what, "\n  ",
                                              ("━" * filled, "bold yellow"), ("━" * (width - filled), "dim"),
                                              _(" {done}/{total} steps done").format(done=done, total=total),
                                              ("   ctrl+c", "bold"), _(" stops it")))

    def show_rebuild_failed(self, reason: str, cancelled: bool) -> None:
        head = _("Rebuild stopped: ") if cancelled else _("✗ Rebuild failed: ")
        self._set("note" if cancelled else "run-failed",
                  Text.assemble((head, "bold" if cancelled else "bold red"), reason, "\n  ", ("b", "bold"),
                                _(" rebuilds the lab to this step; the output panes show what the replay did.")))

    def show_node_gone(self, what: str, reason: str, gone: str) -> None:
        """A run or check failed because a node went away: no use fixing the step, the lab needs rebuilding."""
        self._set("run-failed", Text.assemble((_("✗ {what}: ").format(what=what), "bold red"), reason.split("; ")[0],
                                              _("\n  {gone}: ").format(gone=gone), ("b", "bold"),
                                              _(" rebuilds the lab to this step.")))

    def show_run_failed(self, reason: str) -> None:
        self._set("run-failed", Text.assemble((_("✗ The run failed: "), "bold red"), reason,
                                              _("\n  Read the output pane; fix it and try again.")))

    def show_note(self, note: str) -> None:
        self._set("note", Text(note))
