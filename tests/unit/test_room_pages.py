"""The server's own pages in the room's or the browser's language: Chinese where asked, the codes and links intact."""

from __future__ import annotations

from celery_tutor.server import pages
from celery_tutor.server.room import seat_name_problem
from celery_tutor.i18n import translator


def test_the_pages_a_learner_meets_are_in_chinese_where_asked_with_the_way_in_intact():
    joined = pages.join("k7fq2m", "ada", lang="zh")
    assert "加入教室" in joined and 'value="k7fq2m"' in joined and "入座" in joined and 'lang="zh"' in joined
    refused = pages.how_to_join(lang="zh")
    assert "教室代码" in refused and "<code>/?code=CODE</code>" in refused and "&amp;seat=你的名字" in refused
    assert "教师代码" in pages.how_to_join(teacher=True, lang="zh")
    assert "30 个座位都已被占用" in pages.room_full(30, lang="zh")
    assert "Join the room" in pages.join("k7fq2m") and "Take my seat" in pages.join("k7fq2m")  # English by default


def test_the_teachers_table_in_chinese_shows_a_bring_under_way_and_one_that_failed():
    row = {"name": "ada", "lab": "web-1-ada", "step": "canvas/group", "passed": 9, "failures": 0, "hints": 1,
           "solutions": 0, "seconds_on_step": 130, "connected": True, "stuck": False, "remote": False,
           "bringing": {"step": "chords/chord", "state": "under way"}}
    failed = {**row, "name": "bo", "bringing": {"step": "chords/chord", "state": "failed", "why": "disk full"}}
    page = pages.teacher([row, failed], "3hd8wq9ctk2v", "http://127.0.0.1:8000/?code=k7fq2m", lang="zh")
    assert "→ chords/chord (进行中)" in page and "无法带到 chords/chord：disk full" in page
    assert "学员" in page and "2 分钟" in page and "把每个座位带到" in page
    assert "/room/bring?code=3hd8wq9ctk2v" in page


def test_a_bad_seat_name_says_why_in_the_learners_language():
    assert seat_name_problem("x" * 40, translator("zh")) == "座位名最多 32 个字符"
    assert seat_name_problem("x" * 40) == "a seat's name has at most 32 characters"
    assert seat_name_problem("ada") is None
