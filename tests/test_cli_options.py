"""The tutor's own options (--lab) before the command as after it, no command meaning start, and a start that
loads nothing it does not need before the app's first frame. No Docker needed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import run_cli


def _progress_lab(*args: str, state) -> str:
    result = run_cli(*args, env={"CELERY_TUTOR_STATE_DIR": str(state)})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["lab"]


@pytest.mark.parametrize("argv", [["--lab", "alice", "progress", "--json"], ["progress", "--lab", "alice", "--json"]],
                         ids=["before", "after"])
def test_lab_names_the_lab_before_or_after_the_command(tmp_path, argv):
    assert _progress_lab(*argv, state=tmp_path) == "alice"


def test_lab_after_the_command_wins_over_before(tmp_path):
    assert _progress_lab("--lab", "alice", "progress", "--lab", "bob", "--json", state=tmp_path) == "bob"


def test_lab_before_the_command_wins_over_the_environment(tmp_path):
    result = run_cli("--lab", "alice", "progress", "--json",
                     env={"CELERY_TUTOR_STATE_DIR": str(tmp_path), "CELERY_TUTOR_LAB": "carol"})
    assert json.loads(result.stdout)["lab"] == "alice"


def test_a_bad_lab_before_the_command_is_refused_in_one_line(tmp_path):
    result = run_cli("--lab", "Bad Name!", "progress", env={"CELERY_TUTOR_STATE_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert result.stderr.strip() == ("celery-tutor: --lab 'Bad Name!' cannot be a lab name: use letters, digits, "
                                     "'.', '_' and '-', starting with a letter or digit; give another, e.g. --lab alice")


@pytest.mark.parametrize("argv, lab", [(["--lab", "alice"], "alice"), ([], "celery-tutor"),
                                       (["start", "--lab", "bob"], "bob"), (["--lab", "alice", "start"], "alice")],
                         ids=["options-only", "nothing", "start-after", "start-before"])
def test_options_alone_mean_start(monkeypatch, tmp_path, argv, lab):
    import celery_tutor.app
    from celery_tutor.cli import main

    opened = []
    monkeypatch.setenv("CELERY_TUTOR_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("CELERY_TUTOR_LAB", raising=False)
    monkeypatch.setattr(celery_tutor.app, "run_app", lambda **kwargs: opened.append(kwargs) or 0)
    assert main(argv) == 0
    assert [kwargs["lab_name"] for kwargs in opened] == [lab]


def test_lab_sub_commands_take_only_their_own_options():
    from celery_tutor.cli.parser import parse

    assert (parse(["lab", "down", "--all"]).all, parse(["lab", "up", "--at", "3"]).at) == (True, "3")
    assert parse(["lab", "reset", "--at", "2", "--isolated"]).isolated
    with pytest.raises(SystemExit):  # argparse's own refusal: build takes no --at, not even as a FILE
        parse(["lab", "build", "--isolated"])


# What `celery-tutor start` may not load before the app's first frame: the app is replaced by a stand-in that
# reports what the command line loaded by the time it was called.
_HEAVY = ["rich.progress", "rich.table", "rich.tree", "yaml", "docker", "markdown_it", "celery_tutor.course.parser",
          "celery_tutor.lab.lab", "celery_tutor.steps.runner"]
_STAND_IN = f"""
import sys, types
app = types.ModuleType("celery_tutor.app")
def run_app(**kwargs):
    print(sorted(name for name in {_HEAVY!r} if name in sys.modules))
    return 0
app.run_app = run_app
import celery_tutor
sys.modules["celery_tutor.app"] = app
from celery_tutor.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv", [["start"], ["--lab", "alice"]], ids=["start", "options-only"])
def test_start_loads_nothing_heavy_before_the_app(tmp_path, argv):
    env = {"CELERY_TUTOR_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    warm = subprocess.run([sys.executable, "-c", _STAND_IN, *argv], capture_output=True, text=True, env=env)
    assert warm.returncode == 0, warm.stderr  # the first run fills the course cache (the lessons parsed once)
    again = subprocess.run([sys.executable, "-c", _STAND_IN, *argv], capture_output=True, text=True, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[]", f"start loaded {again.stdout.strip()} before the app"
