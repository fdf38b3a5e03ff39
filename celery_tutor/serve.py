"""`celery-tutor serve`: the tutor in a browser (textual-serve), one app process and one lab per connection."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shlex
import sys
import uuid
from pathlib import Path

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from celery_tutor.lab import docker_engine  # connect looked up when called: a stand-in engine is seen
from celery_tutor.lab.lab import Lab

log = logging.getLogger("celery-tutor.serve")


class _Logged:
    """A replay's reporter with no one watching: each step's outcome goes to the log."""

    def __init__(self, lab: str):
        self.lab = lab

    def phase(self, step, phase: str) -> None:
        pass

    def finished(self, outcome) -> None:
        log.info("lab %s: %s %s", self.lab, outcome.step.full_id, "replayed" if outcome.passed else outcome.reason)


class TutorServer(Server):
    """Serves the tutor; every browser connection gets a lab of its own, on the engines in turn, removed when it closes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, engines: list[str | None] | None = None,
                 lessons: Path | None = None, prefix: str = "web", public_url: str | None = None,
                 at: str | None = None):
        super().__init__(command="celery-tutor", host=host, port=port, title="celery-tutor", public_url=public_url)
        self.engines = engines or [None]
        self.lessons = lessons
        self.at = at  # every lab brought to this step before its app opens there
        self.prefix = prefix
        self._turn = itertools.count()
        self.labs: dict[str, str | None] = {}  # lab name -> engine, while its connection lasts

    def next_lab(self) -> tuple[str, str | None]:
        engine = self.engines[next(self._turn) % len(self.engines)]
        return f"{self.prefix}-{uuid.uuid4().hex[:8]}", engine

    def app_command(self, lab: str, engine: str | None) -> str:
        argv = [sys.executable, "-m", "celery_tutor"]
        if engine:
            argv += ["--engine", engine]
        if self.lessons:
            argv += ["--lessons", str(self.lessons)]
        return shlex.join(argv + ["start", "--lab", lab])

    def _lab_up(self, name: str, engine: str | None) -> None:
        lab = Lab(docker_engine.connect(engine), name=name)
        if self.at:
            self._replay(lab)  # a new lab: made from the nearest checkpoint, or up and replayed
        else:
            lab.up()

    def _replay(self, lab: Lab) -> None:
        """The steps before --at replayed in a connection's new lab and recorded in its progress, so its app opens
        there; a replay that fails is logged, and the app offers the rebuild."""
        from celery_tutor.course import load_course
        from celery_tutor.steps.progress import SavedProgress
        from celery_tutor.steps.rebuild import rebuild_and_record
        from celery_tutor.steps.runner import StepRunner
        from celery_tutor.steps.selection import select_steps

        replay, chosen = select_steps(load_course(self.lessons), self.at)
        runner = StepRunner(lab)
        try:
            rebuilt = rebuild_and_record(lab, runner, replay, _Logged(lab.name), SavedProgress.for_lab(lab.name),
                                         target=chosen[0], reset=True)
        finally:
            runner.close()
        if not rebuilt.ok:
            log.warning("lab %s was not brought to %s: %s", lab.name, self.at, rebuilt.reason)

    def _lab_down(self, name: str, engine: str | None) -> None:
        try:
            Lab(docker_engine.connect(engine), name=name).down()
        except Exception:  # the engine went away: `celery-tutor lab down --all` cleans up later
            log.exception("could not remove lab %s", name)

    async def on_startup(self, app: web.Application) -> None:
        where = ", ".join(engine or "the local engine" for engine in self.engines)
        self.console.print(f"celery-tutor on {self.public_url}: one lab per browser tab, on {where}")
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            self.console.print(f"[yellow]bound to {self.host}: anyone who can reach this machine can open a lab[/]")
        self.console.print("Press Ctrl+C to stop (the labs of open tabs are removed)")

    async def on_shutdown(self, app: web.Application) -> None:
        await super().on_shutdown(app)
        for name, engine in list(self.labs.items()):
            await asyncio.to_thread(self._lab_down, name, engine)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        # textual-serve's own handler, with a lab made before the app starts and removed after it ends.
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        name, engine = self.next_lab()
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            self.labs[name] = engine
            await asyncio.to_thread(self._lab_up, name, engine)
            app_service = AppService(self.app_command(name, engine), write_bytes=websocket.send_bytes,
                                     write_str=websocket.send_str, close=websocket.close,
                                     download_manager=self.download_manager, debug=self.debug)
            await app_service.start(width, height)
            try:
                await self._process_messages(websocket, app_service)
            finally:
                await app_service.stop()
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:
            log.exception("connection for lab %s failed", name)
        finally:
            if app_service is not None:
                await app_service.stop()
            self.labs.pop(name, None)
            await asyncio.to_thread(self._lab_down, name, engine)
        return websocket
