"""The server's own pages: how to join, the join form, a full room, the teacher's table; plain HTML (one line of
script: the teacher's table refreshed, but not while the teacher types in one of its fields)."""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode

_STYLE = """<style>body{font-family:'Noto Sans CJK SC',sans-serif;background:#0c181f;color:#eee;margin:3em}
a{color:#9cf}input,button{font-size:1.1em;padding:.3em .6em;margin:.2em}table{border-collapse:collapse}
td,th{border:1px solid #456;padding:.3em .7em;text-align:left}tr.stuck{background:#5a2a00}
.off{color:#999}form{display:inline}</style>"""


def _page(title: str, body: str, refresh: int | None = None) -> str:
    # A plain refresh would wipe a line the teacher is typing to the room; without scripts it is a plain refresh.
    meta = (f'<noscript><meta http-equiv="refresh" content="{refresh}"></noscript><script>setInterval(() => {{'
            'if (![...document.querySelectorAll("input[name=text],input[name=step]")].some(i => i.value || '
            f'i === document.activeElement)) location.reload(); }}, {refresh * 1000});</script>') if refresh else ""
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8">{meta}<title>{escape(title)} · celery-tutor</title>'
            f'{_STYLE}</head><body><h1>{escape(title)}</h1>{body}</body></html>')


def how_to_join(teacher: bool = False) -> str:
    if teacher:
        return _page("The teacher's code is needed",
                     "<p>Open this page with the teacher's code that <code>celery-tutor serve</code> printed: "
                     "<code>/room?code=TEACHER_CODE</code>.</p>")
    return _page("This room needs its code",
                 "<p>Ask your teacher for the room's link, or for its code, and open "
                 "<code>/?code=CODE</code> (add <code>&amp;seat=YOUR_NAME</code> to go straight to your seat).</p>")


def join(code: str, name: str = "", problem: str = "") -> str:
    said = f'<p style="color:#f99">{escape(problem)}</p>' if problem else ""
    return _page("Join the room", f"""{said}<p>Your name keeps your seat: come back with the same name (or this
page's link after you join) and you find your lab and your steps as you left them.</p>
<form method="get" action="/"><input type="hidden" name="code" value="{escape(code)}">
<input name="seat" value="{escape(name)}" placeholder="your name" autofocus maxlength="32" required>
<button type="submit">Take my seat</button></form>""")


def room_full(cap: int) -> str:
    return _page("The room is full", f"<p>All {cap} seats are taken. Ask your teacher for a seat.</p>")


def teacher(rows: list[dict], code: str, learners_url: str) -> str:
    def action(name: str, seat: str, label: str, step: bool = False) -> str:
        field = '<input name="step" size="12" placeholder="step, lesson or 1-4" required>' if step else ""
        return (f'<form method="post" action="/room/{name}?{urlencode({"code": code})}">'
                f'<input type="hidden" name="seat" value="{escape(seat)}">{field}<button>{label}</button></form>')

    def step(row: dict) -> str:
        bringing = row.get("bringing")
        if not bringing:
            return escape(row["step"] or "")
        if bringing["state"] == "failed":
            return (f'{escape(row["step"] or "")}<br><span style="color:#f99">could not bring to '
                    f'{escape(bringing["step"])}: {escape(bringing["why"])}</span>')
        return f'{escape(row["step"] or "")}<br>→ {escape(bringing["step"])} ({escape(bringing["state"])})'

    cells = []
    for row in rows:
        mark = "stuck" if row["stuck"] else ""
        cells.append(
            f'<tr class="{mark}"><td>{escape(row["name"])}</td>'
            f'<td>{"their own machine" if row.get("remote") else escape(row["lab"])}</td>'
            f'<td>{step(row)}</td><td>{row["passed"]}</td><td>{row["failures"]}</td>'
            f'<td>{row["hints"]}</td><td>{row["solutions"]}</td><td>{int(row["seconds_on_step"]) // 60} min</td>'
            f'<td class="{"" if row["connected"] else "off"}">{"yes" if row["connected"] else "no"}</td>'
            f'<td>{"stuck" if row["stuck"] else ""}</td>'
            f'<td>{"" if row.get("remote") else action("reset", row["name"], "reset lab")} '
            f'{"" if row.get("remote") else action("bring", row["name"], "bring to", step=True)} '
            f'{action("end", row["name"], "end seat")}</td></tr>')
    table = ("<table><tr><th>learner</th><th>lab</th><th>step</th><th>passed</th><th>failed checks</th>"
             "<th>hints</th><th>solutions</th><th>on step</th><th>connected</th><th>stuck</th><th></th></tr>"
             + "".join(cells) + "</table>") if rows else "<p>No one has taken a seat yet.</p>"
    say = (f'<p><form method="post" action="/room/say?{urlencode({"code": code})}">'
           '<input name="text" size="60" placeholder="a line for every learner" maxlength="200" required>'
           '<button>Send to everyone</button></form></p>'
           f'<p>{action("bring", "*", "Bring every seat to", step=True)} (each lab made afresh from the nearest '
           'checkpoint, one seat after another, as the table shows; each learner reloads their page when theirs '
           'is done)</p>')
    return _page("The room", f"<p>Learners join at <a href=\"{escape(learners_url)}\">{escape(learners_url)}</a>"
                             f"</p>{table}{say}<p class=\"off\">Refreshes every 3 s; the same as JSON at "
                             f"<code>/room.json?code=…</code>.</p>", refresh=3)
