"""Nothing runs where it should not: lesson lines run only in lab containers, never on the host."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from conftest import new_lab_name, run_cli


@pytest.mark.lab
def test_a_lesson_cannot_make_the_tutor_run_a_host_command(tmp_path, docker_client, lab_image):
    marker = f"/tmp/celery-tutor-host-{uuid.uuid4().hex}"
    (tmp_path / "course.yaml").write_text("title: T\nsections:\n  - {number: 1, title: A, notes: 一, lessons: [x]}\n")
    (tmp_path / "x.md").write_text(
        "---\nid: x\ntitle: X\nnotes: n\nnodes: [celery-1]\n---\n\n"
        "## Start {#start}\n\n```sh {lab action=start node=celery-1}\n"
        f"touch {marker}-lab\n```\n\n"  # the body of a lab block is only shown, never run
        "```sh {check node=celery-1}\nhostname | grep -q celery-1 || { echo down; exit 1; }\n```\n\n"
        "## Escape {#escape}\n\n"
        f"```sh {{run node=celery-1}}\ntouch {marker}-run\n```\n\n"
        f"```text {{file node=celery-1 path={marker}-file}}\nwritten\n```\n\n"
        f"```sh {{check node=celery-1}}\ntest -f {marker}-run && test -f {marker}-file || "
        "{ echo 'not in the container'; exit 1; }\n```\n")
    name = new_lab_name()
    result = run_cli("--lessons", str(tmp_path), "verify", "--lab", name, "--keep")
    try:
        assert result.returncode == 0, result.stderr
        for suffix in ("-lab", "-run", "-file"):
            assert not Path(marker + suffix).exists(), f"a lesson line ran on the host ({suffix})"
        inside = docker_client.containers.get(f"{name}-celery-1").exec_run(f"ls {marker}-run {marker}-file")
        assert inside.exit_code == 0  # it ran, in the container
        container = docker_client.containers.get(f"{name}-celery-1").attrs
        assert container["HostConfig"]["Privileged"] is False
        assert container["Mounts"] == [] and not container["HostConfig"].get("Binds")
        assert not container["HostConfig"].get("PortBindings")
    finally:
        run_cli("lab", "down", "--lab", name)


@pytest.mark.parametrize("block", ["```sh {run node=host}\nid\n```", "```sh {run node=localhost}\nid\n```",
                                   "```sh {exec node=celery-1}\nid\n```", "```sh {lab action=exec node=celery-1}\nid\n```"])
def test_there_is_no_way_to_name_the_host(cli, tmp_path, block):
    path = tmp_path / "x.md"
    path.write_text("---\nid: x\ntitle: X\nnotes: n\nnodes: [celery-1]\n---\n\n## S {#s}\n\n" + block +
                    "\n\n```sh {check node=celery-1}\ntrue\n```\n")
    result = cli("lint", str(path))
    assert result.returncode == 1 and f"{path}:10:" in result.stdout
