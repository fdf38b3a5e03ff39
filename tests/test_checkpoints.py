"""Checkpoints on the real engine: the course prepared once, every lesson verified from its own, the bad cases."""

from __future__ import annotations

import json
import os
import re
import shutil

import pytest
from docker.errors import APIError

from celery_tutor.course import load_course
from celery_tutor.lab import checkpoint
from celery_tutor.lab.checkpoint import CheckpointStore, tag
from celery_tutor.lab.image import LABEL
from celery_tutor.lab.lab import Lab, list_labs

from conftest import ROOT, new_lab_name, run_cli

pytestmark = pytest.mark.lab

COURSE = load_course(ROOT / "lessons")
STEPS = list(COURSE.steps())
LESSONS = [lesson.id for lesson in COURSE.lessons]


@pytest.fixture(scope="module")
def prepared(docker_client, course_checkpoints):
    """The run's checkpoints of the whole course (`lab prepare` made them, which only restores the last one and
    proves it when they are all there), named by the setting for this module's in-process code and commands."""
    saved = os.environ.get(checkpoint.SETTING)
    os.environ[checkpoint.SETTING] = course_checkpoints
    try:
        yield CheckpointStore(docker_client)
    finally:
        os.environ[checkpoint.SETTING] = saved


def _lab(docker_client, name: str) -> Lab:
    return Lab(docker_client, name=name)


def _find(store, after: str):
    """The current checkpoint after lesson `after` (the course's lessons and lab image), usable or not."""
    from celery_tutor.steps.checkpoints import Checkpoints

    lab = Lab(store.client, name="unused")
    helper = Checkpoints(lab, STEPS)
    end = next(index + 1 for index, step in enumerate(STEPS) if step is step.lesson.steps[-1] and
               step.lesson.id == after)
    return store.find(after, helper.key(end))


def test_prepare_makes_one_usable_checkpoint_per_lesson(prepared):
    listing = run_cli("lab", "checkpoints")
    assert listing.returncode == 0, listing.stderr
    rows = re.findall(r"│ (\S+)\s+│ ([\d.]+ [MG]iB)?\s*│ [^│]*│ usable", listing.stdout)
    assert [lesson for lesson, _ in rows] == LESSONS[1:]  # the first lesson starts on a fresh lab
    assert f"{len(LESSONS) - 1} of {len(LESSONS) - 1} usable" in listing.stdout


@pytest.mark.parametrize("lesson", LESSONS[1:])
def test_each_lesson_verifies_from_its_own_checkpoint(prepared, lesson):
    result = run_cli("verify", "--from", lesson, "--to", lesson, "--lab", new_lab_name(), timeout=1200)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "replayed;" not in output  # no earlier step replayed: the checkpoint stood for all of them
    before = STEPS.index(COURSE.lesson(lesson).steps[0])
    assert (f"verify passed: {len(COURSE.lesson(lesson).steps)} step(s) verified, {before} step(s) restored from "
            f"the checkpoint after {STEPS[before - 1].lesson.id}, 0 replayed") in result.stdout


def test_two_labs_restore_the_cluster_from_the_same_checkpoint(prepared, docker_client):
    names = [new_lab_name(), new_lab_name()]
    try:
        for name in names:
            result = run_cli("lab", "up", "--at", "haproxy", "--lab", name, timeout=900)
            assert result.returncode == 0, result.stderr[-2000:]
            assert "restored from the checkpoint after cluster-modes" in result.stdout
        labs = {summary.name for summary in list_labs(docker_client)}
        assert set(names) <= labs and checkpoint.CHECKPOINT_LAB not in labs
        for name in names:
            lab = _lab(docker_client, name)
            for status in lab.status():
                labels = docker_client.api.inspect_container(status.container)["Config"]["Labels"]
                assert labels[LABEL] == name  # the new lab's label, not the checkpoint's
            cluster = lab.node("celery-1").exec("rabbitmqctl -q cluster_status --formatter json", timeout=60)
            running = json.loads(cluster.output[cluster.output.index("{"):])["running_nodes"]
            assert sorted(running) == ["rabbit@celery-1", "rabbit@celery-2", "rabbit@celery-3"]
        # The two are apart: a virtual host added in one is not in the other.
        first, second = (_lab(docker_client, name).node("celery-1") for name in names)
        assert first.exec("rabbitmqctl -q add_vhost only-here", timeout=60).ok
        assert "only-here" in first.exec("rabbitmqctl -q list_vhosts", timeout=60).output
        assert "only-here" not in second.exec("rabbitmqctl -q list_vhosts", timeout=60).output
        _lab(docker_client, names[0]).down()
        assert _find(prepared, "cluster-modes").usable  # a lab going leaves the checkpoint
    finally:
        for name in names:
            _lab(docker_client, name).down()


