"""Fixtures for the app's tests: the course, and the app over a real lab of the test's own."""

from __future__ import annotations

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.course import load_course


@pytest.fixture(scope="session")
def course():
    return load_course()


@pytest.fixture
def real_app(course, lab, tmp_path):
    """The app over a real lab of the test's own (the root conftest's `lab`, removed afterwards)."""
    return make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=tmp_path / "log",
                    status_interval=2.0, crash_on_error=True)
