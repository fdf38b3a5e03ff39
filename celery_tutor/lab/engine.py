"""Connects to the Docker engine, turning every way that can fail into one line saying what to do."""

from __future__ import annotations

import os
import shutil

import docker
from docker.errors import DockerException

from celery_tutor.lab.errors import DockerUnavailable


def _explain(exc: BaseException, url: str | None) -> DockerUnavailable:
    text = str(exc)
    where = url or os.environ.get("DOCKER_HOST") or "the local Docker socket"
    if "Permission denied" in text or isinstance(exc, PermissionError):
        return DockerUnavailable(
            f"permission denied on {where}",
            "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again) or run as root",
        )
    if not url and not os.environ.get("DOCKER_HOST") and shutil.which("docker") is None \
            and not os.path.exists("/var/run/docker.sock"):
        return DockerUnavailable(
            "Docker is not installed",
            "install Docker Engine (https://docs.docker.com/engine/install/) and start it",
        )
    if "FileNotFoundError" in text or "No such file" in text or "Connection refused" in text \
            or "ConnectionRefused" in text:
        return DockerUnavailable(
            f"the Docker daemon is not running ({where} does not answer)",
            "start it (sudo systemctl start docker) or point DOCKER_HOST / --engine at a running engine",
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return DockerUnavailable(f"cannot reach the Docker engine at {where}: {first_line[:160]}",
                             "check DOCKER_HOST or --engine, and that the daemon runs")


def connect(url: str | None = None, timeout: int = 120) -> docker.DockerClient:
    """A client for the engine at `url` (else DOCKER_HOST / the local socket), checked with a ping."""
    try:
        client = docker.DockerClient(base_url=url, timeout=timeout) if url else docker.from_env(timeout=timeout)
        client.ping()
    except DockerUnavailable:
        raise
    except (DockerException, OSError, ValueError) as exc:
        raise _explain(exc, url) from None
    except Exception as exc:  # requests' connection errors and friends
        raise _explain(exc, url) from None
    return client


# What docker-py raises when the engine goes away in the middle of something (a daemon stopped, a socket cut).
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (DockerException, ConnectionError, OSError)
try:
    import requests

    CONNECTION_ERRORS += (requests.exceptions.RequestException,)
except ImportError:  # docker-py always brings requests; this only keeps the module importable without it
    pass


def engine_lost(exc: BaseException) -> DockerUnavailable:
    """The reason to show when the engine stopped answering during a step."""
    return DockerUnavailable("lost the Docker engine during the step",
                             "start Docker again (sudo systemctl start docker), then retry the step")
