"""The course as data: lessons parsed from Markdown into steps, actions and checks."""

from celery_tutor.course.model import Block, Course, Lesson, Section, Step
from celery_tutor.course.problems import LessonError, Problem
from celery_tutor.course.loader import load_course

__all__ = ["Block", "Course", "Lesson", "LessonError", "Problem", "Section", "Step", "load_course"]
