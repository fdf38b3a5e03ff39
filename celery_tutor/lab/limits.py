"""What one lab container may use: memory, processes and CPU, so one learner's runaway cannot take a room down."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Measured with `docker stats` and the containers' cgroups on a lab through section 四 (verify, 2 CPUs): the
# busiest node (RabbitMQ, Celery, the cluster) peaked at 665 MiB counting page cache (about 360 MiB in use, 125 MiB
# resident) and 65 processes; the whole lab used about 600 MiB. A GiB and 512 processes per node leave room for a
# learner's experiments (a worker's prefork pool on a many-core host); a runaway stops at them, in its own container.
MEMORY = 2**30
PIDS = 512
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
