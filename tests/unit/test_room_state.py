"""The room's own file (server/room.py, plain Python): seats, the warm pool's labs, and a room read back whole."""

from __future__ import annotations

import pytest

from celery_tutor.server.room import Room, RoomFull


def test_a_seat_takes_a_ready_lab_of_the_pool_first_and_a_lab_being_made_is_never_given(tmp_path):
    room = Room.open(tmp_path / "room.json", cap=3)
    making = room.making(engine="tcp://engine-2:2375")
    assert room.new_lab() != making  # its name is taken while it is made
    ada, _ = room.take("Ada")
    assert ada.lab not in (making,) and ada.lab.endswith("-ada")  # not ready yet: a lab of her own

    room.made(making, ok=True)
    bob, made = room.take("Bob")
    assert made and (bob.lab, bob.engine) == (making, "tcp://engine-2:2375") and room.pool == []
    remote, _ = room.take("Kim", remote=True)
    assert remote.remote and remote.lab not in (ada.lab, bob.lab)
    with pytest.raises(RoomFull):
        room.take("Eve")

    again = Room.open(tmp_path / "room.json")  # a serve started again reads the same room
    assert {seat.name: seat.lab for seat in again.seats.values()} == {"Ada": ada.lab, "Bob": bob.lab,
                                                                     "Kim": remote.lab}
    assert again.seat("kim").remote


def test_a_lab_left_half_made_is_in_the_room_file_to_be_removed_and_a_failed_one_leaves_the_pool(tmp_path):
    room = Room.open(tmp_path / "room.json")
    half, failed = room.making(None), room.making(None)
    room.made(failed, ok=False)
    again = Room.open(tmp_path / "room.json")
    assert again.pool == [{"lab": half, "engine": None, "ready": False}]
    assert again.labs() == [(half, None)]  # `room end` removes it with the seats' labs
    seat, _ = again.take("Ada")
    assert seat.lab != half  # never a lab that was not made whole


def test_an_ended_seat_leaves_nothing_a_later_seat_of_its_lab_name_would_find(monkeypatch, tmp_path):
    from celery_tutor.paths import log_dir
    from celery_tutor.server import teacher_line
    from celery_tutor.server.room import asleep_file, forget_seat
    from celery_tutor.steps.progress import SavedProgress

    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    lab = "web-1-ada-c60b"
    logs = log_dir() / lab
    logs.mkdir(parents=True)
    (logs / "celery-1.log").write_text("the first seat's output\n")
    SavedProgress.for_lab(lab).save()
    teacher_line.say(lab, "hello")
    asleep_file(lab).write_text("{}")
    forget_seat(lab)
    assert not logs.exists() and not SavedProgress.for_lab(lab).path.exists()
    assert not teacher_line.line_file(lab).exists() and not asleep_file(lab).exists()


def test_a_rooms_labs_carry_its_prefix_which_the_room_keeps_whatever_a_later_serve_is_given(tmp_path):
    room = Room.open(tmp_path / "room.json", prefix="class-a")
    ada, _ = room.take("Ada")
    assert ada.lab == "class-a-1-ada" and room.making(None) == "class-a-2"
    again = Room.open(tmp_path / "room.json", prefix="web")  # its labs are named already: a new prefix would
    bob, _ = again.take("Bob")                                # leave them to no one
    assert bob.lab == "class-a-3-bob"


def test_serve_takes_the_rooms_prefix_from_lab_before_or_after_the_command():
    from celery_tutor.cli.parser import parse

    for argv in (["--lab", "class-a", "serve"], ["serve", "--lab", "class-a"]):
        assert parse(argv).lab == "class-a"
    assert parse(["serve"]).lab is None


def test_an_ended_seat_on_a_learners_own_machine_stays_ended_for_a_serve_started_again(tmp_path):
    room = Room.open(tmp_path / "room.json")
    room.take("Kim", remote=True)
    room.take("Ada")
    room.remove("kim")
    room.remove("Ada")
    again = Room.open(tmp_path / "room.json")
    assert again.ended == {"kim"}  # its tutor's reports refused; Ada's name, a browser's, may be taken again
