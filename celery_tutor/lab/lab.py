"""The Lab: the course's nodes and their network on a Docker engine, all carrying the tutor's label."""

from __future__ import annotations

import getpass
import time
from dataclasses import dataclass
from typing import Iterable

import docker
from docker.errors import APIError, NotFound

from celery_tutor.lab.errors import LabError, NameTaken, NodeNotRunning
from celery_tutor.lab.image import LABEL, LabImage, ProgressCallback
from celery_tutor.lab.limits import Limits
from celery_tutor.lab.naming import DEFAULT_NAME, default_name, name_problem  # noqa: F401 (re-exported)
from celery_tutor.lab.node import Node

NODE_LABEL = "celery-tutor.node"
OWNER_LABEL = "celery-tutor.owner"
# Docker's DNS answers the names of the lab's running containers itself and sends any other name (a stopped
# node's included) to the engine's resolvers. Where those cannot be reached (an --isolated lab, a closed room) it
# never answers: a lookup waited 10 to 20 s (5 s, twice, per address family), and RabbitMQ's nodes and CLI, looking
# up a stopped node again and again, took 30 to 90 s per command. One try of one second makes a name no one knows
# fail about as fast as on an open network.
DNS_OPTIONS = ["timeout:1", "attempts:1"]


def _owner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container
        return "unknown"


@dataclass(frozen=True)
class LabSummary:
    name: str
    owner: str
    running: int
    containers: int


def _containers(client: docker.DockerClient, label: str) -> list[dict]:
    """Containers by label, as the engine lists them: no inspect per container, so none can vanish in between."""
    return client.api.containers(all=True, filters={"label": label})


def list_labs(client: docker.DockerClient) -> list[LabSummary]:
    """Every lab on the engine, found by the tutor's label."""
    labs: dict[str, list[dict]] = {}
    for container in _containers(client, LABEL):
        labs.setdefault(container["Labels"].get(LABEL, "?"), []).append(container)
    for network in client.api.networks(filters={"label": LABEL}):
        labs.setdefault((network.get("Labels") or {}).get(LABEL, "?"), [])
    return [LabSummary(name, next((c["Labels"].get(OWNER_LABEL, "") for c in found), ""),
                       sum(1 for c in found if c["State"] == "running"), len(found))
            for name, found in sorted(labs.items())]


@dataclass(frozen=True)
class NodeStatus:
    name: str
    container: str
    state: str  # "running", "exited", ... or "absent"
    hostname: str = ""


