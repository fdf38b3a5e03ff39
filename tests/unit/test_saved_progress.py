"""The learner's saved progress: where `celery-tutor` carries on, what `reset` forgets, and the file it all lives in
(steps/progress.py), over a small course made in memory."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from celery_tutor.steps.progress import SavedProgress
from celery_tutor.steps.selection import select_steps

from .course_model import small_course

COURSE = small_course()
STEPS = list(COURSE.steps())


def test_a_learner_with_nothing_done_starts_at_the_first_step(tmp_path):
    assert SavedProgress.for_lab("alice", tmp_path).resume_step(COURSE) is STEPS[0]


def test_resume_is_the_current_step_even_when_later_steps_passed(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    for step in STEPS[:5]:
        progress.mark_passed(step)
    progress.current = STEPS[2].full_id  # the learner went back to look at step 3
    assert progress.resume_step(COURSE) is STEPS[2]


def test_resume_after_the_last_step_passed_and_no_current_is_nowhere(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    for step in STEPS:
        progress.mark_passed(step)
    assert progress.resume_step(COURSE) is None


def test_passing_again_keeps_the_first_time(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    progress.mark_passed(STEPS[0])
    first = progress.record(STEPS[0]).passed_at
    progress.mark_passed(STEPS[0])
    assert progress.record(STEPS[0]).passed_at == first


def test_reset_from_a_step_forgets_it_and_what_follows_and_moves_the_learner_there(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    for step in STEPS[:6]:
        progress.mark_passed(step)
    progress.current = STEPS[5].full_id
    _, chosen = select_steps(COURSE, STEPS[3].full_id)  # `celery-tutor reset tasks/step-1`
    assert progress.reset(chosen) == 3  # steps 4, 5, 6 had records; the rest never had one
    assert [progress.passed(step) for step in STEPS[:7]] == [True, True, True, False, False, False, False]
    assert progress.current == STEPS[3].full_id and progress.resume_step(COURSE) is STEPS[3]


def test_reset_of_steps_the_learner_is_not_on_leaves_them_where_they_are(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    for step in STEPS[:3]:
        progress.mark_passed(step)
    progress.current = STEPS[1].full_id
    assert progress.reset(COURSE.lesson("canvas").steps) == 0
    assert progress.current == STEPS[1].full_id and progress.passed(STEPS[2])


def test_the_file_holds_what_other_tools_read_and_the_lab_s_name(tmp_path):
    progress = SavedProgress.for_lab("room-7", tmp_path)
    progress.mark_passed(STEPS[0])
    progress.record(STEPS[1]).hints = 2
    progress.current = STEPS[1].full_id
    progress.save()
    data = json.loads((tmp_path / "progress-room-7.json").read_text(encoding="utf-8"))
    assert (data["version"], data["lab"], data["current"]) == (1, "room-7", "rabbitmq/step-1")
    assert data["steps"]["rabbitmq/step-1"]["hints"] == 2 and data["steps"]["containers/step-1"]["passed_at"] > 0
    assert list(tmp_path.iterdir()) == [tmp_path / "progress-room-7.json"]  # no temporary file left


RECORDS = st.dictionaries(st.sampled_from([step.full_id for step in STEPS]),
                          st.tuples(st.booleans(), st.booleans(), st.integers(0, 5), st.integers(0, 9),
                                    st.floats(0, 1e5, allow_nan=False)))


def _saved_and_loaded(directory: Path, records: dict, current: str | None) -> SavedProgress:
    progress = SavedProgress.for_lab("prop", directory)
    for key, (passed, revealed, hints, failures, seconds) in records.items():
        record = progress.record(key)
        record.passed_at = 1_700_000_000.0 if passed else None
        record.revealed, record.hints, record.failures, record.seconds = revealed, hints, failures, seconds
    progress.current = current
    progress.save()
    again = SavedProgress.for_lab("prop", directory)
    assert (again.steps, again.current, again.warning) == (progress.steps, current, "")
    return again


@settings(max_examples=60)
@given(records=RECORDS, current=st.none() | st.sampled_from([step.full_id for step in STEPS] + ["gone/step"]),
       reset_from=st.integers(0, len(STEPS) - 1))
def test_saved_then_loaded_is_the_same_and_reset_forgets_exactly_from_the_step_on(records, current, reset_from):
    with tempfile.TemporaryDirectory() as directory:  # one of each example's own
        again = _saved_and_loaded(Path(directory), records, current)
    forgotten = again.reset(STEPS[reset_from:])
    assert forgotten == sum(1 for step in STEPS[reset_from:] if step.full_id in records)
    assert set(again.steps) == {key for key in records if key in {s.full_id for s in STEPS[:reset_from]}}
    resumed = again.resume_step(COURSE)
    if current in {step.full_id for step in STEPS[reset_from:]}:
        assert resumed is STEPS[reset_from]  # the learner was in what was forgotten: back to where it begins
    elif current in {step.full_id for step in STEPS}:
        assert resumed.full_id == current
    else:
        assert resumed is next((s for s in STEPS if not again.passed(s)), None)


def test_a_rewind_takes_back_the_marks_and_keeps_what_the_learner_did(tmp_path):
    progress = SavedProgress.for_lab("alice", tmp_path)
    for step in STEPS[:5]:
        progress.mark_passed(step)
    record = progress.record(STEPS[3])
    record.hints, record.seconds, record.failures, record.revealed = 2, 90.0, 3, True
    unmarked = progress.unmark([step.full_id for step in STEPS[3:]])
    assert unmarked == [STEPS[3].full_id, STEPS[4].full_id]  # the steps not passed had no mark to take back
    progress.save()
    again = SavedProgress.for_lab("alice", tmp_path)
    assert [again.passed(step) for step in STEPS[:6]] == [True, True, True, False, False, False]
    kept = again.steps[STEPS[3].full_id]
    assert (kept.hints, kept.seconds, kept.failures, kept.revealed) == (2, 90.0, 0, True)
    assert again.resume_step(COURSE) is STEPS[3]  # where it carries on: the first step not passed
