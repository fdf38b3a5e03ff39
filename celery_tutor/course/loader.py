"""Loads the course (course.yaml and its lesson files) and lints lesson files."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable

from celery_tutor.course.model import Course, Lesson, Section
from celery_tutor.course.problems import LessonError, Problem

COURSE_FILE = "course.yaml"


def shipped_nodes() -> list[str]:
    """The lab's nodes as the shipped course.yaml names them (their one home): also a course's that names none."""
    from celery_tutor.paths import lessons_dir

    nodes = _read_course_file(lessons_dir())[0].get("nodes")
    return nodes if isinstance(nodes, list) else []


def read_text(path: Path) -> tuple[str | None, Problem | None]:
    """A lesson file's text, or the problem that stops it being read."""
    try:
        data = path.read_bytes()
    except PermissionError as exc:
        return None, Problem(path, 1, f"cannot read the file ({exc.strerror}); make it readable: chmod a+r {path}")
    except OSError as exc:
        return None, Problem(path, 1, f"cannot read the file: {exc.strerror or exc}")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(path, line, f"not valid UTF-8 (byte {exc.start}); save the file as UTF-8")


def unreadable_dir(root: Path) -> Problem | None:
    """Why the lessons directory cannot be read, if it cannot: glob would call it empty, is_file raise."""
    try:
        os.listdir(root)
        os.stat(root / COURSE_FILE)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return Problem(root, 1, f"cannot read the lessons directory ({exc.strerror}); make it readable "
                                f"(chmod -R a+rX {root}) or copy the lessons somewhere you can read")
    return None


def _read_course_file(root: Path) -> tuple[dict, list[Problem]]:
    import yaml  # here, not atop: a course read from the cache needs no YAML parser (it costs the start)

    path = root / COURSE_FILE
    if not path.is_file():
        return {}, [Problem(path, 1, "no course.yaml: it lists the sections and the order of the lessons")]
    text, problem = read_text(path)
    if problem:
        return {}, [problem]
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return {}, [Problem(path, mark.line + 1 if mark else 1, f"not valid YAML: {getattr(exc, 'problem', exc)}")]
    if not isinstance(data, dict):
        return {}, [Problem(path, 1, "course.yaml must be a mapping with title, nodes and sections")]
    problems = []
    if not isinstance(data.get("title"), str):
        problems.append(Problem(path, 1, "course.yaml needs a title"))
    nodes = data.get("nodes")
    if nodes is not None and (not isinstance(nodes, list) or not all(isinstance(node, str) for node in nodes)):
        problems.append(Problem(path, 1, "nodes must be a list of container names"))
        del data["nodes"]
    sections = data.get("sections")
    if not isinstance(sections, list) or not sections:
        problems.append(Problem(path, 1, "course.yaml needs a list of sections"))
        data["sections"] = []
    for index, section in enumerate(data["sections"]):
        if not (isinstance(section, dict) and isinstance(section.get("number"), int)
                and isinstance(section.get("title"), str) and isinstance(section.get("notes"), str)
                and isinstance(section.get("lessons"), list)):
            problems.append(Problem(path, 1, f"section {index + 1} needs number, title, notes and a lessons list"))
        elif not isinstance(section.get("map", False), bool):
            problems.append(Problem(path, 1, f"section {index + 1}: map must be true or false"))
    return data, problems


def course_nodes(root: Path) -> list[str]:
    return _read_course_file(root)[0].get("nodes") or shipped_nodes()


def parse_file(path: Path, nodes: list[str]) -> tuple[Lesson | None, list[Problem]]:
    text, problem = read_text(path)
    if problem:
        return None, [problem]
    from celery_tutor.course.parser import parse_lesson

    return parse_lesson(path, text, nodes)


def check_course(root: Path) -> tuple[Course | None, list[Problem]]:
    """Load the whole course; returns it (None when unusable) with every problem in any file."""
    course, problems, _ = _check_course(root)
    return course, problems


