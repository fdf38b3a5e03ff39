"""Parses one lesson's Markdown into a Lesson, collecting every problem as `file:line: message`."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from celery_tutor.course.attributes import ACTION_ROLES, BY_NAME
from celery_tutor.course.model import Block, Lesson, Step
from celery_tutor.course.problems import Problem

FRONT_MATTER_KEYS = {"id": str, "title": str, "notes": str, "nodes": list}

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# A step's id ends its heading, in an HTML comment that Git hosts hide: `## Install it <!-- step: install -->`.
# The older `## Install it {#install}` is still read (GitHub shows it, so the shipped lessons do not use it).
STEP_ID = re.compile(r"\s*(?:<!--\s*step:\s*(?P<comment>.*?)\s*-->|\{#(?P<braces>[^}]*)\})\s*$")
_INFO = re.compile(r"^(?P<lang>[^\s{]*)\s*\{(?P<attrs>.*)\}\s*$")

_markdown = MarkdownIt("commonmark").use(front_matter_plugin)


def parse_attrs(text: str) -> tuple[str, dict[str, str]]:
    """Split `run node=celery-1 cwd="/a b" solution` into its role and attributes; raises ValueError."""
    words = shlex.split(text)
    if not words:
        raise ValueError("empty attribute braces: a role such as run, check or hint must come first")
    role, attrs = words[0], {}
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if key in attrs:
            raise ValueError(f"attribute {key!r} given twice")
        attrs[key] = value if sep else ""
    return role, attrs


def _check_block(role: str, attrs: dict[str, str], nodes: list[str], report) -> bool:
    """Validates one block's attributes against their declaration; reports each problem, says if it is usable."""
    if role not in BY_NAME:
        report(f"unknown role {role!r} (expected one of: {', '.join(BY_NAME)})")
        return False
    declared = BY_NAME[role]
    problems = []
    for name, value in attrs.items():
        key = declared.key(name)
        if key is None:
            known = ", ".join(key.name for key in declared.keys) or "none"
            problems.append(f"unknown attribute {name!r} for a {role} block (known: {known})")
        elif name in ("node", "from") and value not in nodes:
            problems.append(f"unknown node {value!r} (the lab has: {', '.join(nodes)})")
        elif (value or not key.required) and (problem := key.problem(value)):
            problems.append(problem)
    problems += [f"a {role} block needs {key.name}=" for key in declared.keys
                 if key.required and not attrs.get(key.name)]
    if role == "check" and bool(attrs.get("node")) == bool(attrs.get("session")):
        problems.append("a check block needs exactly one of node= (a script) or session= (patterns)")
    if role == "run" and "background" in attrs and "session" in attrs:
        problems.append("a run block is either background= or session=, not both")
    for problem in problems:
        report(problem)
    return not problems


def _check_patterns(block: Block, report) -> None:
    for offset, pattern in enumerate(block.body.splitlines(), start=1):
        if pattern.strip():
            try:
                re.compile(pattern)
            except re.error as exc:
                report(f"check pattern is not a valid regular expression: {exc}", block.line + offset)


