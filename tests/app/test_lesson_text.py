"""What the learner reads of a step, and what the app remembers of their progress (in steps.progress's file)."""

from __future__ import annotations

from celery_tutor.app.lesson_text import HIDDEN_SOLUTION, learner_markdown
from celery_tutor.app.progress import FAILED, NOT_STARTED, PASSED, ProgressView
from celery_tutor.course.parser import parse_lesson
from celery_tutor.steps.progress import SavedProgress

LESSON = '''---
id: demo
title: Demo
notes: 验证
nodes: [celery-1]
---

# Demo

Intro.

## Do the thing {#thing}

Run this:

```sh {run node=celery-1 cwd=/root}
echo visible
```

```sh {run node=celery-1 solution}
echo secret
```

```sh {check node=celery-1}
test -f /tmp/done || { echo "expected /tmp/done"; exit 1; }
```

```text {hint}
Look in /tmp.
```

```text {hint}
Really, /tmp.
```
'''


def step():
    lesson, problems = parse_lesson(__import__("pathlib").Path("demo.md"), LESSON, ["celery-1"])
    assert not problems
    return lesson.steps[0]


def test_the_learner_reads_captions_not_attributes_and_no_checks():
    text = learner_markdown(step())
    assert text.startswith("## Do the thing\n")  # the {#id} is the tutor's, not the learner's
    assert "▶ **celery-1** in `/root`" in text and "```sh\necho visible\n```" in text
    assert "{run" not in text and "/tmp/done" not in text and "Look in /tmp" not in text


def test_the_solution_is_hidden_until_revealed_and_hints_come_one_by_one():
    hidden = learner_markdown(step())
    assert "echo secret" not in hidden and HIDDEN_SOLUTION in hidden
    shown = learner_markdown(step(), revealed=True, hints_shown=1)
    assert "echo secret" in shown and "*solution*" in shown and HIDDEN_SOLUTION not in shown
    assert "**Hint 1 of 2**" in shown and "Look in /tmp." in shown and "Really" not in shown


def test_progress_marks_and_help_are_saved_where_celery_tutor_progress_reads_them(tmp_path):
    saved = SavedProgress.for_lab("demo-lab", tmp_path)
    progress = ProgressView(saved)
    assert progress.mark("demo/thing") == NOT_STARTED
    assert progress.record("demo/thing", False) == 1
    assert progress.mark("demo/thing") == FAILED
    progress.show_hint("demo/thing")
    progress.reveal("demo/thing")
    progress.move_to("demo/thing")
    assert progress.record("demo/thing", True) == 1
    again = SavedProgress.for_lab("demo-lab", tmp_path)
    record = again.steps["demo/thing"]
    assert again.current == "demo/thing" and record.passed_at and record.hints == 1 and record.revealed
    assert ProgressView(again).mark("demo/thing") == PASSED


def test_progress_without_a_file_lives_in_memory():
    progress = ProgressView()
    progress.record("demo/thing", True)
    progress.move_to("demo/thing")
    assert progress.passed("demo/thing")
