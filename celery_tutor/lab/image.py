"""The lab image: built from assets/lab with a wheelhouse prepared on the host, rebuilt only when it changed."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import docker
from docker.errors import APIError, ImageLoadError, ImageNotFound

from celery_tutor.lab import base_image
from celery_tutor.lab.base_image import BASE  # noqa: F401 (re-exported)
from celery_tutor.lab.errors import LabError
from celery_tutor.paths import assets_dir, cache_dir

IMAGE = "celery-tutor/lab:latest"
LABEL = "celery-tutor.lab"
IMAGE_LABEL = "celery-tutor.image"
DIGEST_LABEL = "celery-tutor.image-digest"
PYTHON_VERSION = "3.11.2"  # the Python of Debian bookworm, which the containers run
_PLATFORMS = {  # pip platform tags per engine architecture; pure-Python wheels match any of them
    "x86_64": ["manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    "aarch64": ["manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"],
}
_STEP = re.compile(r"^Step (\d+)/(\d+) :")


@dataclass(frozen=True)
class BuildProgress:
    """One line of a build's output, with how far the build is (steps of the Dockerfile)."""

    step: int
    total: int
    line: str


ProgressCallback = Callable[[BuildProgress], None]


class LabImage:
    def __init__(self, client: docker.DockerClient, base: str | None = None, tag: str | None = None,
                 lab_assets: Path | None = None):
        self.client = client
        self.base = base or base_image.tag()
        # CELERY_TUTOR_LAB_IMAGE: an image of another name, so a test's build from a base of its own leaves the
        # shared one alone.
        self.tag = tag or os.environ.get("CELERY_TUTOR_LAB_IMAGE") or IMAGE
        self.assets = lab_assets or assets_dir() / "lab"

    @property
    def digest(self) -> str:
        """Changes whenever what the image is built from changes."""
        sha = hashlib.sha256(self.base.encode())
        for name in ("Dockerfile", "requirements.txt"):
            sha.update((self.assets / name).read_bytes())
        return sha.hexdigest()[:16]

    def current(self) -> bool:
        try:
            image = self.client.images.get(self.tag)
        except ImageNotFound:
            return False
        return (image.labels or {}).get(DIGEST_LABEL) == self.digest

    def ensure(self, progress: ProgressCallback | None = None) -> None:
        """Build the image if it is missing or out of date, so no one has to know about `lab build`."""
        if not self.current():
            self.build(progress)

    def build(self, progress: ProgressCallback | None = None) -> None:
        report = progress or (lambda event: None)
        self._ensure_base(report)
        wheelhouse = self.wheelhouse(report)
        context = self._context(wheelhouse)
        step = total = 0
        try:
            stream = self.client.api.build(
                fileobj=context, custom_context=True, encoding="gzip", tag=self.tag, rm=True, forcerm=True,
                decode=True, buildargs={"BASE": self.base},
                labels={IMAGE_LABEL: "lab", DIGEST_LABEL: self.digest},
            )
            for chunk in stream:
                if "error" in chunk:
                    detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                    raise LabError(f"the lab image failed to build: {detail.strip()}",
                                   "read the output above; a network problem while fetching Debian packages is the usual cause")
                for line in (chunk.get("stream") or chunk.get("status") or "").splitlines():
                    if match := _STEP.match(line):
                        step, total = int(match.group(1)), int(match.group(2))
                    if line.strip():
                        report(BuildProgress(step, total, line))
        except APIError as exc:
            raise LabError(f"the Docker engine refused the build: {exc.explanation or exc}",
                           "check the engine's disk space (docker system df)") from None
        report(BuildProgress(total, total, f"built {self.tag}"))

    def export(self, path: Path, report: ProgressCallback | None = None, also: list[str] = ()) -> int:
        """Write the lab image to one file (the offline kit for a closed room), with the images named in `also`
        (checkpoints: their shared layers written once); returns its size in bytes."""
        report = report or (lambda event: None)
        image = self.client.images.get(self.tag)
        total = int(image.attrs.get("Size") or 0)
        written = 0
        temp = path.with_name(path.name + ".part")
        api = self.client.api
        # docker-py saves one image at a time; the engine's /images/get takes many, each layer once.
        stream = api._stream_raw_result(api._get(api._url("/images/get"), params={"names": [self.tag, *also]},
                                                 stream=True), 1 << 20, False)
        with gzip.open(temp, "wb", compresslevel=1) as out:
            for chunk in stream:
                out.write(chunk)
                written += len(chunk)
                report(BuildProgress(min(written, total), total, f"{written >> 20} MiB of the image"))
        temp.replace(path)  # a half-written kit never carries the final name
        return path.stat().st_size

    def import_(self, path: Path) -> bool:
        """Load a kit written by export; says whether it matches this version of the course."""
        if not path.is_file():
            raise LabError(f"no such kit file: {path}", "give the path of a file made by `celery-tutor lab export`")
        try:
            with path.open("rb") as kit:
                self.client.images.load(kit)
        except (APIError, ImageLoadError) as exc:
            detail = getattr(exc, "explanation", None) or str(exc)
            raise LabError(f"{path} is not a lab kit the engine can load: {detail}",
                           "make it again with `celery-tutor lab export FILE`") from None
        return self.current()

    def has_base(self) -> bool:
        try:
            self.client.images.get(self.base)
        except ImageNotFound:
            return False
        return True

    def _ensure_base(self, report: ProgressCallback) -> None:
        """The base, pulled if missing; BaseImageMissing when no registry has it (base_image.make can make it)."""
        if self.has_base():
            return
        report(BuildProgress(0, 0, f"pulling {self.base}"))
        try:
            self.client.images.pull(self.base)
        except APIError:
            raise base_image.missing(self.base) from None

    def make_base(self, report: Callable[[str], None]) -> None:
        """Make the missing base here with debootstrap (see base_image.can_make); `report` gets its output lines."""
        base_image.make(self.client, self.base, report)

    def _architecture(self) -> str:
        arch = self.client.info().get("Architecture", "x86_64")
        return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)

    def wheelhouse(self, report: ProgressCallback) -> Path:
        """The Python packages for the image, downloaded once on the host (whose pip trusts the network)."""
        given = os.environ.get("CELERY_TUTOR_WHEELHOUSE")
        if given:
            return Path(given)
        requirements = self.assets / "requirements.txt"
        arch = self._architecture()
        key = hashlib.sha256(requirements.read_bytes() + arch.encode()).hexdigest()[:12]
        target = cache_dir() / "wheelhouse" / key
        if (target / ".complete").exists():
            return target
        target.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--dest", str(target),
                   "--only-binary=:all:", "--python-version", PYTHON_VERSION, "--implementation", "cp",
                   "-r", str(requirements)]
        for platform in _PLATFORMS.get(arch, _PLATFORMS["x86_64"]):
            command += ["--platform", platform]
        report(BuildProgress(0, 0, "downloading the Python packages for the lab (once)"))
        proc = subprocess.run(command, capture_output=True, text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise LabError(f"cannot download the lab's Python packages: {last}",
                           "check the host's network to PyPI, or set CELERY_TUTOR_WHEELHOUSE to a folder of wheels")
        (target / ".complete").write_text("ok\n")
        return target

    def _context(self, wheelhouse: Path) -> io.BytesIO:
        """The build context as a tar: the Dockerfile and the wheelhouse, nothing from the host's other files."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz", compresslevel=1) as tar:
            tar.add(self.assets / "Dockerfile", arcname="Dockerfile")
            for wheel in sorted(wheelhouse.glob("*.whl")):
                info = tar.gettarinfo(str(wheel), arcname=f"wheelhouse/{wheel.name}")
                info.mtime = 0  # a stable context keeps the build cache warm
                with wheel.open("rb") as handle:
                    tar.addfile(info, handle)
        buffer.seek(0)
        return buffer
