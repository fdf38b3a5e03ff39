"""The wheel carries the lessons and assets, so an installed copy works outside the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from conftest import ROOT


def test_the_installed_wheel_runs_outside_the_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("celery_tutor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "celery_tutor/_data/lessons/course.yaml" in names
    assert "celery_tutor/_data/assets/lab/Dockerfile" in names
    assert not any("wheelhouse" in name for name in names)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    subprocess.run([venv / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True)
    # Run from an empty folder with an isolated interpreter, so the checkout cannot be found by accident.
    result = subprocess.run([venv / "bin" / "python", "-I", "-m", "celery_tutor", "lessons"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "一、环境准备" in result.stdout
    script = subprocess.run([venv / "bin" / "celery-tutor", "lint"], capture_output=True, text=True, cwd=tmp_path)
    assert script.returncode == 0 and "_data/lessons" in script.stdout
