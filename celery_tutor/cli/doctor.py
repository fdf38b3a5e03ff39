"""`celery-tutor doctor [--labs N]`: checks this machine for the course, or for a room of N labs."""

from __future__ import annotations

from pathlib import Path

from celery_tutor.cli import context
from celery_tutor.cli.render import console
from celery_tutor.i18n import _

# A seat at section 四 (three clustered RabbitMQ nodes, HAProxy, workers, and its tutor): bench/room_memory_bench.py
# measured about 470 MiB and 0.09 of a core with no one at work; the rest is room for a step's own work.
LAB_MEMORY = 600 * 2**20
LAB_CPU = 0.1
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
        todo = "\n    " + _("what to do: {fix}").format(fix=fix) if fix and not ok else ""
        console.print(f"{mark}  {text}{todo}")

    client = connect(args.engine)  # without it nothing else can be checked: the one line of every command, exit 2
    info = client.info()
    version = client.version()
    line(True, _("Docker engine {version} (API {api}) at {where}, {cpus} CPUs").format(
        version=version.get("Version"), api=version.get("ApiVersion"),
        where=args.engine or _("DOCKER_HOST or the local socket"), cpus=info.get("NCPU")))
    root = info.get("DockerRootDir", "/var/lib/docker")
    if not args.engine and Path(root).exists():
        free = shutil.disk_usage(root).free
        need = LAB_DISK + args.labs * 200 * 2**20
        line(free > need, _("{free} GiB free for Docker at {root} (about {need} GiB needed)").format(
            free=f"{free / 2**30:.1f}", root=root, need=f"{need / 2**30:.1f}"),
             _("free disk space: docker system prune removes unused images and build cache"))
    memory, cpus = info.get("MemTotal", 0), info.get("NCPU") or 1
    fits = max(1, int(min(memory // LAB_MEMORY, round(cpus / LAB_CPU, 6))))  # what runs out first
    spread = _("this engine holds about {labs} lab(s); spread the room over several engines").format(labs=fits)
    need = args.labs * LAB_MEMORY
    lab = context.lab(args)
    ceiling = args.labs * len(lab.node_names) * lab.limits.memory  # every container at its limit at once
    line(memory > need, _("{memory} GiB of memory for {labs} lab(s) (about {need} GiB needed; at most {ceiling} GiB "
                          "at the limit of {limit} MiB, {pids} processes and {cpus} CPU per container)").format(
        memory=f"{memory / 2**30:.1f}", labs=args.labs, need=f"{need / 2**30:.1f}", ceiling=f"{ceiling / 2**30:.1f}",
        limit=lab.limits.memory // 2**20, pids=lab.limits.pids, cpus=f"{lab.limits.cpus:g}"), spread)
    line(cpus >= args.labs * LAB_CPU, _("{cpus} CPU(s) for {labs} lab(s) (about {need} needed with no one at work; a "
                                        "step that installs or starts a broker takes a whole one for seconds)").format(
        cpus=cpus, labs=args.labs, need=f"{args.labs * LAB_CPU:.1f}"), spread)
    if lab.image.current():
        line(True, _("the lab image {image} is present and current").format(image=lab.image.tag))
    else:
        fix = _("celery-tutor lab build (needs the network once), or celery-tutor lab import KIT")
        if not lab.image.has_base():
            fix += "; " + _("the base {base} is missing too: {fix}").format(base=lab.image.base,
                                                                          fix=base_image.missing(lab.image.base).fix)
        line(False, _("the lab image {image} is missing or out of date").format(image=lab.image.tag), fix)
    clash = lab.name_clash()
    if clash is None:
        line(True, _("no name clashes for lab {lab} ({containers})").format(
            lab=lab.name, containers=", ".join(lab.container_name(n) for n in lab.node_names)))
    else:
        line(False, clash.reason, clash.fix)
    return 1 if problems else 0
