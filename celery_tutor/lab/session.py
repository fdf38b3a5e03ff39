"""Interactive sessions in a node (a Python REPL, a bash shell), driven by pexpect over the Docker API's socket."""

from __future__ import annotations

import re
import socket
import threading
from typing import Callable

import pexpect
from pexpect.fdpexpect import fdspawn

from celery_tutor.lab.in_node import PROMPT, PS1
from celery_tutor.lab.node import Node

OutputCallback = Callable[[str], None]
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\r")
# Live output keeps colours (SGR) and lone carriage returns (progress lines) for the UI to render; it drops the
# escapes that move a terminal's cursor or switch its modes, and turns the TTY's \r\n into \n.
_NOT_COLOUR = re.compile(r"\x1b\[[0-9;?]*[A-Za-ln-z]|\x1b[()][A-Z0-9]")


class _Live:
    """A file-like sink for pexpect's logfile_read that forwards what was read to the session's callback."""

    def __init__(self, session: "Session"):
        self.session = session

    def write(self, text: str) -> None:
        if self.session.on_output and text and not self.session._starting:
            self.session.on_output(_NOT_COLOUR.sub("", text).replace("\r\n", "\n"))

    def flush(self) -> None:
        pass


class SessionError(Exception):
    """The session ended or stopped answering."""


class Session:
    """A program with a prompt running on a TTY in a node. Subclasses say how to start it and read its prompt."""

    argv: list[str] = []
    prompts: list[str] = []

    def __init__(self, node: Node, name: str, cwd: str = "/root", on_output: OutputCallback | None = None):
        self.node = node
        self.name = name
        self.cwd = cwd
        self.on_output = on_output
        self.transcript: list[str] = []  # everything the program printed, echo of the input included
        self._lock = threading.Lock()
        self._starting = True  # the start-up chatter (bash's prompt swap) is not shown live, only the first prompt
        exec_id = node._exec_create(self.argv, workdir=cwd, stdin=True, tty=True,
                                    environment={"TERM": "dumb", "PYTHONUNBUFFERED": "1"})
        # The socket is the whole transport: no docker CLI is needed, and a remote engine works too.
        self._socket = node.api.exec_start(exec_id, socket=True, tty=True)
        try:
            # A wide terminal: readline would otherwise scroll long lines sideways and garble the transcript.
            node.api.exec_resize(exec_id, height=50, width=400)
        except Exception:
            pass
        raw = getattr(self._socket, "_sock", self._socket)
        self._raw = raw
        self.child = fdspawn(raw.fileno(), encoding="utf-8", codec_errors="replace", timeout=30)
        # Output reaches the callback as pexpect reads it, so a long command streams live, not at its prompt.
        self.child.logfile_read = _Live(self)
        self.exec_id = exec_id
        self._ready(30)
        self._starting = False
        if self.on_output and self.child.after:
            self.on_output(_ANSI.sub("", self.child.after))

    def _ready(self, timeout: float) -> None:
        """Wait for the program's first prompt."""
        self._wait_prompt(timeout)

    def _wait_prompt(self, timeout: float) -> tuple[str, int]:
        try:
            index = self.child.expect(self.prompts, timeout=timeout)
        except pexpect.TIMEOUT:
            self._record(self.child.before or "")
            raise SessionError(f"{self.name} did not answer within {timeout:g} s") from None
        except pexpect.EOF:
            self._record(self.child.before or "")
            raise SessionError(f"{self.name} ended") from None
        text = (self.child.before or "") + (self.child.after or "")
        self._record(text)
        return self.child.before or "", index

    def _record(self, text: str) -> None:
        if text:
            self.transcript.append(_ANSI.sub("", text))

    def send_line(self, line: str, timeout: float = 30) -> str:
        """Type one line and wait for the next prompt; returns what the program printed (without the echo)."""
        with self._lock:
            self._drain()
            self.child.sendline(line)
            before, self.last_prompt = self._wait_prompt(timeout)
        output = _ANSI.sub("", before)
        # The TTY echoes what was typed: the first line is our own input.
        printed = output.split("\n", 1)[1] if "\n" in output else ""
        # The newline before the prompt belongs to the prompt's pattern; give it back to the output.
        return printed + "\n" if printed and not printed.endswith("\n") else printed

    def _drain(self) -> None:
        """What came while no line waited (the prompt after a late Ctrl+C, a background job's words): shown and
        recorded, so that the next line's prompt is never taken from it."""
        pending = [self.child.buffer]
        self.child.buffer = ""
        try:
            while True:
                pending.append(self.child.read_nonblocking(65536, timeout=0))
        except (pexpect.TIMEOUT, pexpect.EOF, OSError):
            pass
        self._record("".join(pending))

    def interrupt(self) -> None:
        """Ctrl+C for the line that runs. An idle prompt gets nothing: it would answer with a new prompt, which the
        next line would take for its own (its output then shown one line late, with status 130)."""
        if self.busy:
            self.child.send("\x03")  # through the TTY; fdspawn has no sendcontrol()

    @property
    def busy(self) -> bool:
        """A line was sent and its prompt has not come back yet (a command still runs, or asks for input)."""
        return self._lock.locked()

    def type_line(self, line: str) -> None:
        """Type a line without waiting for a prompt: the answer to a question a running command asked."""
        self.child.sendline(line)

    def text(self) -> str:
        return "".join(self.transcript)

    @property
    def alive(self) -> bool:
        try:
            return bool(self.node.api.exec_inspect(self.exec_id)["Running"])
        except Exception:
            return False

    def close(self) -> None:
        """End the program (Ctrl+D; fdspawn has no sendeof) and the connection. Shutting the socket down also
        wakes a thread still waiting in expect() for a prompt, so no thread outlives the session."""
        endings = [lambda: self.child.send("\x04"), lambda: self._raw.shutdown(socket.SHUT_RDWR),
                   self._socket.close]
        for ending in endings:
            try:
                ending()
            except Exception:
                pass


