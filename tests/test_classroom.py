"""A room's needs, on the real engine: labs side by side, a lab fast-forwarded, the offline kit."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from celery_tutor.course import load_course
from celery_tutor.lab.lab import Lab

from conftest import new_lab_name, run_cli
from engine_proxy import EngineProxy

pytestmark = pytest.mark.lab


def test_two_labs_side_by_side_each_verify_their_steps(docker_client, lab_image):
    names = [new_lab_name(), new_lab_name()]
    runs = [subprocess.Popen([sys.executable, "-m", "celery_tutor", "verify", "--to", "1", "--lab", name, "--keep"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env={**os.environ, "COLUMNS": "120"}) for name in names]
    try:
        outputs = [run.communicate(timeout=600)[0] for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        listing = run_cli("lab", "list").stdout
        for name in names:
            assert name in listing
            lab = Lab(docker_client, name=name)
            # Same hostnames in every lab; each lab's nodes resolve only their own lab's nodes.
            assert [s.hostname for s in lab.status()] == ["celery-1", "celery-2", "celery-3"]
            mine = lab.node("celery-1").exec("getent hosts celery-2 | cut -d' ' -f1").output.strip()
            theirs = docker_client.containers.get(f"{name}-celery-2").attrs["NetworkSettings"]["Networks"][name]
            assert mine == theirs["IPAddress"]
    finally:
        for name in names:
            Lab(docker_client, name=name).down()


def test_a_workshop_can_start_at_section_four(docker_client, lab_image):
    name = new_lab_name()
    try:
        result = run_cli("lab", "up", "--at", "4", "--lab", name, timeout=1500)
        assert result.returncode == 0, result.stderr[-2000:]
        # Every step of sections 一 to 三 replayed, in order, and none of section 四.
        before = [step.full_id for step in load_course().steps() if step.lesson.section.number < 4]
        assert re.findall(r"✓ (\S+)\s+[\d.]+ s\s+replayed;", result.stdout + result.stderr) == before
        assert f"the lab is ready at 4 ({len(before)} step(s) replayed)" in result.stdout
        lab = Lab(docker_client, name=name)
        state = lab.node("celery-1").exec("rabbitmq-diagnostics -q ping && pgrep -f 'celery' >/dev/null && echo ok")
        assert state.output.strip().endswith("ok")
        untouched = lab.node("celery-2").exec("command -v rabbitmq-server || echo absent").output.strip()
        assert untouched == "absent"  # section 四 has not begun: celery-2 is as the notes leave it
    finally:
        Lab(docker_client, name=name).down()


def test_the_offline_kit_runs_the_whole_course_with_no_network(tmp_path, docker_client, lab_image):
    kit = tmp_path / "celery-tutor-kit.tar.gz"
    exported = run_cli("lab", "export", str(kit), timeout=900)
    assert exported.returncode == 0, exported.stderr
    # As on a machine that never had it; forced, since another lab on this engine (a second run's) may use it:
    # the tag goes, which is what `lab import` and `current()` look for.
    docker_client.images.remove(lab_image.tag, force=True)
    assert not lab_image.current()
    imported = run_cli("lab", "import", str(kit), timeout=900)
    assert imported.returncode == 0 and "loaded the lab image" in imported.stdout
    assert lab_image.current()
    imported_id = docker_client.images.get(lab_image.tag).id
    # The kit is all the course needs: nothing is built or downloaded (the image is current, so verify builds
    # nothing), and the lab has no route out of its own network.
    name = new_lab_name()
    result = run_cli("verify", "--isolated", "--lab", name, timeout=3000)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "verify passed" in result.stdout
    assert docker_client.images.get(lab_image.tag).id == imported_id  # nothing was rebuilt: the kit served


def test_an_isolated_lab_is_on_an_internal_network(docker_client, lab_image):
    lab = Lab(docker_client, name=new_lab_name(), isolated=True)
    try:
        node = lab.start_node("celery-1")
        lab.start_node("celery-2")
        # Docker drops every packet from an internal network to anywhere beyond it (not probed here: this
        # machine must send no traffic outside).
        assert docker_client.networks.get(lab.name).attrs["Internal"] is True
        assert node.exec("getent hosts celery-2").ok  # while the nodes still find each other
        # A stopped node's name is no longer Docker's to answer, and no resolver beyond the network can: the lookup
        # must fail at once, not after the resolver's timeouts (20 s here), which stalled RabbitMQ's CLI for 30 to 90 s
        # a command once celery-2 was stopped (cluster-modes/quorum-down).
        lab.stop_node("celery-2")
        lookup = node.exec("getent hosts celery-2")
        assert lookup.exit_code == 2 and lookup.seconds < 8, lookup
    finally:
        lab.down()


# The tutor in a mount namespace where the local Docker socket and the docker CLI are covered up: the engine's URL
# is its only way to the engine, as on a machine whose engine is elsewhere.
_NO_LOCAL_ENGINE = ('mount --bind /dev/null /var/run/docker.sock'
                    ' && { ! command -v docker >/dev/null || mount --bind /bin/false "$(command -v docker)"; }'
                    ' && exec "$@"')


def test_a_lab_on_an_engine_reached_only_by_its_url(docker_client, lab_image):
    if subprocess.run(["unshare", "--mount", "sh", "-c", _NO_LOCAL_ENGINE, "sh", "true"],
                      capture_output=True).returncode != 0:
        pytest.skip("needs unshare --mount (root) to hide the local engine from the tutor")
    proxy = EngineProxy()
    name = new_lab_name()
    env = {key: value for key, value in os.environ.items() if not key.startswith("DOCKER_")}

    def tutor(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["unshare", "--mount", "sh", "-c", _NO_LOCAL_ENGINE, "sh",
                               sys.executable, "-m", "celery_tutor", "--engine", proxy.url, *args],
                              capture_output=True, text=True, timeout=900, env={**env, "COLUMNS": "120"})

    try:
        assert tutor("lab", "list").returncode == 0  # it answers through the URL ...
        hidden = subprocess.run(["unshare", "--mount", "sh", "-c", _NO_LOCAL_ENGINE, "sh",
                                 sys.executable, "-m", "celery_tutor", "lab", "list"],
                                capture_output=True, text=True, env=env)
        assert hidden.returncode == 2, hidden.stdout  # ... and only through it: the local socket is out of reach

        up = tutor("lab", "up", "--lab", name)
        assert up.returncode == 0, up.stderr[-2000:]
        for node in ("celery-1", "celery-2", "celery-3"):
            assert proxy.seen("POST", f"/containers/create?name={name}-{node}")
        status = tutor("lab", "status", "--lab", name)
        assert status.returncode == 0 and status.stdout.count("running") == 3, status.stdout
        for container in docker_client.api.containers(filters={"label": f"celery-tutor.lab={name}"}):
            details = docker_client.api.inspect_container(container["Id"])
            assert not details["Mounts"] and not details["HostConfig"]["Binds"]  # nothing of the host's disk

        verified = tutor("verify", "--lab", name, "--to", "rabbitmq-install/install")
        assert verified.returncode == 0, verified.stderr[-3000:]
        assert "verify passed" in verified.stdout
        assert proxy.seen("POST", f"/containers/{name}-celery-1/exec")  # the steps ran through the URL too
        assert not docker_client.api.containers(all=True, filters={"label": f"celery-tutor.lab={name}"})
    finally:
        Lab(docker_client, name=name).down()
        proxy.close()
