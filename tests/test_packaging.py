"""The wheel carries the lessons and assets, so an installed copy works outside the checkout."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import ROOT


def test_the_installed_wheel_runs_outside_the_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("celery_tutor-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "celery_tutor/_data/lessons/course.yaml" in names
    assert "celery_tutor/_data/assets/lab/Dockerfile" in names
    assert not any("wheelhouse" in name for name in names)
    assert "celery_tutor/locale/zh/LC_MESSAGES/celery_tutor.po" in names  # the tutor's own strings in Chinese

    # A virtual environment of its own, whose dependencies are the ones this test runs with: the running
    # environment's site-packages, listed in a .pth file (the base interpreter's, which --system-site-packages
    # would give, lack them when the tests run in a virtual environment). A directory listed in a .pth file
    # is only put on sys.path, its own .pth files are not read: the editable install of the checkout stays out.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    own = subprocess.run([python, "-c", "import site; print(site.getsitepackages()[0])"], capture_output=True,
                         text=True, check=True).stdout.strip()
    running = [*site.getsitepackages(), *([site.getusersitepackages()] if site.ENABLE_USER_SITE else [])]
    (Path(own) / "running-environment.pth").write_text("".join(f"{path}\n" for path in running))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True)

    # Run from an empty folder with an isolated interpreter, so the checkout cannot be found by accident.
    where = subprocess.run([python, "-I", "-c", "import celery_tutor.cli, celery_tutor.paths as p; "
                            "print(celery_tutor.cli.__file__); print(p.lessons_dir())"],
                           capture_output=True, text=True, cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    module, lessons = where.stdout.split()
    assert module.startswith(own) and lessons == f"{own}/celery_tutor/_data/lessons", where.stdout
    result = subprocess.run([python, "-I", "-m", "celery_tutor", "lessons"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "一、环境准备" in result.stdout
    script = subprocess.run([venv / "bin" / "celery-tutor", "lint"], capture_output=True, text=True, cwd=tmp_path)
    assert script.returncode == 0, script.stdout + script.stderr
    assert f"ok: {own}/celery_tutor/_data/lessons" in script.stdout

    # The tutor's own strings come from the wheel's catalog: progress's table headers in Chinese.
    env = {"PATH": os.environ.get("PATH", ""), "CELERY_TUTOR_STATE_DIR": str(tmp_path / "state"), "LANG": "C.UTF-8"}
    chinese = subprocess.run([python, "-I", "-m", "celery_tutor", "--lang", "zh", "progress"], capture_output=True,
                             text=True, cwd=tmp_path, env=env)
    assert chinese.returncode == 0, chinese.stderr
    assert "看过答案" in chinese.stdout and "步中已通过" in chinese.stdout, chinese.stdout