class PythonSession(Session):
    """`python3 -q` in the node: the notes' `>>>` steps."""

    argv = ["python3", "-q"]
    # A prompt starts a line and is the last thing printed (nothing follows until we type), so a `>>> ` or `... `
    # inside the output of a statement is never taken for one. Readline redraws the first prompt after a carriage
    # return when the terminal's resize reaches it just after python3 printed it.
    prompts = [r"(?:^|[\r\n])>>> \Z", r"(?:^|[\r\n])\.\.\. \Z"]

    def __init__(self, *args, **kwargs):
        self.last_prompt = 0
        super().__init__(*args, **kwargs)

    def run_lines(self, lines: list[str], timeout: float = 30) -> str:
        """Type `>>>` statements and their `...` continuations; an open block is closed before the next statement."""
        output = []
        for line, continues in lines_to_type(lines):
            if self.last_prompt == 1 and not continues:
                output.append(self.send_line("", timeout))
            output.append(self.send_line(line, timeout))
        if self.last_prompt == 1:
            output.append(self.send_line("", timeout))
        return "".join(output)


def lines_to_type(snippet: list[str]) -> list[tuple[str, bool]]:
    """The lines of a REPL snippet to type, each with whether it continues the statement before it.
    Lines without a `>>> ` or `... ` prompt are expected output, shown to the learner and not typed."""
    typed = []
    for line in snippet:
        if line.startswith(">>>"):
            typed.append((line[4:] if line.startswith(">>> ") else line[3:], False))
        elif line.startswith("..."):
            typed.append((line[4:] if line.startswith("... ") else line[3:], True))
    return typed


class ShellSession(Session):
    """An interactive bash whose prompt carries the last exit status, so scripts sent to it can be judged."""

    argv = ["bash", "--norc", "-i"]
    prompts = [PROMPT.pattern]

    def __init__(self, *args, **kwargs):
        self.last_prompt = 0
        super().__init__(*args, **kwargs)

    def _ready(self, timeout: float) -> None:
        # Swap bash's prompt for ours (the echo of this line shows `$?`, not digits, so it cannot match),
        # and turn off bracketed paste, whose escapes pollute the output.
        self.child.sendline(f"bind 'set enable-bracketed-paste off' 2>/dev/null; PS1='{PS1}'; PS2=''")
        self._wait_prompt(timeout)

    @property
    def last_status(self) -> int:
        match = self.child.match
        return int(match.group(1)) if match and hasattr(match, "group") else 0
