"""Where output shows: the node's own pane, or a pane of a session's or background job's of its own."""

from __future__ import annotations

SHELL = "shell"  # the session the command line types into; its output shows in the node's own pane


def source_of(block) -> str:
    """Where a block's output appears (the same rule as the engine's, which is imported only when the lab is)."""
    name = block.get("background") or (block.session if block.role in ("run", "repl") else None)
    return f"{block.node}/{name}" if name and name != SHELL else str(block.node)
