"""What the commands read from their arguments: the course, the lab and its name, the steps a selector names."""

from __future__ import annotations

from celery_tutor.cli.errors import UsageError
from celery_tutor.course import Course, load_course
from celery_tutor.paths import lessons_dir

VERIFY_LAB = "celery-tutor-verify"


# The commands that read the learner's progress, and so the language they chose in it.
REMEMBERS_LANGUAGE = {"start", "progress"}


def language(args) -> str:
    """--lang (before or after the command), else the language the learner chose last (saved with the progress of
    the lab a command names), else the locale's language."""
    from celery_tutor.language import choose

    given = getattr(args, "lang", None)
    if not given and getattr(args, "command", None) in REMEMBERS_LANGUAGE:
        from celery_tutor.steps.progress import SavedProgress

        given = SavedProgress.for_lab(lab_name(args)).language
    return choose(given)


def course(args) -> Course:
    return load_course(args.lessons, language(args))


def lab_name(args) -> str:
    """--lab (before or after the command), else verify's own lab, else CELERY_TUTOR_LAB or the default."""
    from celery_tutor.lab.naming import default_name

    if args.lab:
        return args.lab
    return VERIFY_LAB if args.command == "verify" else default_name()


def lab(args, name: str | None = None):
    from celery_tutor.course.loader import course_nodes
    from celery_tutor.lab.docker_engine import connect
    from celery_tutor.lab.lab import Lab

    nodes = course_nodes(args.lessons or lessons_dir())
    return Lab(connect(args.engine), name=name or lab_name(args), nodes=nodes,
               isolated=getattr(args, "isolated", False))


def steps(chosen_from: Course, start: str | None, end: str | None = None):
    """select_steps, its refusal the one line of bad input: (the steps before `start`, those from it to `end`)."""
    from celery_tutor.steps.selection import SelectionError, select_steps

    try:
        return select_steps(chosen_from, start, end)
    except SelectionError as exc:
        raise UsageError(str(exc)) from None


def saved_progress(name: str):
    """The learner's saved progress in lab `name`; a damaged file's warning said on stderr."""
    from celery_tutor.cli.render import err
    from celery_tutor.steps.progress import SavedProgress

    progress = SavedProgress.for_lab(name)
    if progress.warning:
        err.print(f"warning: {progress.warning}", markup=False)
    return progress
