"""The terminal tutor (Textual): follow the notes step by step, live output in panes, a check gating every step."""

from celery_tutor.app.app import TutorApp, make_app, run_app

__all__ = ["TutorApp", "make_app", "run_app"]
