"""The block attributes of the lesson format, declared once: the parser, the model and the docs table follow them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_MODE = re.compile(r"^[0-7]{3,4}$")


# What a key's value may be: each returns why a value is wrong, or None.
def _number(key: str, value: str) -> str | None:
    try:
        if float(value) >= 0:
            return None
    except ValueError:
        pass
    return f"{key}={value!r} is not a number of seconds or tries"


def _name(key: str, value: str) -> str | None:
    return None if _NAME.match(value) else f"{key}={value!r} is not a simple name (letters, digits, . _ -)"


def _path(key: str, value: str) -> str | None:
    return None if value.startswith("/") else f"{key}={value!r} must be absolute"


def _mode(key: str, value: str) -> str | None:
    return None if _MODE.match(value) else f"{key}={value!r} is not an octal file mode such as 644"


@dataclass(frozen=True)
class Key:
    """One attribute a role accepts."""

    name: str
    kind: Callable[[str, str], str | None] | None = None  # None: any text (or a flag)
    required: bool = False
    default: str | None = None  # what the tutor uses when the block does not give the key
    doc: str = ""  # how the docs table describes it, after the key's name
    choices: tuple[str, ...] = ()

    def problem(self, value: str) -> str | None:
        if self.choices and value not in self.choices:
            return f"unknown {self.name} {value!r} (expected one of: {', '.join(self.choices)})"
        return self.kind(self.name, value) if self.kind else None

    def describe(self) -> str:
        """The key as the docs table lists it."""
        choices = f"one of {', '.join(f'`{choice}`' for choice in self.choices)}" if self.choices else ""
        notes = [note for note in (self.doc, choices, "required" if self.required else "",
                                   f"default `{self.default}`" if self.default is not None else "") if note]
        return f"`{self.name}`" + (f" ({', '.join(notes)})" if notes else "")


@dataclass(frozen=True)
class Role:
    """A kind of block the tutor acts on, and the keys it accepts."""

    name: str
    does: str  # what the tutor does with the body, in the docs table's words
    keys: tuple[Key, ...] = ()
    action: bool = False  # something the learner (or "do it for me") does, as opposed to a check or a hint

    def key(self, name: str) -> Key | None:
        return next((key for key in self.keys if key.name == name), None)


NODE = Key("node", required=True)
SOLUTION = Key("solution", doc="flag")
CWD = Key("cwd", default="/root")

ROLES: tuple[Role, ...] = (
    Role("run", "runs it as a bash script in the node, streaming its output; a non-zero exit fails the step's run",
         (NODE, CWD, Key("timeout", _number, default="60", doc="seconds"), Key("background", _name, doc="a job name"),
          Key("session", _name, doc="a shell session's name"), SOLUTION), action=True),
    Role("file", "writes the body to a file in the node; with `from`, copies the file at `path` from that node "
                 "instead, and the body is the equivalent `docker cp`, shown to the learner and never run",
         (NODE, Key("path", _path, required=True), Key("mode", _mode, default="644", doc="octal"),
          Key("from", _name, doc="a node"), SOLUTION), action=True),
    Role("repl", "types each `>>>` line (and its `...` continuation lines) into a Python REPL in the node; other "
                 "lines are the output the learner should expect and are not typed",
         (NODE, Key("session", _name, default="python"), CWD, Key("timeout", _number, default="30", doc="per line"),
          SOLUTION), action=True),
    Role("lab", "acts on Docker itself, through the Docker API: the body is the equivalent `docker` command, shown "
                "to the learner and never run on the host",
         (Key("action", required=True, choices=("remove", "start", "stop")), NODE, SOLUTION), action=True),
    Role("check", "decides whether the step is done (see below)",
         (Key("node", doc="a script; this or `session`"), Key("session", _name, doc="patterns; this or `node`"),
          Key("retries", _number, default="0"), Key("delay", _number, default="1", doc="seconds between tries"),
          Key("timeout", _number, default="30", doc="seconds"), Key("may-pass-first", doc="flag"))),
    Role("hint", "shown to the learner on request, one block after another in order"),
)
BY_NAME = {role.name: role for role in ROLES}
ACTION_ROLES = tuple(role.name for role in ROLES if role.action)


def default(role: str, key: str) -> str | None:
    """The value the tutor uses for `key` when a block of `role` does not give it."""
    declared = BY_NAME[role].key(key) if role in BY_NAME else None
    return declared.default if declared else None


def docs_table() -> str:
    """The table of roles in docs/lesson-format.md, made from the declaration (a test keeps the docs equal to it)."""
    rows = ["| role | what the tutor does with the body | keys |", "|---|---|---|"]
    for role in ROLES:
        keys = ", ".join(key.describe() for key in role.keys) or "none"
        rows.append(f"| `{role.name}` | {role.does} | {keys} |")
    return "\n".join(rows) + "\n"
