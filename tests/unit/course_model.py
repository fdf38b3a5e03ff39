"""A small course made in memory, for logic that walks a course: sections, lessons and steps, nothing to run."""

from __future__ import annotations

from pathlib import Path

from celery_tutor.course.model import Course, Lesson, Section, Step

# Section number -> its lessons, each (id, how many steps).
SHAPE = {1: [("containers", 1), ("rabbitmq", 3)], 2: [("tasks", 2)], 3: [("canvas", 4), ("chords", 1)]}


def small_course(shape: dict[int, list[tuple[str, int]]] = SHAPE) -> Course:
    sections = []
    for number, lessons in shape.items():
        made = [Lesson(id=lesson, title=lesson.title(), notes=lesson, nodes=["celery-1"], path=Path(f"{lesson}.md"),
                       intro="", steps=[Step(id=f"step-{n}", title=f"Step {n}", line=n,
                                             markdown=f"## Step {n} of {lesson}\n")
                                        for n in range(1, count + 1)])
                for lesson, count in lessons]
        section = Section(number, f"Section {number}", str(number), made)
        for lesson in made:
            lesson.section = section
        sections.append(section)
    return Course("A small course", ["celery-1"], sections, Path("."))