class Lab:
    """The learner's lab. `name` prefixes container names, so labs of several learners live side by side."""

    def __init__(self, client: docker.DockerClient, name: str = DEFAULT_NAME, nodes: Iterable[str] | None = None,
                 image: LabImage | None = None, isolated: bool = False, limits: Limits | None = None):
        problem = name_problem(name or "")
        if problem:
            raise LabError(f"{name!r} {problem}", "give the lab another name, e.g. --lab alice")
        self.client = client
        self.name = name
        self.isolated = isolated  # an internal network: the nodes reach each other and nothing else
        if nodes is None:  # the shipped course's (course.yaml names them)
            from celery_tutor.course.loader import shipped_nodes

            nodes = shipped_nodes()
        self.limits = limits or Limits.from_env()
        self.node_names = tuple(nodes)
        self.image = image or LabImage(client)
        self._nodes = {node: Node(client, node, self.container_name(node)) for node in self.node_names}

    @property
    def network_name(self) -> str:
        return self.name

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.name}

    def container_name(self, node: str) -> str:
        # The default lab uses the notes' own names; any other lab prefixes them.
        return node if self.name == DEFAULT_NAME else f"{self.name}-{node}"

    def node(self, name: str) -> Node:
        try:
            return self._nodes[name]
        except KeyError:
            raise NodeNotRunning(f"the lab has no node {name!r}",
                                 f"use one of {', '.join(self.node_names)}") from None

    @property
    def nodes(self) -> list[Node]:
        return list(self._nodes.values())

    # --- ownership: the tutor never touches what does not carry its label -------------------------------

    def _owned(self, obj) -> bool:
        return (obj.attrs.get("Config", {}).get("Labels") or obj.attrs.get("Labels") or {}).get(LABEL) == self.name

    def _get_container(self, node: str):
        try:
            container = self.client.containers.get(self.container_name(node))
        except NotFound:
            return None
        if container.status == "removing":
            # Removed from outside a moment ago: wait for the engine to finish, then the name is free again.
            for _ in range(100):
                try:
                    container.reload()
                except NotFound:
                    return None
                time.sleep(0.1)
        if not self._owned(container):
            raise NameTaken(
                f"a container named {self.container_name(node)} already exists and is not this lab's",
                "remove it yourself, or give the lab another name with --lab NAME",
            )
        return container

    def _get_network(self):
        matches = [net for net in self.client.networks.list(names=[self.network_name])
                   if net.name == self.network_name]
        if not matches:
            return None
        network = self.client.networks.get(matches[0].id)
        if not self._owned(network):
            raise NameTaken(f"a Docker network named {self.network_name} exists and is not this lab's",
                            "remove it yourself, or give the lab another name with --lab NAME")
        return network

    def name_clash(self) -> NameTaken | None:
        """The first container or network name this lab needs that something else holds, or None (doctor asks)."""
        try:
            for node in self.node_names:
                self._get_container(node)
            self._get_network()
        except NameTaken as taken:
            return taken
        return None

    # --- lifecycle ---------------------------------------------------------------------------------------

    def ensure_network(self):
        network = self._get_network()
        if network is None:
            # A user-defined network: Docker's DNS resolves the nodes by name, as RabbitMQ clustering needs.
            network = self.client.networks.create(self.network_name, driver="bridge", labels=self.labels,
                                                  internal=self.isolated, check_duplicate=True)
        return network

    def start_node(self, node: str, progress: ProgressCallback | None = None, image: str | None = None,
                   start: bool = True) -> Node:
        """Create (if needed) and start one node, as the notes' `docker run -tid --name celery-1 ... bash`; from
        `image` (a checkpoint's) instead of the lab image if given, and only created unless `start`."""
        target = self.node(node)
        container = self._get_container(node)
        if container is None:
            if image is None:
                self.image.ensure(progress)
            self.ensure_network()
            api = self.client.api
            networking = api.create_networking_config(
                {self.network_name: api.create_endpoint_config(aliases=[node])})
            host_config = api.create_host_config(init=True, network_mode=self.network_name, dns_opt=DNS_OPTIONS,
                                                 **self.limits.host_config())
            # The labels given here override those the image carries (a checkpoint's name no lab).
            created = api.create_container(
                image or self.image.tag, command=["bash"], name=self.container_name(node), hostname=node,
                tty=True, stdin_open=True, detach=True, labels={**self.labels, NODE_LABEL: node, OWNER_LABEL: _owner()},
                host_config=host_config, networking_config=networking,
            )
            container = self.client.containers.get(created["Id"])
        if start and container.status != "running":
            container.start()
        return target

    def stop_node(self, node: str) -> None:
        container = self._get_container(node)
        if container is not None and container.status == "running":
            container.stop(timeout=3)

    def remove_node(self, node: str) -> None:
        container = self._get_container(node)
        if container is not None:
            container.remove(force=True, v=True)

    def up(self, progress: ProgressCallback | None = None) -> list[NodeStatus]:
        self.image.ensure(progress)
        for node in self.node_names:
            self.start_node(node)
        return self.status()

    def down(self) -> int:
        """Remove every container and the network of this lab (found by label, whatever their names). Returns how many."""
        removed = 0
        api = self.client.api
        for container in _containers(self.client, f"{LABEL}={self.name}"):
            try:
                api.remove_container(container["Id"], force=True, v=True)
                removed += 1
            except NotFound:
                pass
            except APIError as exc:
                if "already in progress" not in str(exc):
                    raise
        for network in api.networks(filters={"label": f"{LABEL}={self.name}"}):
            try:
                api.remove_network(network["Id"])
                removed += 1
            except NotFound:
                pass
        for volume in (api.volumes(filters={"label": f"{LABEL}={self.name}"}) or {}).get("Volumes") or []:
            try:
                api.remove_volume(volume["Name"], force=True)
                removed += 1
            except NotFound:
                pass
        return removed

    def status(self) -> list[NodeStatus]:
        found = {c["Labels"].get(NODE_LABEL): c for c in _containers(self.client, f"{LABEL}={self.name}")}
        result = []
        for node in self.node_names:
            container = found.get(node)
            hostname = ""
            if container is not None:
                try:
                    hostname = self.client.api.inspect_container(container["Id"])["Config"]["Hostname"]
                except NotFound:
                    container = None
            if container is None:
                result.append(NodeStatus(node, self.container_name(node), "absent"))
            else:
                result.append(NodeStatus(node, container["Names"][0].lstrip("/"), container["State"], hostname))
        return result