def _up_at(lesson: str, *extra: str):
    name = new_lab_name()
    result = run_cli(*extra, "lab", "up", "--at", lesson, "--lab", name, timeout=900)
    return name, result


def _replayed_saying(docker_client, note: str) -> Lab:
    """`lab up --at rabbitmq-install` on a new lab: replayed from the start, with one note beginning `note`."""
    name, result = _up_at("rabbitmq-install")
    try:
        assert result.returncode == 0, result.stderr[-2000:]
        notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
        assert len(notes) == 1 and notes[0].startswith(f"note: {note}"), result.stderr
        assert "(1 step(s) replayed)" in result.stdout
        return _lab(docker_client, name)
    except BaseException:
        _lab(docker_client, name).down()
        raise


def test_a_checkpoint_image_removed_by_hand_means_a_replay(prepared, docker_client):
    found = _find(prepared, "containers")
    docker_client.images.remove(tag("containers", found.key, "celery-2"))
    _replayed_saying(docker_client, "the checkpoint after containers is incomplete: the image of celery-2 is "
                                    "missing: replaying instead").down()
    assert _find(prepared, "containers").usable  # made again on the way


def _replace(store, docker_client, after: str, node: str, script: str = "true", labels: dict | None = None):
    """The checkpoint's image of `node` replaced by one made from it (after `script` ran in it), same labels
    unless given; returns the new image's id."""
    found = _find(store, after)
    name = tag(after, found.key, node)
    original = docker_client.images.get(name)
    container = docker_client.containers.run(name, ["bash", "-c", script], detach=True,
                                             labels={LABEL: f"{new_lab_name()}"})
    try:
        container.wait(timeout=60)
        repository, _, version = name.rpartition(":")
        made = docker_client.api.commit(container.id, repository=repository, tag=version,
                                        conf={"Labels": {**original.labels, **(labels or {})}})
    finally:
        container.remove(force=True)
    store._remove(original.id)
    return made["Id"]


def test_a_damaged_checkpoint_means_a_replay(prepared, docker_client):
    _replace(prepared, docker_client, "containers", "celery-1",
             labels={checkpoint.RUNNING_LABEL: "{not json"})
    _replayed_saying(docker_client, "the checkpoint after containers is damaged: the image of celery-1 does not "
                                    "say what ran in it: replaying instead").down()
    assert _find(prepared, "containers").usable  # made again on the way


def test_a_restore_whose_proving_check_fails_means_a_replay(prepared, docker_client):
    # getent gone: the check of containers/start (celery-2 resolves from celery-1) fails on the restored lab.
    broken = _replace(prepared, docker_client, "containers", "celery-1", script="rm -f /usr/bin/getent")
    lab = _replayed_saying(docker_client, "the checkpoint after containers did not restore (the check of "
                                          "containers/start failed on it")
    try:
        assert lab.node("celery-1").exec("getent hosts celery-2").ok  # the replayed lab, not the broken one
    finally:
        lab.down()
    remade = _find(prepared, "containers")
    assert remade.usable and remade.images["celery-1"]["Id"] != broken  # saved again: not used next time


