"""The app a learner launches: the installed `celery-tutor` console script in a real terminal (tmux), driven by
keys and read back with capture-pane, against a real lab of the test's own."""

from __future__ import annotations

import fcntl
import os
import shutil
import struct
import subprocess
import sys
import termios
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab

WIDTH, HEIGHT = 120, 36


class Terminal:
    """One tmux server of the test's own (its own socket), holding one window."""

    def __init__(self, command: str, env: dict[str, str]):
        if shutil.which("tmux") is None:
            pytest.fail("tmux is not installed: apt-get install -y tmux (.ci/run does it)")
        self.socket = f"celery-tutor-test-{uuid.uuid4().hex[:8]}"
        # The console script of the environment the tests run in, activated or not.
        env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}", **env}
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        self.tmux("new-session", "-d", "-s", "tutor", "-x", str(WIDTH), "-y", str(HEIGHT),
                  # COLUMNS/LINES from pytest's environment would override the terminal's real size.
                  f"env -u COLUMNS -u LINES {exports} {command}; echo TUTOR-EXITED-$?; sleep 60")

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=True).stdout

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "tutor", key)
            time.sleep(0.4)  # an Esc followed at once by a letter would read as Alt+letter
            if self.unread():  # and so would both, read together by an app a loaded machine kept waiting
                deadline = time.monotonic() + 10
                while self.unread() and time.monotonic() < deadline:
                    time.sleep(0.05)
                time.sleep(0.4)

    def unread(self) -> int:
        """Bytes typed into the pane that the app has not read yet: its terminal's input queue."""
        tty = self.tmux("display-message", "-p", "-t", "tutor", "#{pane_tty}").strip()
        fd = os.open(tty, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
        finally:
            os.close(fd)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tutor")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear within {timeout:g} s; the screen:\n{screen}")
            time.sleep(0.2)

    def help_opens_and_closes(self, title: str) -> None:
        """? shows the help (its title on screen), Esc takes it away again."""
        self.keys("?")
        self.wait_for(title)
        self.keys("Escape")
        deadline = time.monotonic() + 10
        while title in self.screen() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert title not in self.screen()

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


def _started(lab, tmp_path, lang: str):
    """`celery-tutor start` on the test's lab in a terminal of its own, its state in tmp_path, the locale `lang`."""
    env = {"CELERY_TUTOR_STATE_DIR": str(tmp_path / "state"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "TERM": "xterm-256color", "LANG": lang}
    if os.environ.get("DOCKER_HOST"):
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    return Terminal(f"celery-tutor start --lab {lab.name}", env)


@pytest.fixture
def terminal(lab, tmp_path):
    made = _started(lab, tmp_path, "C.UTF-8")
    yield made
    made.close()


def test_the_console_script_in_a_real_terminal(terminal, lab):
    terminal.wait_for("Step 1 of 1", 30)
    screen = terminal.wait_for("q Quit", 10)  # the footer's keys
    assert "Start three containers" in screen and "r Run" in screen
    terminal.wait_for(f"lab {lab.name}", 30)

    terminal.help_opens_and_closes("How the tutor works")

    terminal.keys("n")  # not passed yet: stays on the step
    assert "Step 1 of 1" in terminal.screen()

    terminal.keys("r")  # the tutor starts the three containers through the Docker API, then checks
    terminal.wait_for("Passed", 120)
    screen = terminal.wait_for("● celery-3", 30)  # the status bar saw the nodes come up
    assert "[lab] start celery-1: done" in screen

    terminal.keys("n")
    terminal.wait_for("Install the package")
    terminal.keys("/")
    terminal.tmux("send-keys", "-t", "tutor", "-l", "hostname")
    terminal.keys("Enter")
    screen = terminal.wait_for("celery-1# hostname", 30)
    terminal.keys("Escape")

    terminal.keys("q")
    screen = terminal.wait_for("TUTOR-EXITED-0", 30)
    assert "Traceback" not in screen


def test_start_at_a_step_replays_the_steps_before_it(lab, tmp_path):
    env = {"CELERY_TUTOR_STATE_DIR": str(tmp_path / "state"), "XDG_STATE_HOME": str(tmp_path / "state"),
           "TERM": "xterm-256color", "LANG": "C.UTF-8"}
    terminal = Terminal(f"celery-tutor start --lab {lab.name} --at rabbitmq-install/install", env)
    try:
        screen = terminal.wait_for("Install the package", 180)
        screen = terminal.wait_for("q Quit", 10)
        assert "✓ Start celery-1" in screen  # replayed: marked passed in the outline
        assert "Step 1 of 3" in screen
        terminal.keys("q")
        terminal.wait_for("TUTOR-EXITED-0", 30)
    finally:
        terminal.close()


@pytest.fixture
def chinese_terminal(lab, tmp_path):
    """The console script as a Chinese-speaking learner starts it: a Chinese locale and no --lang."""
    made = _started(lab, tmp_path, "zh_CN.UTF-8")
    yield made
    made.close()


def test_the_tutor_in_chinese_in_a_real_terminal_gives_a_failed_checks_reason_in_chinese(chinese_terminal, lab):
    terminal = chinese_terminal
    terminal.wait_for("第 1 步，共 1 步", 30)
    terminal.wait_for("q 退出", 10)  # the footer's keys, in Chinese
    terminal.wait_for(f"实验环境 {lab.name}", 30)  # connected: the keys act on the lab
    terminal.help_opens_and_closes("导师怎么用")  # in Chinese, as the English test does before its first step
    terminal.keys("r")  # the containers, started through the Docker API; the check passes
    terminal.wait_for("● celery-3", 120)
    terminal.keys("n")
    terminal.wait_for("安装软件包", 30)
    terminal.keys("c")  # before installing: the check's own reason, from the lesson's catalog, in Chinese
    # matched without spaces: the step bar may wrap the reason between two words
    deadline = time.monotonic() + 60
    while "预期已安装rabbitmq-server软件包" not in terminal.screen().replace(" ", ""):
        assert time.monotonic() < deadline, terminal.screen()
        time.sleep(0.2)
    assert "尚未通过" in terminal.screen().replace(" ", "")
    terminal.keys("q")
    screen = terminal.wait_for("TUTOR-EXITED-0", 30)
    assert "Traceback" not in screen
