"""`celery-tutor serve`: the tutor in a browser (textual-serve); a seat per learner, its lab kept across connections."""

from __future__ import annotations

import asyncio
import hmac
import logging
import shlex
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from celery_tutor.i18n import translator
from celery_tutor.lab import docker_engine  # connect looked up when called: a stand-in engine is seen
from celery_tutor.lab.lab import Lab
from celery_tutor.server import pages, teacher_line
from celery_tutor.server.bringing import Bringing
from celery_tutor.server.remote_seats import RemoteSeats
from celery_tutor.server.room import Room, RoomFull, Seat, asleep_file, same_code, seat_name_problem
from celery_tutor.server.seat_keeping import SeatKeeping
from celery_tutor.server.view import seat_rows
from celery_tutor.steps.progress import SavedProgress

log = logging.getLogger("celery-tutor.serve")
# Seconds after a seat takes a lab of the warm pool before the next is made (a tutor starts in about two).
REFILL_AFTER = 5.0


class _Logged:
    """A replay's reporter with no one watching: each step's outcome goes to the log."""

    def __init__(self, lab: str):
        self.lab = lab

    def phase(self, step, phase: str) -> None:
        pass

    def finished(self, outcome) -> None:
        log.info("lab %s: %s %s", self.lab, outcome.step.full_id, "replayed" if outcome.passed else outcome.reason)


