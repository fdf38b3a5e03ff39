"""Connects to the Docker engine, turning every way that can fail into one line saying what to do."""

from __future__ import annotations

import os
import shutil

import docker
from docker.errors import DockerException, TLSParameterError
from docker.utils import parse_host

from celery_tutor.lab.errors import DockerUnavailable

# An engine that never answers (a firewall dropping the packets, a port that is not Docker's) would otherwise hold
# the command for the whole timeout meant for builds and long pulls: the first contact gets this one.
REACH_TIMEOUT = 15
URL_FORMS = "unix:///var/run/docker.sock, tcp://HOST:2375 or ssh://USER@HOST"


def _where(url: str | None) -> str:
    if url:
        return f"--engine {url}"
    if os.environ.get("DOCKER_HOST"):
        return f"DOCKER_HOST={os.environ['DOCKER_HOST']}"
    return "the local Docker socket (/var/run/docker.sock)"


def _explain(exc: BaseException, url: str | None) -> DockerUnavailable:
    text = str(exc)
    where = _where(url)
    if "Permission denied" in text or isinstance(exc, PermissionError):
        return DockerUnavailable(
            f"permission denied on {where}: this user may not use that Docker engine",
            "add yourself to the docker group (sudo usermod -aG docker $USER, then log in again), "
            "or use rootless Docker (https://docs.docker.com/engine/security/rootless/)",
        )
    if "paramiko" in text:
        return DockerUnavailable(
            f"cannot reach the Docker engine at {where}: ssh:// needs the paramiko package, which is not installed",
            "pip install paramiko beside celery-tutor, or forward the engine's socket "
            "(ssh -NL /tmp/docker.sock:/var/run/docker.sock USER@HOST) and use unix:///tmp/docker.sock",
        )
    if isinstance(exc, TLSParameterError):
        certs = os.environ.get("DOCKER_CERT_PATH") or "~/.docker"
        return DockerUnavailable(
            f"cannot reach the Docker engine at {where}: DOCKER_TLS_VERIFY is set but {certs} lacks the client "
            "certificates (ca.pem, cert.pem, key.pem)",
            "point DOCKER_CERT_PATH at the folder holding them, or unset DOCKER_TLS_VERIFY for an engine without TLS",
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
    if "timed out" in text or "Timeout" in type(exc).__name__:
        return DockerUnavailable(
            f"the Docker engine at {where} did not answer within {REACH_TIMEOUT} s",
            "check that the address is the engine's and that no firewall drops the connection",
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return DockerUnavailable(f"cannot reach the Docker engine at {where}: {first_line[:160]}",
                             "check DOCKER_HOST or --engine, and that the daemon runs")


def connect(url: str | None = None, timeout: int = 120) -> docker.DockerClient:
    """A client for the engine at `url` (else DOCKER_HOST / the local socket), checked with a ping."""
    given = url if url is not None else os.environ.get("DOCKER_HOST")
    if url is not None and not url.strip():
        raise DockerUnavailable("--engine is empty", f"give the engine's URL ({URL_FORMS}), "
                                                     "or leave --engine out for DOCKER_HOST or the local socket")
    if given:
        try:
            parse_host(given, False, False)
        except (DockerException, ValueError) as exc:
            raise DockerUnavailable(f"cannot reach the Docker engine at {_where(url)}: not an engine URL ({exc})",
                                    f"write it as {URL_FORMS}") from None
    reach = min(timeout, REACH_TIMEOUT)
    try:
        client = docker.DockerClient(base_url=url, timeout=reach) if url else docker.from_env(timeout=reach)
        client.ping()
        client.api.timeout = timeout
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
