"""`celery-tutor lint [PATH...]`: checks lesson files, one `file:line: message` per problem."""

from __future__ import annotations

from celery_tutor.cli.render import console, err
from celery_tutor.paths import lessons_dir


def run(args) -> int:
    from celery_tutor.course.loader import lint

    paths = args.paths or [args.lessons or lessons_dir()]
    problems = lint(paths)
    for problem in problems:
        print(problem)
    if problems:
        err.print(f"{len(problems)} problem(s)")
        return 1
    console.print(f"ok: {', '.join(str(p) for p in paths)}")
    return 0
