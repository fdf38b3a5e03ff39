"""`celery-tutor verify [--from STEP] [--to STEP]`: every step's check fails, its solution runs, the check passes."""

from __future__ import annotations

from celery_tutor.cli import context, image
from celery_tutor.cli.render import VerifyReporter, bar, console, err


def run(args) -> int:
    from celery_tutor.steps.runner import StepRunner
    from celery_tutor.steps.verify import verify

    replay, steps = context.steps(context.course(args), args.start, args.end)
    lab = context.lab(args)
    image.ready(lab)
    lab.down()  # a fresh lab: the proof that checks fail first means nothing on a lab already set up
    progress = bar("verify")
    reporter = None
    runner = None
    try:
        with progress:
            task = progress.add_task("", total=len(replay) + len(steps))
            reporter = VerifyReporter(progress, task, len(replay) + len(steps))
            runner = StepRunner(lab, on_output=reporter.output)
            outcomes = verify(runner, replay, steps, reporter)
    finally:
        if runner:
            runner.close()
        if not args.keep:
            lab.down()
    failed = [outcome for outcome in outcomes if not outcome.passed]
    total = sum(outcome.seconds for outcome in outcomes)
    if failed:
        outcome = failed[0]
        reporter.show_recent()
        err.print(f"[red]verify failed at {outcome.step.full_id}[/]: {outcome.reason}")
        return 1
    verified = sum(1 for outcome in outcomes if not outcome.replayed)
    console.print(f"[green]verify passed[/]: {verified} step(s) verified"
                  f"{f', {len(replay)} replayed' if replay else ''} in {total:.1f} s")
    return 0
