"""Shared fixtures: the real Docker engine, the lab image (made locally when no registry is reachable), labs."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.image import LABEL, LabImage
from celery_tutor.lab.lab import Lab
from celery_tutor.paths import assets_dir
from room_server import PREFIX as ROOM_PREFIX

ROOT = Path(__file__).resolve().parent.parent
# Hypothesis fails an example that takes over 200 ms; on a loaded machine (CI beside other jobs) one can, and time is
# not what the properties test.
settings.register_profile("celery-tutor", deadline=None)
settings.load_profile("celery-tutor")
# One run's own prefix: two suites on one engine (a developer's and CI's) do not count each other's labs.
TEST_PREFIX = f"test-{uuid.uuid4().hex[:4]}-"
# Checkpoints are made once per run in a repository of the run's own (the course_checkpoints fixture), which only
# the tests that ask for it use. Elsewhere a jump must replay what it says it replays, whatever an earlier test
# saved, and no test may leave checkpoint images behind.
os.environ["CELERY_TUTOR_CHECKPOINTS"] = "off"


def run_cli(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None):
    """Run the command line in a process of its own (`python -m celery_tutor`), returning the completed process.
    For what needs a fresh process: an engine, a lab, serve, a run long enough to be stopped; else see `cli`."""
    return subprocess.run([sys.executable, "-m", "celery_tutor", *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "COLUMNS": "120", **(env or {})}, cwd=cwd)


@dataclass
class Ran:
    """What one in-process command printed, and its exit status: read as a subprocess.CompletedProcess is."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str


class Hung(BaseException):
    """A command ran past its time. Not an Exception: main's last resort would turn that into exit status 1."""


@pytest.fixture
def cli(capsys, monkeypatch):
    """`cli(*args, env=..., timeout=...)`: the command line's own entry, celery_tutor.cli.main(argv), run in this
    process with `env` set for the call, as `run_cli` runs it in a process of its own but without the second of
    start-up a process costs. Exit statuses are main's return value or argparse's SystemExit; a call still running
    after `timeout` seconds fails the test instead of holding the suite."""
    from celery_tutor.cli import main

    def run(*args: str, env: dict | None = None, timeout: float = 60) -> Ran:
        def hung(signum, frame):
            raise Hung(f"celery-tutor {' '.join(args)} was still running after {timeout:g} s")

        capsys.readouterr()  # what the test printed before is not the command's
        collecting = gc.isenabled()  # `start` turns the collector off until the app's first frame
        with monkeypatch.context() as patch:
            for key, value in {"COLUMNS": "120", **(env or {})}.items():
                patch.setenv(key, value)
            previous = signal.signal(signal.SIGALRM, hung)
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                code = main(list(args))
            except SystemExit as exit:  # argparse's errors, --help and --version
                code = exit.code if isinstance(exit.code, int) else int(exit.code is not None)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                if collecting:
                    gc.enable()
        out, errors = capsys.readouterr()
        return Ran(list(args), code, out, errors)

    return run


@pytest.fixture(autouse=True)
def no_engine_unless_lab(request, monkeypatch):
    """A test not marked lab meets no Docker engine (DOCKER_HOST names a socket that is not there): one that needs
    the engine fails in every run, not only on a machine without Docker, so `pytest -m "not lab"` needs none."""
    if request.node.get_closest_marker("lab") is None:
        monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/celery-tutor-tests/docker.sock")


def _labelled(client) -> set[str]:
    """Every container, network and volume carrying the tutor's label whose lab is a test's."""
    found = set()
    api = client.api
    for kind, listing in (("container", api.containers(all=True, filters={"label": LABEL})),
                          ("network", api.networks(filters={"label": LABEL})),
                          ("volume", (api.volumes(filters={"label": LABEL}) or {}).get("Volumes") or [])):
        for obj in listing:
            owner = (obj.get("Labels") or {}).get(LABEL, "")
            if owner.startswith((TEST_PREFIX, f"{ROOM_PREFIX}-")) or owner == "celery-tutor-verify":
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


@pytest.fixture(scope="session")
def course_checkpoints(docker_client, lab_image) -> str:
    """The repository of every checkpoint of the course, made once for the run by `lab prepare` (a replay of the
    whole course costs minutes; the checkpoint tests and a lab at the end of the course both start from these), or
    CELERY_TUTOR_TEST_CHECKPOINTS (one a run that stopped had prepared). Every image in it removed at the end."""
    from celery_tutor.lab.checkpoint import SETTING, CheckpointStore

    repository = (os.environ.get("CELERY_TUTOR_TEST_CHECKPOINTS")
                  or f"celery-tutor-test/checkpoint-{uuid.uuid4().hex[:6]}")
    saved, os.environ[SETTING] = os.environ[SETTING], repository
    try:
        made = CheckpointStore(docker_client)
    finally:
        os.environ[SETTING] = saved
    try:
        result = run_cli("lab", "prepare", "--lab", new_lab_name(), env={SETTING: repository}, timeout=3600)
        assert result.returncode == 0, result.stderr[-3000:]
        yield repository
    finally:
        os.environ[SETTING] = repository  # the store finds its images by the repository the setting names
        try:
            made.clear()
            leftover = made.images()
        finally:
            os.environ[SETTING] = saved
        assert not leftover, f"checkpoint images left behind: {[image['Id'][:19] for image in leftover]}"


@pytest.fixture
def lab(docker_client, lab_image):
    """A lab of the test's own (containers prefixed with its name), removed afterwards."""
    made = Lab(docker_client, name=new_lab_name(), image=lab_image)
    yield made
    made.down()
