"""The command palette's entries (ctrl+p): every key of the main screen by name, and a jump to any step."""

from __future__ import annotations

from typing import Iterable

from textual.app import SystemCommand

from celery_tutor.app.language_switch import NAMES, switch_language
from celery_tutor.i18n import _, language
from celery_tutor.steps.rebuild import step_label


def main_screen_commands(app, main) -> Iterable[SystemCommand]:
    yield SystemCommand(_("Run the step"), _("Run the current step's commands in the lab (r)"), main.action_run)
    yield SystemCommand(_("Check the step"), _("Check the lab's state for the current step (c)"), main.action_check)
    yield SystemCommand(_("Next step"), _("Go to the next step, once this one passed (n)"), main.action_next)
    yield SystemCommand(_("Previous step"), _("Go back one step (p)"), main.action_previous)
    yield SystemCommand(_("Show a hint"), _("Show the step's next hint (h)"), main.action_hint)
    yield SystemCommand(_("Show the solution"), _("Show the step's hidden commands (s)"), main.action_solution)
    yield SystemCommand(_("Do it for me"), _("Let the tutor do the step and check it (d)"), main.action_do_it)
    yield SystemCommand(_("Type a command"), _("Focus the command line (/)"), main.action_command_line)
    yield SystemCommand(_("Edit tasks.py"), _("Edit the notes' tasks.py and write it into the node (e)"),
                        main.action_edit)
    yield SystemCommand(_("Show or hide the lab map"), _("Nodes, queues and their leaders, HAProxy, workers, live (l)"),
                        main.action_lab_map)
    yield SystemCommand(_("Show or hide the outline"), _("The course's outline, folded on a narrow screen (o)"),
                        main.action_outline)
    for node in app.course.nodes:
        yield SystemCommand(_("Open a Python REPL on {node}").format(node=node),
                            _("python3 in /root on {node}, in a tab of its own").format(node=node),
                            lambda node=node: main.open_session(node, "python", python=True))
    yield SystemCommand(_("Interrupt"), _("Ctrl+C to the running command"), app.action_interrupt)
    yield SystemCommand(_("Connect to Docker again"), _("After fixing what the banner says (ctrl+r)"),
                        app.action_reconnect)
    yield SystemCommand(_("Rebuild the lab to this step"), _("Fresh containers, the earlier steps replayed (b)"),
                        main.action_rebuild)
    for step in main.steps:  # found by typing, not listed: "jump signatures"
        yield SystemCommand(_("Jump to {step}").format(step=step_label(step)),
                            _("{id}; the steps before it are replayed if the lab is not there yet").format(
                                id=step.full_id), lambda step=step: main.jump_to(step), discover=False)
    yield SystemCommand(_("Help"), _("Keys and how the tutor works (?)"), app.action_help)
    for lang, name in NAMES.items():  # in each language's own words, untranslated: found whatever is shown now
        if lang != language():
            yield SystemCommand(f"Language: {name}", _("Show the tutor and the lessons in {language}").format(
                language=name), lambda lang=lang: switch_language(app, main, lang))
