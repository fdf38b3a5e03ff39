"""The lesson format: the shipped course parses, and malformed lessons give `file:line: message`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_tutor.course import load_course
from celery_tutor.course.loader import lint
from celery_tutor.course.parser import parse_lesson

from conftest import ROOT

NODES = ["celery-1", "celery-2", "celery-3"]
GOOD_HEAD = "---\nid: demo\ntitle: Demo\nnotes: 演示\nnodes: [celery-1]\n---\n\n# Demo\n\n"
CHECK = "```sh {check node=celery-1}\ntrue\n```\n"


def test_shipped_course_follows_the_notes():
    course = load_course(ROOT / "lessons")
    numbers = [section.number for section in course.sections]
    assert numbers[:2] == [1, 2]
    assert course.sections[0].notes == "一、环境准备"
    assert course.sections[1].notes == "二、初级应用"
    assert [lesson.notes for lesson in course.sections[0].lessons] == ["1、容器安装", "2、RabbitMQ安装", "3、celery安装"]
    for step in course.steps():
        assert step.checks, f"{step.full_id} has no check"
        assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", step.full_id)


def test_blocks_carry_their_attributes():
    text = GOOD_HEAD + (
        "## Run it {#run}\n\nSay hello.\n\n"
        "```sh {run node=celery-1 cwd=\"/tmp/a b\" timeout=5}\necho hi\n```\n\n"
        "```sh\nshown only\n```\n\n"
        "```pycon {repl node=celery-1}\n>>> 1 + 1\n2\n```\n\n"
        "```sh {check node=celery-1 retries=3 delay=0.5}\ntrue\n```\n\n"
        "```text {hint}\nTry harder.\n```\n"
    )
    lesson, problems = parse_lesson(Path("demo.md"), text, NODES)
    assert problems == []
    step = lesson.steps[0]
    assert step.full_id == "demo/run"
    run, repl = step.actions
    assert (run.role, run.node, run.get("cwd"), run.timeout) == ("run", "celery-1", "/tmp/a b", 5.0)
    assert run.line == 14
    assert (repl.role, repl.session) == ("repl", "python")
    assert step.checks[0].number("retries", 0) == 3
    assert step.hints == ["Try harder."]
    assert "Say hello." in step.markdown


@pytest.mark.parametrize("body, line, message", [
    ("## A {#a}\n\n```sh {run node=celery-9}\nx\n```\n" + CHECK, 12, "unknown node 'celery-9'"),
    ("## A {#a}\n\n```sh {fly node=celery-1}\nx\n```\n" + CHECK, 12, "unknown role 'fly'"),
    ("## A {#a}\n\n```sh {run node=celery-1 colour=red}\nx\n```\n" + CHECK, 12, "unknown attribute 'colour'"),
    ("## A {#a}\n\n```sh {run}\nx\n```\n" + CHECK, 12, "needs node="),
    ("## A {#a}\n\n```sh {run node=celery-1 timeout=soon}\nx\n```\n" + CHECK, 12, "not a number"),
    ("## A {#a}\n\n```sh {run node=\"celery-1}\nx\n```\n" + CHECK, 12, "cannot read the block's attributes"),
    ("## A {#a}\n\n" + CHECK + "\n```sh {check node=celery-1\nx\n```\n", 16, "cannot read the block's attributes"),
    ("## A\n\n" + CHECK, 10, "lacks an id"),
    ("## A {#a}\n\nno check here\n", 10, "has no check"),
    ("## A {#a}\n\n" + CHECK + "\n```sh {run node=celery-1}\nnever closed\n", 16, "never closed"),
    ("## A {#a}\n\n```sh {check session=python}\n(unclosed\n```\n", 13, "not a valid regular expression"),
    ("## A {#a}\n\n```sh {check}\ntrue\n```\n", 12, "exactly one of node="),
    ("```sh {run node=celery-1}\nx\n```\n\n## A {#a}\n\n" + CHECK, 10, "must be inside a step"),
    ("## A {#a}\n\n" + CHECK + "\n## B {#a}\n\n" + CHECK, 16, "used twice"),
])
def test_malformed_blocks_are_reported_with_their_line(body, line, message):
    lesson, problems = parse_lesson(Path("bad.md"), GOOD_HEAD + body, NODES)
    assert any(p.line == line and message in p.message for p in problems), [str(p) for p in problems]


@pytest.mark.parametrize("head, message", [
    ("# no front matter\n", "no front matter"),
    ("---\nid: [unclosed\n---\n", "not valid YAML"),
    ("---\nid: demo\ntitle: Demo\n---\n", "lacks 'notes'"),
    ("---\nid: Demo Lesson\ntitle: T\nnotes: n\nnodes: [celery-1]\n---\n", "must be lowercase"),
    ("---\nid: demo\ntitle: T\nnotes: n\nnodes: [celery-7]\n---\n", "unknown node 'celery-7'"),
    ("---\nid: demo\ntitle: T\nnotes: n\nnodes: [celery-1]\nauthor: me\n---\n", "unknown front matter key"),
])
def test_malformed_front_matter(head, message):
    _, problems = parse_lesson(Path("bad.md"), head + "\n## A {#a}\n\n" + CHECK, NODES)
    assert any(message in p.message for p in problems), [str(p) for p in problems]


def _course_dir(tmp_path: Path, files: dict[str, bytes | str], lessons: str = "[demo]") -> Path:
    (tmp_path / "course.yaml").write_text(
        f"title: T\nnodes: [celery-1, celery-2, celery-3]\nsections:\n"
        f"  - {{number: 1, title: One, notes: 一, lessons: {lessons}}}\n")
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return tmp_path


def test_lint_reads_a_whole_course(tmp_path):
    root = _course_dir(tmp_path, {
        "a.md": GOOD_HEAD + "## A {#a}\n\n" + CHECK,
        "b.md": GOOD_HEAD.replace("demo", "other") + "## A {#a}\n\n" + CHECK,
        "c.md": b"---\nid: x\n\xff\xfe\n",
    }, lessons="[demo, missing]")
    messages = [f"{p.path.name}:{p.line}: {p.message}" for p in lint([root])]
    assert any("course.yaml:1: lesson 'missing' is listed" in m for m in messages)
    assert any(m.startswith("b.md:1: lesson 'other' is not listed") for m in messages)
    assert any(m.startswith("c.md:3: not valid UTF-8") for m in messages)


def test_lint_command_prints_file_line_message(cli, tmp_path):
    root = _course_dir(tmp_path, {"a.md": GOOD_HEAD + "## A {#a}\n\n```sh {run node=celery-5}\nx\n```\n" + CHECK})
    result = cli("lint", str(root))
    assert result.returncode == 1
    assert f"{root / 'a.md'}:12: unknown node 'celery-5'" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert cli("lint").returncode == 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(list("-#`{}=\"' \n:abc[]\u4e00") + ["```sh {", "## ", "---\n", "node=celery-1",
                                                                     "check ", "run ", "{#x}", "id: a\n"]),
                max_size=120).map("".join))
def test_the_parser_never_raises(text):
    lesson, problems = parse_lesson(Path("fuzz.md"), text, NODES)
    for problem in problems:
        assert problem.line >= 1 and problem.message


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400).map(lambda noise: GOOD_HEAD.encode() + b"## A {#a}\n\n" + noise))
def test_lint_never_raises_on_any_bytes(tmp_path, data):
    path = tmp_path / "noise.md"
    path.write_bytes(data)
    for problem in lint([path]):
        assert str(problem).startswith(f"{path}:") and problem.line >= 1


def test_a_huge_lesson_is_linted_not_crashed(tmp_path):
    path = tmp_path / "huge.md"
    step = "## Step {#s%d}\n\nText " + "word " * 50 + "\n\n```sh {check node=celery-1}\ntrue\n```\n\n"
    path.write_text(GOOD_HEAD + "".join(step % n for n in range(5000)))  # about 2 MB, 5,000 steps
    assert lint([path]) == []
    path.write_text(GOOD_HEAD + "## A {#a}\n\n```sh {run node=celery-1}\n" + "x" * 3_000_000)
    assert any("never closed" in p.message for p in lint([path]))
