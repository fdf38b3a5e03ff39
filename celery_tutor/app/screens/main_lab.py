"""The main screen's side of the lab: what the lab owner's threads report, drawn; rebuilds offered and followed."""

from __future__ import annotations

import functools

from textual.worker import Worker, WorkerState

from celery_tutor.app import messages as msg
from celery_tutor.app.activity import Activity
from celery_tutor.app.guard import guarded
from celery_tutor.course.model import COMMAND_LINE_SESSION as SHELL
from celery_tutor.course.model import Step
from celery_tutor.i18n import _, ngettext
from celery_tutor.lab.in_node import PROMPT
from celery_tutor.steps.rebuild import Plan, describe_gone, expected_nodes, gone_nodes, step_label


@guarded("flush_output", "_rebuild_answered")
class LabReports:
    """Mixed into MainScreen: the handlers of the lab owner's messages and the rebuild's coordination."""

    # --- the lab --------------------------------------------------------------------------------------------

    def on_lab_connected(self, message: msg.LabConnected) -> None:
        if self.app.closing or not self.owner.connected(message.lab, message.runner):
            return
        self.banner.clear()
        self.status_bar.show_note("")
        self.owner.runner.begin_step(self.step)
        self.refresh_bindings()
        self.owner.probe()

    def on_lab_unavailable(self, message: msg.LabUnavailable) -> None:
        if self.app.closing:
            return
        self.owner.unavailable(message.reason, message.fix, message.can_make_base)
        self.banner.show_problem(message.reason, message.fix, offer="m makes it now" if message.can_make_base else "")
        self.status_bar.show_note("no lab")
        self.refresh_bindings()

    def action_make_base(self) -> None:
        if self.owner.lab is not None or not self.owner.base_offered:
            return
        self.owner.base_offered = False  # one making at a time; a failure offers it again
        self.banner.clear()
        self.status_bar.show_note("making the base image with debootstrap…")
        self.owner.make_base()

    def on_lab_note(self, message: msg.LabNote) -> None:
        if not self.app.closing:
            self.status_bar.show_note(message.text)

    def on_status_probed(self, message: msg.StatusProbed) -> None:
        if self.app.closing:
            return
        self.status_bar.show_nodes(message.nodes)
        self.lab_probed(message.nodes, first=not self._reconciled)
        self._reconciled = True
        for node, name in message.logs:
            self._follow(node, name)

    def on_probe_ended(self, message: msg.ProbeEnded) -> None:
        self.owner.probe_ended()

    def on_background_started(self, message: msg.BackgroundStarted) -> None:
        if not self.app.closing:
            self._follow(message.node, message.name, message.log)

    def _follow(self, node: str, name: str, log: str = "") -> None:
        source = self.owner.follow(node, name, log)
        if source is not None:
            self.output.ensure(source)

    def on_follow_ended(self, message: msg.FollowEnded) -> None:
        self.owner.follow_ended(message.source)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The app logs and shows the error (the event goes on to it); here the step's state is put right."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        if event.worker.group == "step":
            self.activity = Activity.IDLE
            self.step_bar.show_note(_("That did not work because of an unexpected error (see the notice)."))
        elif event.worker.group == "connect":
            self.post_message(msg.LabUnavailable(f"unexpected error: {event.worker.error}",
                                                 f"details are in {self.app.error_log_path}"))

    def flush_output(self) -> None:
        """Every FLUSH_SECONDS: everything the lab's threads wrote since the last time, one write per pane."""
        batches = self.owner.buffer.drain()
        if not batches or self.app.closing or not self.is_mounted:
            return
        for source, batch in batches.items():
            text = batch.text
            node, _, name = source.partition("/")
            if name == SHELL:
                # The learner's shell shows in the node's own pane, with a prompt they can read.
                text = PROMPT.sub(lambda m: f"{node}{'' if m[1] == '0' else f' [{m[1]}]'}{m[2]} ", text)
                source = node
            self.output.write(source, text, batch.skipped)

    def lab_probed(self, nodes, first: bool) -> None:
        """The status probe's word on the lab. At start: does the lab still match the progress (offer a rebuild
        if not)? Later: did a node go away from outside while nothing ran (say so; a step run would fail)?"""
        gone = gone_nodes(((node.name, node.state) for node in nodes), self._expected(self.lab_at))
        if first and gone:
            self.plan_rebuild(gone)
        elif gone and not self.busy:
            # The current step's own lab blocks stop and start nodes on purpose.
            own = {block.node for block in self.step.actions if block.role == "lab"}
            newly = [(name, state) for name, state in gone if name in self._running and name not in own]
            if newly:
                self.app.notify(_("{gone}: the lab no longer matches this step. b rebuilds it.").format(
                                    gone=describe_gone(newly)),
                                title=_("The lab has changed"), severity="warning", timeout=20)
        self._running = {node.name for node in nodes if node.state == "running"}

    def _expected(self, index: int) -> list[str]:
        return expected_nodes(self.steps[:index])

    # --- a step's run and check ---------------------------------------------------------------------------

    def on_run_finished(self, message: msg.RunFinished) -> None:
        self.flush_output()  # the command's last lines before its verdict, not a timer tick after it
        self.owner.probe()
        if message.ok:
            return
        self.activity = Activity.IDLE
        if message.step is self.step:
            if message.gone:
                self.step_bar.show_node_gone(_("The run failed"), message.reason, describe_gone(message.gone))
            else:
                self.step_bar.show_run_failed(message.reason)
        if message.gone:
            self.plan_rebuild(message.gone)

    def on_check_started(self, message: msg.CheckStarted) -> None:
        self.activity = Activity.CHECKING
        if message.step is self.step:
            self.step_bar.show_checking()

    def on_check_waiting(self, message: msg.CheckWaiting) -> None:
        if message.step is self.step and self.busy:
            self.step_bar.show_waiting(message.attempt, message.tries, message.delay, message.reason)

    def on_check_finished(self, message: msg.CheckFinished) -> None:
        self.activity = Activity.IDLE
        self._restart_idle()  # a check is progress of a kind: the wait for a hint starts again
        step = message.step
        if message.interrupted:
            self.step_bar.show_note(_("Check interrupted (ctrl+c). c checks again."))
            return
        if message.gone:  # not the learner's failure: the lab lost a node
            if step is self.step:
                self.step_bar.show_node_gone(_("Not yet"), message.reason, describe_gone(message.gone))
            self.plan_rebuild(message.gone)
            self.owner.probe()
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
        self.owner.probe()

    # --- rebuilding the lab to a step -------------------------------------------------------------------------

    def _gone_now(self) -> list[tuple[str, str]]:
        """The nodes gone as the last status probe saw them (no Docker call: this runs on the UI thread)."""
        nodes = self.status_bar.nodes
        return gone_nodes(((node.name, node.state) for node in nodes), self._expected(self.lab_at))

    def plan_rebuild(self, gone: list[tuple[str, str]], target: Step | None = None, go: bool = False,
                     fresh: bool = True) -> None:
        """The lab brought to `target`, afresh (`fresh`, a node `gone`, or a rewind: `target` behind the lab) or, for
        a jump ahead, whichever is quicker: replaying on the lab as it is, or the nearest checkpoint restored and the
        steps after it replayed. By default to where the learner or the lab is, whichever is further, so the
        progress's marks and the lab agree again. The owner weighs the checkpoints; the offer follows."""
        if target is None:
            target = self.steps[min(max(self._index(self.step), self.lab_at), len(self.steps) - 1)]
        passed = {step.full_id for step in self.steps if self.progress.passed(step.full_id)}
        self.owner.plan_rebuild(self.steps, target, self.lab_at, gone, fresh, passed, go)

    def _still_fits(self, plan: Plan, lab_at: int | None = None) -> bool:
        """Whether a plan made a moment ago still fits: the steps are the same objects (a language switch makes new
        ones), the lab has not moved on meanwhile (a step passed while the checkpoints were weighed), nothing runs."""
        same_steps = any(step is plan.target for step in self.steps)
        return same_steps and not self.busy and (lab_at is None or lab_at == self.lab_at)

    def on_rebuild_planned(self, message: msg.RebuildPlanned) -> None:
        if not self.app.closing and self._still_fits(message.plan, message.lab_at):
            self.offer_rebuild(message.plan, message.go)

    def action_rebuild(self) -> None:
        if self._can_act():
            self.plan_rebuild(self._gone_now(), self.step)

    def offer_rebuild(self, plan: Plan, go: bool = False) -> None:
        """Ask first (a rebuild removes the containers, or runs steps for the learner); one question at a time."""
        from celery_tutor.app.screens.rebuild import RebuildScreen

        if any(isinstance(screen, RebuildScreen) for screen in self.app.screen_stack):
            return
        ready_for = step_label(self.steps[self.lab_at]) if self.lab_at < len(self.steps) else None
        self.app.push_screen(RebuildScreen(plan, ready_for, go), functools.partial(self._rebuild_answered, plan, go))

    def _rebuild_answered(self, plan: Plan, go: bool, rebuild: bool | None) -> None:
        if not rebuild or not self._can_act():
            return
        if not self._still_fits(plan):
            self.step_bar.show_note(_("The lab or the course changed while you were asked: b plans the rebuild again."))
            return
        self.activity = Activity.REBUILDING
        if plan.restore:
            first = _("restoring the checkpoint after {lesson}…").format(lesson=plan.restored_after)
        else:
            first = _("removing the containers, starting them afresh…") if plan.reset else _("starting…")
        self.step_bar.show_rebuilding(0, len(plan.replay), "", first)
        self.owner.rebuild(plan, go)

    def on_rebuild_progress(self, message: msg.RebuildProgress) -> None:
        if self.busy:
            self.step_bar.show_rebuilding(message.done, message.total, step_label(message.step), message.phase)

    async def on_rebuild_finished(self, message: msg.RebuildFinished) -> None:
        self.activity = Activity.IDLE
        self.owner.rebuild_ended()
        plan, rebuilt = message.plan, message.rebuilt
        first = self._index(plan.replay[0]) if plan.replay else self._index(plan.target)
        self.lab_at = 0 if rebuilt.error and plan.reset else first + len(rebuilt.replayed)
        self.progress.mark_replayed([step.full_id for step in rebuilt.replayed])
        # A rewind: the lab no longer has what the later steps did (nor, if it stopped short, what it did not reach).
        forgotten = [] if rebuilt.error else self.progress.unmark([step.full_id for step in plan.forget])
        for step in [*rebuilt.replayed, *plan.forget]:
            self.outline.refresh_step(step)
        self.owner.probe()
        notes = "; ".join(rebuilt.notes)
        if not rebuilt.ok:
            self.step_bar.show_rebuild_failed(rebuilt.reason, rebuilt.cancelled)
            if notes:
                self.app.notify(notes, title=_("Checkpoints"), severity="warning", timeout=20)
            return
        if message.go:
            await self.go_to(plan.target)
        else:
            self.owner.runner.begin_step(self.step)  # the step's checks read what is printed from now on
            self._show_todo()
        if notes:  # why a checkpoint was passed over or not saved: the step bar keeps it until the next key
            self.step_bar.show_note(_("The lab is ready, but {notes}.").format(notes=notes))
        unmarked = (ngettext("; {count} later step to do again", "; {count} later steps to do again",
                             len(forgotten)).format(count=len(forgotten)) if forgotten else "")
        self.app.notify(_("{how_far} in {seconds:.0f} s{unmarked}: the lab is ready for {step}.").format(
                            how_far=rebuilt.how_far(), seconds=rebuilt.seconds, unmarked=unmarked,
                            step=step_label(plan.target)), title=_("Lab rebuilt"), timeout=8)
