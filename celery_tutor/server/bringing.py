"""The teacher's "bring": seats' labs made afresh and brought to a step one after another, behind the request that
asked (thirty restores at once would starve the engine, and a page waiting on thirty would time out)."""

from __future__ import annotations

import asyncio
import logging

from celery_tutor.server.room import Seat, asleep_file

log = logging.getLogger("celery-tutor.serve")


class Bringing:
    """Mixed into TutorServer: its room, locks, live connections, `_course_lab` and `_replay` are the ones used here. What each
    seat waits for or went through is in `brought` (lab -> {"step", "state": waiting | under way | failed, "why"}),
    which the teacher's view shows until the seat is brought, reset or ended."""

    def _bringing_init(self) -> None:
        self.brought: dict[str, dict] = {}
        self._to_bring: dict[str, str] = {}  # lab -> step, in the order asked; one seat once, at its latest step
        self._bringer: asyncio.Task | None = None

    def bring_later(self, seats: list[Seat], step: str) -> None:
        """Each seat put in line for `step` (a seat already waiting goes to the end with the new step)."""
        for seat in seats:
            self._to_bring.pop(seat.lab, None)
            self._to_bring[seat.lab] = step
            self.brought[seat.lab] = {"step": step, "state": "waiting"}
        if self._bringer is None or self._bringer.done():
            self._bringer = asyncio.get_running_loop().create_task(self._bring_in_turn())

    def bring_dropped(self, lab: str) -> None:
        """The seat reset or ended: what the teacher asked of it before is void."""
        self._to_bring.pop(lab, None)
        self.brought.pop(lab, None)

    async def _bring_in_turn(self) -> None:
        while self._to_bring:
            lab = next(iter(self._to_bring))
            step = self._to_bring.pop(lab)
            seat = self.room.by_lab(lab)
            if seat is None:  # ended while it waited
                self.brought.pop(lab, None)
                continue
            self.brought[lab] = {"step": step, "state": "under way"}
            await self._disconnect(lab, f"the teacher brings your seat to {step}: reload the page")
            try:
                async with self._lock(lab):
                    why = await asyncio.to_thread(self._bring, seat, step)
            except Exception as exc:  # the engine in trouble: this seat failed, the next is still tried
                log.exception("could not bring lab %s to %s", lab, step)
                why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if self.brought.get(lab, {}).get("state") != "under way":
                continue  # asked again, reset or ended meanwhile: that is what the teacher sees
            if why:
                self.brought[lab] = {"step": step, "state": "failed", "why": why}
            else:
                del self.brought[lab]

    def _bring(self, seat: Seat, step: str) -> str:
        """A seat's lab made afresh and brought to `step` (from the nearest checkpoint), its progress put there."""
        asleep_file(seat.lab).unlink(missing_ok=True)  # made afresh: nothing to wake
        return self._replay(self._course_lab(seat.lab, seat.engine), step)
