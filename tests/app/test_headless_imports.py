"""The course, lab and engine packages and the CLI never load Textual: `celery-tutor verify` runs without it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HEADLESS = ["celery_tutor.course", "celery_tutor.course.loader", "celery_tutor.course.parser", "celery_tutor.lab",
            "celery_tutor.lab.docker_engine", "celery_tutor.lab.lab", "celery_tutor.lab.node", "celery_tutor.lab.session",
            "celery_tutor.lab.image", "celery_tutor.steps", "celery_tutor.steps.runner",
            "celery_tutor.steps.verify", "celery_tutor.steps.check", "celery_tutor.steps.rebuild",
            "celery_tutor.steps.checkpoints", "celery_tutor.cli"]


def test_the_headless_packages_do_not_import_textual():
    code = ("import sys\n" + "".join(f"import {name}\n" for name in HEADLESS) +
            "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
            "print(loaded)\nsys.exit(1 if loaded else 0)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"Textual was loaded: {result.stdout} {result.stderr}"


FROZEN = str(Path(__file__).parent / "snapshot_lessons")


@pytest.mark.parametrize("argv", [["verify", "--help"], ["--lessons", FROZEN, "lessons"], ["lint", FROZEN]])
def test_cli_commands_other_than_start_do_not_import_textual(argv):
    code = ("import sys\nfrom celery_tutor.cli import main\n"
            "try:\n    code = main(sys.argv[1:])\nexcept SystemExit as exit:\n    code = exit.code or 0\n"
            "loaded = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]\n"
            "sys.stderr.write(f'textual modules: {len(loaded)}\\n')\nsys.exit(3 if loaded else code)\n")
    result = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert "textual modules: 0" in result.stderr, result.stderr
    assert result.returncode == 0, result.stderr


def test_the_app_does_import_textual():
    """The check above means something: the app itself does load Textual."""
    code = "import sys, celery_tutor.app\nsys.exit(0 if 'textual' in sys.modules else 1)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
