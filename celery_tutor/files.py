"""Files written whole: beside their place, then renamed over it, so a crash, a kill or a full disk mid-write leaves
the previous file as it was, and a reader meanwhile finds the old file or the new, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_whole(path: Path, content: str | bytes, durable: bool = False) -> None:
    """`content` (text as UTF-8) as the whole of `path`, made 0600 as mkstemp makes it (progress and the room's
    codes are the user's own). `durable`: on the disk before the rename, for what a learner did; a cache need not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content.encode("utf-8") if isinstance(content, str) else content)
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
