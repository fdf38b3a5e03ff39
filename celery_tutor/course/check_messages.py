"""The reasons checks print, as translatable messages: each `fail "..."`, `give_up "..."` or `echo "..."` of a check
script is a template whose shell expansions ($v, ${out:-nothing}, $(last_line "$log")) are placeholders, the way
gettext's sh-format reads `eval_gettext`. The script stays English and runs once; the tutor matches the English
reason it printed against the templates and fills the translation with the same values."""

from __future__ import annotations

import re
from functools import lru_cache

# The commands whose quoted words are what the learner reads: the helpers' and a script's own echo before exit 1,
# and the helpers' arguments that begin a reason (expect_worker_ready's first, expect_messages' third: QUEUE COUNT WHY).
_START = re.compile(r"(?:^|[\s;|&({])"
                    r"(?:(?:fail|give_up|echo|expect_worker_ready)\s+|expect_messages(?:\s+\S+){2}\s+)\"")
# A reason has words: two in a row, or one between spaces (a helper's "$3, but $1 holds $n"); `echo "$out"` or a
# path has none.
_WORDS = re.compile(r"[A-Za-z]{2,} [A-Za-z]|(?:^|\s)[A-Za-z]{2,}(?:\s|$)")


def _expansion(text: str, at: int) -> int:
    """The end of the shell expansion starting at text[at] == "$": $name, $1, $?, ${...} or $(...)."""
    if at + 1 < len(text) and text[at + 1] in "({":
        close = ")" if text[at + 1] == "(" else "}"
        depth, index, quote = 0, at + 1, ""
        while index < len(text):
            char = text[index]
            if quote:
                if char == "\\" and quote == '"':
                    index += 1
                elif char == quote:
                    quote = ""
            elif char in "'\"" and close == ")":
                quote = char
            elif char == text[at + 1]:
                depth += 1
            elif char == close:
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        return len(text)
    match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9?#@*!$-]").match(text, at + 1)
    return match.end() if match else at + 1


def _scan(text: str, at: int) -> tuple[list[tuple[str, str]], int]:
    """The double-quoted string opening just before text[at], as (literal | expansion, text) parts, and its end."""
    parts: list[tuple[str, str]] = []
    literal = ""
    index = at
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '$`"\\':
            literal += text[index + 1]
            index += 2
        elif char == "$" and _expansion(text, index) > index + 1:
            end = _expansion(text, index)
            if literal:
                parts.append(("literal", literal))
                literal = ""
            parts.append(("expansion", text[index:end]))
            index = end
        elif char == '"':
            if literal:
                parts.append(("literal", literal))
            return parts, index + 1
        elif char == "\n":
            break  # a reason is one line
        else:
            literal += char
            index += 1
    return [], index


def templates(script: str) -> list[tuple[int, str]]:
    """Each reason template of a check script, with its 0-based line in the script; a template with no words of its
    own (`echo "$out"`) is a value, not a reason, and left out."""
    found = []
    for number, line in enumerate(script.splitlines()):
        for match in _START.finditer(line):
            parts, end = _scan(line, match.end())
            if any(kind == "literal" and _WORDS.search(text) for kind, text in parts):
                found.append((number, line[match.end() : end - 1]))  # as written: its escapes are the shell's
    return found


def placeholders(template: str) -> list[str]:
    """The shell expansions of a template, or of its translation (which must use only these)."""
    parts, _ = _scan(template + '"', 0)
    return [text for kind, text in parts if kind == "expansion"]


@lru_cache(maxsize=4096)
def _pattern(template: str) -> tuple[re.Pattern, list[str]]:
    parts, _ = _scan(template + '"', 0)
    names, regex = [], ""
    for kind, text in parts:
        if kind == "literal":
            regex += re.escape(text)
        else:
            regex += f"(?P<p{len(names)}>.*?)"
            names.append(text)
    return re.compile(regex + r"\Z", re.S), names


def translate(reason: str, table: dict[str, str]) -> str:
    """`reason` in the table's language when one template matches it whole (the one with most words of its own
    when several do), its values put where the translation names the same expansions; else `reason` as it is."""
    best, best_length = None, -1
    for template, translated in table.items():
        pattern, names = _pattern(template)
        match = pattern.match(reason)
        if match:
            length = len(template) - sum(len(name) for name in names)
            if length > best_length:
                best, best_length = (translated, names, match), length
    if best is None:
        return reason
    translated, names, match = best
    values = {}
    for index, name in enumerate(names):
        value = match.group(f"p{index}")
        # a helper's argument ($1 of expect_worker_ready "the worker has rpc://") is a reason of its own
        values.setdefault(name, translate(value, table) if re.fullmatch(r"\$[1-9]", name) else value)
    return re.sub("|".join(re.escape(name) for name in sorted(values, key=len, reverse=True)) or r"(?!)",
                  lambda found: values[found.group(0)], translated)


def wrong_placeholders(template: str, translated: str) -> list[str]:
    """The expansions a translation uses that its template has not (they would be printed as they are)."""
    known = set(placeholders(template))
    return [name for name in placeholders(translated) if name not in known]
