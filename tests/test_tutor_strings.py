"""The tutor's own strings in Chinese: every message pybabel extracts has a current zh translation with the same
placeholders, and English is the source text untouched."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from celery_tutor import i18n

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{[a-z_]*(?::[^}]*)?\}")


def extracted() -> list[tuple[str, int, str, str | None]]:
    """(file, line, msgid, msgid_plural) of every message the documented `pybabel extract -F babel.cfg` finds."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = []
    for filename, line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        singular, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        found.append((filename, line, singular, plural))
    return found


@pytest.fixture(scope="module")
def messages():
    found = extracted()
    assert len(found) > 150, "pybabel found the tutor's strings"  # the wrapped strings, not an empty walk
    return found


def test_every_extracted_message_has_a_current_chinese_translation(messages):
    catalog = polib.pofile(str(i18n.catalog_path("zh")))
    translated = {entry.msgid: entry for entry in catalog if not entry.obsolete}
    problems = []
    for filename, line, msgid, plural in messages:
        entry = translated.get(msgid)
        text = (entry.msgstr_plural.get(0, "") if plural else entry.msgstr) if entry else ""
        if not text or "fuzzy" in entry.flags:
            problems.append(f"celery_tutor/{filename}:{line}: no current zh translation of {msgid!r} "
                            f"(docs/translating.md: pybabel extract, update, then translate)")
        elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
            problems.append(f"celery_tutor/{filename}:{line}: the zh translation of {msgid!r} has other "
                            f"placeholders: {text!r}")
    assert not problems, "\n".join(problems)


def test_an_untranslated_english_string_is_reported_with_its_file_and_line(tmp_path):
    """The check above can fail: a new string in a module shows where it is."""
    (tmp_path / "babel.cfg").write_text((ROOT / "babel.cfg").read_text())
    package = tmp_path / "celery_tutor"
    package.mkdir()
    (package / "widget.py").write_text('from celery_tutor.i18n import _\n\n\nLABEL = _("A brand new label")\n')
    found = list(extract_from_dir(tmp_path, *parse_mapping_cfg(open(tmp_path / "babel.cfg"))))
    assert [(name, line, message) for name, line, message, *_rest in found] == [
        (str(Path("celery_tutor/widget.py")), 4, "A brand new label")]
    assert "A brand new label" not in {entry.msgid for entry in polib.pofile(str(i18n.catalog_path("zh")))}


def test_english_is_the_source_text_and_chinese_comes_from_the_catalog():
    try:
        i18n.set_language("en")
        assert i18n._("Step {index} of {count}") == "Step {index} of {count}"
        assert i18n.ngettext("{count} earlier step", "{count} earlier steps", 2) == "{count} earlier steps"
        i18n.set_language("zh")
        assert i18n._("Step {index} of {count}").format(index=2, count=5) == "第 2 步，共 5 步"
        assert i18n._("a string no catalog has") == "a string no catalog has"  # falls back to English
    finally:
        i18n.set_language("en")


def test_the_catalog_compiles_with_pybabel():
    """A translator's slip (a broken escape, a bad header) is caught as pybabel compile would catch it."""
    out = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "compile", "--statistics",
                          "-i", str(i18n.catalog_path("zh")), "-o", "/dev/null"],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "100%" in out.stderr + out.stdout


def test_every_key_the_footer_or_help_shows_has_its_words_in_chinese():
    """A key added to a screen without N_() around its words would not be extracted: caught here instead."""
    from celery_tutor.app.app import TutorApp
    from celery_tutor.app.screens.help import HelpScreen
    from celery_tutor.app.screens.main import MainScreen
    from celery_tutor.app.screens.rebuild import RebuildScreen

    table = i18n._table("zh")
    missing = [f"{owner.__name__}: {words!r}" for owner in (TutorApp, MainScreen, HelpScreen, RebuildScreen)
               for binding in owner.BINDINGS
               for words in (binding.description, binding.tooltip) if words and words not in table]
    assert not missing, "wrap them in N_() and translate them (docs/translating.md):\n" + "\n".join(missing)
