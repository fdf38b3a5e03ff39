"""Faults a learner meets in the app, against the real engine and a real lab: output that tries to break the
screen, the Docker engine lost mid-step, Ctrl+C at every stage of a step, a typo in tasks.py and a worker started
twice. Each time the app stays up, says what happened in one line, and the next key works."""

from __future__ import annotations

import asyncio
import re
import shutil
import textwrap
import threading
import time
from pathlib import Path

import pytest

from celery_tutor.app import make_app
from celery_tutor.app.activity import Activity
from celery_tutor.app.progress import ProgressView
from celery_tutor.course import load_course
from celery_tutor.lab.docker_engine import connect
from celery_tutor.lab.image import LABEL
from celery_tutor.lab.lab import Lab
from celery_tutor.paths import lessons_dir

from conftest import new_lab_name
from engine_proxy import EngineProxy

from .tutor_helpers import SIZE, bar, check, pane_text, type_line, until_idle, wait_for

pytestmark = pytest.mark.lab

NODES = ("celery-1", "celery-2")  # panes for two nodes, so there is another pane to move to; only celery-1 runs
ESC = "\x1b"
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_C0 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# The learner's output, as printf escapes (the command itself stays ASCII): bad UTF-8 between words; escapes that
# would clear a real terminal, move its cursor, switch it to the alternate screen, set its title, hide its cursor,
# reset it (ESC c) or fill it with E's (ESC # 8), and a 24-bit colour, between letters that must stay in order.
BAD_BYTES = r"printf 'before \xff\xfe bad \xc3\x28 after\n'"
TRICKS = (r"printf 'A\e[2JB\e[10AC\e[?1049hD\e]0;pwned\aE\e[?25lF\e[38;2;255;100;0mG\e[0mH\e[HI\ecJ"
          r"\e#8K tricks-done\n'")
LONG = "head -c 1000000 /dev/zero | tr '\\0' x; echo"  # one line of 1,000,000 characters
CJK = r"printf '\xe6\xbc\xa2%.0s' $(seq 10000); echo"  # 10,000 wide characters (漢), 20,000 cells


# --- a lab of the module's own: celery-1 only; Python, Celery and RabbitMQ installed behind the first tests -------

PROVISION = ("apt-get install -y python3-pip rabbitmq-server && rabbitmq-server -detached && pip install celery && "
             "for i in $(seq 120); do (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && exit 0; sleep 0.5; done; exit 1")


class Provisioned:
    """Installs what the lessons of section 二 need into celery-1, in a thread, while the first tests run."""

    def __init__(self, lab: Lab):
        self.result = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(lab,), daemon=True)
        self.thread.start()

    def _run(self, lab: Lab) -> None:
        try:
            self.result = lab.node("celery-1").exec(PROVISION, timeout=600)
        except BaseException as exc:  # noqa: BLE001 (reported by wait())
            self.error = exc

    def wait(self) -> None:
        self.thread.join(700)
        assert self.error is None and self.result is not None and self.result.ok, \
            f"provisioning celery-1 failed: {self.error or (self.result and self.result.output[-2000:])}"


@pytest.fixture(scope="module")
def module_lab(request, lab_image):
    made = Lab(connect(), name=new_lab_name(), nodes=NODES, image=lab_image)
    try:
        made.start_node("celery-1")
        if any("celery_lab" in getattr(item, "fixturenames", ()) for item in request.session.items):
            made.provisioned = Provisioned(made)  # behind the tests that need nothing installed
        yield made
    finally:
        made.down()
        assert not made.client.api.containers(all=True, filters={"label": f"{LABEL}={made.name}"})


@pytest.fixture
def celery_lab(module_lab):
    """The module's lab once Python, Celery and RabbitMQ are in celery-1."""
    module_lab.provisioned.wait()
    return module_lab


# --- courses written for the test, and the app over them ---------------------------------------------------

