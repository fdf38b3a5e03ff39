"""`celery-tutor verify` on a fresh real lab: the course's checks fail first and pass after their solutions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from celery_tutor.course import load_course

from conftest import ROOT, new_lab_name, run_cli

pytestmark = pytest.mark.lab

HEAD = "---\nid: {id}\ntitle: T\nnotes: n\nnodes: [celery-1]\n---\n\n"
START = "## Start {#start}\n\n```sh {lab action=start node=celery-1}\ndocker run ...\n```\n\n" \
        "```sh {check node=celery-1}\nhostname | grep -q celery-1 || { echo 'celery-1 is not up'; exit 1; }\n```\n\n"


def _course(tmp_path: Path, body: str) -> Path:
    (tmp_path / "course.yaml").write_text(
        "title: T\nsections:\n  - {number: 1, title: One, notes: 一, lessons: [demo]}\n")
    (tmp_path / "demo.md").write_text(HEAD.format(id="demo") + START + body)
    return tmp_path


def test_sections_one_to_three_verify_on_a_fresh_lab(lab_image):
    course = load_course(ROOT / "lessons")
    expected = [step.full_id for step in course.steps() if step.lesson.section.number <= 3]
    result = run_cli("verify", "--to", "3", "--lab", new_lab_name(), timeout=1500)
    assert result.returncode == 0, result.stderr[-3000:]
    # Each step verified, in order, with the proof that its check failed first unless it may pass first.
    steps = re.findall(r"✓ (\S+)\s+[\d.]+ s\s+verified;", result.stdout + result.stderr)
    assert steps == expected
    proved = re.findall(r"✓ (\S+)\s+[\d.]+ s\s+verified; check-first", result.stdout + result.stderr)
    assert set(expected) - set(proved) == {s.full_id for s in course.steps() if s.may_pass_first} & set(expected)
    assert f"verify passed: {len(expected)} step(s) verified" in result.stdout


def test_a_check_that_passes_before_its_solution_is_caught(tmp_path, lab_image):
    root = _course(tmp_path, "## Useless {#useless}\n\n```sh {run node=celery-1}\ntrue\n```\n\n"
                             "```sh {check node=celery-1}\ntest -d /root\n```\n")
    result = run_cli("--lessons", str(root), "verify", "--lab", new_lab_name())
    assert result.returncode == 1
    assert "verify failed at demo/useless: its check passed before the solution ran" in result.stderr


def test_a_failing_solution_names_the_step_and_the_reason(tmp_path, lab_image):
    root = _course(tmp_path, "## Install {#install}\n\n```sh {run node=celery-1}\napt-get install -y no-such-pkg\n```\n\n"
                             "```sh {check node=celery-1}\ncommand -v nothing || { echo 'nothing is missing'; exit 1; }\n```\n")
    result = run_cli("--lessons", str(root), "verify", "--lab", new_lab_name())
    assert result.returncode == 1
    assert "verify failed at demo/install: its solution failed: `apt-get install -y no-such-pkg` exited " \
           "with status 100: E: Unable to locate package no-such-pkg" in result.stderr


def test_a_hanging_command_is_ended_by_its_timeout(tmp_path, lab_image):
    root = _course(tmp_path, "## Hang {#hang}\n\n```sh {run node=celery-1 timeout=2}\nsleep 600\n```\n\n"
                             "```sh {check node=celery-1}\ntest -f /done || { echo 'no /done'; exit 1; }\n```\n")
    result = run_cli("--lessons", str(root), "verify", "--lab", new_lab_name(), timeout=60)
    assert result.returncode == 1
    assert "demo/hang: its solution failed: the command did not finish within 2 s and was stopped" in result.stderr


COUNTING = "n=$(cat /tmp/n 2>/dev/null || echo 0); echo $((n + 1)) > /tmp/n\n"


@pytest.mark.parametrize("check, reason, tries", [
    # Once before the solution (no retries), then 1 + retries=2 after it.
    ("retries=2 delay=0.2}\necho noise\n" + COUNTING + "echo 'expected /ready, saw nothing'; exit 1",
     "expected /ready, saw nothing", 4),
    # Exit status 3: waiting cannot help, so no countdown of 30 tries after the solution.
    ("retries=30 delay=1}\n" + COUNTING + "echo 'nothing is running: start it first'; exit 3",
     "nothing is running: start it first", 2),
], ids=["retried", "exit-3-not-retried"])
def test_a_check_reason_is_its_last_line_and_its_tries_are_counted(tmp_path, docker_client, lab_image, check,
                                                                    reason, tries):
    root = _course(tmp_path, "## Wait {#wait}\n\n```sh {run node=celery-1}\ntrue\n```\n\n"
                             f"```sh {{check node=celery-1 {check}\n```\n")
    lab = new_lab_name()
    result = run_cli("--lessons", str(root), "verify", "--lab", lab, "--keep")
    try:
        assert result.returncode == 1
        assert f"its check failed after the solution: {reason}" in result.stderr
        counted = docker_client.containers.get(f"{lab}-celery-1").exec_run("cat /tmp/n").output.decode().strip()
        assert counted == str(tries)
    finally:
        assert run_cli("lab", "down", "--lab", lab).returncode == 0
