"""Killed mid-step with SIGKILL, started again: progress intact, the tutor resumes there, a lost node is named and
the lab rebuilt to that step."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.app.test_tmux import Terminal

pytestmark = pytest.mark.lab


def _kill_tutor(lab_name: str) -> None:
    # Only the Python process of the console script: tmux's own command line names it too.
    subprocess.run(["pkill", "-KILL", "-f", rf"python[0-9.]* \S*celery-tutor start --lab {lab_name}"], check=True)


def test_resume_after_the_tutor_is_killed_mid_step(lab, tmp_path, docker_client):
    state = tmp_path / "state"
    env = {"CELERY_TUTOR_STATE_DIR": str(state), "XDG_STATE_HOME": str(state), "TERM": "xterm-256color",
           "LANG": "C.UTF-8"}
    if os.environ.get("DOCKER_HOST"):
        env["DOCKER_HOST"] = os.environ["DOCKER_HOST"]
    command = f"celery-tutor start --lab {lab.name}"
    first = Terminal(command, env)
    try:
        first.wait_for("celery-1 absent", 60)  # Docker answered: the lab can be acted on
        first.keys("r")
        first.wait_for("Passed", 60)  # the three containers are up: step one passed
        first.keys("n")
        first.wait_for("Install the package", 10)
        first.keys("r")  # apt-get install rabbitmq-server: about ten seconds
        time.sleep(2)
        _kill_tutor(lab.name)
        first.wait_for("TUTOR-EXITED-", 10)
    finally:
        first.close()

    saved = json.loads((state / f"progress-{lab.name}.json").read_text())
    assert saved["steps"]["containers/start"]["passed_at"]
    assert saved["current"] == "rabbitmq-install/install"

    docker_client.containers.get(f"{lab.name}-celery-2").remove(force=True)  # the lab changed meanwhile
    second = Terminal(command, env)
    try:
        screen = second.wait_for("Step 1 of 3", 30)  # back on the step it was killed in
        assert "Install the package" in screen
        second.wait_for("✓ Start celery-1", 5)  # the outline, drawn just after the first frame, keeps the mark
        second.wait_for("celery-2 is gone (removed)", 30)  # offered: rebuild the lab to here
        second.wait_for("Rebuild the lab to step 1-2", 5)
        second.keys("Enter")
        second.wait_for("Lab rebuilt", 60)  # the lab afresh, the first step replayed
        screen = second.wait_for("● celery-2", 10)
        assert "Install the package" in screen and "Traceback" not in screen
    finally:
        second.close()
