"""`celery-tutor progress [--json]`: what the learner has done so far, lesson by lesson."""

from __future__ import annotations

import json

from celery_tutor.cli import context
from celery_tutor.cli.render import console, duration
from celery_tutor.course import Course
from celery_tutor.i18n import _


def progress_dict(course: Course, progress) -> dict:
    lessons = []
    for lesson in course.lessons:
        records = [progress.steps.get(step.full_id) for step in lesson.steps]
        lessons.append({
            "id": lesson.id, "title": lesson.title, "notes": lesson.notes, "steps": len(lesson.steps),
            "passed": sum(1 for step in lesson.steps if progress.passed(step)),
            "revealed": sum(1 for record in records if record and record.revealed),
            "seconds": round(sum(record.seconds for record in records if record), 1),
        })
    return {"lab": progress.lab, "current": progress.current, "lessons": lessons,
            "passed": sum(lesson["passed"] for lesson in lessons),
            "steps": sum(lesson["steps"] for lesson in lessons),
            "seconds": round(sum(lesson["seconds"] for lesson in lessons), 1),
            "unknown_steps": progress.unknown_steps(course)}


def run(args) -> int:
    course = context.course(args)
    data = progress_dict(course, context.saved_progress(context.lab_name(args)))
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    from rich.table import Table

    table = Table(_("lesson"), _("notes"), _("passed"), _("solutions shown"), _("time"),
                  title=_("progress in lab {lab}").format(lab=data["lab"]))
    for lesson in data["lessons"]:
        done = lesson["passed"] == lesson["steps"]
        table.add_row(lesson["title"], lesson["notes"],
                      f"[{'green' if done else 'default'}]{lesson['passed']}/{lesson['steps']}[/]",
                      str(lesson["revealed"] or ""), duration(lesson["seconds"]))
    console.print(table)
    console.print(_("{passed} of {steps} steps passed, {time} spent").format(
        passed=data["passed"], steps=data["steps"], time=duration(data["seconds"]))
                  + (_("; next: {step}").format(step=data["current"]) if data["current"] else ""))
    return 0
