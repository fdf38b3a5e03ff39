"""What one lab container may use: memory, processes and CPU, so one learner's runaway cannot take a room down."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Measured with `docker stats` on a lab at the end of the course (bench/room_bench.py --measure): the busiest node
# (RabbitMQ, HAProxy, Celery workers) held about 330 MiB and 150 processes. Twice that leaves room for a learner's
# own experiments; a fork bomb or a memory hog stops at the limit, in its own container.
MEMORY = 768 * 2**20
PIDS = 400
CPUS = 1.0
ENV = {"memory": "CELERY_TUTOR_MEMORY", "pids": "CELERY_TUTOR_PIDS", "cpus": "CELERY_TUTOR_CPUS"}


@dataclass(frozen=True)
class Limits:
    memory: int = MEMORY  # bytes
    pids: int = PIDS
    cpus: float = CPUS

    @classmethod
    def from_env(cls) -> Limits:
        """The limits the command line set (it passes them on to the app processes a server starts), else the defaults."""
        return cls(memory=parse_memory(os.environ.get(ENV["memory"]) or "") or MEMORY, pids=int(os.environ.get(ENV["pids"]) or PIDS),
                   cpus=float(os.environ.get(ENV["cpus"]) or CPUS))

    def export(self) -> None:
        """Put the limits where Lab and every process started from here find them."""
        os.environ.update({ENV["memory"]: str(self.memory), ENV["pids"]: str(self.pids), ENV["cpus"]: str(self.cpus)})

    def host_config(self) -> dict:
        # memswap equal to memory: no swap, so a memory hog meets the OOM killer at once rather than thrashing the disk.
        return {"mem_limit": self.memory, "memswap_limit": self.memory, "pids_limit": self.pids,
                "nano_cpus": int(self.cpus * 1e9)}


def parse_memory(text: str) -> int | None:
    """768m, 1g, 1.5G, 512MiB or a number of bytes; None if it is none of those."""
    text = text.strip().lower().removesuffix("ib").removesuffix("b")
    scale = {"k": 2**10, "m": 2**20, "g": 2**30}.get(text[-1:], 1)
    try:
        value = float(text[:-1] if scale > 1 else text)
    except ValueError:
        return None
    return int(value * scale) if value > 0 else None
