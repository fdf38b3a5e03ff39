"""The learner's path through sections 一 and 二 in the app, against a real lab: run, check, fail on purpose and
read the reason, pass, next; type into the command line, the Python REPL and the tasks.py editor."""

from __future__ import annotations

import asyncio

import pytest

from .tutor_helpers import SIZE, bar, check, next_step, on_step, pane_text, run, type_line, until_idle, wait_for

pytestmark = pytest.mark.lab


def test_sections_one_and_two(real_app):
    app = real_app

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None, 60, "the lab to connect")
            main = app.main

            # 一 1: start the containers. Checking first fails, with the check's own reason; Next stays shut.
            await on_step(pilot, app, "containers/start")
            assert not await check(pilot, app)
            assert "celery-1" in bar(app) and "Not yet" in bar(app)
            await pilot.press("n")
            await on_step(pilot, app, "containers/start")
            await run(pilot, app)
            assert app.progress.passed("containers/start"), bar(app)
            assert "Passed" in bar(app)
            await next_step(pilot, app, "rabbitmq-install/install")

            # 一 2: a wrong package name typed by hand; the check says what it expected; a second failure
            # offers the hint; the hint shows; the right command typed by hand passes.
            await type_line(pilot, app, "apt-get install -y rabbitmq-srv",
                            lambda: "Unable to locate package rabbitmq-srv" in pane_text(app, "celery-1"))
            await wait_for(pilot, lambda: "celery-1 [100]#" in pane_text(app, "celery-1"), 10, "the prompt")
            assert not await check(pilot, app)
            assert "expected the rabbitmq-server package to be installed" in bar(app)
            assert "hint" not in bar(app)
            assert not await check(pilot, app)
            assert "Press h for a hint" in bar(app)
            await pilot.press("h")
            await wait_for(pilot, lambda: "Hint 1 of" in main.lesson_view.current_view.shown_text, 5, "the hint")
            await type_line(pilot, app, "apt-get install -y rabbitmq-server",
                            lambda: pane_text(app, "celery-1").rstrip().endswith("celery-1#"), 300,
                            "apt-get to finish")
            assert await check(pilot, app)
            await next_step(pilot, app, "rabbitmq-install/start")

            # 一 2: checked before the broker was started, the check says so at once (waiting cannot help); run,
            # the broker takes a while, and the check retries with a countdown.
            assert not await check(pilot, app)
            assert "RabbitMQ is not running on celery-1" in bar(app) and "next try" not in bar(app), bar(app)
            await pilot.press("r")
            await wait_for(pilot, lambda: main.step_bar.state in ("waiting", "passed"), 60, "the check to retry")
            if main.step_bar.state == "waiting":
                assert "next try in" in bar(app) and "try 1 of 61" in bar(app)
            await until_idle(pilot, app, 120)
            assert app.progress.passed("rabbitmq-install/start"), bar(app)
            await next_step(pilot, app, "rabbitmq-install/status")
            await run(pilot, app)
            assert app.progress.passed("rabbitmq-install/status"), bar(app)
            assert "RabbitMQ version: 3." in pane_text(app, "celery-1")
            await next_step(pilot, app, "celery-install/pip")

            # 一 3: let the tutor do these two.
            await run(pilot, app, "d")
            assert app.progress.passed("celery-install/pip"), bar(app)
            await next_step(pilot, app, "celery-install/celery")
            await run(pilot, app, "d")
            assert app.progress.passed("celery-install/celery"), bar(app)
            await next_step(pilot, app, "tasks-code/write")

            # 二 编码: write tasks.py in the editor, first with the notes' broker (the check explains why it is
            # wrong), then fixed.
            from celery_tutor.app.screens.editor import EditorScreen

            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), 5, "the editor")
            editor = app.screen.query_one("#code")
            await wait_for(pilot, lambda: "Celery('tasks'" in editor.text, 20, "the notes' code in the editor")
            assert editor.language == "python"
            assert "172.17.0.2" in editor.text  # the notes' broker: the learner has to fix it
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "Wrote /root/tasks.py" in str(app.screen.query_one("#editor-note").render()),
                           20, "the file to be written")
            await pilot.press("escape")
            assert not await check(pilot, app)
            assert "amqp://guest@localhost//" in bar(app)
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, EditorScreen), 5, "the editor")
            editor = app.screen.query_one("#code")
            await wait_for(pilot, lambda: "Loaded" in str(app.screen.query_one("#editor-note").render()), 20)
            editor.text = editor.text.replace("172.17.0.2", "localhost")
            await pilot.press("ctrl+s")
            await wait_for(pilot, lambda: "Wrote" in str(app.screen.query_one("#editor-note").render()), 20)
            await pilot.press("escape")
            assert await check(pilot, app)
            await next_step(pilot, app, "worker-start/start")

            # 二 启动: the worker runs in the background; its log gets a pane of its own, live.
            await run(pilot, app)
            assert app.progress.passed("worker-start/start"), bar(app)
            await wait_for(pilot, lambda: "celery@celery-1 ready." in pane_text(app, "celery-1/worker"), 30,
                           "the worker's log in its pane")
            await next_step(pilot, app, "first-task/delay")

            # 二 验证: `python3` typed in the shell opens the REPL in a tab of its own; the learner types into it.
            await type_line(pilot, app, "python3", lambda: main.output.current_source == "celery-1/python", 30,
                            "the REPL's tab")
            await type_line(pilot, app, "from tasks import add",
                            lambda: ">>> from tasks import add\n>>>" in pane_text(app, "celery-1/python"), 30)
            await type_line(pilot, app, "add.delay(4, 4)",
                            lambda: "<AsyncResult:" in pane_text(app, "celery-1/python"), 30)
            assert await check(pilot, app, 60)
            await wait_for(pilot, lambda: "Task tasks.add[" in pane_text(app, "celery-1/worker"), 10,
                           "the task in the worker's pane")
            assert app.unexpected_errors == []

    asyncio.run(scenario())
