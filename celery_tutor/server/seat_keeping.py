"""The seats kept by the server over time: the warm pool's labs made ahead of them (--warm), idle seats' labs put
to sleep (--idle) and seats ended (--expire, or by the teacher)."""

from __future__ import annotations

import asyncio
import logging
import time

from celery_tutor.lab import docker_engine  # connect looked up when called: a stand-in engine is seen
from celery_tutor.lab.lab import Lab
from celery_tutor.server.room import Seat, asleep_file, forget_seat

log = logging.getLogger("celery-tutor.serve")


class SeatKeeping:
    """Mixed into TutorServer: its room, engines, locks and live connections are the ones used here."""

    def _warm_short(self) -> bool:
        pool = len(self.room.pool)
        return pool < self.warm and (self.room.cap is None or len(self.room.seats) + pool < self.room.cap)

    async def _keep_warm(self) -> None:
        """The warm pool: labs made (brought to --at) one at a time, before seats ask for them, and again as seats
        take them; one left half made by a killed serve is removed first."""
        for half in [ready for ready in self.room.pool if not ready["ready"]]:
            await asyncio.to_thread(self._lab_down, half["lab"], half.get("engine"))
            self.room.made(half["lab"], ok=False)
        while True:
            await self._warm_wanted.wait()
            self._warm_wanted.clear()
            while self._warm_short():
                engine = self.engines[(len(self.room.seats) + len(self.room.pool)) % len(self.engines)]
                lab = self.room.making(engine)
                try:
                    async with self._lock(lab):
                        await asyncio.to_thread(self._lab_up, lab, engine)
                    self.room.made(lab, ok=True)
                    log.info("lab %s is ready for the next seat", lab)
                except Exception:
                    log.exception("could not make lab %s for the warm pool", lab)
                    await asyncio.to_thread(self._lab_down, lab, engine)
                    self.room.made(lab, ok=False)
                    await asyncio.sleep(30)  # an engine in trouble: not a loop of failures

    def _sleep(self, name: str, engine: str | None) -> None:
        from celery_tutor.lab.sleep import put_to_sleep

        stopped = put_to_sleep(Lab(docker_engine.connect(engine), name=name), asleep_file(name))
        if stopped:
            log.info("lab %s asleep (%d node(s) stopped): no one on its seat", name, stopped)

    async def _tend_idle(self) -> None:
        """Every little while: a seat with no one on it for --idle has its lab put to sleep, for --expire ended."""
        period = min(30.0, (min(filter(None, (self.idle, self.expire)))) / 4)
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for seat in list(self.room.seats.values()):
                if seat.remote or seat.lab in self.live or self._lock(seat.lab).locked():
                    continue
                away = now - self._left.setdefault(seat.lab, now)
                try:
                    if self.expire and away >= self.expire:
                        log.info("seat %r ended: no one on it for %d min", seat.name, away // 60)
                        await self._end_seat(seat)
                    elif self.idle and away >= self.idle and not asleep_file(seat.lab).exists():
                        async with self._lock(seat.lab):
                            await asyncio.to_thread(self._sleep, seat.lab, seat.engine)
                except Exception:  # the engine in trouble: tried again next time round
                    log.exception("could not tend the idle seat %r", seat.name)

    async def _end_seat(self, seat: Seat) -> None:
        """The seat over: its learner's connection closed, its lab removed, its progress and files gone."""
        await self._disconnect(seat.lab, "your seat was ended")
        async with self._lock(seat.lab):
            await asyncio.to_thread(self._lab_down, seat.lab, seat.engine)
        self.room.remove(seat.name)
        forget_seat(seat.lab)
        self._left.pop(seat.lab, None)
        self._warm_wanted.set()  # a place freed in a full room
