"""The course in Chinese: --lang and the locale choose it, each untranslated text falls back to English, lint names
what is missing or stale, and the code blocks are the very same in both languages."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polib
import pytest
from rich.cells import cell_len

from conftest import ROOT, run_cli
from celery_tutor.course.check_messages import translate as translate_reason
from celery_tutor.course.loader import _parse_course
from celery_tutor.course.translation import catalog_path
from celery_tutor.language import from_locale

LESSONS = ROOT / "lessons"
HAN = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_LOCALE = {"LANGUAGE": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


def _titles(data: dict) -> list[str]:
    return [data["title"]] + [text for section in data["sections"] for text in [section["title"]] + [
        title for lesson in section["lessons"] for title in [lesson["title"]] + [s["title"] for s in lesson["steps"]]]]


def _json(*args: str, env: dict | None = None) -> dict:
    result = run_cli(*args, "lessons", "--json", env={**ENGLISH_LOCALE, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_lang_zh_gives_every_lesson_and_step_a_chinese_title_and_the_same_ids():
    english, chinese = _json(), _json("--lang", "zh")
    pairs = list(zip(_titles(english), _titles(chinese)))
    assert len(pairs) > 60
    untranslated = [en for en, zh in pairs if en == zh or not HAN.search(zh)]
    assert not untranslated
    ids = lambda data: [s["id"] for sec in data["sections"] for l in sec["lessons"] for s in l["steps"]]
    assert ids(english) == ids(chinese)


def test_the_lang_option_may_follow_the_command_and_en_keeps_english():
    after = run_cli("lessons", "--json", "--lang", "zh", env=ENGLISH_LOCALE)
    assert json.loads(after.stdout) == _json("--lang", "zh")
    assert _json("--lang", "en", env={"LANG": "zh_CN.UTF-8"}) == _json()


def test_a_chinese_locale_with_no_lang_shows_the_chinese_course():
    assert _json(env={"LANG": "zh_CN.UTF-8"}) == _json("--lang", "zh")
    tree = run_cli("lessons", env={**ENGLISH_LOCALE, "LANG": "zh_CN.UTF-8"}).stdout
    assert "启动三个容器" in tree and "Start three containers" not in tree


@pytest.mark.parametrize("environ, expected", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "en"),  # LC_ALL comes before LANG
    ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, "zh"),  # the first language of the list the course has
    ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LANG": "C"}, "en"),
    ({}, "en"),
])
def test_the_locale_is_read_in_gettexts_order(environ, expected):
    assert from_locale(environ) == expected


def test_a_bad_lang_is_one_line_with_the_choices():
    result = run_cli("--lang", "fr", "lessons")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "en" in result.stderr and "zh" in result.stderr


def test_the_chinese_course_has_exactly_the_english_blocks():
    english, chinese = _parse_course(LESSONS), _parse_course(LESSONS, "zh")
    for en, zh in zip(english.steps(), chinese.steps()):
        assert (en.full_id, en.line) == (zh.full_id, zh.line)
        assert en.actions == zh.actions and en.checks == zh.checks
        assert len(en.hints) == len(zh.hints)
        assert [b for _, _, b in en.fences if b.role != "hint"] == [b for _, _, b in zh.fences if b.role != "hint"]
        # what the app cuts out of the step's text by line is the block it says
        for start, end, block in zh.fences:
            lines = zh.markdown.splitlines()[start:end]
            assert lines[0].startswith("```") and lines[-1].startswith("```")
            if block.role != "hint":
                assert "\n".join(lines[1:-1]) + "\n" == block.body


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "lessons"
    shutil.copytree(LESSONS, root)
    return root


def test_a_missing_entry_falls_back_to_english_alone(tmp_path):
    root = _copy(tmp_path)
    po = catalog_path(root, "zh", "1-3-celery.md")
    catalog = polib.pofile(str(po))
    entry = catalog.find("Install pip")
    assert entry and entry.msgstr
    catalog.remove(entry)
    catalog.save()
    english = _parse_course(root).lesson("celery-install")
    lesson = _parse_course(root, "zh").lesson("celery-install")
    assert lesson.steps[0].title == "Install pip" == english.steps[0].title
    assert lesson.steps[1].title != english.steps[1].title and HAN.search(lesson.steps[1].title)
    result = run_cli("--lessons", str(root), "lint", "--lang", "zh")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{root / '1-3-celery.md'}:13: no Chinese translation of this step title: add it in lessons/locale/zh/1-3-celery.po"]


def test_editing_an_english_paragraph_makes_its_translation_stale(tmp_path):
    root = _copy(tmp_path)
    lesson = root / "1-3-celery.md"
    text = lesson.read_text(encoding="utf-8")
    old = "Celery is a Python library, installed with pip."
    lesson.write_text(text.replace(old, "Celery is a Python package, installed with pip."), encoding="utf-8")
    assert old not in _parse_course(root, "zh").lesson("celery-install").intro  # nor its stale translation
    assert "Celery is a Python package" in _parse_course(root, "zh").lesson("celery-install").intro

    result = run_cli("--lessons", str(root), "lint", "--lang", "zh")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [f"{lesson}:10: stale Chinese translation: the English paragraph changed "
                                          "since it was translated; `celery-tutor lint --lang zh --update` marks it "
                                          "fuzzy in lessons/locale/zh/1-3-celery.po"]

    updated = run_cli("--lessons", str(root), "lint", "--lang", "zh", "--update")
    assert "updated" in updated.stderr and "1-3-celery.po" in updated.stderr
    assert updated.stdout.splitlines() == [f"{lesson}:10: stale Chinese translation (marked fuzzy): check it and "
                                           "clear the flag in lessons/locale/zh/1-3-celery.po"]
    entry = next(e for e in polib.pofile(str(catalog_path(root, "zh", lesson.name))) if "Python package" in e.msgid)
    assert entry.fuzzy and "Python library" in entry.previous_msgid and HAN.search(entry.msgstr)


def test_a_translation_that_adds_a_code_block_is_not_used_and_lint_says_so(tmp_path):
    root = _copy(tmp_path)
    po = catalog_path(root, "zh", "1-3-celery.md")
    catalog = polib.pofile(str(po))
    catalog.find("Install pip").msgstr = "安装 pip\n\n```sh {run node=celery-1}\nrm -rf /\n```"
    catalog.save()
    lesson = _parse_course(root, "zh").lesson("celery-install")
    assert lesson.title == "Install pip and Celery"  # the whole lesson stays English
    result = run_cli("--lessons", str(root), "lint", "--lang", "zh")
    assert f"{po}:1: this translation is not used" in result.stdout


def test_the_shipped_course_lints_clean_in_chinese():
    result = run_cli("lint", "--lang", "zh")
    assert result.returncode == 0 and ".md:" not in result.stdout + result.stderr, result.stdout


def test_the_chinese_tree_fits_80_columns():
    result = run_cli("--lang", "zh", "lessons", env={**ENGLISH_LOCALE, "COLUMNS": "80"})
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert any(HAN.search(line) for line in lines)
    assert max(cell_len(line) for line in lines) <= 80


# --- the reasons checks print ------------------------------------------------------------------------------------

def test_a_check_reason_is_matched_and_filled_in_chinese():
    step = _parse_course(LESSONS, "zh").step("celery-install/celery")
    reason = "Celery 5.7.0 imports, but the 'celery' command is not on PATH"
    assert translate_reason(reason, step.reasons) == "Celery 5.7.0 可以导入，但 PATH 上没有 'celery' 命令"
    shown = "expected python3 to import Celery 5.x, saw: ModuleNotFoundError: No module named 'celery'"
    assert translate_reason(shown, step.reasons) == "预期 python3 能导入 Celery 5.x，实际：ModuleNotFoundError: No module named 'celery'"
    assert translate_reason("something no check prints", step.reasons) == "something no check prints"
    assert _parse_course(LESSONS).step("celery-install/celery").reasons == {}  # English: nothing to look up


def test_a_helpers_reason_translates_the_words_its_caller_gave_it():
    step = _parse_course(LESSONS, "zh").step("signatures/restart")
    reason = "the worker has rpc:// but is not ready yet; last line: [2026-12-01 20:00:00,000: INFO] mingle: all alone"
    assert translate_reason(reason, step.reasons) == (
        "工作进程已配置 rpc://，但还没有就绪；最后一行：[2026-12-01 20:00:00,000: INFO] mingle: all alone")


def test_every_check_reason_is_in_the_catalog_and_uses_only_its_own_values():
    from celery_tutor.course.translation import lint

    problems = [p for p in lint(LESSONS, "zh") if "check reason" in p.message]
    assert not problems


def test_lint_names_a_translated_reason_that_uses_a_value_the_check_does_not_print(tmp_path):
    root = _copy(tmp_path)
    po = catalog_path(root, "zh", "1-3-celery.md")
    catalog = polib.pofile(str(po))
    entry = catalog.find("Celery $v imports, but the 'celery' command is not on PATH")
    entry.msgstr = "Celery $version 可以导入，但 PATH 上没有 'celery' 命令"
    catalog.save()
    result = run_cli("--lessons", str(root), "lint", "--lang", "zh")
    assert result.stdout.splitlines() == [
        f"{root / '1-3-celery.md'}:78: the Chinese translation of this check reason uses $version, which the check "
        "does not print; use only $v in lessons/locale/zh/1-3-celery.po"]


@pytest.mark.lab
def test_a_failed_check_in_a_real_node_gives_its_reason_in_chinese(lab):
    from celery_tutor.steps.runner import StepRunner

    lab.start_node("celery-1")
    step = _parse_course(LESSONS, "zh").step("tasks-code/write")  # no /root/tasks.py yet
    result = StepRunner(lab).check(step, retries=False)
    assert not result.passed
    assert result.reason == "预期 celery-1 上有 /root/tasks.py，但没有这个文件"
    english = StepRunner(lab).check(_parse_course(LESSONS).step("tasks-code/write"), retries=False)
    assert english.reason == "expected /root/tasks.py on celery-1, but there is no such file"


def test_the_course_cache_keys_on_the_language_and_the_catalogs_bytes(tmp_path):
    from celery_tutor.course.cache import cached

    root, directory = _copy(tmp_path), tmp_path / "cache"
    calls = []

    def load(lang):
        return lambda path: calls.append(lang) or _parse_course(path, lang)

    english = cached(root, directory, load("en"))
    chinese = cached(root, directory, load("zh"), "zh")
    assert english.lesson("celery-install").title == "Install pip and Celery"
    assert chinese.lesson("celery-install").title == "安装 pip 和 Celery"
    assert cached(root, directory, load("zh"), "zh").lesson("celery-install").title == "安装 pip 和 Celery"
    assert calls == ["en", "zh"]  # the second Chinese load came from the cache

    po = catalog_path(root, "zh", "1-3-celery.md")
    catalog = polib.pofile(str(po))
    catalog.find("Install pip and Celery").msgstr = "安装 pip 与 Celery"
    catalog.save()
    assert cached(root, directory, load("zh"), "zh").lesson("celery-install").title == "安装 pip 与 Celery"
    assert cached(root, directory, load("en")).lesson("celery-install").title == "Install pip and Celery"
    assert calls == ["en", "zh", "zh"]  # the catalog's edit is seen; English did not depend on it


@pytest.mark.lab
def test_the_tutor_in_chinese_gives_a_failed_checks_reason_in_chinese(lab, tmp_path):
    import asyncio

    from app.tutor_helpers import SIZE, bar, check, on_step, wait_for
    from celery_tutor import i18n
    from celery_tutor.app import make_app
    from celery_tutor.app.progress import ProgressView
    from celery_tutor.steps.progress import SavedProgress

    lab.start_node("celery-1")  # and no /root/tasks.py in it
    saved = SavedProgress(path=None)  # type: ignore[arg-type]
    saved.current = "tasks-code/write"
    app = make_app(_parse_course(LESSONS, "zh"), lambda: lab, lab_name=lab.name, progress=ProgressView(saved),
                   log_dir=tmp_path / "log", status_interval=2.0, crash_on_error=True)

    async def scenario():
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.runner is not None, 60, "the lab to connect")
            await on_step(pilot, app, "tasks-code/write")
            assert "编写 tasks.py" in app.main.lesson_view.current_view.shown_text
            assert not await check(pilot, app)
            # the check's reason from its catalog, the tutor's words around it from the tutor's own
            assert "✗ 尚未通过：预期 celery-1 上有 /root/tasks.py，但没有这个文件" in bar(app), bar(app)

    i18n.set_language("zh")
    try:
        asyncio.run(scenario())
    finally:
        i18n.set_language("en")


def test_the_reason_a_check_hands_expect_messages_is_translated_with_the_helpers_own_words():
    """expect_messages QUEUE COUNT WHY: WHY is a reason of the check's own, the helper goes on with what it saw."""
    from celery_tutor.course.check_messages import templates

    line = 'expect_messages news 2 "expected 2 messages in news on celery-1 (one published there)"'
    assert templates(line) == [(0, "expected 2 messages in news on celery-1 (one published there)")]
    assert templates('[ "$n" = "$2" ] || fail "$3, but $1 holds $n"') == [(0, "$3, but $1 holds $n")]
    step = _parse_course(LESSONS, "zh").step("cluster-federation/exchange-publish")
    reason = "expected 2 messages in news on celery-1 (one published there, one from celery-3), but news holds 1"
    assert translate_reason(reason, step.reasons) == (
        "预期 celery-1 上的 news 中有 2 条消息（一条在那里发布，一条来自 celery-3），但 news 中有 1 条")