def write_course(root: Path, steps: str, nodes=NODES) -> Path:
    lessons = root / "lessons"
    lessons.mkdir()
    (lessons / "course.yaml").write_text(textwrap.dedent(f"""\
        title: Faults
        nodes: [{', '.join(nodes)}]
        sections:
          - number: 1
            title: Faults
            notes: 一
            lessons: [faults]
        """))
    (lessons / "faults.md").write_text(textwrap.dedent("""\
        ---
        id: faults
        title: Faults
        notes: 故障
        nodes: [celery-1]
        ---

        # Faults

        """) + textwrap.dedent(steps))
    return lessons


def app_over(lessons: Path, lab_factory, lab_name: str, tmp_path: Path):
    return make_app(load_course(lessons), lab_factory, lab_name=lab_name, progress=ProgressView(),
                    log_dir=tmp_path / "log", status_interval=2.0, crash_on_error=True)


async def connected(pilot, app) -> None:
    await wait_for(pilot, lambda: app.runner is not None, 60, "the lab to connect")


async def again(pilot, app, key: str, timeout: float = 60) -> None:
    """Runs the step (r, or d for the tutor) and waits for it and its check: a short one may end before a poll
    could see it busy, so the result is judged from the progress and the step bar."""
    await pilot.press(key)
    await until_idle(pilot, app, timeout)


# --- what the learner sees -----------------------------------------------------------------------------------

def shown(app, source: str) -> list[str]:
    """The pane's rows as drawn on the screen: the text of the segments Textual sends to the terminal."""
    pane = app.main.output.pane(source)
    return ["".join(segment.text for segment in pane.render_line(y)) for y in range(pane.size.height)]


def assert_nothing_escapes(app) -> None:
    """No escape or other control character reaches the terminal from any pane; the panes keep colours only."""
    for source in app.main.output.sources:
        pane = app.main.output.pane(source)
        for line in pane.lines:
            assert ESC not in _SGR.sub("", line), f"a raw escape kept in {source}: {line[:200]!r}"
        if pane.size.height:
            for row in shown(app, source):
                assert not _C0.search(row), f"a control character drawn in {source}: {row[:200]!r}"


async def still_answers(pilot, app) -> None:
    """The next keys work: another pane and back, then a command whose output appears."""
    output = app.main.output
    source = output.current_source
    await pilot.press("right_square_bracket")
    await wait_for(pilot, lambda: output.current_source != source, 5, "the next pane")
    await pilot.press("left_square_bracket")
    await wait_for(pilot, lambda: output.current_source == source, 5, "the pane back")
    await type_line(pilot, app, "echo aft''er", lambda: "\nafter" in pane_text(app, "celery-1"), 30)
    assert app.is_running and app.unexpected_errors == []


def assert_learner_sees_the_output(app, pane_before: int) -> None:
    """The words around the bad bytes and the escapes, in order; the long lines whole in the pane."""
    pane = app.main.output.pane("celery-1")
    lines = pane.lines[pane_before:]
    plain = [_SGR.sub("", line) for line in lines]
    assert "before \ufffd\ufffd bad \ufffd( after" in plain, plain[-20:]
    assert any(line.startswith("ABCDEFGHIJK tricks-done") for line in plain), [p[:80] for p in plain][-20:]
    assert any(line == "x" * 1_000_000 for line in plain), "the 1,000,000-character line is not whole"
    assert any(line == "漢" * 10_000 for line in plain), "the 10,000 wide characters are not whole"
    assert "pwned" not in app.title and "pwned" not in app.main.title
    assert_nothing_escapes(app)


# --- 1. output that tries to break the screen ---------------------------------------------------------------

