"""Faults injected for real: nodes stopped, killed or removed mid-step, the engine lost mid-step, floods, hangs."""

from __future__ import annotations

import socket
import threading

import pytest

from celery_tutor.course.model import Block
from celery_tutor.engine.runner import StepRunner
from celery_tutor.lab.engine import connect
from celery_tutor.lab.lab import Lab

from conftest import new_lab_name

pytestmark = pytest.mark.lab


def run_block(body: str, **attrs) -> Block:
    return Block(role="run", body=body, attrs={"node": "celery-1", **attrs}, line=1)


@pytest.mark.parametrize("fault", ["stop", "kill", "remove"])
def test_a_node_lost_mid_step_is_named_and_can_be_recreated(lab, docker_client, fault):
    lab.start_node("celery-1")
    runner = StepRunner(lab)
    container = docker_client.containers.get(f"{lab.name}-celery-1")
    act = {"stop": lambda: container.stop(timeout=1), "kill": container.kill,
           "remove": lambda: container.remove(force=True)}[fault]
    threading.Timer(1.0, act).start()
    result = runner.run_action(run_block("echo working; sleep 30"))
    assert not result.ok
    assert result.reason.startswith("celery-1 stopped while the command was running")
    assert "recreate it" in result.reason
    lab.start_node("celery-1")  # what "recreate" does
    assert runner.run_action(run_block("echo back")).ok


class SocketProxy:
    """A TCP front for the local Docker socket that a test can cut and restore: the engine 'going away'."""

    def __init__(self, target: str = "/var/run/docker.sock"):
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for each in (source, sink):
            try:
                each.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        self.open = False
        for each in self.sockets:
            try:
                each.shutdown(socket.SHUT_RDWR)
                each.close()
            except OSError:
                pass
        self.sockets.clear()

    def restore(self) -> None:
        self.open = True

    def close(self) -> None:
        self.cut()
        self.listener.close()


def test_the_engine_lost_mid_step_is_a_reason_and_the_step_can_be_retried(lab_image):
    proxy = SocketProxy()
    name = new_lab_name()
    try:
        lab = Lab(connect(f"tcp://127.0.0.1:{proxy.port}"), name=name, image=lab_image)
        lab.start_node("celery-1")
        runner = StepRunner(lab)
        threading.Timer(1.0, proxy.cut).start()
        result = runner.run_action(run_block("echo working; sleep 20; touch /done"))
        assert not result.ok
        assert result.reason.startswith("lost the Docker engine during the step")
        check = Block(role="check", body="test -f /done", attrs={"node": "celery-1"}, line=1)
        assert runner.check_block(check).reason == "lost the Docker engine during the step"
        proxy.restore()
        assert runner.run_action(run_block("touch /done")).ok
        assert runner.check_block(check).passed
    finally:
        proxy.restore()
        Lab(connect(), name=name).down()
        proxy.close()


def test_a_flood_of_output_is_kept_bounded_and_a_hang_is_ended(lab):
    node = lab.start_node("celery-1")
    received = []
    flood = node.exec("seq 1 1000000", on_output=lambda text: received.append(len(text)))
    assert flood.ok and sum(received) == len("".join(f"{n}\n" for n in range(1, 1000001)))
    assert len(flood.output) <= 512 * 1024 and flood.last_line == "1000000"  # the end is what is kept
    endless = node.exec("yes 'never stops'", timeout=2, on_output=lambda text: None)
    assert endless.timed_out and endless.seconds < 10
    invalid = node.exec(r"printf 'bad \xff\xfe bytes \x1b[2J\x1b[H and on\n'")
    assert invalid.ok and "\ufffd" in invalid.output and "and on" in invalid.output
