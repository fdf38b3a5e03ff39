"""Turns a step's Markdown into what the learner reads: captions, no checks, the solution hidden until asked."""

# The tutor's block attributes become captions, checks and hints are left out, the hints asked for come last.
from __future__ import annotations

import re

from celery_tutor.course.model import Lesson, Step
from celery_tutor.i18n import N_, _

HIDDEN_SOLUTION = N_("> *A block of this step is hidden: it is the solution. Try it yourself first; "
                   "**s** shows it, **d** lets the tutor do the step.*")


def caption(role: str, attrs: dict[str, str]) -> str:
    """One line saying where a block runs, in the learner's words."""
    node = attrs.get("node", "")
    if role == "lab":
        return f"▶ **Docker** · {attrs.get('action', '')} {node}"
    if role == "file":
        if attrs.get("from"):
            return f"▶ **{node}** · " + _("the file `{path}`, copied from {node}").format(
                path=attrs.get("path", ""), node=attrs["from"])
        return f"▶ **{node}** · " + _("the file `{path}`").format(path=attrs.get("path", ""))
    if role == "repl":
        return f"▶ **{node}** · " + _("typed into the Python REPL (`{session}` tab)").format(
            session=attrs.get("session", "python"))
    where = _(" in `{cwd}`").format(cwd=attrs["cwd"]) if attrs.get("cwd") else ""
    if attrs.get("background"):
        return f"▶ **{node}**{where} · " + _("runs in the background; its log is the `{tab}` tab").format(
            tab=attrs["background"])
    if attrs.get("session") == "shell":
        return f"▶ **{node}** · " + _("typed into the shell of the command line")
    if attrs.get("session"):
        return f"▶ **{node}** · " + _("typed into the shell of the `{tab}` tab").format(tab=attrs["session"])
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
                out.append(_(HIDDEN_SOLUTION))
            continue
        label = caption(role, attrs) + (" · " + _("*solution*") if "solution" in attrs else "")
        out.extend([label, "", *_fence(block.lang, block.body)])
    out.extend(lines[position:])
    text = "\n".join(out).rstrip() + "\n"
    for number, hint in enumerate(step.hints[:hints_shown], start=1):
        quoted = "\n".join(f"> {line}" if line else ">" for line in hint.split("\n"))
        heading = _("Hint {number} of {count}").format(number=number, count=len(step.hints))
        text += f"\n> **{heading}**\n>\n{quoted}\n"
    return re.sub(r"\n{3,}", "\n\n", text)


def lesson_intro(lesson: Lesson) -> str:
    """The lesson's title and introduction (the Markdown before its first step)."""
    return lesson.intro
