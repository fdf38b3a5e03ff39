"""`celery-tutor lint [PATH...]`: checks lesson files, one `file:line: message` per problem; with --lang, every
text with no current translation too."""

from __future__ import annotations

from celery_tutor.cli.errors import UsageError
from celery_tutor.cli.render import console, err
from celery_tutor.paths import lessons_dir


def run(args) -> int:
    from celery_tutor.course.loader import lint

    paths = args.paths or [args.lessons or lessons_dir()]
    lang = getattr(args, "lang", None)  # only when asked: untranslated text is a translator's business
    if args.update and not lang:
        raise UsageError("--update writes a language's catalogs: give it, e.g. celery-tutor lint --lang zh --update")
    problems = lint(paths)
    if lang and lang != "en":
        from celery_tutor.course.translation import lint as untranslated, update

        for path in paths:
            if path.is_dir():
                if args.update:
                    for written in update(path, lang):
                        err.print(f"updated {written}", markup=False)
                problems += untranslated(path, lang)
    for problem in problems:
        print(problem)
    if problems:
        err.print(f"{len(problems)} problem(s)")
        return 1
    console.print(f"ok: {', '.join(str(p) for p in paths)}")
    return 0
