"""The learner's language changed in the tutor: the tutor's words, the lesson, the outline and the footer re-drawn."""

from __future__ import annotations

from celery_tutor.app.translated_bindings import translate_bindings
from celery_tutor.i18n import _, language, set_language

# How the palette names each language: in its own words, so a learner who cannot read the current one finds theirs.
NAMES = {"en": "English", "zh": "中文"}


async def switch_language(app, main, lang: str) -> None:
    """Everything drawn again in `lang`, on the step the learner is on; remembered with their progress."""
    from celery_tutor.course import load_course

    if lang == language():
        return
    if main.busy:  # a run's or check's step would be swapped under it
        app.notify(main.activity.still(short=True), severity="warning")
        return
    course = load_course(app.course.root, lang)  # from the course cache: fast, and the checks are the same ones
    set_language(lang)
    app.progress.saved.language = lang
    app.progress.save()
    app.course = main.course = course
    main.steps = list(course.steps())
    main.title = course.title
    translate_bindings(app)
    translate_bindings(main)
    main.outline.show_course(course)
    main.status_bar.refresh_words()
    await main.go_to(course.step(main.step.full_id) or main.steps[0])
    app.notify(_("Now in {language}.").format(language=NAMES.get(lang, lang)), timeout=3)
