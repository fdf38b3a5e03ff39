"""The lesson's text as Markdown: its introduction, then its steps, the current one marked and the others dimmed."""

from __future__ import annotations

from rich.style import Style
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from celery_tutor.app.lesson_text import learner_markdown
from celery_tutor.app.markdown_lines import markdown_lines
from celery_tutor.app.progress import ProgressView
from celery_tutor.course.model import Lesson, Step


class MarkdownText(Widget):
    """Markdown drawn by Rich, once per width and style: one widget for a whole step (Textual's Markdown widget makes
    one per paragraph, list item and code block, and styling dozens of them cost most of the first frame); the lines
    are kept, so the layout's passes (height, then drawing) and the style updates of mounting, which leave the style
    as it was, do not render the Markdown again each time."""

    def __init__(self, text: str, **kwargs):
        super().__init__(**kwargs)
        self.text = text
        self._strips: tuple[tuple, list[Strip]] | None = None
        self._style: Style | None = None

    def update(self, text: str) -> None:
        self.text = text
        self._strips = None
        self.refresh(layout=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._style = None

    def lines_for(self, width: int) -> list[Strip]:
        if self._style is None:
            self._style = self.rich_style
        style = self._style
        if self._strips is None or self._strips[0] != (width, style):
            lines = markdown_lines(self.text, max(1, width), style, self.app.console)
            self._strips = ((width, style), [Strip(line, width) for line in lines])
        return self._strips[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines_for(width))

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        lines = self.lines_for(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.rich_style)


class StepText(MarkdownText):
    """One step of the lesson."""

    def __init__(self, step: Step, text: str, **kwargs):
        super().__init__(text, **kwargs)
        self.step = step

    @property
    def shown_text(self) -> str:
        return self.text


class LessonView(VerticalScroll, can_focus=True):
    """Shows one lesson. The screen tells it which step is current and when a step's text changed."""

    # The scrollbar's room kept whether or not a lesson overflows: the text is laid out (and its Markdown rendered)
    # at one width, not once without the scrollbar and again with it.
    DEFAULT_CSS = """
    LessonView { scrollbar-gutter: stable; }
    """

    def __init__(self, progress: ProgressView, step: Step | None = None, **kwargs):
        super().__init__(**kwargs)
        self.progress = progress
        # Given the first step at once, the first compose draws it: no second compose before the first frame.
        self.lesson: Lesson | None = step.lesson if step else None
        self.current: Step | None = step

    def text_of(self, step: Step) -> str:
        return learner_markdown(step, self.progress.revealed(step.full_id), self.progress.hints_shown(step.full_id))

    def compose(self) -> ComposeResult:
        if self.lesson is None:
            return
        yield MarkdownText(self.lesson.intro, id="lesson-intro")
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
                if text != view.text:
                    view.update(text)
                if scroll_to_end:
                    self.call_after_refresh(self._scroll_to_bottom_of, view)

    def _scroll_to_bottom_of(self, view: StepText) -> None:
        bottom = view.virtual_region.bottom + 1
        self.scroll_to(y=max(0, bottom - self.scrollable_content_region.height), animate=False)