def parse_lesson(path: Path, text: str, nodes: list[str]) -> tuple[Lesson | None, list[Problem]]:
    """Parse a lesson file. Returns the lesson (None if it is unusable) and every problem found."""
    problems: list[Problem] = []

    def report(message: str, line: int) -> None:
        problems.append(Problem(path, line, message))

    try:
        tokens = _markdown.parse(text)
    except Exception as exc:  # markdown-it is lenient; this is a safety net for pathological input
        return None, [Problem(path, 1, f"cannot parse the Markdown: {exc}")]
    lines = text.splitlines()

    meta: dict = {}
    if not tokens or tokens[0].type != "front_matter":
        report("no front matter: the file must start with --- and the keys id, title, notes, nodes", 1)
    else:
        import yaml  # here: a cached course is loaded without it, and YAML costs the tutor's start

        try:
            loaded = yaml.safe_load(tokens[0].content)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = 2 + mark.line if mark else 1
            reason = getattr(exc, "problem", None) or "invalid YAML"
            report(f"front matter is not valid YAML: {reason}", line)
            loaded = {}
        if loaded is None:
            loaded = {}
        if not isinstance(loaded, dict):
            report("front matter must be a mapping of keys to values", 1)
            loaded = {}
        meta = loaded
        for key, kind in FRONT_MATTER_KEYS.items():
            if key not in meta:
                report(f"front matter lacks {key!r}", 1)
            elif not isinstance(meta[key], kind):
                report(f"front matter {key!r} must be a {'list' if kind is list else 'text'}", 1)
        for key in meta:
            if key not in FRONT_MATTER_KEYS:
                report(f"unknown front matter key {key!r} (known: {', '.join(FRONT_MATTER_KEYS)})", 1)
        if isinstance(meta.get("id"), str) and not _ID.match(meta["id"]):
            report(f"lesson id {meta['id']!r} must be lowercase letters, digits and -", 1)
        for node in meta.get("nodes") or [] if isinstance(meta.get("nodes"), list) else []:
            if node not in nodes:
                report(f"unknown node {node!r} in nodes (the lab has: {', '.join(nodes)})", 1)

    steps: list[Step] = []
    heading_lines: list[int] = []  # 0-based start line of every h2, to slice each step's Markdown
    intro_start = tokens[0].map[1] if tokens and tokens[0].type == "front_matter" and tokens[0].map else 0
    pending_title: Step | None = None
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            inline = tokens[index + 1]
            line = token.map[0] + 1
            title = inline.content
            match = STEP_ID.search(title)
            if match:
                step_id, title = match.group("comment") or match.group("braces") or "", title[: match.start()].strip()
                if not _ID.match(step_id):
                    report(f"step id {step_id!r} must be lowercase letters, digits and -", line)
            else:
                step_id = ""
                report("step heading lacks an id: end it with <!-- step: step-id -->", line)
            if step_id and any(step.id == step_id for step in steps):
                report(f"step id {step_id!r} is used twice in this lesson", line)
            heading_lines.append(token.map[0])
            pending_title = Step(id=step_id, title=title, line=line, markdown="")
            steps.append(pending_title)
        elif token.type == "fence":
            line = token.map[0] + 1
            closing = lines[token.map[1] - 1].strip() if token.map[1] - 1 < len(lines) else ""
            if token.map[1] - token.map[0] < 2 or not closing.startswith(token.markup):
                report("code block is never closed (a fence with no closing ```)", line)
                continue
            info = token.info.strip()
            if "{" not in info:
                continue  # a block that is only shown
            match = _INFO.match(info)
            if not match:
                report(f"cannot read the block's attributes {info!r}: expected LANG {{role key=value ...}}", line)
                continue
            try:
                role, attrs = parse_attrs(match.group("attrs"))
            except ValueError as exc:
                report(f"cannot read the block's attributes: {exc}", line)
                continue
            usable = _check_block(role, attrs, nodes, lambda message: report(message, line))
            declared = meta.get("nodes") if isinstance(meta.get("nodes"), list) else None
            if declared is not None and attrs.get("node") in nodes and attrs["node"] not in declared:
                report(f"node {attrs['node']!r} is not among this lesson's nodes ({', '.join(map(str, declared))}): "
                       "add it to `nodes` in the front matter", line)
            if pending_title is None:
                report(f"a {role} block must be inside a step (under a ## heading)", line)
                continue
            if not usable:
                continue
            block = Block(role=role, body=token.content, attrs=attrs, line=line, lang=match.group("lang"))
            step_start = heading_lines[-1]
            pending_title.fences.append((token.map[0] - step_start, token.map[1] - step_start, block))
            if role == "check":
                if block.session:
                    _check_patterns(block, report)
                pending_title.checks.append(block)
            elif role == "hint":
                pending_title.hints.append(block.body.strip())
            else:
                assert role in ACTION_ROLES
                pending_title.actions.append(block)

    for step, start, end in zip(steps, heading_lines, heading_lines[1:] + [len(lines)]):
        heading = STEP_ID.sub("", lines[start])  # the id is the tutor's: the learner reads the bare title
        step.markdown = "\n".join([heading, *lines[start + 1:end]]).strip() + "\n"
        if not step.checks:
            report(f"step {step.id or step.title!r} has no check block: every step needs one", step.line)
    if not steps:
        report("the lesson has no steps (## headings)", max(1, intro_start + 1))
    intro = "\n".join(lines[intro_start : heading_lines[0] if heading_lines else len(lines)]).strip() + "\n"

    if any(key not in meta or not isinstance(meta[key], kind) for key, kind in FRONT_MATTER_KEYS.items()):
        return None, problems
    lesson = Lesson(
        id=meta["id"], title=meta["title"], notes=meta["notes"], nodes=list(meta["nodes"]),
        path=path, intro=intro, steps=steps,
    )
    return lesson, problems
