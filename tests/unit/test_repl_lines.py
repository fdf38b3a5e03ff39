"""The lines a step types into a session: a snippet's `>>>` and `...` lines without their prompts, a blank line to
close an open block before the next statement, never the expected output (lab/session.py); a shell session's lines
one by one, stopping at the first that fails (steps/runner.py)."""

from __future__ import annotations

import codeop

from hypothesis import given
from hypothesis import strategies as st

from celery_tutor.course.model import Block
from celery_tutor.lab.session import PythonSession, lines_to_type
from celery_tutor.steps.runner import StepRunner


class Repl(PythonSession):
    """The real run_lines over Python's own prompt rule, without a container: `...` while what was typed since the
    last `>>>` is an incomplete statement (codeop decides, as the interactive interpreter does), else `>>>`."""

    alive = True

    def __init__(self):  # no container, no terminal
        self.last_prompt = 0
        self.typed: list[str] = []
        self._pending: list[str] = []

    def send_line(self, line: str, timeout: float = 30) -> str:
        self.typed.append(line)
        self._pending.append(line)
        try:
            complete = codeop.compile_command("\n".join(self._pending), symbol="single") is not None
        except SyntaxError:
            complete = True  # Python prints the error and gives a `>>>` again
        if complete:
            self._pending = []
        self.last_prompt = 0 if complete else 1
        return ""


def test_a_function_then_a_call_closes_the_block_before_the_call():
    repl = Repl()
    repl.run_lines([">>> def twice(x):", "...     return 2 * x", ">>> twice(21)", "42"])
    assert repl.typed == ["def twice(x):", "    return 2 * x", "", "twice(21)"]
    assert repl.last_prompt == 0


def test_a_snippet_ending_inside_a_block_is_closed_so_the_block_runs():
    repl = Repl()
    repl.run_lines([">>> for n in range(2):", "...     print(n)", "0", "1"])
    assert repl.typed == ["for n in range(2):", "    print(n)", ""]
    assert repl.last_prompt == 0


def test_a_block_the_snippet_closes_itself_gets_no_extra_blank_line():
    repl = Repl()
    repl.run_lines([">>> if True:", "...     x = 1", "... ", ">>> x", "1"])
    assert repl.typed == ["if True:", "    x = 1", "", "x"]


def test_prompts_without_their_space_and_output_lines():
    assert lines_to_type([">>>x = 1", "...", ">>> ", "x = 1", "Traceback (most recent call last):", " >>> no"]) == [
        ("x = 1", False), ("", True), ("", False)]


PROMPTED = st.tuples(st.sampled_from([">>> ", "... ", ">>>", "..."]), st.text(alphabet="abc :()=\t", max_size=12))
OUTPUT = st.text(alphabet="abc :()=>.\t", max_size=12).filter(lambda line: not line.startswith((">>>", "...")))


@given(st.lists(st.one_of(PROMPTED.map(lambda pair: pair[0] + pair[1]), OUTPUT), max_size=15))
def test_only_prompted_lines_are_typed_in_order_without_their_prompt(snippet):
    typed = lines_to_type(snippet)
    prompted = [line for line in snippet if line.startswith((">>>", "..."))]
    assert len(typed) == len(prompted)
    for (text, continues), line in zip(typed, prompted):
        assert continues == line.startswith("...")
        assert line[:3] + (" " if line[3:4] == " " else "") + text == line


STATEMENTS = st.sampled_from([
    [">>> x = 1"], [">>> print('hi')", "hi"],
    [">>> def f(a):", "...     return a"], [">>> for i in range(2):", "...     pass"],
    [">>> class C:", "...     y = 2", "..."], [">>> if x:", "...     x += 1", "... else:", "...     x = 0"],
])


@given(st.lists(STATEMENTS, min_size=1, max_size=6))
def test_any_snippet_of_statements_leaves_the_repl_at_a_fresh_prompt(statements):
    snippet = [line for statement in statements for line in statement]
    repl = Repl()
    repl.run_lines(snippet)
    assert repl.last_prompt == 0  # nothing left half-typed for the next step to run into
    assert [line for line in repl.typed if line] == [text for text, _ in lines_to_type(snippet) if text]


class Shell:
    """A shell session's surface as the runner uses it: each line typed, its exit status as the prompt says."""

    alive = True

    def __init__(self, statuses: dict[str, int]):
        self.statuses = statuses
        self.typed: list[str] = []
        self.last_status = 0

    def send_line(self, line: str, timeout: float = 30) -> str:
        self.typed.append(line)
        self.last_status = self.statuses.get(line, 0)
        return ""


class Lab:
    def node(self, name):
        return name


def test_a_shell_step_types_its_lines_one_by_one_and_stops_at_the_first_that_fails():
    runner = StepRunner(Lab())
    shell = Shell({"false": 1})
    runner._sessions[("celery-1", "shell")] = shell
    block = Block(role="run", body="cd /tmp\n\n   \nfalse\necho never\n", attrs={"node": "celery-1", "session": "shell"},
                  line=1)
    result = runner.run_action(block)
    assert shell.typed == ["cd /tmp", "false"]
    assert (result.ok, result.reason) == (False, "`false` exited with status 1")


def test_a_repl_step_types_its_snippet_into_the_python_session():
    runner = StepRunner(Lab())
    repl = Repl()
    runner._sessions[("celery-1", "python")] = repl
    block = Block(role="repl", body=">>> from tasks import add\n>>> add.delay(4, 4)\n<AsyncResult: ...>\n",
                  attrs={"node": "celery-1"}, line=1)
    assert runner.run_action(block).ok
    assert repl.typed == ["from tasks import add", "add.delay(4, 4)"]
