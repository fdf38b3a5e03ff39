"""Shared fixtures: the real Docker engine, the lab image (made locally when no registry is reachable), labs."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.image import LABEL, LabImage
from celery_tutor.lab.lab import Lab
from celery_tutor.paths import assets_dir

ROOT = Path(__file__).resolve().parent.parent
# One run's own prefix: two suites on one engine (a developer's and CI's) do not count each other's labs.
TEST_PREFIX = f"test-{uuid.uuid4().hex[:4]}-"


def run_cli(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None):
    """Run the installed console script as a learner would, returning the completed process."""
    return subprocess.run([sys.executable, "-m", "celery_tutor", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "120", **(env or {})}, cwd=cwd)


def _labelled(client) -> set[str]:
    """Every container, network and volume carrying the tutor's label whose lab is a test's."""
    found = set()
    api = client.api
    for kind, listing in (("container", api.containers(all=True, filters={"label": LABEL})),
                          ("network", api.networks(filters={"label": LABEL})),
                          ("volume", (api.volumes(filters={"label": LABEL}) or {}).get("Volumes") or [])):
        for obj in listing:
            owner = (obj.get("Labels") or {}).get(LABEL, "")
            if owner.startswith((TEST_PREFIX, "web-")) or owner == "celery-tutor-verify":
                found.add(f"{kind} {obj.get('Names', [obj.get('Name')])[0]}")
    return found


@pytest.fixture(scope="session")
def docker_client():
    return connect()


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind(request):
    """Counts the tutor's containers, networks and volumes before and after the whole suite: none may be added."""
    needs_engine = any(item.get_closest_marker("lab") for item in request.session.items)
    before = _labelled(connect()) if needs_engine else set()
    yield
    if needs_engine:
        leftovers = _labelled(connect()) - before
        assert not leftovers, f"tests left these behind: {sorted(leftovers)}"


@pytest.fixture(scope="session")
def lab_image(docker_client) -> LabImage:
    """The lab image, built once per machine; the base is made with debootstrap where nothing can be pulled."""
    subprocess.run(["bash", str(assets_dir() / "lab" / "make-base-image.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    image = LabImage(docker_client)
    image.ensure()
    return image


def new_lab_name() -> str:
    return f"{TEST_PREFIX}{uuid.uuid4().hex[:8]}"


@pytest.fixture
def lab(docker_client, lab_image):
    """A lab of the test's own (containers prefixed with its name), removed afterwards."""
    made = Lab(docker_client, name=new_lab_name(), image=lab_image)
    yield made
    made.down()
