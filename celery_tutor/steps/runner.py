"""StepRunner: does what a step's blocks say in the lab, keeps its interactive sessions, and runs its checks."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

from celery_tutor.course.model import Block, Step
from celery_tutor.course.check_messages import translate
from celery_tutor.steps.check import CheckResult, WaitCallback, judge_patterns, judge_script, retry
from celery_tutor.lab.docker_engine import CONNECTION_ERRORS, engine_lost
from celery_tutor.lab.errors import LabError
from celery_tutor.lab.lab import Lab
from celery_tutor.lab.node import LOG_DIR
from celery_tutor.lab.session import PythonSession, Session, SessionError, ShellSession

# Where output came from ("celery-1", "celery-1/python", "celery-1/worker") and a chunk of it.
OutputCallback = Callable[[str, str], None]
# A background job was started: (node, name, path of its log in the node), so a UI can follow the log.
BackgroundCallback = Callable[[str, str, str], None]


@dataclass
class ActionResult:
    ok: bool
    reason: str = ""
    seconds: float = 0.0


class StepRunner:
    """Runs steps in one lab. A step's run or check, lines the learner types and sessions they open may use it from
    threads of their own at once: the table of sessions is only read or changed under its lock."""

    def __init__(self, lab: Lab, on_output: OutputCallback | None = None,
                 on_background: BackgroundCallback | None = None):
        self.lab = lab
        self.on_output = on_output or (lambda source, text: None)
        self.on_background = on_background
        self._sessions: dict[tuple[str, str], Session] = {}
        self._marks: dict[tuple[str, str], int] = {}
        self._table = threading.Lock()  # guards _sessions and _marks; held for no more than a look or a change
        self._starting = threading.Lock()  # one session starts at a time, so no two start under one name
        self.cancel = threading.Event()  # set by interrupt(): the running command gets Ctrl+C

    # --- sessions ---------------------------------------------------------------------------------------

    def session(self, node: str, name: str, kind: type[Session], cwd: str = "/root") -> Session:
        """The named session in the node, started on first use and started again if it died."""
        key = (node, name)
        with self._starting:  # starting takes seconds: only _starting is held meanwhile, never the table's lock
            session = self.find_session(node, name)
            if session is None or not session.alive:
                source = f"{node}/{name}"
                session = kind(self.lab.node(node), name, cwd=cwd,
                               on_output=lambda text, source=source: self.on_output(source, text))
                with self._table:
                    self._sessions[key] = session
                    self._marks[key] = 0
            return session

    def find_session(self, node: str, name: str) -> Session | None:
        """The named session if it was started (alive or not); never starts one."""
        with self._table:
            return self._sessions.get((node, name))

    @property
    def sessions(self) -> dict[tuple[str, str], Session]:
        """A copy of the table of sessions, safe to walk while other threads start sessions."""
        with self._table:
            return dict(self._sessions)

    def is_python(self, node: str, name: str) -> bool | None:
        """Whether the named session is a Python REPL; None if it was never started."""
        session = self.find_session(node, name)
        return None if session is None else isinstance(session, PythonSession)

    def begin_step(self, step: Step) -> None:
        """Session checks read only what was printed from here on."""
        with self._table:
            for key, session in self._sessions.items():
                self._marks[key] = len(session.transcript)

    def session_output(self, node: str, name: str) -> str | None:
        with self._table:
            session = self._sessions.get((node, name))
            mark = self._marks.get((node, name), 0)
        if session is None:
            return None
        return "".join(session.transcript[mark:])

    # --- actions ----------------------------------------------------------------------------------------

    def run_action(self, block: Block) -> ActionResult:
        started = time.monotonic()
        try:
            reason = self._act(block)
        except LabError as exc:
            reason = f"{exc.reason}; {exc.fix}" if exc.fix else exc.reason
        except SessionError as exc:
            reason = str(exc)
        except CONNECTION_ERRORS as exc:
            lost = engine_lost(exc)
            reason = f"{lost.reason}; {lost.fix}"
        return ActionResult(reason is None, reason or "", time.monotonic() - started)

    def _act(self, block: Block) -> str | None:
        """Carries out one block; returns why it failed, or None."""
        node_name = block.node or ""
        source = block.source
        if block.role == "lab":
            action = block.get("action")
            if action == "start":
                self.lab.start_node(node_name)
            elif action == "stop":
                self.lab.stop_node(node_name)
            elif action == "remove":
                self.lab.remove_node(node_name)
            self.on_output(node_name, f"[lab] {action} {node_name}: done\n")
            return None
        node = self.lab.node(node_name)
        if block.role == "file":
            origin = block.get("from")
            content = self.lab.node(origin).get_file(block.get("path")) if origin else block.body
            node.put_file(block.get("path"), content, int(block.get("mode"), 8))
            copied = f" as it is in {origin}" if origin else ""
            self.on_output(node_name, f"[file] wrote {block.get('path')}{copied}\n")
            return None
        if block.role == "repl":
            session = self.session(node_name, block.session, PythonSession, block.get("cwd"))
            session.run_lines(block.body.splitlines(), timeout=block.timeout)
            return None
        # role == "run"
        cwd = block.get("cwd")
        if block.get("background"):
            name = block.get("background")
            pid = node.start_background(name, block.body, cwd=cwd)
            log = f"{LOG_DIR}/{name}.log"
            self.on_output(source, f"[started {name} in the background, pid {pid}, log {log}]\n")
            if self.on_background:
                self.on_background(node_name, name, log)
            return None
        if block.session:
            shell = self.session(node_name, block.session, ShellSession, cwd)
            for line in (line for line in block.body.splitlines() if line.strip()):
                shell.send_line(line, timeout=block.timeout)
                if shell.last_status != 0:
                    return f"`{line.strip()}` exited with status {shell.last_status}"
            return None
        result = node.exec(block.body, cwd=cwd, timeout=block.timeout,
                           on_output=lambda text: self.on_output(source, text), cancel=self.cancel)
        if result.interrupted:
            return "interrupted (Ctrl+C)"
        if result.timed_out:
            return f"the command did not finish within {block.timeout:g} s and was stopped"
        if not result.ok:
            first = block.body.strip().splitlines()[0] if block.body.strip() else "the command"
            tail = f": {result.last_line}" if result.last_line else ""
            return f"`{first[:60]}` exited with status {result.exit_code}{tail}"
        return None

    def run_actions(self, step: Step, include_solution: bool = True,
                    on_block: Callable[[Block], None] | None = None) -> ActionResult:
        """The step's actions in order (the solution-only ones too, unless told not to); stops at the first failure.
        `on_block` is told of each block just before it runs (a UI echoes the command, as a terminal would)."""
        started = time.monotonic()
        self.cancel.clear()
        for block in step.actions:
            if block.solution and not include_solution:
                continue
            if self.cancel.is_set():
                return ActionResult(False, "interrupted (Ctrl+C)", time.monotonic() - started)
            if on_block:
                on_block(block)
            result = self.run_action(block)
            if not result.ok:
                result.seconds = time.monotonic() - started
                return result
        return ActionResult(True, "", time.monotonic() - started)

    # --- checks -----------------------------------------------------------------------------------------

    def check_block(self, block: Block, retries: bool = True, on_wait: WaitCallback | None = None) -> CheckResult:
        if block.node:
            node = self.lab.node(block.node)
            return retry(lambda: judge_script(block, node), block, retries, on_wait, self.cancel)
        name = block.session or "python"
        node = self._session_node(name)
        return retry(lambda: judge_patterns(block, name, self.session_output(node, name) if node else None),
                     block, retries, on_wait, self.cancel)

    def _session_node(self, name: str) -> str | None:
        with self._table:
            return next((node for node, session_name in self._sessions if session_name == name), None)

    def check(self, step: Step, retries: bool = True, on_wait: WaitCallback | None = None) -> CheckResult:
        """All of the step's checks, in order; the first failure is the result. interrupt() ends the retrying."""
        started = time.monotonic()
        self.cancel.clear()
        result = CheckResult(True, "")
        if step.reasons and on_wait:  # the reason between tries in the course's language too
            told = on_wait
            on_wait = lambda number, tries, delay, reason: told(number, tries, delay, translate(reason, step.reasons))
        for block in step.checks:
            result = self.check_block(block, retries, on_wait)
            if not result.passed:
                break
        result.seconds = time.monotonic() - started
        if step.reasons:  # the script printed English; the learner reads the course's language
            result.reason = translate(result.reason, step.reasons)
        return result

    def interrupt(self) -> None:
        """Ctrl+C for whatever the runner is doing: the streamed command, and every interactive session."""
        self.cancel.set()
        for session in self.sessions.values():
            session.interrupt()

    def close(self) -> None:
        with self._table:
            sessions = list(self._sessions.values())
            self._sessions.clear()
            self._marks.clear()
        for session in sessions:
            session.close()
