"""The lesson's text as Markdown: its introduction, then its steps, the current one marked and the others dimmed."""

from __future__ import annotations

from rich.markdown import Markdown
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from celery_tutor.app.lesson_text import learner_markdown
from celery_tutor.app.progress import Progress
from celery_tutor.course.model import Lesson, Step


def rendered(text: str) -> Markdown:
    # Rich's Markdown draws a step as one widget; Textual's Markdown widget makes dozens (a paragraph, a list item,
    # a code block: one each), and styling them cost most of the first frame.
    return Markdown(text, code_theme="monokai", hyperlinks=False)


class StepText(Static):
    """One step of the lesson."""

    def __init__(self, step: Step, text: str, **kwargs):
        super().__init__(rendered(text), **kwargs)
        self.step = step
        self.shown_text = text


class LessonView(VerticalScroll, can_focus=True):
    """Shows one lesson. The screen tells it which step is current and when a step's text changed."""

    DEFAULT_CSS = """
    LessonView { padding: 0 1; }
    LessonView > #lesson-intro { padding: 1 2 1 2; }
    LessonView > StepText { margin: 0 0 1 0; padding: 1 1 0 1; border-left: blank; opacity: 70%; }
    LessonView > StepText.-current { border-left: thick $accent; opacity: 100%; background: $boost; }
    """

    def __init__(self, progress: Progress, **kwargs):
        super().__init__(**kwargs)
        self.progress = progress
        self.lesson: Lesson | None = None
        self.current: Step | None = None

    def text_of(self, step: Step) -> str:
        return learner_markdown(step, self.progress.revealed(step.full_id), self.progress.hints_shown(step.full_id))

    def compose(self) -> ComposeResult:
        if self.lesson is None:
            return
        yield Static(rendered(self.lesson.intro), id="lesson-intro")
        for index, step in enumerate(self.lesson.steps):
            yield StepText(step, self.text_of(step), id=f"step-{index}",
                           classes="-current" if step is self.current else "")

    async def show(self, step: Step) -> None:
        """Make `step` current, loading its lesson if it is another one, and bring it into view."""
        if step.lesson is not self.lesson:
            self.lesson = step.lesson
            self.current = step
            await self.recompose()
        self.current = step
        for view in self.query(StepText):
            view.set_class(view.step is step, "-current")
        self.call_after_refresh(self._scroll_to_current)

    def _scroll_to_current(self) -> None:
        view = self.current_view
        if view is None:
            return
        first = self.lesson is not None and self.lesson.steps and self.lesson.steps[0] is self.current
        if first:
            self.scroll_home(animate=False)
        else:
            self.scroll_to_widget(view, animate=False, top=True)

    @property
    def current_view(self) -> StepText | None:
        return next((view for view in self.query(StepText) if view.step is self.current), None)

    async def refresh_step(self, step: Step, scroll_to_end: bool = False) -> None:
        """The step's text changed (a hint or the solution shown): render it again."""
        for view in self.query(StepText):
            if view.step is step:
                text = self.text_of(step)
                if text != view.shown_text:
                    view.shown_text = text
                    view.update(rendered(text))
                if scroll_to_end:
                    self.call_after_refresh(self._scroll_to_bottom_of, view)

    def _scroll_to_bottom_of(self, view: StepText) -> None:
        bottom = view.virtual_region.bottom + 1
        self.scroll_to(y=max(0, bottom - self.scrollable_content_region.height), animate=False)
