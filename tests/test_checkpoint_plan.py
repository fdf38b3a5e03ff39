"""Checkpoints without the engine: where they go, what their key depends on, how a process is started again."""

from __future__ import annotations

import base64
import shutil
import subprocess

from celery_tutor.course import load_course
from celery_tutor.lab.checkpoint import Process, Running, _parse
from celery_tutor.steps.rebuild import checkpoint_key, lesson_ends, proving_step

from conftest import ROOT


def test_a_checkpoint_goes_where_each_lesson_ends():
    course = load_course(ROOT / "lessons")
    steps = list(course.steps())
    ends = lesson_ends(steps)
    assert len(ends) == len(course.lessons) and ends[-1] == len(steps)
    assert [steps[end].lesson.id for end in ends[:-1]] == [lesson.id for lesson in course.lessons[1:]]


def test_the_key_changes_with_the_image_and_with_any_earlier_lesson_only(tmp_path):
    lessons = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", lessons)
    steps = list(load_course(lessons).steps())
    nodes = ["celery-1", "celery-2", "celery-3"]
    ends = lesson_ends(steps)
    before = [checkpoint_key("sha256:a", nodes, steps[:end]) for end in ends]
    assert checkpoint_key("sha256:b", nodes, steps[: ends[0]]) != before[0]
    edited = lessons / "1-3-celery.md"  # the third lesson
    edited.write_text(edited.read_text() + "\n<!-- edited -->\n")
    after = [checkpoint_key("sha256:a", nodes, steps[:end]) for end in ends]
    assert after[:2] == before[:2] and all(a != b for a, b in zip(after[2:], before[2:]))


def test_a_restored_lab_is_proved_by_the_last_check_that_looks_at_the_nodes():
    steps = list(load_course(ROOT / "lessons").steps())
    multi = next(index for index, step in enumerate(steps) if step.lesson.id == "celery-multi")
    step = proving_step(steps, multi)
    assert step is not None and any(block.node for block in step.checks)
    assert steps.index(step) < multi


def test_what_ran_is_read_from_proc_and_started_again_as_it_was(tmp_path):
    argv = base64.b64encode(b"celery\0-A\0tasks\0worker\0--loglevel=info\0").decode()
    env = base64.b64encode(b"HOME=/root\0A=it's\0").decode()
    output = "\n".join([
        "T 7 1", "T 40 1", "T 41 40", "T 90 0",
        f"P\t40\t1234\t0:0\t{argv}\t/root\t{env}\t/var/log/celery-tutor/worker.log\t/var/log/celery-tutor/worker.log",
        "S /proc/41/fd socket:[555]", "S /proc/90/fd socket:[777]",
        "N 01 0100007F:B8F2 0200000A:1628 555",  # the worker's pool child, connected to 5672
        "N 01 0100007F:B8F3 0200000A:1628 777",  # a REPL's (an exec's): not the daemons'
        "F\t40\t/run/celery-tutor/worker.pid",
    ])
    seen = _parse(output)
    assert list(seen.processes) == [40]
    process = seen.processes[40][1]
    assert process.argv[:3] == ["celery", "-A", "tasks"] and process.env == ["HOME=/root", "A=it's"]
    assert process.pidfiles == ["/run/celery-tutor/worker.pid"] and seen.connections == {(47346, 5672)}
    running = Running.from_json(Running([process], [], [5672]).to_json())
    assert running.processes[0] == process
    # The launcher, run by bash (here with `setsid` and `env` replaced by echo), starts exactly that argv.
    script = Process(["printf", "%s|", "a b", "it's"], "0:0", str(tmp_path), ["X=1"], str(tmp_path / "out"),
                     str(tmp_path / "out")).launcher().replace("setsid env -i", "env -i")
    subprocess.run(["bash", "-c", script.replace("mkdir -p /var/log/celery-tutor; ", "") + "; wait"],
                   check=True, capture_output=True)
    assert (tmp_path / "out").read_text() == "a b|it's|"
