"""A closed network's first run: the base image (Debian) neither here nor pullable is made by `lab build` where the
tutor can (root, debootstrap), asked for by the other commands in a terminal, and otherwise one line with a command
to type. The Docker tests use a base and a lab image of their own (the shared ones stay), removed afterwards."""

from __future__ import annotations

import os
import sys
import uuid

import pexpect
import pytest

from conftest import run_cli, new_lab_name


def test_without_root_the_way_out_is_a_command_to_type(monkeypatch):
    from celery_tutor.lab import base_image

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert base_image.can_make() == "making it needs root"
    fix = base_image.missing("debian:bookworm-slim").fix
    assert fix.startswith("make it with debootstrap, as root: sudo ") and fix.endswith(" lab base")
    assert "site-packages" not in fix and ".sh" not in fix


def test_the_command_names_the_tutor_as_sudo_finds_it(monkeypatch, tmp_path):
    from celery_tutor.lab import base_image

    monkeypatch.setenv("PATH", str(tmp_path))  # no celery-tutor on it
    assert base_image.command() == f"sudo {sys.executable} -m celery_tutor lab base"
    script = tmp_path / "celery-tutor"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o755)
    assert base_image.command() == f"sudo {script} lab base"


# --- on the real engine -------------------------------------------------------------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="making a base image needs root (debootstrap)")


@pytest.fixture
def own_images(docker_client):
    """A base tag no registry can have (its registry is a closed port on loopback: the pull fails at once, and no
    traffic leaves the machine) and a lab image tag of the test's own; both removed afterwards."""
    key = uuid.uuid4().hex[:8]
    images = {"CELERY_TUTOR_BASE_IMAGE": f"localhost:1/celery-tutor-test-base:{key}",
              "CELERY_TUTOR_LAB_IMAGE": f"celery-tutor-test/lab:{key}"}
    yield images
    for tag in (images["CELERY_TUTOR_LAB_IMAGE"], images["CELERY_TUTOR_BASE_IMAGE"]):
        try:
            docker_client.images.remove(tag, force=True)
        except Exception:
            pass


@pytest.mark.lab
@needs_root
def test_without_a_terminal_lab_up_stops_at_one_line_naming_lab_build(own_images, docker_client):
    name = new_lab_name()
    result = run_cli("lab", "up", "--lab", name, env=own_images, timeout=120)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert f"the base image {own_images['CELERY_TUTOR_BASE_IMAGE']} is missing and cannot be pulled" in lines[0]
    assert "`celery-tutor lab build` makes it here with debootstrap" in lines[0]
    assert not docker_client.api.containers(all=True, filters={"label": f"celery-tutor.lab={name}"})


@pytest.mark.lab
@needs_root
def test_in_a_terminal_lab_up_asks_first_and_no_means_no(own_images, docker_client):
    name = new_lab_name()
    child = pexpect.spawn(sys.executable, ["-m", "celery_tutor", "lab", "up", "--lab", name], encoding="utf-8",
                          env={**os.environ, **own_images, "COLUMNS": "200"}, timeout=120)
    child.expect_exact("Make it here with debootstrap (about 40 s)? [y/N]")
    child.sendline("n")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 2
    assert "`celery-tutor lab build` makes it here" in child.before
    with pytest.raises(Exception):
        docker_client.images.get(own_images["CELERY_TUTOR_BASE_IMAGE"])


@pytest.mark.lab
@needs_root
def test_lab_build_makes_the_missing_base_then_builds_the_lab_image(own_images, docker_client):
    result = run_cli("lab", "build", env=own_images, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"made the base image {own_images['CELERY_TUTOR_BASE_IMAGE']}" in result.stderr
    assert f"built {own_images['CELERY_TUTOR_LAB_IMAGE']}" in result.stdout
    base = docker_client.images.get(own_images["CELERY_TUTOR_BASE_IMAGE"])
    assert base.labels.get("celery-tutor.image") == "base" and base.attrs["Config"]["Cmd"] == ["bash"]
    lab_image = docker_client.images.get(own_images["CELERY_TUTOR_LAB_IMAGE"])
    assert lab_image.attrs["RootFS"]["Layers"][0] == base.attrs["RootFS"]["Layers"][0]  # built FROM it
