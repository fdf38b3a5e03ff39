"""The lab: the course's containers on the Docker engine, commands streamed into them, interactive sessions."""

from celery_tutor.lab.errors import LabError

__all__ = ["ExecResult", "Lab", "LabError", "Node", "NodeStatus"]


def __getattr__(name: str):
    # docker-py takes ~0.1 s to import: only code that uses the lab pays for it, not code that names its errors
    # (the CLI does, before it draws anything).
    if name in ("Lab", "NodeStatus"):
        from celery_tutor.lab import lab

        return getattr(lab, name)
    if name in ("ExecResult", "Node"):
        from celery_tutor.lab import node

        return getattr(node, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
