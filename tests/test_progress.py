"""Progress survives: saved atomically, keyed by step ids, damaged files put aside, a full disk loses nothing."""

from __future__ import annotations

import json
import subprocess

import pytest

from celery_tutor.course import load_course
from celery_tutor.steps.progress import SavedProgress

from conftest import ROOT


@pytest.fixture
def course():
    return load_course(ROOT / "lessons")


def test_progress_round_trips_and_resumes(tmp_path, course):
    steps = list(course.steps())
    progress = SavedProgress.for_lab("room-a", tmp_path)
    progress.mark_passed(steps[0])
    progress.record(steps[1]).revealed = True
    progress.current = steps[1].full_id
    progress.save()
    again = SavedProgress.for_lab("room-a", tmp_path)
    assert again.passed(steps[0]) and not again.passed(steps[1])
    assert again.steps[steps[1].full_id].revealed
    assert again.resume_step(course) is steps[1]
    assert SavedProgress.for_lab("room-b", tmp_path).resume_step(course) is steps[0]  # labs keep apart


def test_a_renamed_step_does_not_scramble_the_rest(tmp_path, course):
    steps = list(course.steps())
    progress = SavedProgress.for_lab("x", tmp_path)
    progress.mark_passed(steps[2])
    progress.steps["old-lesson/gone"] = progress.record(steps[2])
    progress.current = "old-lesson/gone"
    progress.save()
    again = SavedProgress.for_lab("x", tmp_path)
    assert again.passed(steps[2])
    assert again.unknown_steps(course) == ["old-lesson/gone"]
    assert again.resume_step(course) is steps[0]  # the current step vanished: first one not passed


@pytest.mark.parametrize("content", ["{not json", "", '{"version": 99}', "[1, 2]", '{"version": 1, "steps": {"a": 5}}'])
def test_a_damaged_file_is_kept_aside_with_a_warning(tmp_path, course, content):
    path = tmp_path / "progress-x.json"
    path.write_text(content)
    progress = SavedProgress.for_lab("x", tmp_path)
    assert progress.steps == {} and "damaged" in progress.warning
    aside = list(tmp_path.glob("progress-x.json.damaged-*"))
    assert len(aside) == 1 and aside[0].read_text() == content
    progress.mark_passed(next(course.steps()))
    progress.save()
    assert json.loads(path.read_text())["version"] == 1


def test_a_full_disk_leaves_the_old_progress_whole(tmp_path, course):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        progress = SavedProgress.for_lab("x", mount)
        first = next(course.steps())
        progress.mark_passed(first)
        progress.save()
        before = (mount / "progress-x.json").read_text()
        for index in range(2000):  # grow the record until the disk is full
            progress.steps[f"filler/{index:05d}-{'x' * 40}"] = progress.record(first)
        with pytest.raises(OSError):
            progress.save()
        assert (mount / "progress-x.json").read_text() == before
        assert SavedProgress.for_lab("x", mount).passed(first)
        assert [p.name for p in mount.iterdir()] == ["progress-x.json"]  # no temporary file left
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_progress_and_reset_commands(cli, tmp_path, course):
    env = {"CELERY_TUTOR_STATE_DIR": str(tmp_path)}
    steps = list(course.steps())
    progress = SavedProgress.for_lab("room", tmp_path)
    for step in steps[:5]:
        progress.mark_passed(step)
        progress.record(step).seconds = 60
    progress.save()
    data = json.loads(cli("progress", "--lab", "room", "--json", env=env).stdout)
    assert (data["passed"], data["seconds"]) == (5, 300)
    assert data["lessons"][1]["passed"] == 3  # rabbitmq-install: all three steps
    assert cli("reset", steps[3].full_id, "--lab", "room", env=env).returncode == 0
    data = json.loads(cli("progress", "--lab", "room", "--json", env=env).stdout)
    assert data["passed"] == 3  # the step and every step after it were forgotten
    assert cli("reset", "--lesson", "containers", "--lab", "room", env=env).returncode == 0
    assert json.loads(cli("progress", "--lab", "room", "--json", env=env).stdout)["passed"] == 2
    result = cli("reset", "--lesson", "nope", "--lab", "room", env=env)
    assert result.returncode == 2 and "no lesson 'nope'" in result.stderr
    assert cli("reset", "--all", "--lab", "room", env=env).returncode == 0
    assert json.loads(cli("progress", "--lab", "room", "--json", env=env).stdout)["passed"] == 0


