"""The server's own pages: how to join, the join form, a full room, the teacher's table; plain HTML in the browser's
language (one line of script: the teacher's table refreshed, but not while the teacher types in one of its fields)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

from celery_tutor.i18n import translator

_STYLE = """<style>body{font-family:'Noto Sans CJK SC',sans-serif;background:#0c181f;color:#eee;margin:3em}
a{color:#9cf}input,button{font-size:1.1em;padding:.3em .6em;margin:.2em}table{border-collapse:collapse}
td,th{border:1px solid #456;padding:.3em .7em;text-align:left}tr.stuck{background:#5a2a00}
.off{color:#999}form{display:inline}</style>"""


def _code(text: str) -> str:
    return f"<code>{escape(text)}</code>"


def _page(title: str, body: str, lang: str | None, refresh: int | None = None) -> str:
    # A plain refresh would wipe a line the teacher is typing to the room; without scripts it is a plain refresh.
    meta = (f'<noscript><meta http-equiv="refresh" content="{refresh}"></noscript><script>setInterval(() => {{'
            'if (![...document.querySelectorAll("input[name=text],input[name=step]")].some(i => i.value || '
            f'i === document.activeElement)) location.reload(); }}, {refresh * 1000});</script>') if refresh else ""
    return (f'<!DOCTYPE html><html lang="{escape(lang or "en")}"><head><meta charset="utf-8">{meta}'
            f'<title>{escape(title)} · celery-tutor</title>{_STYLE}</head><body><h1>{escape(title)}</h1>{body}'
            '</body></html>')


def how_to_join(teacher: bool = False, lang: str | None = None) -> str:
    _ = translator(lang)
    if teacher:
        return _page(_("The teacher's code is needed"), "<p>" + escape(_(
            "Open this page with the teacher's code that {serve} printed: {address}.")).format(
            serve=_code("celery-tutor serve"), address=_code("/room?code=TEACHER_CODE")) + "</p>", lang)
    return _page(_("This room needs its code"), "<p>" + escape(_(
        "Ask your teacher for the room's link, or for its code, and open {address} (add {seat} to go straight to "
        "your seat).")).format(address=_code("/?code=CODE"), seat=_code("&seat=" + _("YOUR_NAME"))) + "</p>", lang)


def join(code: str, name: str = "", problem: str = "", lang: str | None = None) -> str:
    _ = translator(lang)
    said = f'<p style="color:#f99">{escape(problem)}</p>' if problem else ""
    keeps = _("Your name keeps your seat: come back with the same name (or this page's link after you join) and you "
              "find your lab and your steps as you left them.")
    placeholder, take = escape(_("your name")), escape(_("Take my seat"))
    return _page(_("Join the room"), f"""{said}<p>{escape(keeps)}</p>
<form method="get" action="/"><input type="hidden" name="code" value="{escape(code)}">
<input name="seat" value="{escape(name)}" placeholder="{placeholder}" autofocus maxlength="32" required>
<button type="submit">{take}</button></form>""", lang)


def room_full(cap: int, lang: str | None = None) -> str:
    _ = translator(lang)
    return _page(_("The room is full"), "<p>" + escape(
        _("All {cap} seats are taken. Ask your teacher for a seat.").format(cap=cap)) + "</p>", lang)


def teacher(rows: list[dict], code: str, learners_url: str, lang: str | None = None) -> str:
    _ = translator(lang)

    which = escape(_("step, lesson or 1-4"))

    def action(name: str, seat: str, label: str, step: bool = False) -> str:
        field = f'<input name="step" size="12" placeholder="{which}" required>' if step else ""
        return (f'<form method="post" action="/room/{name}?{urlencode({"code": code})}">'
                f'<input type="hidden" name="seat" value="{escape(seat)}">{field}<button>{escape(label)}</button>'
                '</form>')

    def step(row: dict) -> str:
        bringing = row.get("bringing")
        if not bringing:
            return escape(row["step"] or "")
        if bringing["state"] == "failed":
            failed = _("could not bring to {step}: {why}").format(step=bringing["step"], why=bringing["why"])
            return f'{escape(row["step"] or "")}<br><span style="color:#f99">{escape(failed)}</span>'
        state = _("waiting") if bringing["state"] == "waiting" else _("under way")
        return f'{escape(row["step"] or "")}<br>→ {escape(bringing["step"])} ({escape(state)})'

    cells = []
    for row in rows:
        remote = row.get("remote")
        lab = _("their own machine") if remote else row["lab"]
        minutes = _("{minutes} min").format(minutes=int(row["seconds_on_step"]) // 60)
        connected = _("yes") if row["connected"] else _("no")
        stuck = _("stuck") if row["stuck"] else ""
        buttons = "" if remote else (action("reset", row["name"], _("reset lab")) + " "
                                     + action("bring", row["name"], _("bring to"), step=True) + " ")
        buttons += action("end", row["name"], _("end seat"))
        cells.append(
            f'<tr class="{"stuck" if row["stuck"] else ""}"><td>{escape(row["name"])}</td><td>{escape(lab)}</td>'
            f'<td>{step(row)}</td><td>{row["passed"]}</td><td>{row["failures"]}</td>'
            f'<td>{row["hints"]}</td><td>{row["solutions"]}</td><td>{escape(minutes)}</td>'
            f'<td class="{"" if row["connected"] else "off"}">{escape(connected)}</td>'
            f'<td>{escape(stuck)}</td><td>{buttons}</td></tr>')
    headings = (_("learner"), _("lab"), _("step"), _("passed"), _("failed checks"), _("hints"), _("solutions"),
                _("on step"), _("connected"), _("stuck"), "")
    table = ("<table><tr>" + "".join(f"<th>{escape(heading)}</th>" for heading in headings) + "</tr>"
             + "".join(cells) + "</table>") if rows else "<p>" + escape(_("No one has taken a seat yet.")) + "</p>"
    line, send = escape(_("a line for every learner")), escape(_("Send to everyone"))
    every = action("bring", "*", _("Bring every seat to"), step=True)
    say = (f'<p><form method="post" action="/room/say?{urlencode({"code": code})}">'
           f'<input name="text" size="60" placeholder="{line}" maxlength="200" required><button>{send}</button>'
           f'</form></p><p>{every} '
           + escape(_("(each lab made afresh from the nearest checkpoint, one seat after another, as the table "
                      "shows; each learner reloads their page when theirs is done)")) + "</p>")
    link = f'<a href="{escape(learners_url)}">{escape(learners_url)}</a>'
    joins = escape(_("Learners join at {link}")).format(link=link)
    footer = escape(_("Refreshes every 3 s; the same as JSON at {address}.")).format(
        address=_code("/room.json?code=…"))
    return _page(_("The room"), f"<p>{joins}</p>{table}{say}<p class=\"off\">{footer}</p>", lang, refresh=3)
