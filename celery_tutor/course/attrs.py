"""The `{role key=value ...}` of a tutor's fenced block, read apart from the parser so the app can use it alone."""

from __future__ import annotations

import re
import shlex

# A fence's info string: the language, then the braces.
INFO = re.compile(r"^(?P<lang>[^\s{]*)\s*\{(?P<attrs>.*)\}\s*$")


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
