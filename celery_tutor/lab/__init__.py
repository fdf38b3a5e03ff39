"""The lab: the course's containers on the Docker engine, commands streamed into them, interactive sessions."""

from celery_tutor.lab.errors import LabError
from celery_tutor.lab.lab import Lab, NodeStatus
from celery_tutor.lab.node import ExecResult, Node

__all__ = ["ExecResult", "Lab", "LabError", "Node", "NodeStatus"]
