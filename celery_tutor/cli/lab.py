"""`celery-tutor lab ACTION`: build, up [--at], status, map, down [--all], reset [--at], list, export, import,
base, prepare, checkpoints [--clear]."""

from __future__ import annotations

from celery_tutor.cli import checkpoints, context, image, options
from celery_tutor.cli.errors import UsageError
from celery_tutor.cli.render import build_progress, console, err, status_table


def _up(args) -> int:
    target = None
    if args.at:  # before the lab is touched: a mistyped step must not cost a lab's worth of containers
        replay, chosen = context.steps(context.course(args), args.at)
        target = chosen[0]
        options.check_state_dir(write=True)  # the replay is recorded in the lab's progress
    lab = context.lab(args)
    if args.action == "reset":
        lab.down()  # recreate the nodes from scratch; progress is kept (see `celery-tutor reset`)
    image.ready(lab)
    # A lab that has no container yet can start from a checkpoint; one that exists is replayed on as it is.
    fresh = target is not None and all(status.state == "absent" for status in lab.status())
    if not fresh:
        progress, report = build_progress()
        with progress:
            lab.up(report)
    if target is not None:
        from celery_tutor.cli.replay import replay_to

        if replay_to(lab, replay, target, args.at, fresh=fresh) != 0:
            return 1
    console.print(status_table(lab))
    return 0


def _build(args) -> int:
    lab = context.lab(args)
    image.ready(lab, rebuild=True)
    console.print(f"built {lab.image.tag}")
    return 0


def _existing_lab(args):
    """The lab named, which must be on the engine already: looking at a lab makes none."""
    from celery_tutor.lab.lab import list_labs

    lab = context.lab(args)
    if lab.name not in {summary.name for summary in list_labs(lab.client)}:
        up = "celery-tutor lab up" + (f" --lab {args.lab}" if args.lab else "")
        raise UsageError(f"no lab {lab.name!r} on this engine; `{up}` makes it, "
                         "`celery-tutor lab list` shows the labs there are")
    return lab


def _status(args) -> int:
    console.print(status_table(_existing_lab(args)))
    return 0


def _map(args) -> int:
    from celery_tutor.lab.lab_map import read_map

    lab_map = read_map(_existing_lab(args))
    if args.json:
        print(lab_map.to_json())
    else:
        from celery_tutor.lab.map_table import render

        console.print(render(lab_map))
    return 0


def _down(args) -> int:
    if args.all:
        return _down_all(args)
    lab = context.lab(args)
    removed = lab.down()
    if removed:
        console.print(f"lab {lab.name} is down ({removed} container(s) and network(s) removed)")
    else:
        # Idempotent, as `docker compose down` is: a teacher's cleanup, run twice, must not fail the second time;
        # the words still show a mistyped name.
        console.print(f"no lab {lab.name!r} on this engine, nothing to remove "
                      "(`celery-tutor lab list` shows the labs there are)")
    return 0


def _down_all(args) -> int:
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab, list_labs

    client = connect(args.engine)
    labs = list_labs(client)
    for summary in labs:
        Lab(client, name=summary.name).down()
    console.print(f"removed {len(labs)} lab(s): {', '.join(s.name for s in labs) or 'none'}")
    return 0


def _list(args) -> int:
    from rich.table import Table

    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import list_labs

    table = Table("lab", "owner", "running", "containers", title="labs on the engine")
    for lab in list_labs(connect(args.engine)):
        table.add_row(lab.name, lab.owner, str(lab.running), str(lab.containers))
    console.print(table)
    return 0


def _export(args) -> int:
    lab = context.lab(args)
    image.ready(lab)
    names = checkpoints.usable_images(lab, list(context.course(args).steps()))
    progress, report = build_progress()
    with progress:
        size = lab.image.export(args.file, report, also=names)
    with_checkpoints = f", with {len(names)} checkpoint image(s)" if names else ""
    console.print(f"wrote {args.file} ({size / 2**20:.0f} MiB{with_checkpoints}): `celery-tutor lab import "
                  f"{args.file.name}` on a machine without network makes the whole course work")
    return 0


def _import(args) -> int:
    lab = context.lab(args)
    current = lab.image.import_(args.file)
    rows = checkpoints.listing(lab, list(context.course(args).steps()))
    usable = sum(1 for row in rows if row[2] == "usable")
    console.print(f"loaded the lab image from {args.file}"
                  + (f", and {usable} usable checkpoint(s)" if usable else ""))
    if not current:
        err.print("note: the kit was made by another version of celery-tutor; this version will want to rebuild "
                  "the image, which needs the network")
    return 0


def _base(args) -> int:
    from celery_tutor.lab import base_image

    lab = context.lab(args)
    if lab.image.has_base():
        console.print(f"the base image {lab.image.base} is already present")
        return 0
    cannot = base_image.can_make()
    if cannot:
        raise UsageError(f"cannot make the base image {lab.image.base} here: {cannot}; {base_image.command()}")
    image.make_base(lab.image)
    return 0


ACTIONS = {"build": _build, "up": _up, "reset": _up, "status": _status, "map": _map, "down": _down, "list": _list,
           "export": _export, "import": _import, "base": _base, "prepare": checkpoints.prepare,
           "checkpoints": checkpoints.checkpoints}


def run(args) -> int:
    return ACTIONS[args.action](args)
