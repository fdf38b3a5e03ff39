"""A lab's name (lab/naming.py): it prefixes the lab's container names and names the learner's progress file, so a
name that passes must be good for both; CELERY_TUTOR_LAB gives each learner of a shared machine their own."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from celery_tutor.lab.naming import DEFAULT_NAME, MAX_LENGTH, default_name, name_problem

# Docker's own rule for a container name; the lab's longest is NAME-celery-3 (a network is named NAME).
DOCKER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+")


def test_the_default_name_and_the_environment_s(monkeypatch):
    monkeypatch.delenv("CELERY_TUTOR_LAB", raising=False)
    assert default_name() == DEFAULT_NAME == "celery-tutor"
    monkeypatch.setenv("CELERY_TUTOR_LAB", "alice")
    assert default_name() == "alice"
    monkeypatch.setenv("CELERY_TUTOR_LAB", "")  # set but empty: as if unset
    assert default_name() == DEFAULT_NAME


@pytest.mark.parametrize("name", ["alice", "a", "room-7.seat_3", "A1", "x" * MAX_LENGTH])
def test_names_a_teacher_would_give_pass(name):
    assert name_problem(name) is None


@pytest.mark.parametrize("name, problem", [
    ("", "is empty"),
    ("x" * (MAX_LENGTH + 1), f"is {MAX_LENGTH + 1} characters long, more than the {MAX_LENGTH} a lab name may have"),
    ("-rf", "cannot be a lab name"), (".hidden", "cannot be a lab name"), ("..", "cannot be a lab name"),
    ("a/b", "cannot be a lab name"), ("two words", "cannot be a lab name"), ("alice\n", "cannot be a lab name"),
    ("ålice", "cannot be a lab name"), ("名字", "cannot be a lab name"),
])
def test_names_that_cannot_be_one_say_why(name, problem):
    assert name_problem(name).startswith(problem)


@given(st.text(alphabet=string.ascii_letters + string.digits + "._-/ \n\x00é", max_size=MAX_LENGTH + 5))
def test_every_name_that_passes_makes_good_container_names_and_one_progress_file(name):
    assume(name_problem(name) is None)
    assert len(name) <= MAX_LENGTH
    for node in ("celery-1", "celery-3"):
        assert DOCKER_NAME.fullmatch(f"{name}-{node}")
    progress = Path("/state", f"progress-{name}.json")
    assert progress.parent == Path("/state") and progress.name == f"progress-{name}.json"


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]*", fullmatch=True).filter(lambda name: len(name) <= MAX_LENGTH))
def test_every_name_docker_and_the_file_system_take_passes(name):
    assert name_problem(name) is None
