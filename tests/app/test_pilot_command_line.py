"""The command line against a real lab: Ctrl+C interrupts the command running in the node, not the app; a line
typed while a command waits for input answers it; history brings earlier lines back."""

from __future__ import annotations

import asyncio

import pytest

from .tutor_helpers import SIZE, pane_text, run, wait_for

pytestmark = pytest.mark.lab


def test_ctrl_c_interrupts_the_command_not_the_app(real_app):
    app = real_app

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None, 60, "the lab to connect")
            await run(pilot, app)  # the containers
            main = app.main

            await pilot.press("slash")
            main.command_line.input.value = "sleep 300"
            await pilot.press("enter")
            shell = lambda: app.runner.sessions.get(("celery-1", "shell"))  # noqa: E731
            await wait_for(pilot, lambda: shell() is not None and shell().busy, 30, "sleep to be running")
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: "celery-1 [130]#" in pane_text(app, "celery-1"), 10,
                           "the prompt back, with status 130")
            assert app.is_running and not shell().busy

            # A command that asks a question gets the next line typed as its answer.
            main.command_line.input.value = 'read -p "your answer? " x; echo "got [$x]"'
            await pilot.press("enter")
            await wait_for(pilot, lambda: "your answer?" in pane_text(app, "celery-1"), 10, "the question")
            main.command_line.input.value = "forty-two"
            await pilot.press("enter")
            await wait_for(pilot, lambda: "got [forty-two]" in pane_text(app, "celery-1"), 10, "the answer")

            # History: up brings back the last line, twice up the one before.
            await pilot.press("up")
            assert main.command_line.input.value == "forty-two"
            await pilot.press("up")
            assert main.command_line.input.value.startswith("read -p")
            await pilot.press("escape")
            assert app.unexpected_errors == []

    asyncio.run(scenario())
