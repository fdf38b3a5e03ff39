"""Errors of the lab, each a one-line reason and the way out, never a traceback."""

from __future__ import annotations


class LabError(Exception):
    """Something the learner or teacher can fix; `fix` says how."""

    exit_code = 2

    def __init__(self, reason: str, fix: str = ""):
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}. {fix}".strip() if fix else reason)


class DockerUnavailable(LabError):
    """The Docker engine cannot be reached."""


class NameTaken(LabError):
    """A container or network name the lab needs belongs to something else."""


class NodeNotRunning(LabError):
    """A lab node does not exist or is stopped."""


class ImageMissing(LabError):
    """The lab image, or the base it builds from, is not there and cannot be made."""


class BaseImageMissing(ImageMissing):
    """The base image (Debian) is missing and no registry has it: base_image.make can make it where can_make allows."""
