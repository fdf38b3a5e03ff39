"""The command palette's entries (ctrl+p): every key of the main screen by name, and a jump to any step."""

from __future__ import annotations

from typing import Iterable

from textual.app import SystemCommand

from celery_tutor.steps.rebuild import step_label


def main_screen_commands(app, main) -> Iterable[SystemCommand]:
    yield SystemCommand("Run the step", "Run the current step's commands in the lab (r)", main.action_run)
    yield SystemCommand("Check the step", "Check the lab's state for the current step (c)", main.action_check)
    yield SystemCommand("Next step", "Go to the next step, once this one passed (n)", main.action_next)
    yield SystemCommand("Previous step", "Go back one step (p)", main.action_previous)
    yield SystemCommand("Show a hint", "Show the step's next hint (h)", main.action_hint)
    yield SystemCommand("Show the solution", "Show the step's hidden commands (s)", main.action_solution)
    yield SystemCommand("Do it for me", "Let the tutor do the step and check it (d)", main.action_do_it)
    yield SystemCommand("Type a command", "Focus the command line (/)", main.action_command_line)
    yield SystemCommand("Edit tasks.py", "Edit the notes' tasks.py and write it into the node (e)", main.action_edit)
    yield SystemCommand("Show or hide the lab map", "Nodes, queues and their leaders, HAProxy, workers, live (l)",
                        main.action_lab_map)
    yield SystemCommand("Show or hide the outline", "The course's outline, folded on a narrow screen (o)",
                        main.action_outline)
    for node in app.course.nodes:
        yield SystemCommand(f"Open a Python REPL on {node}", f"python3 in /root on {node}, in a tab of its own",
                            lambda node=node: main.open_session(node, "python", python=True))
    yield SystemCommand("Interrupt", "Ctrl+C to the running command", app.action_interrupt)
    yield SystemCommand("Connect to Docker again", "After fixing what the banner says (ctrl+r)", app.action_reconnect)
    yield SystemCommand("Rebuild the lab to this step", "Fresh containers, the earlier steps replayed (b)",
                        main.action_rebuild)
    for step in main.steps:  # found by typing, not listed: "jump signatures"
        yield SystemCommand(f"Jump to {step_label(step)}", f"{step.full_id}; the steps before it are replayed "
                            "if the lab is not there yet", lambda step=step: main.jump_to(step), discover=False)
    yield SystemCommand("Help", "Keys and how the tutor works (?)", app.action_help)