def test_replayed_steps_keep_the_learners_own_passes(tmp_path, course):
    steps = list(course.steps())
    progress = SavedProgress.for_lab("x", tmp_path)
    progress.mark_passed(steps[0])  # the learner's own work
    passed_at = progress.steps[steps[0].full_id].passed_at
    progress.mark_replayed([step.full_id for step in steps[:3]], at=steps[3].full_id)
    assert not progress.steps[steps[0].full_id].revealed and progress.steps[steps[0].full_id].passed_at == passed_at
    assert all(progress.passed(step) and progress.steps[step.full_id].revealed for step in steps[1:3])
    assert progress.current == steps[3].full_id and not progress.passed(steps[3])


def test_forget_all_forgets_steps_the_course_no_longer_has(tmp_path, course):
    progress = SavedProgress.for_lab("x", tmp_path)
    progress.mark_passed(next(course.steps()))
    progress.record("old-lesson/gone").hints = 2
    progress.current = "old-lesson/gone"
    progress.forget_all()
    assert (progress.steps, progress.current) == ({}, None)


class _Done:
    def __init__(self, ok: bool):
        self.ok = self.passed = ok
        self.reason = "" if ok else "it failed on purpose"


class _Runner:
    """A runner whose steps all pass but `fails`: what rebuild needs of one, without a lab."""

    def __init__(self, fails: str | None = None):
        self.fails = fails

    def begin_step(self, step) -> None:
        pass

    def close(self) -> None:
        pass

    def run_actions(self, step, include_solution: bool, on_block=None) -> _Done:
        return _Done(step.full_id != self.fails)

    def check(self, step, retries: bool) -> _Done:
        return _Done(step.full_id != self.fails)


class _NoLab:
    """A lab made afresh at once: what a rebuild with reset needs of one, without Docker."""

    def down(self) -> None:
        pass

    def up(self) -> None:
        pass


class _Quiet:
    def phase(self, step, phase) -> None:
        pass

    def finished(self, outcome) -> None:
        pass


@pytest.mark.parametrize("fails", [None, 2], ids=["whole", "stopped"])
def test_a_replay_records_what_it_replayed_and_saves(tmp_path, course, fails):
    from celery_tutor.steps.rebuild import rebuild_and_record

    steps = list(course.steps())
    progress = SavedProgress.for_lab("x", tmp_path)
    progress.mark_passed(steps[1])
    progress.current = steps[0].full_id
    runner = _Runner(steps[fails].full_id if fails is not None else None)
    rebuilt = rebuild_and_record(None, runner, steps[:4], _Quiet(), progress, target=steps[4], reset=False)
    saved = SavedProgress.for_lab("x", tmp_path)
    replayed = steps[:4] if fails is None else steps[:fails]
    assert rebuilt.ok is (fails is None) and rebuilt.replayed == replayed
    assert [step for step in steps[:5] if saved.passed(step)] == (replayed if fails is None else steps[:2])
    assert [saved.steps[step.full_id].revealed for step in replayed] == [step is not steps[1] for step in replayed]
    assert saved.current == (steps[4].full_id if fails is None else steps[0].full_id)  # moved only when it got there


def test_a_replay_on_a_lab_made_afresh_takes_back_the_passes_of_the_steps_after_it(tmp_path, course):
    from celery_tutor.steps.rebuild import rebuild_and_record

    steps = list(course.steps())
    progress = SavedProgress.for_lab("x", tmp_path)
    for step in steps[:6]:
        progress.mark_passed(step)
    rebuilt = rebuild_and_record(_NoLab(), _Runner(None), steps[:2], _Quiet(), progress, target=steps[2], reset=True,
                                 checkpoints=False)
    saved = SavedProgress.for_lab("x", tmp_path)
    assert rebuilt.ok and [step for step in steps if saved.passed(step)] == steps[:2]
    assert saved.current == steps[2].full_id