def _check_course(root: Path) -> tuple[Course | None, list[Problem], list[Lesson]]:
    """check_course, with every lesson that parsed (those of a course with problems too, for lint)."""
    unreadable = unreadable_dir(root)
    if unreadable:
        return None, [unreadable], []
    data, problems = _read_course_file(root)
    nodes = data.get("nodes") or shipped_nodes()
    by_id: dict[str, Lesson] = {}
    unread = False
    for path in sorted(root.glob("*.md")):
        lesson, found = parse_file(path, nodes)
        problems += found
        if lesson is None:
            unread = unread or not os.access(path, os.R_OK)
            continue
        if lesson.id in by_id:
            problems.append(Problem(path, 1, f"lesson id {lesson.id!r} is also used by {by_id[lesson.id].path.name}"))
            continue
        by_id[lesson.id] = lesson

    course_path = root / COURSE_FILE
    sections, listed = [], set()
    for entry in data.get("sections", []):
        if not isinstance(entry, dict) or not isinstance(entry.get("lessons"), list):
            continue
        lessons = []
        for lesson_id in entry["lessons"]:
            if lesson_id in listed:
                problems.append(Problem(course_path, 1, f"lesson {lesson_id!r} is listed twice"))
            elif lesson_id not in by_id:
                if not unread:  # a file that could not be read may be the one with that id: its own line says so
                    problems.append(Problem(course_path, 1,
                                            f"lesson {lesson_id!r} is listed but no lesson file has that id"))
            else:
                lessons.append(by_id[lesson_id])
            listed.add(lesson_id)
        section = Section(number=entry.get("number", 0), title=str(entry.get("title", "")),
                          notes=str(entry.get("notes", "")), lessons=lessons, offers_map=entry.get("map") is True)
        for lesson in lessons:
            lesson.section = section
        sections.append(section)
    for lesson_id, lesson in by_id.items():
        if lesson_id not in listed:
            problems.append(Problem(lesson.path, 1, f"lesson {lesson_id!r} is not listed in course.yaml"))
    if problems:
        return None, problems, list(by_id.values())
    return Course(title=data["title"], nodes=list(nodes), sections=sections, root=root), problems, list(by_id.values())


def load_course(root: Path | None = None, lang: str = "en") -> Course:
    """The course in `root` (the shipped lessons by default) in language `lang` (each text with no current
    translation in English); raises LessonError listing every problem of the English lessons."""
    from celery_tutor.course.cache import cached
    from celery_tutor.paths import cache_dir, lessons_dir

    root = Path(root) if root else lessons_dir()
    if not root.is_dir():
        raise LessonError([Problem(root, 1, "no such lessons directory")])
    return cached(root, cache_dir(), lambda root: _parse_course(root, lang), lang)


def _parse_course(root: Path, lang: str = "en") -> Course:
    course, problems = check_course(root)
    if course is None:
        raise LessonError(problems)
    if lang != "en":
        from celery_tutor.course.translation import translate_course

        course = translate_course(course, lang)
    return course


def lint(paths: list[Path], notice: Callable[[str], None] | None = None) -> list[Problem]:
    """Every problem in the given lesson directories or files, ShellCheck's findings in their shell blocks too.
    Without shellcheck (an author's tool) the rest is still checked, and `notice` (stderr) is told so once."""
    from celery_tutor.course.shellcheck import MISSING, shellcheck, shellcheck_command

    problems: list[Problem] = []
    lessons: list[Lesson] = []
    for path in paths:
        try:
            os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            pass  # said below
        except OSError as exc:  # a directory above it this user may not enter, a name too long: is_dir would raise
            fix = (": a directory above it is closed to you; make it searchable (chmod a+x) or copy the lessons "
                   "somewhere you can read" if isinstance(exc, PermissionError) else "")
            problems.append(Problem(path, 1, f"cannot read it ({exc.strerror or exc}){fix}"))
            continue
        if path.is_dir():
            _, found, parsed = _check_course(path)
            lessons += parsed
        elif path.is_file():
            lesson, found = parse_file(path, course_nodes(path.parent))
            lessons += [lesson] if lesson else []
        else:
            found = [Problem(path, 1, "no such file or directory")]
        problems += found
    command = shellcheck_command()
    if command:
        problems += shellcheck(lessons, command)
    elif lessons:
        (notice or (lambda text: print(text, file=sys.stderr)))(f"lint: {MISSING}")
    return sorted(problems)