class TutorServer(Bringing, SeatKeeping, RemoteSeats, Server):
    """Serves the tutor to a room: each learner's seat owns a lab (on the engines in turn) and its progress, kept when
    the browser goes away; the room's state is in a file, so a restarted server finds every seat as it was."""

    def __init__(self, host: str = "127.0.0.1", port: int = 8000, engines: list[str | None] | None = None,
                 lessons: Path | None = None, prefix: str = "web", public_url: str | None = None,
                 at: str | None = None, room: Room | None = None, lang: str | None = None, warm: int = 0,
                 idle: float | None = None, expire: float | None = None):
        super().__init__(command="celery-tutor", host=host, port=port, title="celery-tutor", public_url=public_url)
        self.engines = engines or [None]
        self.lessons = lessons
        self.at = at  # every new seat's lab brought to this step before its app opens there
        self.lang = lang  # the room's language (serve --lang): a seat's own choice, kept with its progress, wins
        self.room = room or Room.open(prefix=prefix)
        self.live: dict[str, web.WebSocketResponse] = {}  # lab -> the one connection showing it
        self._locks: dict[str, asyncio.Lock] = {}  # lab -> held while it is brought up or down
        self._starting: set[asyncio.Task] = set()  # labs started as their page loads (asyncio keeps weak references)
        self._reported: dict[str, tuple[float, dict]] = {}  # a remote seat's lab -> when it last reported, and what
        self.warm = warm  # labs kept ready (brought to --at) for the seats to come
        self._warm_wanted = asyncio.Event()
        self.idle = idle * 60 if idle else None  # seconds with no one on a seat before its lab is stopped
        self.expire = expire * 60 if expire else None  # and before the seat is ended
        self._left: dict[str, float] = {}  # lab -> when its learner was last seen (page, socket); monotonic
        self._bringing_init()

    # --- access ------------------------------------------------------------------------------------------

    def seat_key(self, lab: str) -> str:
        """What a seat's websocket address carries: only a page opened with the room code can know it."""
        return hmac.new(self.room.code.encode(), lab.encode(), "sha256").hexdigest()[:24]

    def learners_url(self) -> str:
        return f"{self.public_url}/?{urlencode({'code': self.room.code})}"

    def teacher_url(self) -> str:
        return f"{self.public_url}/room?{urlencode({'code': self.room.teacher_code})}"

    async def _teacher(self, request: web.Request) -> dict:
        """The form's fields; refused with 403 and the way in unless the teacher's code came with the request."""
        form = dict(await request.post()) if request.method == "POST" else {}
        if not same_code(request.query.get("code") or form.get("code"), self.room.teacher_code):
            raise web.HTTPForbidden(text=pages.how_to_join(teacher=True, lang=self.page_language(request)),
                                    content_type="text/html")
        return form

    def room_language(self, accept_language: str | None) -> str | None:
        """The room's language (serve --lang), else the browser's (its Accept-Language), else None: English."""
        from celery_tutor.language import from_accept_language

        return self.lang or from_accept_language(accept_language)

    def page_language(self, request: web.Request) -> str | None:
        return self.room_language(request.headers.get("Accept-Language"))

    # --- labs --------------------------------------------------------------------------------------------

    def seat_language(self, lab: str, accept_language: str | None = None) -> str | None:
        """The --lang a seat's app starts with: none once the seat chose one (its app reads it from the progress),
        else the room's, else the browser's."""
        if SavedProgress.for_lab(lab).language:
            return None
        return self.room_language(accept_language)

    def app_command(self, lab: str, engine: str | None, lang: str | None = None) -> str:
        # The room's or the browser's language comes as the seat's locale, not --lang: a default, which the seat's
        # app does not keep as the learner's own choice (a later --lang of the room, or the palette, still counts).
        argv = ["env", f"LANGUAGE={lang}"] if lang else []
        argv += [sys.executable, "-m", "celery_tutor"]
        if engine:
            argv += ["--engine", engine]
        if self.lessons:
            argv += ["--lessons", str(self.lessons)]
        return shlex.join(argv + ["start", "--lab", lab])

    def _lock(self, lab: str) -> asyncio.Lock:
        return self._locks.setdefault(lab, asyncio.Lock())

    def _course_lab(self, name: str, engine: str | None) -> Lab:
        """A seat's lab with the nodes of the course served: a --lessons course may name others than the shipped."""
        from celery_tutor.course.loader import course_nodes
        from celery_tutor.paths import lessons_dir

        return Lab(docker_engine.connect(engine), name=name, nodes=course_nodes(self.lessons or lessons_dir()))

    def _lab_up(self, name: str, engine: str | None) -> None:
        """The seat's lab running: made on its first visit (brought to --at), started again if it was stopped."""
        lab = self._course_lab(name, engine)
        if asleep_file(name).exists():
            from celery_tutor.lab.errors import LabError
            from celery_tutor.lab.sleep import wake

            try:
                wake(lab, asleep_file(name))  # as it was: its nodes and what ran in them
                return
            except LabError as exc:  # the app finds what is missing and offers the rebuild
                log.warning("lab %s did not wake whole: %s", name, exc.reason)
                asleep_file(name).unlink(missing_ok=True)
        fresh = not any(node.state != "absent" for node in lab.status())
        if fresh and self.at and not SavedProgress.for_lab(name).steps:
            self._replay(lab)  # a new lab: made from the nearest checkpoint, or up and replayed
        else:
            lab.up()

    def _replay(self, lab: Lab, at: str | None = None) -> str:
        """The steps before `at` (--at) replayed in a seat's lab made afresh and recorded in its progress, so its
        app opens there; a replay that fails is logged (the app offers the rebuild) and its reason returned."""
        from celery_tutor.course import load_course
        from celery_tutor.steps.rebuild import rebuild_and_record
        from celery_tutor.steps.runner import StepRunner
        from celery_tutor.steps.selection import select_steps

        replay, chosen = select_steps(load_course(self.lessons), at or self.at)
        runner = StepRunner(lab)
        try:
            rebuilt = rebuild_and_record(lab, runner, replay, _Logged(lab.name), SavedProgress.for_lab(lab.name),
                                         target=chosen[0], reset=True)
        finally:
            runner.close()
        if not rebuilt.ok:
            log.warning("lab %s was not brought to %s: %s", lab.name, at or self.at, rebuilt.reason)
        return "" if rebuilt.ok else rebuilt.reason

    def _lab_down(self, name: str, engine: str | None) -> None:
        try:
            Lab(docker_engine.connect(engine), name=name).down()
        except Exception:  # the engine went away: `celery-tutor room end` or `lab down --all` cleans up later
            log.exception("could not remove lab %s", name)

    async def _seat_up(self, seat: Seat) -> None:
        async with self._lock(seat.lab):
            await asyncio.to_thread(self._lab_up, seat.lab, seat.engine)
        self._left[seat.lab] = time.monotonic()  # --idle counts from when the lab was there for its learner

    def _start_early(self, seat: Seat) -> None:
        """The seat's lab started while its page loads; a failure is logged here, and met again by its websocket."""
        async def start() -> None:
            try:
                await self._seat_up(seat)
            except Exception:
                log.exception("could not start lab %s", seat.lab)

        task = asyncio.get_running_loop().create_task(start())
        self._starting.add(task)
        task.add_done_callback(self._starting.discard)

    async def _disconnect(self, lab: str, why: str) -> None:
        websocket = self.live.pop(lab, None)
        if websocket is not None:
            await websocket.close(message=why.encode())

    # --- pages -------------------------------------------------------------------------------------------

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        app.add_routes([web.get("/ws/{lab}/{key}", self.handle_seat_websocket),
                        web.get("/room", self.handle_room_page), web.get("/room.json", self.handle_room_json),
                        web.post("/room/report", self.handle_report),
                        web.post("/room/{action}", self.handle_room_action)])
        return app

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """No code: how to join (403). The code: the join form, or with ?seat= the seat's tutor."""
        code, lang = request.query.get("code"), self.page_language(request)
        if not same_code(code, self.room.code):
            return web.Response(status=403, text=pages.how_to_join(lang=lang), content_type="text/html")
        name = request.query.get("seat", "").strip()
        if not name:
            return web.Response(text=pages.join(code, request.cookies.get("celery-tutor-seat", ""), lang=lang),
                                content_type="text/html")
        _ = translator(lang)
        problem = seat_name_problem(name, _)
        if problem:
            return web.Response(status=400, text=pages.join(code, name[:32], problem, lang), content_type="text/html")
        try:
            seat, made = self.room.take(name, self.engines[len(self.room.seats) % len(self.engines)])
        except RoomFull:
            return web.Response(status=403, text=pages.room_full(self.room.cap or 0, lang), content_type="text/html")
        if seat.remote:
            taken = _("the seat {name} is a tutor on its learner's own machine: give another name").format(
                name=repr(seat.name))
            return web.Response(status=409, text=pages.join(code, "", taken, lang), content_type="text/html")
        if made:
            log.info("seat %r took lab %s", seat.name, seat.lab)
            # The pool's next lab is made once this seat's tutor is up: its start would share the CPU with it.
            asyncio.get_running_loop().call_later(REFILL_AFTER, self._warm_wanted.set)
        self._left[seat.lab] = time.monotonic()
        self._start_early(seat)
        websocket_url = self.public_url.replace("http", "ws", 1) + f"/ws/{seat.lab}/{self.seat_key(seat.lab)}"
        context = {"font_size": to_int(request.query.get("fontsize", "16"), 16), "app_websocket_url": websocket_url,
                   "config": {"static": {"url": f"{self.public_url}/static/"}},
                   "application": {"name": f"celery-tutor · {seat.name}"}}
        response = aiohttp_jinja2.render_template("app_index.html", request, context)
        response.set_cookie("celery-tutor-seat", seat.name, max_age=7 * 86400, samesite="Strict")
        return response

    async def handle_room_page(self, request: web.Request) -> web.Response:
        await self._teacher(request)
        rows = seat_rows(self.room, self._connected(), self.brought)
        return web.Response(text=pages.teacher(rows, self.room.teacher_code, self.learners_url(),
                                                self.page_language(request)),
                            content_type="text/html")

    async def handle_room_json(self, request: web.Request) -> web.Response:
        await self._teacher(request)
        return web.json_response({"seats": seat_rows(self.room, self._connected(), self.brought)})

    async def handle_room_action(self, request: web.Request) -> web.Response:
        """reset (a seat's lab made afresh, its progress kept), bring (a seat, or every seat, to a step), end (the
        seat, its lab and progress gone), say (a line to every learner)."""
        form = await self._teacher(request)
        action = request.match_info["action"]
        if action == "say":
            text = teacher_line.tidy(form.get("text", ""))
            if not text:
                raise web.HTTPBadRequest(text="say needs a text: a line for every learner")
            at = time.time()
            for seat in self.room.seats.values():
                teacher_line.say(seat.lab, text, at)
            done = {"said": text, "seats": len(self.room.seats)}
        elif action == "bring":
            step = self._step_of(str(form.get("step", "")).strip())
            every = str(form.get("seat", "")).strip() in ("", "*")
            seats = [seat for seat in self.room.seats.values() if not seat.remote] if every else \
                [self._seat_of(form)]
            if not every and seats[0].remote:
                raise web.HTTPConflict(text=f"{seats[0].name}'s lab is on their own machine: "
                                            f"`celery-tutor start --at {step}` there brings it")
            self.bring_later(seats, step)  # the room's view shows each seat waiting, under way, failed
            done = {"bringing": [seat.name for seat in seats], "step": step}
        elif action in ("reset", "end"):
            seat = self._seat_of(form)
            if seat.remote and action == "reset":
                raise web.HTTPConflict(text=f"{seat.name}'s lab is on their own machine: `celery-tutor lab reset` "
                                            "there resets it")
            self.bring_dropped(seat.lab)
            if action == "end":
                self._reported.pop(seat.lab, None)
                await self._end_seat(seat)  # a seat on its learner's own machine: its reports refused from now
            else:
                await self._disconnect(seat.lab, "the teacher chose to reset your seat")
                async with self._lock(seat.lab):
                    await asyncio.to_thread(self._lab_down, seat.lab, seat.engine)
                asleep_file(seat.lab).unlink(missing_ok=True)  # the lab is made afresh: nothing to wake
            done = {action: seat.name, "lab": seat.lab}
        else:
            raise web.HTTPNotFound(text=f"no action {action!r}: reset, bring, end or say")
        if "json" in request.headers.get("Accept", ""):
            return web.json_response(done, status=202 if action == "bring" else 200)
        raise web.HTTPSeeOther(f"/room?{urlencode({'code': self.room.teacher_code})}")

    def _seat_of(self, form: dict) -> Seat:
        seat = self.room.seat(str(form.get("seat", "")))
        if seat is None:
            raise web.HTTPNotFound(text=f"no seat {form.get('seat', '')!r} in this room")
        return seat

    def _step_of(self, given: str) -> str:
        """The step a teacher names (a step id, a lesson id or a section number), as its full id; 400 if none."""
        from celery_tutor.course import load_course
        from celery_tutor.steps.selection import SelectionError, select_steps

        if not given:
            raise web.HTTPBadRequest(text="bring needs a step: a step id (worker-start/start), a lesson id or a "
                                          "section number")
        try:
            return select_steps(load_course(self.lessons), given)[1][0].full_id
        except (SelectionError, IndexError) as exc:
            raise web.HTTPBadRequest(text=f"no step {given!r} in the course: a step id (worker-start/start), a "
                                          f"lesson id or a section number ({exc})") from None

    # --- the server's life -------------------------------------------------------------------------------

    async def on_startup(self, app: web.Application) -> None:
        self.room.save()  # the codes kept from now on: a restarted serve prints the same links
        if self.idle or self.expire:
            self._tending = asyncio.get_running_loop().create_task(self._tend_idle())
        if self.warm or self.room.pool:
            self._warm_wanted.set()
            self._warmer = asyncio.get_running_loop().create_task(self._keep_warm())
        where = ", ".join(engine or "the local engine" for engine in self.engines)
        seats = f", {len(self.room.seats)} seat(s) kept from before" if self.room.seats else ""
        cap = f" (at most {self.room.cap} seats)" if self.room.cap else ""
        cap += f", {self.warm} lab(s) kept ready" if self.warm else ""
        self.console.print(f"celery-tutor on {self.public_url}: a lab per seat{cap}, on {where}{seats}",
                           highlight=False)
        self.console.print(f"learners:  {self.learners_url()}", highlight=False, soft_wrap=True)
        self.console.print(f"teacher:   {self.teacher_url()}", highlight=False, soft_wrap=True)
        if self.host not in ("127.0.0.1", "localhost", "::1"):
            self.console.print(f"[yellow]bound to {self.host}: anyone who can reach this machine and has the room "
                               "code can take a seat[/]")
        self.console.print("Press Ctrl+C to stop; the seats and their labs stay for the next serve "
                           "(`celery-tutor room end` removes them)")

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        # textual-serve's own /ws: it would give anyone an app; a seat's address carries its key.
        return web.Response(status=403, text=pages.how_to_join(lang=self.page_language(request)),
                            content_type="text/html")

    async def handle_seat_websocket(self, request: web.Request) -> web.StreamResponse:
        """textual-serve's handler for one seat: its lab up before the app starts, and left running after it ends;
        a second tab on the same seat takes over from the first (two apps would overwrite each other's progress)."""
        lab = request.match_info["lab"]
        seat = self.room.by_lab(lab)
        if seat is None or not same_code(request.match_info["key"], self.seat_key(lab)):
            return web.Response(status=403, text=pages.how_to_join(lang=self.page_language(request)),
                                content_type="text/html")
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        app_service: AppService | None = None
        try:
            await websocket.prepare(request)
            await self._disconnect(lab, "this seat was opened in another tab")
            self.live[lab] = websocket
            await self._seat_up(seat)
            lang = self.seat_language(lab, request.headers.get("Accept-Language"))
            app_service = AppService(self.app_command(lab, seat.engine, lang), write_bytes=websocket.send_bytes,
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
            log.exception("connection for lab %s failed", lab)
        finally:
            if app_service is not None:
                await app_service.stop()
            if self.live.get(lab) is websocket:
                del self.live[lab]
                self._left[lab] = time.monotonic()
        return websocket
