"""`celery-tutor verify [--from STEP] [--to STEP]`: every step's check fails, its solution runs, the check passes."""

from __future__ import annotations

from celery_tutor.cli import context, image
from celery_tutor.cli.render import VerifyReporter, bar, console, err
from celery_tutor.i18n import _


def run(args) -> int:
    from celery_tutor.steps.checkpoints import Checkpoints
    from celery_tutor.steps.rebuild import rebuild
    from celery_tutor.steps.runner import StepRunner
    from celery_tutor.steps.verify import verify

    course = context.course(args)
    replay, steps = context.steps(course, args.start, args.end)
    lab = context.lab(args)
    image.ready(lab)
    lab.down()  # a fresh lab: the proof that checks fail first means nothing on a lab already set up
    progress = bar("verify")
    reporter = None
    runner = None
    outcomes = []
    notes: list[str] = []
    rebuilt = None
    try:
        with progress:
            task = progress.add_task("", total=len(replay) + len(steps))
            reporter = VerifyReporter(progress, task, len(replay) + len(steps))
            runner = StepRunner(lab, on_output=reporter.output)
            if replay:  # from the checkpoint nearest --from, if there is one; the rest replayed, not verified
                rebuilt = rebuild(lab, runner, replay, reporter)
                outcomes, notes = list(rebuilt.outcomes), list(rebuilt.notes)
                progress.advance(task, rebuilt.restored)
            if all(outcome.passed for outcome in outcomes):
                # Checkpoints saved on the way: after one whole verify every lesson has one.
                saver = Checkpoints(lab, replay + steps)
                outcomes += verify(runner, [], steps, reporter,
                                   before_step=lambda index: saver.save(runner, len(replay) + index))
                if all(outcome.passed for outcome in outcomes) and steps[-1] is not list(course.steps())[-1]:
                    saver.save(runner, len(replay) + len(steps))  # where --to ended a lesson, the next one starts
                notes += saver.notes
    finally:
        if runner:
            runner.close()
        if not args.keep:
            lab.down()
    for note in notes:
        err.print(_("note: {note}").format(note=note), markup=False)
    failed = [outcome for outcome in outcomes if not outcome.passed]
    total = sum(outcome.seconds for outcome in outcomes)
    if failed:
        outcome = failed[0]
        reporter.show_recent()
        failed_at = _("verify failed at {step}").format(step=outcome.step.full_id)
        err.print(f"[red]{failed_at}[/]: {outcome.reason}")
        return 1
    verified = sum(1 for outcome in outcomes if not outcome.replayed)
    restored = f", {rebuilt.how_far()}" if replay and rebuilt.restored else ""
    replayed = _(", {count} replayed").format(count=len(replay)) if replay and not rebuilt.restored else ""
    passed = _("verify passed")
    console.print(f"[green]{passed}[/]: "
                  + _("{verified} step(s) verified{restored}{replayed} in {seconds:.1f} s").format(
                      verified=verified, restored=restored, replayed=replayed, seconds=total))
    return 0
