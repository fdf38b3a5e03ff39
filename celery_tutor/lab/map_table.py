"""The lab's map drawn with Rich: nodes, queues with their leaders and members, HAProxy's servers, workers."""

from __future__ import annotations

import re
import time

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from celery_tutor.i18n import _, ngettext
from celery_tutor.lab.map_model import LabMap, QueueView

_CONTAINER = {"running": "green", "absent": "dim", "unknown": "magenta"}
_RABBITMQ = {"up": "green", "stopped": "yellow", "down": "red", "absent": "dim", "unknown": "magenta"}
# Queues Celery declares for itself: its events, its remote control, its native delayed delivery (28 of them).
_CELERY_OWN = re.compile(r"^celeryev\.|\.pidbox$|^celery_delayed_\d+$")


def _table(*columns: str, compact: bool, **options) -> Table:
    """A table of the map; compact (in the tutor's pane, where rows are few) without lines: three rows fewer."""
    if compact:
        options.update(box=None, pad_edge=False, padding=(0, 2, 0, 0), header_style="underline", title_style="bold")
    return Table(*columns, title_justify="left", **options)


def _state(value: str, colours: dict[str, str], default: str = "red") -> Text:
    return Text(value, style=colours.get(value, default))


def _count(value: int | None) -> str:
    return "?" if value is None else str(value)


def _consumers(queue: QueueView) -> str:
    served = sorted(set(queue.consumer_nodes))
    return _count(queue.consumers) + (f" ({', '.join(served)})" if served and queue.consumers else "")


def _members(queue: QueueView) -> Text:
    """Each member green when online, red when not; the leader in bold."""
    text = Text()
    for index, member in enumerate(queue.members):
        if index:
            text.append(" ")
        style = "green" if member in queue.online else "red"
        text.append(member, style=f"bold {style}" if member == queue.leader else style)
    return text


def _nodes(lab_map: LabMap, compact: bool) -> Table:
    noted = any(node.partitions or node.problem for node in lab_map.nodes)
    table = _table(_("node"), _("container"), "RabbitMQ", _("type"), _("cluster"), _("connections"),
                   *([_("note")] if noted else []), title=_("nodes"), compact=compact)
    for node in lab_map.nodes:
        rabbitmq = _state(node.rabbitmq, _RABBITMQ)
        if node.cluster and not node.running and node.rabbitmq == "up":
            rabbitmq = Text(_("up, not in its cluster"), style="yellow")
        cut_off = _("cut off from {nodes}").format(nodes=", ".join(node.partitions)) if node.partitions else ""
        note = ", ".join(filter(None, [cut_off, node.problem]))
        table.add_row(node.name, _state(node.container, _CONTAINER), rabbitmq, node.type or "",
                      " ".join(node.cluster) if len(node.cluster) > 1 else (_("alone") if node.cluster else ""),
                      "" if node.connections is None else str(node.connections),
                      *([Text(note, style="yellow")] if noted else []))
    return table


def _queues(lab_map: LabMap, compact: bool) -> RenderableType:
    shown = [queue for queue in lab_map.queues if not _CELERY_OWN.search(queue.name)]
    hidden = len(lab_map.queues) - len(shown)
    if not lab_map.queues:
        answered = any(node.cluster for node in lab_map.nodes)
        return Text(_("queues: none yet") if answered else _("queues: no broker to ask"), style="dim")
    caption = None
    if hidden:
        caption = ngettext("and {count} queue Celery made for itself", "and {count} queues Celery made for itself",
                           hidden).format(count=hidden)
        caption += "" if compact else " " + _("(events, remote control, delayed delivery)")
    table = _table(_("queue"), _("type"), _("leader"), _("members") if compact else _("members (online green)"),
                   _("ready"), _("unacked"), _("consumers") if compact else _("consumers (served by)"),
                   title=_("queues"), compact=compact, caption=caption, caption_justify="left")
    for queue in shown:
        leader_up = queue.leader in queue.online
        table.add_row(queue.name if queue.vhost == "/" else f"{queue.vhost} {queue.name}", queue.type,
                      Text(queue.leader, style="bold green" if leader_up else "bold red"), _members(queue),
                      _count(queue.ready), _count(queue.unacked), _consumers(queue))
    return table


def _haproxy(lab_map: LabMap, compact: bool) -> RenderableType | None:
    if not lab_map.haproxy:
        return None
    where = ", ".join(sorted({server.node for server in lab_map.haproxy}))
    table = _table(_("proxy"), _("server"), _("status"), _("sessions"),
                   title=_("HAProxy on {where}").format(where=where), compact=compact)
    for server in lab_map.haproxy:
        style = "green" if server.status == "UP" else "red" if server.status.startswith("DOWN") else "yellow"
        table.add_row(server.proxy, server.server, Text(server.status, style=style), _count(server.sessions))
    return table


def _workers(lab_map: LabMap, compact: bool) -> RenderableType | None:
    if not lab_map.workers:
        return None
    table = _table(_("node"), _("worker"), _("queues"), _("ready"), title=_("Celery workers"), compact=compact)
    for worker in lab_map.workers:
        queues = ", ".join(worker.queues) or Text(_("? (no -Q, no banner in its log)"), style="dim")
        table.add_row(worker.node, worker.name, queues, Text(_("ready"), style="green") if worker.ready
                      else Text(_("starting"), style="yellow"))
    return table


def render(lab_map: LabMap, compact: bool = False) -> RenderableType:
    """The whole map, one table per part the lab has so far; `compact` for the tutor's pane, where rows are few."""
    taken = time.strftime("%H:%M:%S", time.localtime(lab_map.taken_at)) if lab_map.taken_at else "?"
    heading = _("lab {lab} at {taken} (read in {seconds} s)").format(lab=lab_map.lab, taken=taken,
                                                                       seconds=f"{lab_map.seconds:.1f}")
    parts: list[RenderableType] = [Text(heading, style="bold"), _nodes(lab_map, compact), _queues(lab_map, compact)]
    rest = [part for part in (_haproxy(lab_map, compact), _workers(lab_map, compact)) if part is not None]
    if compact and len(rest) > 1:
        rest = [Columns(rest, padding=(0, 4))]  # side by side where the width allows
    return Group(*parts, *rest)
