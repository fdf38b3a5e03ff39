"""`celery-tutor lessons`: the course as a tree of sections, lessons and steps (or as JSON)."""

from __future__ import annotations

import json

from celery_tutor.cli import context
from celery_tutor.cli.render import console
from celery_tutor.course import Course


def course_dict(course: Course) -> dict:
    return {
        "title": course.title,
        "nodes": course.nodes,
        "sections": [{
            "number": section.number, "title": section.title, "notes": section.notes,
            "lessons": [{
                "id": lesson.id, "title": lesson.title, "notes": lesson.notes, "nodes": lesson.nodes,
                "file": lesson.path.name,
                "steps": [{"id": step.full_id, "title": step.title, "checks": len(step.checks),
                           "hints": len(step.hints)} for step in lesson.steps],
            } for lesson in section.lessons],
        } for section in course.sections],
    }


def run(args) -> int:
    course = context.course(args)
    if args.json:
        print(json.dumps(course_dict(course), ensure_ascii=False, indent=2))
        return 0
    from rich.tree import Tree

    tree = Tree(f"[bold]{course.title}[/]")
    for section in course.sections:
        branch = tree.add(f"[bold]{section.number}[/]  {section.title}  [cyan]{section.notes}[/]")
        for lesson in section.lessons:
            twig = branch.add(f"{lesson.title}  [cyan]{lesson.notes}[/]  [dim]{lesson.id}[/]")
            for step in lesson.steps:
                twig.add(f"{step.title}  [dim]{step.full_id}[/]")
    console.print(tree)
    return 0
