"""`celery-tutor doctor [--labs N]`: checks this machine for the course, or for a room of N labs."""

from __future__ import annotations

from pathlib import Path

from celery_tutor.cli import context
from celery_tutor.cli.render import console

LAB_MEMORY = 1200 * 2**20  # a lab at the end of the course: three RabbitMQ nodes, HAProxy, workers (measured ~0.9 GiB)
LAB_DISK = 2 * 2**30


def run(args) -> int:
    import shutil

    from celery_tutor.lab import base_image
    from celery_tutor.lab.docker_engine import connect

    problems = 0

    def line(ok: bool, text: str, fix: str = "") -> None:
        nonlocal problems
        problems += not ok
        mark = "[green]OK[/]" if ok else "[red]!![/]"
        console.print(f"{mark}  {text}" + (f"\n    what to do: {fix}" if fix and not ok else ""))

    client = connect(args.engine)  # without it nothing else can be checked: the one line of every command, exit 2
    info = client.info()
    version = client.version()
    line(True, f"Docker engine {version.get('Version')} (API {version.get('ApiVersion')}) at "
               f"{args.engine or 'DOCKER_HOST or the local socket'}, {info.get('NCPU')} CPUs")
    root = info.get("DockerRootDir", "/var/lib/docker")
    if not args.engine and Path(root).exists():
        free = shutil.disk_usage(root).free
        need = LAB_DISK + args.labs * 200 * 2**20
        line(free > need, f"{free / 2**30:.1f} GiB free for Docker at {root} (about {need / 2**30:.1f} GiB needed)",
             "free disk space: docker system prune removes unused images and build cache")
    memory = info.get("MemTotal", 0)
    need = args.labs * LAB_MEMORY
    lab = context.lab(args)
    ceiling = args.labs * len(lab.node_names) * lab.limits.memory  # every container at its limit at once
    line(memory > need, f"{memory / 2**30:.1f} GiB of memory for {args.labs} lab(s) (about {need / 2**30:.1f} GiB "
                        f"needed; at most {ceiling / 2**30:.1f} GiB at the limit of {lab.limits.memory // 2**20} MiB, "
                        f"{lab.limits.pids} processes and {lab.limits.cpus:g} CPU per container)",
         f"this engine holds about {max(1, memory // LAB_MEMORY)} lab(s); spread the room over several engines")
    if lab.image.current():
        line(True, f"the lab image {lab.image.tag} is present and current")
    else:
        line(False, f"the lab image {lab.image.tag} is missing or out of date",
             "celery-tutor lab build (needs the network once), or celery-tutor lab import KIT" +
             ("" if lab.image.has_base() else f"; the base {lab.image.base} is missing too: "
                                              f"{base_image.missing(lab.image.base).fix}"))
    clash = lab.name_clash()
    if clash is None:
        line(True, f"no name clashes for lab {lab.name} ({', '.join(lab.container_name(n) for n in lab.node_names)})")
    else:
        line(False, clash.reason, clash.fix)
    return 1 if problems else 0
