"""A lab node (one container): commands streamed with their exit codes, files written through the API."""

from __future__ import annotations

import codecs
import io
import shlex
import tarfile
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

import docker
from docker.errors import APIError, NotFound

from celery_tutor.lab.errors import LabError, NodeNotRunning
from celery_tutor.lab.in_node import LOG_DIR

OutputCallback = Callable[[str], None]
TIMED_OUT = 124  # coreutils `timeout` exits with this when it ended the command
_KILLED = (None, 137, 143, 255, 126)  # what an exec reports when its container was stopped, killed or removed
_KEEP = 256 * 1024  # of a command's output kept in memory; the panes and logs get all of it


class _Output:
    """A command's output as it is read: decoded, handed to the callback, its last _KEEP characters kept."""

    def __init__(self, on_output: OutputCallback | None):
        self.on_output = on_output
        self.done = threading.Event()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._kept: list[str] = []
        self._kept_size = 0
        self.chunks = 0
        self._lock = threading.Lock()
        self._closed = False

    def pump(self, stream) -> None:
        try:
            for pair in stream:
                for data in pair:
                    if data:
                        self._add(self._decoder.decode(data))
        except Exception:  # the connection was closed under us; the exit code still tells
            pass
        self._add(self._decoder.decode(b"", final=True))
        self.done.set()

    def _add(self, text: str) -> None:
        if not text:
            return
        with self._lock:
            if self._closed:  # the command was given up on; a daemon it left may still write
                return
            self.chunks += 1
            self._kept.append(text)
            self._kept_size += len(text)
            if self._kept_size > 2 * _KEEP:
                joined = "".join(self._kept)[-_KEEP:]
                self._kept, self._kept_size = [joined], len(joined)
            if self.on_output:
                self.on_output(text)

    def close(self) -> None:
        with self._lock:
            self._closed = True

    @property
    def text(self) -> str:
        with self._lock:
            return "".join(self._kept)


@dataclass
class ExecResult:
    exit_code: int
    output: str
    timed_out: bool = False
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.interrupted

    @property
    def last_line(self) -> str:
        lines = [line.strip() for line in self.output.splitlines() if line.strip()]
        return lines[-1] if lines else ""


