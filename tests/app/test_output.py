"""Output from the lab to the panes: batched by time from threads, capped in the pane with the whole of it in a
log file, carriage returns and colours as a terminal shows them, following the end unless scrolled up."""

from __future__ import annotations

import asyncio
import threading

from rich.text import Text
from textual.app import App

from celery_tutor.app.output_buffer import OutputBuffer, log_name
from celery_tutor.app.widgets.output_pane import OutputPane

from .tutor_helpers import FakeLab, fake_app, wait_for


class PaneApp(App):
    def __init__(self, pane: OutputPane):
        super().__init__()
        self.pane = pane

    def compose(self):
        yield self.pane


def test_the_buffer_joins_what_threads_wrote_and_keeps_a_log_per_source(tmp_path):
    buffer = OutputBuffer(tmp_path)
    threads = [threading.Thread(target=lambda n=n: [buffer.write("celery-1/python", f"{n}:{i}\n") for i in range(500)])
               for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    batches = buffer.drain()
    assert list(batches) == ["celery-1/python"]
    assert batches["celery-1/python"].text.count("\n") == 2000 and batches["celery-1/python"].skipped == 0
    assert buffer.drain() == {}
    assert log_name("celery-1/python") == "celery-1.python.log"
    assert (tmp_path / "celery-1.python.log").read_text().count("\n") == 2000


def test_a_flood_reaches_the_pane_as_its_last_lines_with_every_line_counted_and_logged(tmp_path):
    buffer = OutputBuffer(tmp_path, keep_lines=100)
    pane = OutputPane("celery-1", max_lines=100)
    pane.write("an open line")
    stream = " ends\n" + "".join(f"line {n}\n" for n in range(1, 5001))
    for start in range(0, len(stream), 53):  # chunks that end and begin inside lines, as a stream's do
        buffer.write("celery-1", stream[start:start + 53])
    batch = buffer.drain()["celery-1"]
    assert batch.skipped > 4000 and batch.text.count("\n") < 120  # the UI thread gets about a pane's worth
    pane.write(batch.text, batch.skipped)
    assert pane.lines[-1] == "line 5000" and len(pane.lines) == 100
    assert pane.total_lines == 5001  # the open line, finished by the first chunk, and 5000 more
    # A pane of the same size fed the whole flood in one batch shows and counts the same.
    whole = OutputPane("celery-2", max_lines=100)
    whole.write("an open line")
    whole.write(stream)
    assert (whole.lines, whole.total_lines) == (pane.lines, pane.total_lines)
    assert (tmp_path / "celery-1.log").read_text() == stream


def test_a_pane_keeps_the_last_lines_and_says_where_the_rest_is(tmp_path):
    pane = OutputPane("celery-1", tmp_path / "celery-1.log", max_lines=100, shown_path="~/celery-1.log")
    pane.write("".join(f"line {n}\n" for n in range(1, 251)))
    assert pane.lines[0] == "line 151" and pane.lines[-1] == "line 250"
    assert (pane.total_lines, pane.dropped) == (250, 150)
    # A line still open when a batch longer than the pane arrives is finished by it, not counted twice.
    longer = OutputPane("celery-2", max_lines=100)
    longer.write("line 0 begins")
    longer.write(" and ends\n" + "".join(f"line {n}\n" for n in range(1, 251)) + "open")
    assert (longer.lines[0], longer.lines[-2:], longer.total_lines) == ("line 152", ["line 250", "open"], 252)

    async def scenario():
        async with PaneApp(pane).run_test(size=(80, 20)) as pilot:
            await pilot.pause()
            assert pane.border_subtitle == "last 100 of 250 lines · full log: ~/celery-1.log"
    asyncio.run(scenario())


def test_carriage_returns_and_split_lines_read_as_a_terminal_shows_them():
    pane = OutputPane("celery-1")
    pane.write("Reading package lists... 0%\rReading package lists... 100%\rReading package lists... Done\r")
    pane.write("\nfirst half ")
    pane.write("second half\r\nnext")
    assert pane.lines == ["Reading package lists... Done", "first half second half", "next"]


def test_colours_are_rendered_not_printed():
    pane = OutputPane("celery-1")
    pane.write("\x1b[31mred\x1b[0m and plain\n")

    async def scenario():
        async with PaneApp(pane).run_test(size=(40, 5)) as pilot:
            await pilot.pause()
            strip = pane.render_line(0)
            text = "".join(segment.text for segment in strip)
            assert text.startswith("red and plain")
            red = next(segment for segment in strip if segment.text == "red")
            assert red.style.color.number == 1  # ANSI red
    asyncio.run(scenario())
    assert Text.from_ansi(pane.lines[0]).plain == "red and plain"


def test_a_pane_follows_the_end_unless_the_learner_scrolled_up():
    pane = OutputPane("celery-1")

    async def scenario():
        async with PaneApp(pane).run_test(size=(60, 12)) as pilot:
            pane.write("".join(f"line {n}\n" for n in range(100)))
            await pilot.pause()
            assert pane.is_vertical_scroll_end
            pane.focus()
            await pilot.press("pageup")
            await pilot.pause()
            held = pane.scroll_y
            pane.write("".join(f"more {n}\n" for n in range(50)))
            await pilot.pause()
            assert pane.scroll_y == held and not pane.is_vertical_scroll_end
            await pilot.press("end")
            pane.write("last\n")
            await pilot.pause()
            assert pane.is_vertical_scroll_end
    asyncio.run(scenario())


def test_output_from_a_thread_reaches_the_pane_in_batches_not_line_by_line(course):
    app = fake_app(course)
    writes = []

    async def scenario():
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(pilot, lambda: app.lab is not None, 10)
            pane = app.main.output.pane("celery-1")
            original = pane.write
            pane.write = lambda text, skipped=0: (writes.append((text, skipped)), original(text, skipped))

            def flood():
                for n in range(20_000):
                    app.buffer.write("celery-1", f"output line {n}\n")
            thread = threading.Thread(target=flood)
            thread.start()
            await wait_for(pilot, lambda: pane.total_lines >= 20_000, 30, "all lines in the pane")
            thread.join()
            assert pane.lines[-1] == "output line 19999"
    asyncio.run(scenario())
    assert sum(text.count("\n") + skipped for text, skipped in writes) == 20_000  # every line counted once
    assert len(writes) < 200  # one write per flush (~50 ms), not 20,000


def test_an_unexpected_error_is_a_one_line_notice_and_a_log_entry_not_a_traceback(course, tmp_path):
    from celery_tutor.app import make_app
    from celery_tutor.app.progress import ProgressView

    app = make_app(course, lambda: FakeLab(), lab_name="snap", progress=ProgressView(), log_dir=tmp_path,
                   status_interval=0)

    def broken(*args, **kwargs) -> None:
        raise RuntimeError("a bug in the tutor")

    async def scenario():
        async with app.run_test(size=(120, 36), notifications=True) as pilot:
            await wait_for(pilot, lambda: app.lab is not None, 10)
            app.main.lesson_view.refresh_step = broken  # what the hint key calls
            await pilot.press("h")
            await pilot.pause(0.2)
            notices = [n.message for n in app._notifications]
            assert any("RuntimeError: a bug in the tutor" in notice for notice in notices), notices
            assert all("\n" not in notice and "Traceback" not in notice for notice in notices)
            await pilot.press("p")  # the app still answers
            assert app.is_running
    asyncio.run(scenario())
    log = (tmp_path / "celery-tutor.log").read_text()
    assert "Traceback" in log and "a bug in the tutor" in log


def test_cutting_the_top_keeps_the_lines_being_read_in_view():
    pane = OutputPane("celery-1", max_lines=100)

    async def scenario():
        async with PaneApp(pane).run_test(size=(60, 12)) as pilot:
            pane.write("".join(f"line {n}\n" for n in range(100)))
            await pilot.pause()
            pane.focus()
            await pilot.press("pageup", "pageup")
            await pilot.pause()
            first_seen = pane.lines[int(pane.scroll_y)]
            pane.write("".join(f"more {n}\n" for n in range(30)))  # 30 lines cut from the top
            await pilot.pause()
            assert pane.dropped == 30
            assert pane.lines[int(pane.scroll_y)] == first_seen
    asyncio.run(scenario())


def test_an_escape_sequence_cut_between_two_batches_is_judged_whole():
    """Wherever a stream's chunks cut a title string or a colour, the pane shows the same as if it came whole."""
    stream = "before\x1b]0;a window title\x07after\n\x1b[1;31mred\x1b[0m plain\n\x1b]2;t\x1b\\end\n"
    pane = OutputPane("celery-1")

    async def scenario():
        async with PaneApp(pane).run_test(size=(80, 20)) as pilot:
            def shown() -> list[str]:
                return [pane.render_line(y).text.rstrip() for y in range(len(pane.lines))]

            pane.write(stream)
            await pilot.pause()
            whole = shown()
            assert whole == ["beforeafter", "red plain", "end"]
            for cut in range(1, len(stream)):
                pane.clear()
                pane.write(stream[:cut])
                pane.write(stream[cut:])
                assert shown() == whole, f"cut at {cut}: {stream[:cut]!r} | {stream[cut:]!r}"
    asyncio.run(scenario())
