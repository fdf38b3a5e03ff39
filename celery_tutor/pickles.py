"""Results kept as pickles in the cache directory: read back if sound, written atomically, the oldest pruned."""

from __future__ import annotations

import pickle
from pathlib import Path

from celery_tutor.files import write_whole


def load(path: Path, kind: type) -> object | None:
    """What `path` holds if it is a `kind`; None when it is missing, damaged or from another version."""
    try:
        with path.open("rb") as handle:
            value = pickle.load(handle)
    except Exception:
        return None
    return value if isinstance(value, kind) else None


def save(value: object, path: Path, keep: int) -> None:
    """Write `value` to `path`, keeping the `keep` newest pickles of its directory whose names start as its does.
    A read-only or full cache directory only costs the next run the work the pickle would have saved."""
    directory = path.parent
    try:
        write_whole(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        prefix = path.name.split("-", 1)[0]
        kept = sorted(directory.glob(f"{prefix}-*.pickle"), key=lambda old: old.stat().st_mtime, reverse=True)
        for old in kept[keep:]:  # test runs and moved directories leave no trail
            old.unlink(missing_ok=True)
    except OSError:
        pass
