"""The steps: how a step runs: runs a step's actions, judges its checks, and verifies the course headless."""

from celery_tutor.steps.selection import SelectionError, select_steps

__all__ = ["ActionResult", "CheckResult", "SelectionError", "StepRunner", "select_steps"]


def __getattr__(name: str):
    # The runner and the checks pull in docker-py (~0.1 s): only code that runs steps pays for it, not code that
    # reads the learner's progress (steps.progress) before the app's first frame.
    if name in ("ActionResult", "StepRunner"):
        from celery_tutor.steps import runner

        return getattr(runner, name)
    if name == "CheckResult":
        from celery_tutor.steps import check

        return getattr(check, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
