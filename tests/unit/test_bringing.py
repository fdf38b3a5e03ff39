"""The teacher's bring (server/bringing.py): seats in line one after another, what the view shows of each, and a
seat asked again, ended or failing while the line moves on."""

from __future__ import annotations

import asyncio
import threading

from celery_tutor.server.bringing import Bringing
from celery_tutor.server.room import Room


class _Server(Bringing):
    """The parts of TutorServer a bring uses; `_bring` waits until the test lets it go."""

    def __init__(self, room: Room, fail: set[str] = frozenset()):
        self.room = room
        self.fail = fail
        self.order: list[tuple[str, str]] = []
        self.disconnected: list[str] = []
        self.go = threading.Event()
        self._locks: dict[str, asyncio.Lock] = {}
        self._bringing_init()

    def _lock(self, lab):
        return self._locks.setdefault(lab, asyncio.Lock())

    async def _disconnect(self, lab, why):
        self.disconnected.append(lab)

    def _bring(self, seat, step):
        self.go.wait(10)
        self.order.append((seat.name, step))
        if seat.name in self.fail:
            raise RuntimeError("the engine went away\nTraceback ...")
        return ""


async def _settle(server: _Server) -> None:
    server.go.set()
    await server._bringer


def test_seats_are_brought_one_after_another_and_the_view_shows_each_until_it_is_done(tmp_path):
    async def scenario():
        room = Room.open(tmp_path / "room.json")
        ada, bob, cy = (room.take(name)[0] for name in ("Ada", "Bob", "Cy"))
        server = _Server(room, fail={"Cy"})
        server.bring_later([ada, bob, cy], "canvas/group")
        await asyncio.sleep(0.05)
        assert [server.brought[seat.lab]["state"] for seat in (ada, bob, cy)] == ["under way", "waiting", "waiting"]
        server.bring_later([ada, bob], "chords/chord")  # asked again: Ada once more after Cy, Bob at the new step
        room.remove("Bob")  # and Bob ended before his turn
        server.bring_dropped(bob.lab)
        await _settle(server)
        assert server.order == [("Ada", "canvas/group"), ("Cy", "canvas/group"), ("Ada", "chords/chord")]
        assert server.disconnected == [ada.lab, cy.lab, ada.lab]  # each learner told, at their turn
        assert ada.lab not in server.brought and bob.lab not in server.brought
        assert server.brought[cy.lab] == {"step": "canvas/group", "state": "failed", "why": "the engine went away"}

    asyncio.run(scenario())


def test_a_seat_asked_again_while_under_way_shows_the_new_request_not_the_old_outcome(tmp_path):
    async def scenario():
        room = Room.open(tmp_path / "room.json")
        ada = room.take("Ada")[0]
        server = _Server(room, fail={"Ada"})
        server.bring_later([ada], "canvas/group")
        await asyncio.sleep(0.05)
        server.bring_later([ada], "chords/chord")
        assert server.brought[ada.lab] == {"step": "chords/chord", "state": "waiting"}
        await _settle(server)
        assert server.order == [("Ada", "canvas/group"), ("Ada", "chords/chord")]
        assert server.brought[ada.lab]["step"] == "chords/chord" and server.brought[ada.lab]["state"] == "failed"

    asyncio.run(scenario())