class Node:
    """One container of the lab, by the name the notes give it (celery-1) and its container name."""

    def __init__(self, client: docker.DockerClient, name: str, container_name: str):
        self.client = client
        self.api = client.api
        self.name = name
        self.container_name = container_name

    def __repr__(self) -> str:
        return f"Node({self.name!r})"

    def container(self):
        try:
            return self.client.containers.get(self.container_name)
        except NotFound:
            raise NodeNotRunning(f"{self.name} does not exist", "start the lab (celery-tutor lab up)") from None

    def running(self) -> bool:
        try:
            return self.container().status == "running"
        except NodeNotRunning:
            return False

    def _exec_create(self, argv: list[str], workdir: str | None = None, **kwargs) -> str:
        try:
            return self.api.exec_create(self.container_name, argv, workdir=workdir, **kwargs)["Id"]
        except NotFound:
            raise NodeNotRunning(f"{self.name} does not exist", "start the lab (celery-tutor lab up)") from None
        except APIError as exc:
            if exc.status_code == 409 or "is not running" in str(exc):
                raise NodeNotRunning(f"{self.name} is not running", "start it again (celery-tutor lab up)") from None
            raise

    def exec(self, script: str, cwd: str = "/root", timeout: float = 60.0,
             on_output: OutputCallback | None = None, cancel: threading.Event | None = None) -> ExecResult:
        """Run a bash script in the node, streaming its output; ended after `timeout` seconds, or when
        `cancel` is set (as Ctrl+C would: SIGINT to the whole command)."""
        started = time.monotonic()
        token = uuid.uuid4().hex[:12]
        # `timeout` inside the container ends the command itself, not just our wait for it. It leads its own
        # process group, whose id (the script's parent pid) the pid file keeps so that a cancel can interrupt
        # everything the script started; the script removes the file as it ends, in the same exec: a second exec
        # would cost as much as a short command, and each process more in the chain slows every step. The script
        # travels in the environment, not in argv, so `pgrep -f`/`pkill -f` in a lesson never match it.
        pidfile = f"/run/celery-tutor/exec-{token}.pid"
        argv = ["timeout", "-k", "2", f"{timeout:g}", "bash", "-c",
                f'echo $PPID > {pidfile} 2>/dev/null; trap "rm -f {pidfile}" EXIT; eval "$CELERY_TUTOR_SCRIPT"']
        exec_id = self._exec_create(argv, workdir=cwd, environment={"CELERY_TUTOR_SCRIPT": script})
        stream = self.api.exec_start(exec_id, stream=True, demux=True)
        output = _Output(on_output)
        # The reading thread hands the output on itself (no queue between threads: a flood is thousands of
        # chunks); this thread only watches the clock, the cancel and whether the command still runs.
        reader = threading.Thread(target=output.pump, args=(stream,), daemon=True, name=f"exec-{self.name}")
        reader.start()
        deadline = started + timeout + 5
        idle_polls = 0
        interrupted = False
        seen = 0
        while not output.done.wait(0.1 if cancel is not None else 0.25):
            if cancel is not None and cancel.is_set() and not interrupted:
                interrupted = True
                self._interrupt(token)
            if output.chunks != seen:  # still talking: the engine may hold output the command wrote before ending
                seen, idle_polls = output.chunks, 0
            # A daemon the script started may hold the output pipe open after the script ended.
            elif not self.api.exec_inspect(exec_id)["Running"]:
                idle_polls += 1
                if idle_polls >= 2:
                    break
            if time.monotonic() > deadline:
                break
        output.close()
        try:
            stream.close()
        except Exception:
            pass
        info = self.api.exec_inspect(exec_id)
        if info["ExitCode"] in _KILLED and self._stopped_soon():
            raise NodeNotRunning(f"{self.name} stopped while the command was running",
                                 "recreate it (celery-tutor lab up) and run the step again")
        code = info["ExitCode"] if info["ExitCode"] is not None else TIMED_OUT
        elapsed = time.monotonic() - started
        timed_out = info["Running"] or (code in (TIMED_OUT, 137) and elapsed >= timeout)
        return ExecResult(code, output.text, timed_out and not interrupted, elapsed, interrupted)

    def _stopped_soon(self) -> bool:
        """Whether the container is stopping: the engine reports a kill from outside a moment after the exec ends."""
        for _ in range(10):
            if not self.running():
                return True
            time.sleep(0.05)
        return False

    def _interrupt(self, token: str) -> None:
        pidfile = f"/run/celery-tutor/exec-{token}.pid"
        self._quick(f'pid=$(cat {pidfile} 2>/dev/null) && kill -INT -- -"$pid" 2>/dev/null; '
                    f'sleep 1; [ -n "$pid" ] && kill -KILL -- -"$pid" 2>/dev/null; true')

    def _quick(self, script: str) -> None:
        """A short housekeeping command, not streamed and not waited on for long."""
        try:
            exec_id = self._exec_create(["bash", "-c", script], workdir="/")
            self.api.exec_start(exec_id, detach=True)
        except Exception:
            pass

    def start_background(self, name: str, script: str, cwd: str = "/root") -> int:
        """Start a script that keeps running (a worker); its output goes to LOG_DIR/NAME.log. Returns its pid."""
        log = f"{LOG_DIR}/{name}.log"
        launcher = (
            f"mkdir -p {LOG_DIR} /run/celery-tutor && cd {shlex.quote(cwd)} && "
            f"{{ setsid bash -c {shlex.quote(script)} >>{log} 2>&1 </dev/null & }} && "
            f"echo $! | tee /run/celery-tutor/{name}.pid"
        )
        result = self.exec(launcher, cwd="/", timeout=10)
        try:
            return int(result.last_line)
        except ValueError:
            raise NodeNotRunning(f"cannot start {name} in {self.name}: {result.last_line}", "") from None

    def follow(self, path: str, on_output: OutputCallback, cancel: threading.Event) -> None:
        """Stream a log file from its start and as it grows (`tail -F` waits for the file to appear) until
        `cancel` is set or the node stops: how a UI shows a background job's log live. Returns when it ends."""
        token = uuid.uuid4().hex[:12]
        pidfile = f"/run/celery-tutor/follow-{token}.pid"
        argv = ["bash", "-c", f"mkdir -p /run/celery-tutor; echo $$ > {pidfile}; "
                f"exec tail -n +1 -F {shlex.quote(path)} 2>/dev/null"]
        exec_id = self._exec_create(argv, workdir="/")
        stream = self.api.exec_start(exec_id, stream=True)
        ended = threading.Event()

        def stop_when_cancelled() -> None:
            # No polling of the engine while the log is quiet: only this thread waking up twice a second.
            while not cancel.wait(0.5):
                if ended.is_set():
                    return
            self._quick(f"kill -TERM $(cat {pidfile}) 2>/dev/null; rm -f {pidfile}")

        threading.Thread(target=stop_when_cancelled, daemon=True, name=f"follow-{self.name}").start()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        try:
            for data in stream:
                text = decoder.decode(data)
                if text:
                    on_output(text)
        except Exception:  # the container went away under us
            pass
        finally:
            ended.set()
            try:
                stream.close()
            except Exception:
                pass

    def get_file(self, path: str) -> bytes:
        """A file of the node, read through the API (as put_file writes one). Raises LabError when it is not there."""
        try:
            stream, _ = self.api.get_archive(self.container_name, path)
        except NotFound:
            try:
                self.api.inspect_container(self.container_name)
            except NotFound:
                raise NodeNotRunning(f"{self.name} does not exist", "start the lab (celery-tutor lab up)") from None
            raise LabError(f"{path} is not in {self.name}", "check the earlier steps ran there") from None
        try:
            with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
                member = tar.next()
                extracted = tar.extractfile(member) if member is not None and member.isfile() else None
                if extracted is None:
                    raise LabError(f"{path} in {self.name} is not a file", "copy the file a link points to")
                return extracted.read()
        except (tarfile.TarError, KeyError) as exc:
            raise LabError(f"{path} could not be read from {self.name} ({exc})", "") from None

    def put_file(self, path: str, content: str | bytes, mode: int = 0o644) -> None:
        """Write a file into the node through the API, so a remote engine works as well as a local one."""
        data = content.encode() if isinstance(content, str) else content
        directory, _, filename = path.rpartition("/")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            info = tarfile.TarInfo(filename)
            info.size, info.mode, info.mtime = len(data), mode, int(time.time())
            tar.addfile(info, io.BytesIO(data))
        self.exec(f"mkdir -p {shlex.quote(directory or '/')}", cwd="/", timeout=10)
        try:
            self.api.put_archive(self.container_name, directory or "/", buffer.getvalue())
        except NotFound:
            raise NodeNotRunning(f"{self.name} does not exist", "start the lab (celery-tutor lab up)") from None
