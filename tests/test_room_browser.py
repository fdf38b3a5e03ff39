"""A room in a real browser (headless Chromium): a seat passes a step, reloads and finds it (and its pane's output),
and reads the teacher's line; another browser gets a lab of its own; without the code, a 403 page and no lab."""

from __future__ import annotations

import shutil
import time

import pytest

from selenium.webdriver.common.by import By

from celery_tutor.lab.lab import Lab, list_labs

from room_server import PREFIX, RoomServer, seat_name

pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(not shutil.which("chromedriver"), reason="needs chromium and chromium-driver "
                                                                           "(apt-get install chromium chromium-driver)")]

FIRST_STEP = "containers/start"


@pytest.fixture
def room(tmp_path, lab_image):
    server = RoomServer(tmp_path / "state").start()
    yield server
    server.end()


@pytest.fixture
def browsers():
    from browser import Browser

    opened = []

    def new() -> Browser:
        opened.append(Browser())
        return opened[-1]

    yield new
    for browser in opened:
        browser.close()


def _containers(client, lab: str) -> set[str]:
    return {c["Id"] for c in client.api.containers(all=True, filters={"label": f"celery-tutor.lab={lab}"})}


def _until(condition, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_a_seat_passes_a_step_reloads_and_finds_its_lab_and_the_step_passed(room, browsers, docker_client):
    name = seat_name("ada")
    ada = browsers()
    ada.open(f"{room.url}/?code={room.code}")
    assert "Join the room" in ada.text()
    field = ada.driver.find_element(By.NAME, "seat")
    field.send_keys(name)
    field.submit()
    lab = _until(lambda: next((row["lab"] for row in room.room() if row["name"] == name), None))
    ada.wait_for(lab, "Start celery-1")  # the status bar names the seat's lab; the first step is on screen
    _until(lambda: all(node.state == "running" for node in Lab(docker_client, name=lab).status()))
    ada.press("c")  # check the step: its three containers run
    _until(lambda: room.seat(name)["passed"] >= 1, timeout=90)
    ada.wait_for("Passed")
    ada.press("/")  # a line of her own in celery-1's shell
    ada.press("echo ada-was-$((40 + 2))\n")
    ada.wait_for("ada-was-42")
    containers = _containers(docker_client, lab)

    ada.reload()
    ada.wait_for(lab, "✓")  # the same lab, and the outline marks the step passed
    ada.wait_for("earlier output", "ada-was-42")  # and the pane's recent output, from before the reload
    row = room.seat(name)
    assert row["lab"] == lab and row["passed"] >= 1 and row["connected"]
    assert _containers(docker_client, lab) == containers  # not a lab made again: the very same containers
    assert "seat=" in ada.driver.current_url  # the join form's answer is the seat's own link, kept by a reload

    # The teacher speaks to the room from the teacher's page (its refresh leaves a line being typed alone): the line
    # is on the seat's screen in a few seconds.
    teacher = browsers()
    teacher.open(f"{room.url}/room?code={room.teacher_code}")
    assert name in teacher.text()
    line = teacher.driver.find_element(By.NAME, "text")
    line.send_keys("Everyone: stop after step 1")
    time.sleep(4)  # longer than the page's refresh
    line = teacher.driver.find_element(By.NAME, "text")
    assert line.get_attribute("value") == "Everyone: stop after step 1"
    line.submit()
    ada.wait_for("Teacher:", "Everyone: stop after step 1", timeout=15)  # in the step bar, and a notice

    # Another browser, another learner: a lab of its own, the first one's untouched.
    other = seat_name("bob")
    bob = browsers()
    bob.open(room.seat_url(other))
    bob_lab = _until(lambda: next((row["lab"] for row in room.room() if row["name"] == other), None))
    bob.wait_for(bob_lab, "Start celery-1")
    assert bob_lab != lab
    assert room.seat(other)["passed"] == 0
    _until(lambda: _containers(docker_client, bob_lab))
    assert not _containers(docker_client, bob_lab) & containers


def test_without_the_code_a_browser_gets_a_403_page_and_no_lab(room, browsers, docker_client):
    stranger = browsers()
    for url in (room.url, f"{room.url}/?code=wrong&seat=eve", f"{room.url}/?seat=eve"):
        stranger.open(url)
        assert "This room needs its code" in stranger.text()
        assert room.get("/", seat="eve")[0] == 403
    stranger.open(f"{room.url}/room?code={room.code}")  # the learners' code is not the teacher's
    assert "The teacher's code is needed" in stranger.text()
    time.sleep(2)
    assert f"{PREFIX}-1-eve" not in {lab.name for lab in list_labs(docker_client)}  # the lab eve's seat would have had
    assert room.saved()["seats"] == []


def test_the_rooms_language_is_a_seats_default_not_its_choice(tmp_path, lab_image, browsers, monkeypatch):
    from celery_tutor.steps.progress import SavedProgress

    server = RoomServer(tmp_path / "state", "--lang", "zh").start()
    again = RoomServer(server.state)  # the teacher serves the room again, in English: the seat follows
    try:
        name = seat_name("lin")
        lin = browsers()
        lin.open(f"{server.url}/?code={server.code}")
        assert "加入教室" in lin.text()  # the server's own pages too
        lin.open(server.seat_url(name))
        lin.wait_for("启动 celery-1")  # the first step in the room's language
        lab = server.seat(name)["lab"]
        monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(server.state))
        assert SavedProgress.for_lab(lab).language is None  # nothing the learner chose is saved
        server.stop()
        again.port = server.port
        again.start()
        lin.reload()
        lin.wait_for(lab, "Start celery-1")
    finally:
        again.stop()
        server.end()
