"""The step engine: runs a step's actions, judges its checks, and verifies the course headless."""

from celery_tutor.engine.check import CheckResult
from celery_tutor.engine.runner import ActionResult, StepRunner
from celery_tutor.engine.selection import SelectionError, select_steps

__all__ = ["ActionResult", "CheckResult", "SelectionError", "StepRunner", "select_steps"]