def test_a_chinese_locale_with_no_lang_gives_the_tutors_own_words_in_chinese(tmp_path):
    """Not only the lessons: the command line's own table headers and summary, from the tutor's catalog."""
    env = {**ENGLISH_LOCALE, "LANG": "zh_CN.UTF-8", "CELERY_TUTOR_STATE_DIR": str(tmp_path)}
    shown = run_cli("progress", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "看过答案" in shown.stdout and "步中已通过" in shown.stdout
    english = run_cli("progress", env={**env, "LANG": "C.UTF-8"}).stdout
    assert "solutions shown" in english and "steps passed" in english and "看过答案" not in english


def test_the_language_chosen_in_the_tutor_is_remembered_with_the_progress(tmp_path):
    """A learner who chose Chinese (saved with their progress) gets it back with an English locale; --lang wins."""
    from celery_tutor.steps.progress import SavedProgress

    saved = SavedProgress.for_lab("zh-learner", tmp_path)
    saved.language = "zh"
    saved.save()
    assert SavedProgress.for_lab("zh-learner", tmp_path).language == "zh"
    env = {**ENGLISH_LOCALE, "CELERY_TUTOR_STATE_DIR": str(tmp_path)}
    assert "看过答案" in run_cli("progress", "--lab", "zh-learner", env=env).stdout
    assert "solutions shown" in run_cli("--lang", "en", "progress", "--lab", "zh-learner", env=env).stdout
    assert "solutions shown" in run_cli("progress", "--lab", "another-learner", env=env).stdout
