"""The lesson's drawn lines kept on disk: a restart shows the same lines without loading Rich's Markdown."""

from __future__ import annotations

import json
import subprocess
import sys

from celery_tutor.app.lesson_text import learner_markdown
from celery_tutor.course import load_course
from celery_tutor.paths import lessons_dir

# Draws a text the way the lesson view does, in a process of its own, and says what it drew and what it loaded.
DRAW = """
import json, sys
from pathlib import Path
from rich.console import Console
from rich.style import Style
from celery_tutor.app.markdown_lines import markdown_lines
text, width, directory = sys.stdin.read(), int(sys.argv[1]), Path(sys.argv[2])
lines = markdown_lines(text, width, Style.parse("#e0e0e0 on #1e1e1e"), Console(), directory)
drawn = [[[segment.text, str(segment.style)] for segment in line] for line in lines]
print(json.dumps({"lines": drawn, "loaded": "rich.markdown" in sys.modules}))
"""


def draw(text: str, width: int, directory) -> dict:
    result = subprocess.run([sys.executable, "-c", DRAW, str(width), str(directory)], input=text,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_a_step_drawn_before_comes_back_the_same_without_rich_markdown(tmp_path):
    step = load_course(lessons_dir()).step("rabbitmq-install/start")
    text = learner_markdown(step)
    first = draw(text, 80, tmp_path)
    assert first["loaded"] and any("rabbitmq-server -detached" in "".join(s for s, _ in line) for line in first["lines"])
    again = draw(text, 80, tmp_path)
    assert again == {"lines": first["lines"], "loaded": False}


def test_another_width_or_an_edited_text_is_drawn_anew(tmp_path):
    text = "# Title\n\nSome `code` and a paragraph long enough to wrap at a narrow width.\n"
    first = draw(text, 80, tmp_path)
    narrow = draw(text, 30, tmp_path)
    assert narrow["loaded"] and len(narrow["lines"]) > len(first["lines"])
    edited = draw(text.replace("Title", "Another title"), 80, tmp_path)
    assert edited["loaded"] and "Another title" in "".join(s for line in edited["lines"] for s, _ in line)


def test_a_damaged_drawing_is_drawn_again(tmp_path):
    text = "Plain words.\n"
    first = draw(text, 40, tmp_path)
    for kept in tmp_path.glob("lines-*.pickle"):
        kept.write_bytes(b"not a pickle")
    again = draw(text, 40, tmp_path)
    assert again == {"lines": first["lines"], "loaded": True}
