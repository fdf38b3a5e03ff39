"""A served seat's language: the seat's own choice (kept with its progress), else the room's --lang, else the
browser's Accept-Language; the seat's app is started with it."""

from __future__ import annotations

import shlex

import pytest

from celery_tutor.language import from_accept_language
from celery_tutor.server.room import Room
from celery_tutor.server.tutor_server import TutorServer
from celery_tutor.steps.progress import SavedProgress


@pytest.mark.parametrize("header, expected", [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en-US,en;q=0.9,zh-CN;q=0.8", "en"),
    ("fr-FR,fr;q=0.9,zh-TW;q=0.5", "zh"),  # the best of the languages the course has
    ("de,fr", None),
    ("en;q=0.2,zh;q=0.7", "zh"),
    ("zh;q=bad,en", "en"),
    ("", None),
    (None, None),
])
def test_the_browsers_language(header, expected):
    assert from_accept_language(header) == expected


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path))
    return tmp_path


def _server(state, lang=None) -> TutorServer:
    return TutorServer(room=Room.open(path=state / "room.json"), lang=lang)


def test_a_seat_gets_the_rooms_language_else_the_browsers(state):
    assert _server(state, "zh").seat_language("web-1-ada", "en-US,en") == "zh"
    assert _server(state).seat_language("web-1-ada", "zh-CN,zh;q=0.9") == "zh"
    assert _server(state).seat_language("web-1-ada", "de") is None  # the app's own default: the locale's


def test_a_seats_own_choice_wins_and_its_app_reads_it_from_the_progress(state):
    saved = SavedProgress.for_lab("web-1-bo")
    saved.language = "en"
    saved.save()
    server = _server(state, "zh")
    assert server.seat_language("web-1-bo", "zh-CN") is None  # `start` finds "en" in the seat's progress
    argv = shlex.split(server.app_command("web-1-bo", None, server.seat_language("web-1-bo")))
    assert "--lang" not in argv


def test_the_seats_app_is_started_in_its_language_as_a_default_it_does_not_keep(state, monkeypatch):
    from celery_tutor.cli import context
    from celery_tutor.cli.parser import parse

    argv = shlex.split(_server(state).app_command("web-1-cy", None, "zh"))
    assert argv[:2] == ["env", "LANGUAGE=zh"] and "--lang" not in argv
    assert argv[argv.index("start"):] == ["start", "--lab", "web-1-cy"]
    monkeypatch.setenv("LANGUAGE", "zh")
    args = parse(argv[argv.index("start"):])
    assert context.language(args) == "zh" and getattr(args, "lang", None) is None  # run_app saves no choice