def test_edited_lessons_make_the_later_checkpoints_unusable_not_the_earlier(prepared, docker_client, tmp_path):
    lessons = tmp_path / "lessons"
    shutil.copytree(ROOT / "lessons", lessons)
    edited = lessons / "1-3-celery.md"
    edited.write_text(edited.read_text() + "\n<!-- edited -->\n")
    listing = run_cli("--lessons", str(lessons), "lab", "checkpoints").stdout
    rows = dict(re.findall(r"│ (\S+)\s+│[^│]*│[^│]*│ ([^│]+?)\s+│", listing))
    assert rows["rabbitmq-install"] == rows["celery-install"] == "usable"  # after 1-1 and 1-2: untouched
    other = "made from other lessons or another lab image"
    assert rows["tasks-code"] == rows["haproxy"] == other  # after 1-3 (edited) and every later one
    # A jump past the edit starts from the nearest usable one, and says in one line why not from a later one.
    name, result = _up_at("worker-start", "--lessons", str(lessons))
    try:
        assert result.returncode == 0, result.stderr[-2000:]
        notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
        assert notes == [f"note: the checkpoint after tasks-code was {other}: starting from the one after "
                         "rabbitmq-install instead"]
        replayed = len(COURSE.lesson("celery-install").steps) + len(COURSE.lesson("tasks-code").steps)
        assert f"restored from the checkpoint after rabbitmq-install, {replayed} replayed" in result.stdout
    finally:
        _lab(docker_client, name).down()


def test_a_full_disk_while_committing_leaves_nothing_half_made(prepared, docker_client, monkeypatch):
    from celery_tutor.steps.rebuild import rebuild
    from celery_tutor.steps.runner import StepRunner

    commits = []
    real = docker_client.api.commit

    def commit(*args, **kwargs):
        commits.append(kwargs.get("tag"))
        if len(commits) == 2:
            raise APIError("write /var/lib/docker/...: no space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(docker_client.api, "commit", commit)
    found = _find(prepared, "containers")
    for node in found.nodes:
        prepared._remove(found.images[node]["Id"])
    lab = Lab(docker_client, name=new_lab_name())
    runner = StepRunner(lab)
    try:
        rebuilt = rebuild(lab, runner, STEPS[:1], _Quiet())
        assert rebuilt.ok, rebuilt.reason
        assert len(rebuilt.notes) == 1 and "no space left on device" in rebuilt.notes[0]
        assert rebuilt.notes[0].endswith("the replay goes on without saving checkpoints")
        assert _find(prepared, "containers") is None  # the one image made was removed: nothing half-made
    finally:
        runner.close()
        lab.down()
    monkeypatch.undo()  # the disk has room again: the next replay makes the checkpoint the later tests expect
    runner = StepRunner(lab)
    try:
        assert rebuild(lab, runner, STEPS[:1], _Quiet()).ok
        assert _find(prepared, "containers").usable
    finally:
        runner.close()
        lab.down()


class _Quiet:
    def phase(self, step, phase): pass
    def finished(self, outcome): pass


def test_the_kit_carries_the_checkpoints_and_a_room_starts_from_them(prepared, docker_client, lab_image, tmp_path):
    count = len(LESSONS) - 1
    assert f"{count} of {count} usable" in run_cli("lab", "checkpoints").stdout
    kit = tmp_path / "kit.tar.gz"
    exported = run_cli("lab", "export", str(kit), timeout=1800)
    assert exported.returncode == 0, exported.stderr[-2000:]
    assert f"with {3 * count} checkpoint image(s)" in exported.stdout
    # An image without the checkpoints' labels in their own repository (the lab image, tagged there): untouched.
    stranger = f"{checkpoint.repository()}:stranger"
    docker_client.api.tag(lab_image.tag, *stranger.split(":"))
    try:
        assert run_cli("lab", "checkpoints", "--clear").returncode == 0
        assert not prepared.images()
        docker_client.images.get(stranger)  # still there
    finally:
        docker_client.images.remove(stranger)
    imported = run_cli("lab", "import", str(kit), timeout=1800)
    assert imported.returncode == 0, imported.stderr[-2000:]
    assert f"and {count} usable checkpoint(s)" in imported.stdout
    name, result = _up_at("4")
    try:
        assert result.returncode == 0, result.stderr[-2000:]
        assert "restored from the checkpoint after chords" in result.stdout
        state = _lab(docker_client, name).node("celery-1").exec(
            "rabbitmq-diagnostics -q ping && pgrep -f 'celery' >/dev/null && echo ok", timeout=60)
        assert state.output.strip().endswith("ok")
    finally:
        _lab(docker_client, name).down()
