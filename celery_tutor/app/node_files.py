"""A file of a node for the editor (tasks.py): read into it, written back, each told in one line the editor shows."""

from __future__ import annotations

from celery_tutor.app import messages as msg
from celery_tutor.i18n import _


def load(lab, node: str, path: str, starter: str, post) -> None:
    """Read `path` from the node (run in the lab owner's thread); `post` gets FileRead, with `starter` if missing."""
    text, note = starter, _("{path} does not exist yet on {node}: ctrl+s creates it.").format(path=path, node=node)
    if lab is None:
        note = _("No lab: you can edit, but nothing can be written until Docker is reachable.")
    else:
        try:
            result = lab.node(node).exec(f"cat {path}", cwd="/", timeout=10)
            if result.ok:
                text, note = result.output, _("Loaded {path} from {node}.").format(path=path, node=node)
        except Exception as exc:  # a stopped node, an engine gone away: the learner can still type
            note = _("Could not read {path} from {node}: {reason}").format(path=path, node=node,
                                                                           reason=getattr(exc, "reason", exc))
    post(msg.FileRead(text, note))


def save(lab, node: str, path: str, text: str, post) -> None:
    """Write `text` to `path` in the node (run in the lab owner's thread); `post` gets FileWritten."""
    if lab is None:
        note = _("Not written: the lab is not available (see the banner).")
    else:
        try:
            lab.node(node).put_file(path, text)
            note = _("Wrote {path} into {node} ({size} bytes).").format(path=path, node=node, size=len(text.encode()))
        except Exception as exc:
            note = _("Not written: {reason}").format(reason=getattr(exc, "reason", exc))
    post(msg.FileWritten(note))