def test_hostile_output_typed_in_the_command_line(module_lab, tmp_path):
    lessons = write_course(tmp_path, """\
        ## Look around {#look}

        ```sh {check node=celery-1}
        true
        ```
        """)
    app = app_over(lessons, lambda: module_lab, module_lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            pane = app.main.output.pane("celery-1")
            before = len(pane.lines)
            for line, marker in ((BAD_BYTES, "bad \ufffd( after"), (TRICKS, "K tricks-done"),
                                 (LONG, "x" * 1000), (CJK, "漢" * 100)):
                await type_line(pilot, app, line, lambda: marker in pane_text(app, "celery-1")
                                and pane_text(app, "celery-1").rstrip().endswith("celery-1#"), 60)
            rows = "\n".join(shown(app, "celery-1"))
            assert "xxxxxxxx" in rows and "漢漢漢漢" in rows  # drawn, cut at the pane's edge
            assert_learner_sees_the_output(app, before)
            await still_answers(pilot, app)

    asyncio.run(scenario())


def test_hostile_output_from_a_steps_run_block(module_lab, tmp_path):
    lessons = write_course(tmp_path, f"""\
        ## Print everything {{#print}}

        ```sh {{run node=celery-1}}
        {BAD_BYTES}
        {TRICKS}
        {LONG}
        {CJK}
        ```

        ```sh {{check node=celery-1}}
        true
        ```
        """)
    app = app_over(lessons, lambda: module_lab, module_lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            pane = app.main.output.pane("celery-1")
            before = len(pane.lines)
            await again(pilot, app, "r", 120)
            assert app.progress.passed("faults/print"), bar(app)
            await wait_for(pilot, lambda: any(line == "漢" * 10_000 for line in pane.lines), 10, "the last line")
            assert_learner_sees_the_output(app, before)
            await still_answers(pilot, app)

    asyncio.run(scenario())


# --- 2. the Docker engine lost in the middle of a step --------------------------------------------------------

def test_the_engine_lost_mid_step_is_one_line_and_the_step_is_retried(module_lab, lab_image, tmp_path):
    marker = "/tmp/engine-lost"
    lessons = write_course(tmp_path, f"""\
        ## A long command {{#long}}

        ```sh {{run node=celery-1}}
        if [ -e {marker}.started ]; then echo again; else touch {marker}.started; echo working; sleep 30; fi
        touch {marker}.done
        ```

        ```sh {{check node=celery-1}}
        test -f {marker}.done || {{ echo "no {marker}.done yet"; exit 1; }}
        ```
        """)
    proxy = EngineProxy()
    app = app_over(lessons, lambda: Lab(connect(proxy.url), name=module_lab.name,
                                        nodes=NODES, image=lab_image), module_lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            main = app.main
            await pilot.press("r")
            await wait_for(pilot, lambda: "working" in pane_text(app, "celery-1"), 30, "the command to start")
            proxy.cut()
            cut = time.monotonic()
            await wait_for(pilot, lambda: not main.busy, 20, "the run to give up")
            assert time.monotonic() - cut < 10
            assert app.is_running and main.step_bar.state == "run-failed"
            reason = bar(app).splitlines()[0]
            assert reason.startswith("✗ The run failed: lost the Docker engine during the step"), bar(app)
            assert "retry the step" in reason
            assert not app.progress.passed("faults/long")
            # The status probe cannot reach the engine either: a word in the status bar, no traceback.
            await wait_for(pilot, lambda: "cannot read the lab's state" in str(main.status_bar.render()), 10,
                           "the status bar's note")
            await pilot.press("c")  # checking while the engine is away: the same reason, the app stays up
            await wait_for(pilot, lambda: not main.busy and main.step_bar.state == "failed", 20, "the check")
            assert "lost the Docker engine" in bar(app)

            proxy.restore()
            await again(pilot, app, "r")
            assert app.progress.passed("faults/long"), bar(app)
            assert "again" in pane_text(app, "celery-1")
            await wait_for(pilot, lambda: "cannot read" not in str(main.status_bar.render()), 10, "the probe")
            assert app.unexpected_errors == []

    try:
        asyncio.run(scenario())
    finally:
        proxy.close()


# --- 3. Ctrl+C at every stage of a step ----------------------------------------------------------------------

async def interrupt(pilot, app, ended, what: str, within: float = 5.0) -> None:
    """Ctrl+C, as the learner presses it, and the running thing must end within a few seconds."""
    pressed = time.monotonic()
    await pilot.press("ctrl+c")
    await wait_for(pilot, ended, within + 5, what)
    assert time.monotonic() - pressed < within, f"{what} took {time.monotonic() - pressed:.1f} s"
    assert app.is_running


def no_process(lab: Lab, pattern: str) -> bool:
    return lab.node("celery-1").exec(f"! pgrep -f -x {pattern!r}", cwd="/", timeout=10).ok


def test_ctrl_c_at_every_stage_of_a_step(module_lab, tmp_path):
    m = "/tmp/ctrl-c"
    lessons = write_course(tmp_path, f"""\
        ## A command that streams {{#stream}}

        ```sh {{run node=celery-1}}
        if [ ! -e {m}.streamed ]; then touch {m}.streamed; for i in $(seq 1 600); do echo tick $i; sleep 0.1; done; fi
        echo streamed
        ```

        ```sh {{check node=celery-1}}
        true
        ```

        ## A check that waits {{#wait}}

        ```sh {{check node=celery-1 retries=60 delay=1}}
        test -f {m}.ok || {{ echo "no {m}.ok yet"; exit 1; }}
        ```

        ## A command typed by hand {{#typed}}

        ```sh {{check node=celery-1}}
        test -f {m}.typed || {{ echo "no {m}.typed yet"; exit 1; }}
        ```

        ## The tutor does it {{#do}}

        ```sh {{run node=celery-1 solution}}
        if [ ! -e {m}.do ]; then touch {m}.do; sleep 44; fi
        touch {m}.done
        ```

        ```sh {{check node=celery-1}}
        test -f {m}.done || {{ echo "no {m}.done yet"; exit 1; }}
        ```
        """)
    lab = module_lab
    app = app_over(lessons, lambda: lab, lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            main = app.main
            ticks = lambda: pane_text(app, "celery-1").count("tick ")  # noqa: E731

            # While a run block streams.
            await pilot.press("r")
            await wait_for(pilot, lambda: ticks() > 5, 30, "the ticks")
            await interrupt(pilot, app, lambda: not main.busy, "the streaming run")
            assert "interrupted (Ctrl+C)" in bar(app) and not app.progress.passed("faults/stream")
            # The pane goes quiet: the command printed a tick every 0.1 s while it ran. (Counting ticks over a fixed
            # pause also counted those printed before Ctrl+C that reached the pane late on a loaded machine.)
            last = [ticks(), time.monotonic()]
            def quiet() -> bool:  # noqa: E306
                if ticks() != last[0]:
                    last[:] = [ticks(), time.monotonic()]
                return time.monotonic() - last[1] > 1.0
            await wait_for(pilot, quiet, 10, "the pane to go quiet: the command went on printing after Ctrl+C")
            await again(pilot, app, "r")
            assert app.progress.passed("faults/stream"), bar(app)
            await pilot.press("n")

            # While a check retries, counting down to its next try.
            await pilot.press("c")
            await wait_for(pilot, lambda: main.step_bar.state == "waiting" and "next try in" in bar(app), 30,
                           "the countdown")
            await interrupt(pilot, app, lambda: not main.busy, "the check's waiting")
            assert "Check interrupted" in bar(app) and not app.progress.passed("faults/wait")
            await type_line(pilot, app, f"touch {m}.ok", lambda: pane_text(app, "celery-1").rstrip()
                            .endswith("celery-1#"), 30)
            assert await check(pilot, app), bar(app)
            await pilot.press("n")

            # While a command typed in the command line runs.
            await pilot.press("slash")
            main.command_line.input.value = "sleep 43"
            await pilot.press("enter")
            shell = lambda: app.runner.sessions.get(("celery-1", "shell"))  # noqa: E731
            await wait_for(pilot, lambda: shell() is not None and shell().busy, 30, "sleep to run")
            await interrupt(pilot, app, lambda: not shell().busy, "the typed command")
            assert "celery-1 [130]#" in pane_text(app, "celery-1") and no_process(lab, "sleep 43")
            await pilot.press("escape")
            assert not await check(pilot, app) and "no /tmp/ctrl-c.typed yet" in bar(app)
            await type_line(pilot, app, f"sleep 0.2 && touch {m}.typed",
                            lambda: pane_text(app, "celery-1").rstrip().endswith("celery-1#"), 30)
            assert await check(pilot, app), bar(app)
            await pilot.press("n")

            # While the tutor does the step.
            await pilot.press("d")
            await wait_for(pilot, lambda: main.activity is Activity.RUNNING, 5, "the tutor to start")
            await wait_for(pilot, lambda: not no_process(lab, "sleep 44"), 30, "the solution to run")
            await interrupt(pilot, app, lambda: not main.busy, "the tutor's run")
            assert "interrupted (Ctrl+C)" in bar(app) and not app.progress.passed("faults/do")
            assert no_process(lab, "sleep 44")
            await again(pilot, app, "d")
            assert app.progress.passed("faults/do"), bar(app)
            await still_answers(pilot, app)

    asyncio.run(scenario())


def test_ctrl_c_in_the_python_repl(celery_lab, tmp_path):
    lessons = write_course(tmp_path, """\
        ## Sleep in Python {#sleep}

        ```text {check session=python}
        woke up
        ```
        """)
    app = app_over(lessons, lambda: celery_lab, celery_lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            main = app.main
            await pilot.press("slash")
            main.command_line.input.value = "python3"
            await pilot.press("enter")
            await wait_for(pilot, lambda: main.output.current_source == "celery-1/python", 30, "the REPL's tab")
            repl = app.runner.sessions[("celery-1", "python")]
            main.command_line.input.value = "import time; time.sleep(30)"
            await pilot.press("enter")
            await wait_for(pilot, lambda: repl.busy, 10, "the sleep to run")
            await pilot.pause(0.5)
            await interrupt(pilot, app, lambda: not repl.busy, "the REPL's statement")
            await wait_for(pilot, lambda: "KeyboardInterrupt" in pane_text(app, "celery-1/python"), 5, "the error")
            await pilot.press("escape")
            assert not await check(pilot, app) and not app.progress.passed("faults/sleep")
            await pilot.press("slash")
            main.command_line.input.value = "time.sleep(0.2); print('woke', 'up')"
            await pilot.press("enter")
            await wait_for(pilot, lambda: "\nwoke up" in pane_text(app, "celery-1/python"), 10, "the answer")
            await pilot.press("escape")
            assert await check(pilot, app), bar(app)
            assert app.unexpected_errors == []

    asyncio.run(scenario())


# --- 4. a typo in tasks.py, a worker started twice: the shipped lessons of section 二 -------------------------

BROKEN_TASKS = (r"printf 'from celery import Celery\napp = Celery(\"tasks\", broker=\"amqp://guest@localhost//\")\n"
                r"\n@app.task\ndef add(x, y)\n    return x + y\n' > /root/tasks.py")


def _section_two(lessons: Path, ids: str) -> None:
    """A course.yaml of section 二 alone, with the lessons `ids` (copied into `lessons` by the test)."""
    (lessons / "course.yaml").write_text(textwrap.dedent(f"""\
        title: Section two
        nodes: [celery-1, celery-2]
        sections:
          - number: 2
            title: First steps with Celery
            notes: 二、初级应用
            lessons: [{ids}]
        """))


def test_a_typo_in_tasks_py_gets_its_one_line_reason_in_chinese(celery_lab, tmp_path):
    from celery_tutor import i18n

    lessons = tmp_path / "lessons"
    (lessons / "locale" / "zh").mkdir(parents=True)
    shutil.copy(lessons_dir() / "2-1-code.md", lessons / "2-1-code.md")
    for catalog in ("2-1-code.po", "check_helpers.po"):
        shutil.copy(lessons_dir() / "locale" / "zh" / catalog, lessons / "locale" / "zh" / catalog)
    _section_two(lessons, "tasks-code")
    app = make_app(load_course(lessons, "zh"), lambda: celery_lab, lab_name=celery_lab.name, progress=ProgressView(),
                   log_dir=tmp_path / "log", status_interval=2.0, crash_on_error=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            prompt = lambda: pane_text(app, "celery-1").rstrip().endswith("celery-1#")  # noqa: E731
            await type_line(pilot, app, BROKEN_TASKS, prompt, 30)
            assert not await check(pilot, app)
            reason = bar(app).splitlines()[0]
            # the check's reason from the lesson's catalog, Python's own words in it, the tutor's around it
            assert "尚未通过" in reason and "python3 说" in reason and "SyntaxError" in reason, bar(app)

    i18n.set_language("zh")
    try:
        asyncio.run(scenario())
    finally:
        i18n.set_language("en")


def test_a_typo_in_tasks_py_and_a_worker_started_twice(celery_lab, tmp_path):
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    for name in ("2-1-code.md", "2-2-start.md"):
        shutil.copy(lessons_dir() / name, lessons / name)
    _section_two(lessons, "tasks-code, worker-start")
    app = app_over(lessons, lambda: celery_lab, celery_lab.name, tmp_path)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await connected(pilot, app)
            main = app.main
            prompt = lambda: pane_text(app, "celery-1").rstrip().endswith("celery-1#")  # noqa: E731

            # The learner's tasks.py has a typo: the check says so in one line, with Python's own words.
            await type_line(pilot, app, BROKEN_TASKS, prompt, 30)
            assert not await check(pilot, app)
            reason = bar(app).splitlines()[0]
            assert "SyntaxError" in reason and "python3 said" in reason, bar(app)
            await again(pilot, app, "r")  # the notes' file, written by the tutor
            assert app.progress.passed("tasks-code/write"), bar(app)
            await pilot.press("n")
            await wait_for(pilot, lambda: main.step.full_id == "worker-start/start", 5, "the worker step")

            # The typo again, then the worker: it cannot import the module and stops, and the check says why at
            # once (no countdown to wait out: no worker runs, so waiting cannot help).
            await type_line(pilot, app, BROKEN_TASKS, prompt, 30)
            await pilot.press("r")
            await wait_for(pilot, lambda: main.step_bar.state == "failed" and not main.busy, 90,
                           "the check to fail")
            reason = bar(app).splitlines()[0]
            assert "no Celery worker runs on celery-1" in reason and "SyntaxError" in reason, bar(app)
            assert not app.progress.passed("worker-start/start")

            # Fixed, and the worker started a second time: it starts. A third start, while it runs, is refused by
            # RabbitMQ (the node name's queue is taken): the worker pane shows why, the running worker answers, the
            # step passes and the app goes on.
            await pilot.press("p")
            await again(pilot, app, "r")
            assert app.progress.passed("tasks-code/write"), bar(app)
            await pilot.press("n")
            for _ in range(2):
                await again(pilot, app, "r", 120)
                assert app.progress.passed("worker-start/start"), bar(app)
            await wait_for(pilot, lambda: "RESOURCE_LOCKED" in pane_text(app, "celery-1/worker"), 60,
                           "the second running worker's refusal")
            assert [s for s in main.output.sources if s.endswith("/worker")] == ["celery-1/worker"]
            assert await check(pilot, app), bar(app)
            assert app.unexpected_errors == []
            await still_answers(pilot, app)

    try:
        asyncio.run(scenario())
    finally:
        celery_lab.node("celery-1").exec("pkill -f '[c]elery -A tasks worker'; true", cwd="/", timeout=10)
