"""The parsed course kept on disk: an edited lesson is read again, a damaged cache is parsed past, problems are never cached."""

from __future__ import annotations

import shutil

import pytest

from celery_tutor.course import LessonError, load_course
from celery_tutor.course.cache import cached
from celery_tutor.course.loader import check_course
from celery_tutor.paths import lessons_dir


@pytest.fixture
def lessons(tmp_path, monkeypatch):
    """A copy of the shipped lessons, and a cache directory of the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    root = tmp_path / "lessons"
    shutil.copytree(lessons_dir(), root)
    return root


def _parse_counting(calls: list):
    def parse(root):
        calls.append(root)
        course, problems = check_course(root)
        if course is None:
            raise LessonError(problems)
        return course
    return parse


def test_the_second_start_reads_the_cache_and_an_edit_is_seen(lessons, tmp_path):
    calls: list = []
    directory = tmp_path / "cache"
    first = cached(lessons, directory, _parse_counting(calls))
    second = cached(lessons, directory, _parse_counting(calls))
    assert len(calls) == 1, "the unchanged lessons were parsed twice"
    assert [step.full_id for step in second.steps()] == [step.full_id for step in first.steps()]
    assert second.steps().__next__().lesson.section is not None  # the links between parts survive the round trip

    lesson = sorted(lessons.glob("1-1*.md"))[0]
    lesson.write_text(lesson.read_text(encoding="utf-8").replace("title: ", "title: Edited ", 1), encoding="utf-8")
    third = cached(lessons, directory, _parse_counting(calls))
    assert len(calls) == 2, "an edited lesson was not parsed again"
    assert third.lessons[0].title == "Edited Start three containers"


def test_a_damaged_cache_is_parsed_past(lessons, tmp_path):
    load_course(lessons)
    files = list((tmp_path / "cache" / "celery-tutor").glob("course-*.pickle"))
    assert len(files) == 1
    files[0].write_bytes(b"\x80\x05 not a pickle")
    assert len(list(load_course(lessons).steps())) > 0


def test_a_course_with_problems_is_not_cached(lessons, tmp_path):
    (lessons / "course.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    for _ in range(2):  # the second time too: a broken course must not come back from the cache as it was
        with pytest.raises(LessonError) as raised:
            load_course(lessons)
        assert any("course.yaml:2: not valid YAML" in str(problem) for problem in raised.value.problems)
    assert not list((tmp_path / "cache").rglob("course-*.pickle"))
