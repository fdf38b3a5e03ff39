"""The lab's base image, Debian bookworm: pulled where a registry answers, else made here with debootstrap."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

from celery_tutor.lab.errors import BaseImageMissing, ImageMissing
from celery_tutor.paths import assets_dir

BASE = "debian:bookworm-slim"
# The labels of what the tutor makes; not celery-tutor.lab, which every container from the image would inherit
# and `lab down --all` would then take for a lab of the tutor's.
BASE_LABEL = "celery-tutor.image=base"
MAKE_SECONDS = 40  # debootstrap of bookworm's minbase on two cores, and the import


def tag() -> str:
    """The base the lab image builds FROM; CELERY_TUTOR_BASE_IMAGE names another (the tests make one of their own)."""
    return os.environ.get("CELERY_TUTOR_BASE_IMAGE") or BASE


def script() -> Path:
    return assets_dir() / "lab" / "make-base-image.sh"


def can_make() -> str | None:
    """Why this process cannot make the base image, or None when it can (root, debootstrap or apt-get to get it)."""
    if os.geteuid() != 0:
        return "making it needs root"
    if shutil.which("debootstrap") is None and shutil.which("apt-get") is None:
        return "it needs debootstrap, which is not installed, and there is no apt-get to install it"
    return None


def command() -> str:
    """The command a learner types to make it as root: `celery-tutor` as sudo finds it, else its full path."""
    found = shutil.which("celery-tutor")
    if found and Path(found).parent.as_posix() in ("/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin"):
        return "sudo celery-tutor lab base"
    if found:
        return f"sudo {found} lab base"
    return f"sudo {sys.executable} -m celery_tutor lab base"


def missing(base: str) -> BaseImageMissing:
    """The error of a base that is neither here nor pullable, with the way out this process has."""
    reason = f"the base image {base} is missing and cannot be pulled (no registry answers)"
    if can_make() is None:
        return BaseImageMissing(reason, f"`celery-tutor lab build` makes it here with debootstrap "
                                        f"(about {MAKE_SECONDS} s)")
    return BaseImageMissing(reason, f"make it with debootstrap, as root: {command()}")


def make(client, base: str, report: Callable[[str], None]) -> None:
    """Make `base` on the engine of `client`: the shipped script bootstraps Debian (its output lines go to `report`
    as they come), then the root file system is imported through the API, so a remote engine gets it too."""
    from docker.errors import APIError
    from docker.utils import parse_repository_tag

    folder = Path(tempfile.mkdtemp(prefix="celery-tutor-base-"))
    rootfs = folder / "rootfs.tar"
    try:
        process = subprocess.Popen(["bash", str(script()), "--tar", str(rootfs)], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, errors="replace")
        last = ""
        for line in process.stdout:
            if line.strip():
                last = line.strip()
                report(last)
        if process.wait() != 0:
            raise ImageMissing(f"making the base image {base} failed: {last or 'the script gave no reason'}",
                               "read the output above; debootstrap needs the Debian mirror (deb.debian.org)")
        report(f"importing it as {base}")
        repository, version = parse_repository_tag(base)
        try:
            with rootfs.open("rb") as tar:
                client.api.import_image(src=tar, repository=repository, tag=version or "latest",
                                        changes=['CMD ["bash"]', f"LABEL {BASE_LABEL}"])
        except APIError as exc:
            raise ImageMissing(f"the Docker engine refused the base image: {exc.explanation or exc}",
                               "check the engine's disk space (docker system df)") from None
        report(f"made {base}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
