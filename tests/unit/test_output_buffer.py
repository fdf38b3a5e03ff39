"""The buffer between the lab's threads and the panes (app/output_buffer.py, plain Python): what a drain hands the
UI, what it leaves out of a flood, and the log file that keeps all of it."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from celery_tutor.app.output_buffer import OutputBuffer, log_name


def test_a_drain_gives_each_source_its_text_in_the_order_the_sources_first_wrote(tmp_path):
    buffer = OutputBuffer(tmp_path)
    buffer.write("celery-2", "b1\n")
    buffer.write("celery-1", "a1\n")
    buffer.write("celery-2", "b2")
    buffer.write("celery-1", "")  # nothing written is no write
    batches = buffer.drain()
    assert list(batches) == ["celery-2", "celery-1"]
    assert (batches["celery-2"].text, batches["celery-1"].text) == ("b1\nb2", "a1\n")
    assert buffer.drain() == {}
    buffer.write("celery-1", "a2\n")
    assert list(buffer.drain()) == ["celery-1"]
    buffer.close()
    assert (tmp_path / "celery-1.log").read_text() == "a1\na2\n"


def test_without_a_log_directory_the_panes_still_get_everything():
    buffer = OutputBuffer(None, keep_lines=None)
    buffer.write("celery-1", "x\n" * 10_000)
    assert buffer.drain()["celery-1"].text.count("\n") == 10_000 and buffer.log_path("celery-1") is None


def test_a_log_directory_that_cannot_be_made_does_not_stop_the_output(tmp_path):
    (tmp_path / "a-file").write_text("")
    buffer = OutputBuffer(tmp_path / "a-file" / "logs")
    buffer.write("celery-1", "still shown\n")
    assert buffer.drain()["celery-1"].text == "still shown\n"


@settings(max_examples=80, deadline=None)
@given(lines=st.lists(st.text(alphabet="ab漢\x1b[m", max_size=8), min_size=1, max_size=120),
       cuts=st.lists(st.integers(1, 40), min_size=1, max_size=30), keep=st.integers(1, 30))
def test_a_flood_keeps_a_pane_s_worth_of_its_end_and_counts_every_line_it_leaves_out(lines, cuts, keep):
    stream = "".join(f"{line}\n" for line in lines)
    with tempfile.TemporaryDirectory() as directory:
        buffer = OutputBuffer(Path(directory), keep_lines=keep)
        start, index = 0, 0
        while start < len(stream):  # chunks cut anywhere, as a stream's are
            end = start + cuts[index % len(cuts)]
            buffer.write("celery-1", stream[start:end])
            start, index = end, index + 1
        batch = buffer.drain()["celery-1"]
        buffer.close()
        logged = (Path(directory) / "celery-1.log").read_text(encoding="utf-8")
    assert logged == stream  # the log file has all of it
    assert stream.endswith(batch.text)  # what the pane gets is the end, whole
    assert batch.skipped + batch.text.count("\n") == len(lines)  # every line shown or counted as left out
    assert batch.text.count("\n") >= min(keep, len(lines))  # what stays still fills the pane


@given(st.text(max_size=40))
def test_any_source_names_a_single_safe_file_in_the_log_directory(source):
    name = log_name(source)
    assert re.fullmatch(r"[A-Za-z0-9_.-]*\.log", name) and "/" not in name
    assert Path("/logs", name).parent == Path("/logs")  # never a path out of the log directory


NAME = st.from_regex(r"[a-z0-9][a-z0-9-]{0,10}", fullmatch=True)  # as the lessons name nodes and sessions


@given(st.lists(st.tuples(NAME, st.none() | NAME), unique=True, max_size=8))
def test_the_panes_of_a_lab_log_to_files_of_their_own(sources):
    names = [log_name(node if name is None else f"{node}/{name}") for node, name in sources]
    assert len(set(names)) == len(names)


def test_a_session_s_pane_and_a_node_s_pane_log_to_different_files():
    assert (log_name("celery-1"), log_name("celery-1/python"), log_name("celery-1/worker")) == (
        "celery-1.log", "celery-1.python.log", "celery-1.worker.log")


def test_a_tutor_opened_again_finds_the_end_of_each_panes_log_in_front_and_logs_it_once(tmp_path):
    first = OutputBuffer(tmp_path, keep_lines=100)
    first.write("celery-1", "".join(f"line {n}\n" for n in range(1000)))
    first.write("celery-1/shell", "\x1b[1m$\x1b[0m ls\ntasks.py\n")
    first.drain()
    first.close()

    again = OutputBuffer(tmp_path, keep_lines=100)
    assert again.restore(["celery-1", "celery-1/shell", "celery-2"], lines=50) == 2  # celery-2 never wrote
    again.write("celery-1", "after the reload\n")
    batches = again.drain()
    lines = batches["celery-1"].text.splitlines()
    assert lines[0] == "\x1b[2m── earlier output, from celery-1.log ──\x1b[0m"
    assert lines[1:] == [f"line {n}" for n in range(950, 1000)] + ["after the reload"]
    assert "tasks.py" in batches["celery-1/shell"].text
    again.close()
    logged = (tmp_path / "celery-1.log").read_text()
    assert logged.count("line 999\n") == 1 and logged.endswith("line 999\nafter the reload\n")  # not logged twice


def test_restoring_reads_only_the_end_of_a_huge_log(tmp_path):
    (tmp_path / "celery-1.log").write_bytes(b"x" * (5 << 20) + b"\nthe last line\n")
    buffer = OutputBuffer(tmp_path)
    buffer.restore(["celery-1"])
    assert buffer.drain()["celery-1"].text.splitlines()[1:] == ["the last line"]  # the cut first line left out
