"""The lab on the real Docker engine: containers, network, labels, streamed commands, sessions."""

from __future__ import annotations

import threading
import time

import pytest

from celery_tutor.lab.errors import NameTaken, NodeNotRunning
from celery_tutor.lab.image import LABEL
from celery_tutor.lab.session import PythonSession, ShellSession

pytestmark = pytest.mark.lab


def test_up_gives_three_named_nodes_that_resolve_each_other(lab):
    statuses = lab.up()
    assert [(s.name, s.state, s.hostname) for s in statuses] == [
        ("celery-1", "running", "celery-1"), ("celery-2", "running", "celery-2"), ("celery-3", "running", "celery-3")]
    assert statuses[0].container == f"{lab.name}-celery-1"
    result = lab.node("celery-1").exec("hostname; getent hosts celery-2 celery-3 | wc -l")
    assert result.output.split() == ["celery-1", "2"]
    container = lab.client.containers.get(f"{lab.name}-celery-2")
    assert container.labels[LABEL] == lab.name
    assert not container.attrs["HostConfig"]["Privileged"]
    assert container.attrs["Mounts"] == []
    assert lab.client.networks.get(lab.name).attrs["Labels"][LABEL] == lab.name


def test_nothing_is_installed_that_the_course_teaches(lab):
    node = lab.start_node("celery-1")
    result = node.exec("command -v rabbitmq-server python3 pip celery; ls /var/lib/rabbitmq 2>&1; "
                       "ls /var/cache/apt/archives | grep -c '^rabbitmq-server_'")
    assert result.output.split("\n")[0].startswith("ls:")  # none of the commands exists, no cookie dir either
    assert result.output.strip().endswith("1")  # but the package is staged


def test_down_removes_everything_of_the_lab_and_nothing_else(lab, docker_client):
    foreign = docker_client.containers.run("debian:bookworm-slim", "sleep 60", detach=True,
                                           name=f"{lab.name}-celery-2")
    try:
        lab.start_node("celery-1")
        with pytest.raises(NameTaken) as taken:
            lab.start_node("celery-2")
        assert "--lab NAME" in taken.value.fix
        assert lab.down() == 2  # celery-1 and the network
        assert [s.state for s in lab.status()] == ["absent"] * 3
        foreign.reload()
        assert foreign.status == "running"
    finally:
        foreign.remove(force=True)


def test_exec_streams_output_with_exit_codes_and_timeouts(lab):
    node = lab.start_node("celery-1")
    seen = []
    result = node.exec("echo one; echo two >&2; sleep 0.2; echo three; exit 3", on_output=seen.append)
    assert (result.exit_code, result.ok) == (3, False)
    assert all(word in "".join(seen) for word in ("one", "two", "three"))  # stdout and stderr, as they came
    assert result.last_line == "three"
    hung = node.exec("sleep 30", timeout=1)
    assert hung.timed_out and hung.seconds < 10
    cancel = threading.Event()
    # Ctrl+C once the command runs (a timer could fire before it began), then every process it started is ended:
    # the background one, which ignores SIGINT as a script's background jobs do, by the SIGKILL a second later.
    stopped = node.exec("echo started; sleep 30 & sleep 31; echo never", timeout=60, cancel=cancel,
                        on_output=lambda text: "started" in text and cancel.set())
    assert stopped.interrupted and "never" not in stopped.output
    deadline = time.monotonic() + 15
    while (left := node.exec("pgrep -c -x sleep").output.strip()) != "0" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == "0", f"{left} sleep process(es) outlived the Ctrl+C"


def test_files_go_in_through_the_api(lab):
    node = lab.start_node("celery-1")
    node.put_file("/root/app/tasks.py", "print('hello from the file')\n", mode=0o600)
    result = node.exec("stat -c %a /root/app/tasks.py && cat /root/app/tasks.py")
    assert result.output.splitlines()[:2] == ["600", "print('hello from the file')"]


def test_a_stopped_node_is_named(lab):
    lab.start_node("celery-1")
    lab.stop_node("celery-1")
    with pytest.raises(NodeNotRunning) as stopped:
        lab.node("celery-1").exec("true")
    assert "celery-1 is not running" in stopped.value.reason


def test_interactive_sessions(lab):
    node = lab.start_node("celery-1")
    node.exec("apt-get install -y python3 >/dev/null 2>&1", timeout=120)
    python = PythonSession(node, "python")
    assert python.send_line("6 * 7").strip() == "42"
    assert python.run_lines([">>> def twice(x):", "...     return 2 * x", ">>> twice(21)", "42"]).strip() == "42"
    assert "ZeroDivisionError" in python.send_line("1 / 0")
    shell = ShellSession(node, "shell")
    assert shell.send_line("cd /tmp && pwd").strip() == "/tmp"
    assert shell.send_line("false") == "" and shell.last_status == 1
    assert shell.send_line("pwd").strip() == "/tmp"  # the same shell: cd carried over
    python.close()
    shell.close()
