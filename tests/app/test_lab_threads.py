"""The lab's threads and the UI at once: a step's run, REPL lines, background jobs, sessions opened and steps changed
all together, many times, and never "dictionary changed size during iteration" or any other error in the log."""

from __future__ import annotations

import asyncio
import sys
import textwrap
import threading

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.progress import ProgressView
from celery_tutor.course import load_course
from celery_tutor.steps.runner import StepRunner

from .tutor_helpers import SIZE, next_step, pane_text, run, wait_for


class _Transcribing:
    """Stands in for a session: the runner's table is what this test is about, not pexpect."""

    def __init__(self, node, name, cwd="/root", on_output=None):
        self.transcript = ["started\n"]
        self.alive = True

    def interrupt(self) -> None:
        pass


class _Nodes:
    def node(self, name):
        return name


def test_the_runners_sessions_can_be_walked_while_sessions_start():
    """A session thread inserts into the runner's table while the UI thread walks it (begin_step, interrupt) and
    a check looks a session up. Before the table had its lock this raised within a few hundred rounds."""
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # the GIL changes hands as often as it can: a race shows at once if there is one
    runner = StepRunner(_Nodes())
    errors: list[BaseException] = []
    started = threading.Event()

    def open_sessions() -> None:
        try:
            for index in range(3000):
                runner.session("celery-1", f"s{index}", _Transcribing)
                started.set()
        except BaseException as error:  # noqa: BLE001 - any error at all is the failure
            errors.append(error)

    opener = threading.Thread(target=open_sessions)
    try:
        opener.start()
        started.wait(5)
        while opener.is_alive():
            try:
                runner.begin_step(None)
                runner.interrupt()
                runner.session_output("celery-1", "s1")
                runner._session_node("s2")
            except RuntimeError as error:
                errors.append(error)
                break
        opener.join()
    finally:
        sys.setswitchinterval(switch)
    assert errors == []
    assert len(runner.sessions) == 3000


LESSON = textwrap.dedent("""\
    ---
    id: busy
    title: Busy
    notes: 忙
    nodes: [celery-1]
    ---

    # Busy

    ## Start celery-1, with Python {#start}

    ```sh {lab action=start node=celery-1}
    docker run -tid --name celery-1 celery-tutor/lab bash
    ```

    ```sh {run node=celery-1 timeout=300}
    apt-get install -y python3 >/dev/null
    ```

    ```sh {check node=celery-1}
    command -v python3
    ```

    ## Everything at once {#work}

    ```sh {run node=celery-1 background=ticker}
    for i in $(seq 1 30); do echo "tick $i"; sleep 0.02; done
    ```

    ```python {repl node=celery-1}
    >>> print("step", 6 * 7)
    step 42
    ```

    ```sh {run node=celery-1}
    for i in $(seq 1 200); do echo "step line $i"; done
    ```

    ```sh {check node=celery-1}
    for i in $(seq 1 100); do grep -q "tick 30" /var/log/celery-tutor/ticker.log && exit 0; sleep 0.1; done; exit 1
    ```
    """)

COURSE = textwrap.dedent("""\
    title: Threads
    nodes: [celery-1]
    sections:
      - number: 1
        title: Threads
        notes: 线程
        lessons: [busy]
    """)

ROUNDS = 8


async def opened(pilot, app, source: str) -> None:
    """Wait for a session's pane; it took the focus to the command line (as for the learner): Escape gives it back."""
    await wait_for(pilot, lambda: source in app.main.output.sources, 30, f"{source} to open")
    if app.focused is app.main.command_line.input:
        await pilot.press("escape")


@pytest.mark.lab
def test_a_step_repl_lines_and_background_jobs_at_once(lab, tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    (lessons / "course.yaml").write_text(COURSE)
    (lessons / "busy.md").write_text(LESSON)
    course = load_course(lessons)
    log_dir = tmp_path / "log"
    app = make_app(course, lambda: lab, lab_name=lab.name, progress=ProgressView(), log_dir=log_dir,
                   status_interval=0.3, crash_on_error=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None, 60, "the lab to connect")
            main = app.main
            await run(pilot, app)
            await next_step(pilot, app, "busy/work")
            for round_ in range(ROUNDS):
                # The step runs (a background job, the REPL, a burst of output) while the learner types into a
                # REPL of their own and opens a shell session beside it ...
                await pilot.press("r")
                main.owner.send_line("celery-1", "learner", f"print('typed', {round_})", True)
                main.open_session("celery-1", f"extra{round_}", python=False)
                # ... and cuts the logs' followers (they end; the probe follows again) with a line typed in the
                # background job's pane, which asks which panes are followed logs.
                if "celery-1/ticker" in main.output.sources:
                    main.output.show("celery-1/ticker")
                await pilot.press("slash")
                main.command_line.input.value = "pkill -x tail || true"
                await pilot.press("enter", "escape")
                await wait_for(pilot, lambda: not main.busy, 60, "the step to end")
                assert app.progress.passed("busy/work"), str(main.step_bar.render())
                # Changing steps walks the sessions while another one starts.
                await opened(pilot, app, f"celery-1/extra{round_}")
                main.open_session("celery-1", f"more{round_}", python=True)
                await pilot.press("p")
                await opened(pilot, app, f"celery-1/more{round_}")
                await pilot.press("n")
                await wait_for(pilot, lambda: main.step.full_id == "busy/work", 5, "the step again")
                await wait_for(pilot, lambda: f"typed {round_}" in pane_text(app, "celery-1/learner"), 30,
                               f"the line typed in round {round_}")
            await wait_for(pilot, lambda: "tick 30" in pane_text(app, "celery-1/ticker"), 30, "the job's log")
            await wait_for(pilot, lambda: ("celery-1", f"more{ROUNDS - 1}") in app.runner.sessions, 30,
                           "the last session")
            assert "step 42" in pane_text(app, "celery-1/python")
            assert "step line 200" in pane_text(app, "celery-1")

    asyncio.run(scenario())
    assert app.unexpected_errors == []
    errors = log_dir / "celery-tutor.log"
    assert not errors.exists() or "unexpected error" not in errors.read_text(), errors.read_text()
