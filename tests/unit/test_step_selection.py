"""`--from` / `--to` (verify, start --at, lab up --at, reset STEP): a step id, a lesson id or a section number of the
notes, resolved to the steps to replay first and the steps chosen (steps/selection.py)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from celery_tutor.steps.selection import SelectionError, select_steps

from .course_model import small_course

COURSE = small_course()
STEPS = [step.full_id for step in COURSE.steps()]
SELECTORS = [*STEPS, *(lesson.id for lesson in COURSE.lessons), *(str(s.number) for s in COURSE.sections)]


def ids(steps) -> list[str]:
    return [step.full_id for step in steps]


def test_nothing_said_is_the_whole_course_with_nothing_to_replay():
    replay, chosen = select_steps(COURSE)
    assert (ids(replay), ids(chosen)) == ([], STEPS)
    assert select_steps(COURSE, "", "") == (replay, chosen)  # an empty --from is no --from


@pytest.mark.parametrize("start, end, replayed, chosen", [
    ("rabbitmq/step-2", None, ["containers/step-1", "rabbitmq/step-1"], STEPS[2:]),
    ("rabbitmq", "rabbitmq", ["containers/step-1"], ["rabbitmq/step-1", "rabbitmq/step-2", "rabbitmq/step-3"]),
    ("2", "2", STEPS[:4], ["tasks/step-1", "tasks/step-2"]),
    (None, "1", [], STEPS[:4]),  # --to a section: through its last step
    ("tasks/step-2", "canvas", STEPS[:5], ["tasks/step-2", *(f"canvas/step-{n}" for n in range(1, 5))]),
    ("3", None, STEPS[:6], STEPS[6:]),
])
def test_a_step_a_lesson_or_a_section_from_its_first_step_to_its_last(start, end, replayed, chosen):
    replay, selected = select_steps(COURSE, start, end)
    assert (ids(replay), ids(selected)) == (replayed, chosen)


@pytest.mark.parametrize("selector, message", [
    ("9", "no section '9' in the course; `celery-tutor lessons` lists the ids"),
    ("tasks/step-9", "no step 'tasks/step-9' in the course; `celery-tutor lessons` lists the ids"),
    ("Tasks", "no lesson 'Tasks' in the course; `celery-tutor lessons` lists the ids"),
])
def test_what_names_nothing_is_refused_saying_what_kind_of_thing_was_looked_for(selector, message):
    with pytest.raises(SelectionError) as refused:
        select_steps(COURSE, selector)
    assert str(refused.value) == message
    with pytest.raises(SelectionError):
        select_steps(COURSE, None, selector)


def test_a_backwards_range_says_to_swap_it():
    with pytest.raises(SelectionError) as refused:
        select_steps(COURSE, "canvas", "rabbitmq/step-3")
    assert str(refused.value) == ("--to rabbitmq/step-3 comes before --from canvas in the course; "
                                  "swap them: --from rabbitmq/step-3 --to canvas")


@given(st.sampled_from(SELECTORS), st.sampled_from(SELECTORS))
def test_any_two_selectors_give_a_run_from_the_first_ones_start_to_the_seconds_end(start, end):
    def span(selector: str) -> list[int]:
        return [index for index, step in enumerate(COURSE.steps())
                if selector in (step.full_id, step.lesson.id, str(step.lesson.section.number))]

    first, last = span(start)[0], span(end)[-1]
    if last < first:
        with pytest.raises(SelectionError, match="swap them"):
            select_steps(COURSE, start, end)
    else:
        replay, chosen = select_steps(COURSE, start, end)
        assert ids(replay) == STEPS[:first] and ids(chosen) == STEPS[first:last + 1]


@given(st.text(max_size=12))
@example("²")  # a digit to str.isdigit, not to int(): was an "unexpected error" from verify --from
@example("07")
def test_any_text_selects_steps_or_is_refused_in_words(selector):
    try:
        replay, chosen = select_steps(COURSE, selector)
    except SelectionError as refused:
        assert "`celery-tutor lessons` lists the ids" in str(refused)
    else:
        assert chosen and ids(replay) + ids(chosen) == STEPS
