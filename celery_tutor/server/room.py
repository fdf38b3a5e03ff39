"""The room: its codes and its seats (who sits where, in which lab on which engine), kept in a file that outlives serve."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from celery_tutor.files import write_whole
from celery_tutor.i18n import N_
from celery_tutor.steps.progress import state_dir

VERSION = 1
MAX_SEAT_NAME = 32
_ASCII = re.compile(r"[^a-z0-9]+")
# No 0/o, 1/l/i: a code read aloud or copied from a projector is typed right the first time.
_CODE_LETTERS = "abcdefghjkmnpqrstuvwxyz23456789"


def new_code(length: int) -> str:
    return "".join(secrets.choice(_CODE_LETTERS) for _ in range(length))


def same_code(given: str | None, expected: str) -> bool:
    """A code compared in constant time: no one learns it a letter at a time from how fast the answer comes."""
    return hmac.compare_digest((given or "").encode(), expected.encode())


def room_file() -> Path:
    return state_dir() / "room.json"


def asleep_file(lab: str) -> Path:
    """What ran in a seat's lab put to sleep (serve --idle), to start it again when its learner comes back."""
    return state_dir() / f"asleep-{lab}.json"


def forget_seat(lab: str) -> None:
    """What a seat's lab leaves in the state and log directories removed once the seat is over: its progress, the
    teacher's line to it, what it ran when put to sleep, its panes' logs (a later seat of the same lab name would be
    shown them after its first reload)."""
    import shutil

    from celery_tutor.paths import log_dir
    from celery_tutor.server.teacher_line import line_file
    from celery_tutor.steps.progress import SavedProgress

    for path in (SavedProgress.for_lab(lab).path, line_file(lab), asleep_file(lab)):
        path.unlink(missing_ok=True)
    shutil.rmtree(log_dir() / lab, ignore_errors=True)


def seat_name_problem(name: str, translate=str) -> str | None:
    """Why `name` cannot be a seat's name, or None; in the language `translate` (an i18n translator) gives."""
    if not name:
        return translate(N_("give a name for your seat"))
    if len(name) > MAX_SEAT_NAME:
        return translate(N_("a seat's name has at most {most} characters")).format(most=MAX_SEAT_NAME)
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        return translate(N_("a seat's name cannot hold control characters"))
    return None


class RoomFull(Exception):
    pass


@dataclass
class Seat:
    name: str
    lab: str
    engine: str | None = None
    created: float = field(default_factory=time.time)
    remote: bool = False  # a tutor on the learner's own machine reports to it (`--room URL`): no lab here


@dataclass
class Room:
    """Codes and seats; every change saved at once, atomically, so a killed server comes back with every seat."""

    path: Path
    code: str
    teacher_code: str
    seats: dict[str, Seat] = field(default_factory=dict)  # by key(name)
    cap: int | None = None
    prefix: str = "web"
    # Labs for seats to come (--warm): {"lab", "engine", "ready"}; one not ready was being made (a killed serve
    # leaves it half made: the next serve removes it and makes another).
    pool: list[dict] = field(default_factory=list)
    # Seats on learners' own machines that the teacher ended (by key): their tutors go on reporting, and are refused
    # until the room ends, also by a serve started again.
    ended: set[str] = field(default_factory=set)

    @staticmethod
    def key(name: str) -> str:
        return unicodedata.normalize("NFKC", name).strip().casefold()

    @classmethod
    def open(cls, path: Path | None = None, code: str | None = None, teacher_code: str | None = None,
             cap: int | None = None, prefix: str = "web") -> Room:
        """The room saved at `path` (its codes unless new ones are given), or a new one with codes made up; saved
        when the server is up (a serve that fails to start leaves nothing behind)."""
        path = path or room_file()
        saved: dict = {}
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            if saved.get("version") != VERSION:
                saved = {}
        except (OSError, ValueError):
            pass
        room = cls(path=path, code=code or saved.get("code") or new_code(6),
                   teacher_code=teacher_code or saved.get("teacher_code") or new_code(12), cap=cap,
                   prefix=saved.get("prefix") or prefix)
        for value in saved.get("seats", []):
            seat = Seat(**value)
            room.seats[cls.key(seat.name)] = seat
        room.pool = [dict(lab=ready["lab"], engine=ready.get("engine"), ready=bool(ready.get("ready")))
                     for ready in saved.get("pool", [])]
        room.ended = set(saved.get("ended", []))
        return room

    def seat(self, name: str) -> Seat | None:
        return self.seats.get(self.key(name))

    def by_lab(self, lab: str) -> Seat | None:
        return next((seat for seat in self.seats.values() if seat.lab == lab), None)

    def take(self, name: str, engine: str | None = None, remote: bool = False) -> tuple[Seat, bool]:
        """The seat called `name`, made (with a lab of its own) if new: (seat, made)."""
        name = name.strip()
        found = self.seat(name)
        if found:
            return found, False
        if self.cap is not None and len(self.seats) >= self.cap:
            raise RoomFull(f"the room is full: all {self.cap} seats are taken")
        ready = next((ready for ready in self.pool if ready["ready"]), None) if not remote else None
        if ready is not None:  # a lab made ready (--warm): the seat is there at once
            self.pool.remove(ready)
            seat = Seat(name=name, lab=ready["lab"], engine=ready.get("engine"))
        else:
            slug = _ASCII.sub("-", unicodedata.normalize("NFKD", name).casefold()).strip("-")[:16].strip("-")
            seat = Seat(name=name, lab=self.new_lab(slug), engine=engine, remote=remote)
        self.seats[self.key(name)] = seat
        self.save()
        return seat, True

    def new_lab(self, slug: str = "") -> str:
        """A lab name no seat and no ready lab has: the prefix, the next number, the seat's name if known."""
        labs = [seat.lab for seat in self.seats.values()] + [ready["lab"] for ready in self.pool]
        number = 1 + max((int(m.group(1)) for lab in labs
                          if (m := re.match(rf"{re.escape(self.prefix)}-(\d+)", lab))), default=0)
        return f"{self.prefix}-{number}" + (f"-{slug}" if slug else "")

    def labs(self) -> list[tuple[str, str | None]]:
        """Every lab the room owns, (lab, engine): its seats' and the ready ones'."""
        return [(seat.lab, seat.engine) for seat in self.seats.values() if not seat.remote] + \
            [(ready["lab"], ready.get("engine")) for ready in self.pool]

    def making(self, engine: str | None) -> str:
        """A lab for the pool, named and saved before it is made (so a killed serve knows to remove it)."""
        lab = self.new_lab()
        self.pool.append({"lab": lab, "engine": engine, "ready": False})
        self.save()
        return lab

    def made(self, lab: str, ok: bool) -> None:
        """The pool's lab is ready for a seat, or (not ok) dropped from the pool."""
        for ready in list(self.pool):
            if ready["lab"] == lab:
                if ok:
                    ready["ready"] = True
                else:
                    self.pool.remove(ready)
        self.save()

    def remove(self, name: str) -> Seat | None:
        seat = self.seats.pop(self.key(name), None)
        if seat is not None and seat.remote:
            self.ended.add(self.key(name))
        self.save()
        return seat

    def save(self) -> None:
        """Written whole: a server killed mid-write leaves the previous file; 0600, the codes stay the teacher's."""
        data = {"version": VERSION, "code": self.code, "teacher_code": self.teacher_code, "prefix": self.prefix,
                "seats": [asdict(seat) for seat in self.seats.values()], "pool": self.pool,
                "ended": sorted(self.ended)}
        write_whole(self.path, json.dumps(data, ensure_ascii=False, indent=1), durable=True)
