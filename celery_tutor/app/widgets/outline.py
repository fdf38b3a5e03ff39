"""The course outline: the notes' sections and lessons, each step with its mark (not started, passed, failed)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from celery_tutor.app.guard import guarded
from celery_tutor.app.progress import FAILED, PASSED, ProgressView
from celery_tutor.course.model import Course, Step

MARKS = {PASSED: ("✓", "green"), FAILED: ("✗", "red")}
NOT_STARTED_MARK = ("○", "dim")


@guarded()
class Outline(Tree[str]):
    """A tree of the course. Choosing a step (Enter or a click) asks the screen to go there."""

    @dataclass
    class StepChosen(Message):
        step_id: str

    def __init__(self, course: Course, progress: ProgressView, **kwargs):
        super().__init__(course.title, **kwargs)
        self.course = course
        self.progress = progress
        self.show_root = False
        self.guide_depth = 2
        self._step_nodes: dict[str, TreeNode[str]] = {}
        self._branches: list[TreeNode[str]] = []  # a section's node, then its lessons', in the course's order
        self._current: str | None = None
        for section in course.sections:
            branch = self.root.add(self._section_label(section))
            self._branches.append(branch)
            for lesson in section.lessons:
                twig = branch.add(self._lesson_label(lesson), expand=True)
                self._branches.append(twig)
                for step in lesson.steps:
                    self._step_nodes[step.full_id] = twig.add_leaf(self._label(step), data=step.full_id)

    @staticmethod
    def _section_label(section) -> Text:
        return Text.assemble((section.notes, "bold"), " ", (section.title, "dim"))

    @staticmethod
    def _lesson_label(lesson) -> Text:
        return Text.assemble(lesson.notes, " ", (lesson.title, "dim"))

    def show_course(self, course: Course) -> None:
        """The same course in another language: every label again, the tree's folds and cursor as they were."""
        self.course = course
        labels = []
        for section in course.sections:
            labels.append(self._section_label(section))
            labels += [self._lesson_label(lesson) for lesson in section.lessons]
        for node, label in zip(self._branches, labels):
            node.set_label(label)
        for step in course.steps():
            self.refresh_step(step)

    def _label(self, step: Step) -> Text:
        symbol, colour = MARKS.get(self.progress.mark(step.full_id), NOT_STARTED_MARK)
        current = step.full_id == self._current
        return Text.assemble((symbol, colour), " ", (step.title, "bold reverse" if current else ""))

    def refresh_step(self, step: Step) -> None:
        node = self._step_nodes.get(step.full_id)
        if node is not None:
            node.set_label(self._label(step))

    def set_current(self, step: Step) -> None:
        previous = self.course.step(self._current) if self._current else None
        self._current = step.full_id
        if previous is not None:
            self.refresh_step(previous)
        self.refresh_step(step)
        node = self._step_nodes.get(step.full_id)
        if node is not None:
            # The current section is open; the others stay folded (a click or Enter opens them).
            section = node.parent.parent if node.parent else None
            if section is not None and not section.is_expanded:
                section.expand()
            self.call_after_refresh(self.move_cursor, node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.StepChosen(event.node.data))
