"""A lab brought to a step from the command line: the steps before it replayed under a bar, then recorded."""

from __future__ import annotations

from celery_tutor.cli import context
from celery_tutor.cli.render import VerifyReporter, bar, console, err
from celery_tutor.course.model import Step


def replay_to(lab, replay: list[Step], target: Step, shown: str, reset: bool = False, fresh: bool = False) -> int:
    """Replay `replay` (solutions and checks) so the lab is as if they were done, on a lab made afresh first with
    `reset` (or one that has no container yet: `fresh`), from the nearest checkpoint then; the replayed steps and
    `target` recorded in the lab's progress (the app's rebuild does the same)."""
    from celery_tutor.steps.rebuild import rebuild_and_record
    from celery_tutor.steps.runner import StepRunner

    if reset:
        err.print(f"starting lab {lab.name} afresh at {shown}: its containers are removed, the steps before "
                  "replayed", markup=False)
    progress = context.saved_progress(lab.name)
    shown_bar = bar("replaying")
    with shown_bar:
        reporter = VerifyReporter(shown_bar, shown_bar.add_task("", total=len(replay)), len(replay))
        runner = StepRunner(lab, on_output=reporter.output)
        try:
            rebuilt = rebuild_and_record(lab, runner, replay, reporter, progress, target=target,
                                         reset=reset or fresh)
            shown_bar.advance(reporter.task, rebuilt.restored)
        finally:
            runner.close()
    for note in rebuilt.notes:
        err.print(f"note: {note}", markup=False)
    if not rebuilt.ok:
        err.print(f"[red]the replay failed[/]: {rebuilt.reason}")
        return 1
    console.print(f"the lab is ready at {shown} ({rebuilt.how_far()})")
    return 0

