"""The command line as a learner meets it: the course tree, and one-line reasons for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from celery_tutor.course import load_course

from conftest import run_cli


def test_lessons_prints_the_course_tree_with_the_notes_headings():
    result = run_cli("lessons")  # a process of its own: `python -m celery_tutor` as the learner runs it
    assert result.returncode == 0
    out = result.stdout
    for text in ("一、环境准备", "二、初级应用", "1、容器安装", "2、RabbitMQ安装", "3、celery安装",
                 "containers/start", "first-task/delay"):
        assert text in out
    assert out.index("一、环境准备") < out.index("二、初级应用")


def test_lessons_json_gives_ids_titles_and_steps(cli):
    data = json.loads(cli("lessons", "--json").stdout)
    first = data["sections"][0]
    assert (first["number"], first["notes"]) == (1, "一、环境准备")
    lesson = first["lessons"][0]
    assert lesson["id"] == "containers" and lesson["notes"] == "1、容器安装"
    assert lesson["steps"][0]["id"] == "containers/start"
    shown = [(step["id"], step["checks"], step["hints"]) for s in data["sections"] for l in s["lessons"]
             for step in l["steps"]]
    assert shown == [(step.full_id, len(step.checks), len(step.hints)) for step in load_course().steps()]


@pytest.mark.parametrize("host, words", [
    ("unix:///nonexistent/docker.sock", "not running"),
    ("tcp://127.0.0.1:1", "not running"),
    ("bogus://what", "cannot reach the Docker engine"),
])
def test_an_unreachable_engine_is_one_line_and_exit_2(cli, host, words):
    result = cli("lab", "status", env={"DOCKER_HOST": host})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    assert words in result.stderr
    assert "what to do:" in result.stderr


def test_unknown_selection_and_lessons_dir_are_refused(cli, tmp_path):
    result = cli("verify", "--from", "no-such-lesson")
    assert result.returncode == 2 and "no lesson 'no-such-lesson'" in result.stderr
    result = cli("verify", "--from", "2", "--to", "1")
    assert result.returncode == 2 and "comes before" in result.stderr
    result = cli("--lessons", str(tmp_path / "nope"), "lessons")
    assert result.returncode == 2 and "no such directory" in result.stderr


def test_broken_lessons_stop_with_file_line_not_a_traceback(cli, tmp_path):
    (tmp_path / "course.yaml").write_text("title: T\nsections:\n  - {number: 1, title: A, notes: 一, lessons: [x]}\n")
    (tmp_path / "x.md").write_text("---\nid: x\ntitle: X\nnotes: n\nnodes: [celery-1]\n---\n## S {#s}\n\n"
                                   "```sh {check node=nowhere}\ntrue\n```\n")
    result = cli("--lessons", str(tmp_path), "lessons")
    assert result.returncode == 2
    assert f"{tmp_path / 'x.md'}:9: unknown node 'nowhere'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.lab
def test_a_bad_kit_is_refused_in_one_line(tmp_path):
    missing = run_cli("lab", "import", str(tmp_path / "nope.tar.gz"))
    assert missing.returncode == 2 and "no such kit file" in missing.stderr
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a tar at all\n" * 10)
    result = run_cli("lab", "import", str(garbage))
    assert result.returncode == 2 and "is not a lab kit the engine can load" in result.stderr
    assert "Traceback" not in result.stderr
    assert run_cli("lab", "export").returncode == 2  # no FILE: told how to say it


def test_a_reader_that_goes_away_ends_the_output_quietly():
    # `celery-tutor lessons --json | head -1`: the pipe closes under the tutor, which stops as a pipe's writer does
    # (here the reading end is closed before it starts, so its first write finds the pipe gone).
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run([sys.executable, "-m", "celery_tutor", "lessons", "--json"], stdout=write,
                                stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)
    assert result.returncode == 141 and not result.stderr, result.stderr
