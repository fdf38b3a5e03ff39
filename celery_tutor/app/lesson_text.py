"""Turns a step's Markdown into what the learner reads: captions, no checks, the solution hidden until asked."""

# The tutor's block attributes become captions, checks and hints are left out, the hints asked for come last.
from __future__ import annotations

import re

from celery_tutor.course.model import Lesson, Step

HIDDEN_SOLUTION = ("> *A block of this step is hidden: it is the solution. Try it yourself first; "
                   "**s** shows it, **d** lets the tutor do the step.*")


def caption(role: str, attrs: dict[str, str]) -> str:
    """One line saying where a block runs, in the learner's words."""
    node = attrs.get("node", "")
    if role == "lab":
        return f"▶ **Docker** · {attrs.get('action', '')} {node}"
    if role == "file":
        copied = f", copied from {attrs['from']}" if attrs.get("from") else ""
        return f"▶ **{node}** · the file `{attrs.get('path', '')}`{copied}"
    if role == "repl":
        return f"▶ **{node}** · typed into the Python REPL (`{attrs.get('session', 'python')}` tab)"
    where = f" in `{attrs['cwd']}`" if attrs.get("cwd") else ""
    if attrs.get("background"):
        return f"▶ **{node}**{where} · runs in the background; its log is the `{attrs['background']}` tab"
    if attrs.get("session") == "shell":
        return f"▶ **{node}** · typed into the shell of the command line"
    if attrs.get("session"):
        return f"▶ **{node}** · typed into the shell of the `{attrs['session']}` tab"
    return f"▶ **{node}**{where}"


def _fence(lang: str, body: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`{3,}", body)), default=2)
    ticks = "`" * max(3, longest + 1)
    return [f"{ticks}{lang}", *body.rstrip("\n").split("\n"), ticks]


def learner_markdown(step: Step, revealed: bool = False, hints_shown: int = 0) -> str:
    """The step as the learner reads it."""
    lines = step.markdown.split("\n")
    out: list[str] = []
    position = 0
    hidden = 0
    for start, end, block in step.fences:
        out.extend(lines[position:start])
        position = end
        role, attrs = block.role, block.attrs
        if role in ("check", "hint"):
            continue
        if "solution" in attrs and not revealed:
            hidden += 1
            if hidden == 1:
                out.append(HIDDEN_SOLUTION)
            continue
        label = caption(role, attrs) + (" · *solution*" if "solution" in attrs else "")
        out.extend([label, "", *_fence(block.lang, block.body)])
    out.extend(lines[position:])
    text = "\n".join(out).rstrip() + "\n"
    for number, hint in enumerate(step.hints[:hints_shown], start=1):
        quoted = "\n".join(f"> {line}" if line else ">" for line in hint.split("\n"))
        text += f"\n> **Hint {number} of {len(step.hints)}**\n>\n{quoted}\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def lesson_intro(lesson: Lesson) -> str:
    """The lesson's title and introduction (the Markdown before its first step)."""
    return lesson.intro
