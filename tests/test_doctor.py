"""`celery-tutor doctor` on the real engine: a room that fits passes, one too big for this machine is told how many
labs fit and what to do, the containers' limits are the ones given, and it speaks the learner's language."""

from __future__ import annotations

import pytest

from conftest import run_cli

pytestmark = pytest.mark.lab


def test_a_room_that_fits_passes_and_names_the_limits_it_counted(lab_image):
    ran = run_cli("doctor", "--labs", "2", "--memory", "2g", "--pids", "800")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    memory = next(line for line in ran.stdout.splitlines() if "of memory for 2 lab(s)" in line)
    assert memory.startswith("OK") and "limit of 2048 MiB, 800 processes" in memory
    assert "the lab image celery-tutor/lab:latest is present and current" in ran.stdout


def test_a_room_too_big_for_this_machine_is_told_how_many_labs_fit(lab_image):
    ran = run_cli("doctor", "--labs", "500")
    assert ran.returncode == 1 and "Traceback" not in ran.stderr
    lines = ran.stdout.splitlines()
    memory = next(index for index, line in enumerate(lines) if "of memory for 500 lab(s)" in line)
    assert lines[memory].startswith("!!")
    fits = lines[memory + 1]
    assert "what to do: this engine holds about" in fits and "spread the room over several engines" in fits
    assert 1 <= int(fits.split("about ")[1].split()[0]) < 500
    cpu = next(line for line in lines if "CPU(s) for 500 lab(s)" in line)
    assert cpu.startswith("!!")  # this machine's CPUs run out too, and say so


def test_doctor_in_chinese(lab_image):
    ran = run_cli("--lang", "zh", "doctor", "--labs", "500")
    assert ran.returncode == 1
    assert "个实验环境使用" in ran.stdout and "怎么办：这个引擎大约能容纳" in ran.stdout
    assert "of memory" not in ran.stdout
