"""The tutor's own words in the learner's language: gettext's _() over celery_tutor/locale/LANG/LC_MESSAGES/*.po."""

# The catalog is read as it is, with polib (which the lessons' catalogs need anyway): the wheel carries the .po and
# no compiled .mo can fall behind it. English is the source: with it, _() hands back its argument untouched.
from __future__ import annotations

import functools
from pathlib import Path

from celery_tutor.language import ENGLISH

DOMAIN = "celery_tutor"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"

_language = ENGLISH


def catalog_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.lru_cache(maxsize=None)
def _table(lang: str) -> dict[str, str]:
    """msgid -> msgstr of the language's current translations (fuzzy ones are stale: English is shown instead),
    kept in the cache directory by the catalog's bytes: parsing it costs a start in Chinese tens of milliseconds."""
    import hashlib

    from celery_tutor import pickles
    from celery_tutor.paths import cache_dir

    try:
        data = catalog_path(lang).read_bytes() if lang != ENGLISH else b""
    except OSError:
        return {}
    if not data:
        return {}
    cached = cache_dir() / f"strings-{lang}-{hashlib.sha256(data).hexdigest()[:20]}.pickle"
    table = pickles.load(cached, dict)
    if table is None:
        table = _parse(data)
        pickles.save(table, cached, keep=4)
    return table


def _parse(data: bytes) -> dict[str, str]:
    import polib

    try:
        catalog = polib.pofile(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, OSError):
        return {}  # a damaged catalog: the tutor in English rather than not at all
    table = {}
    for entry in catalog:
        if entry.obsolete or "fuzzy" in entry.flags:
            continue
        if entry.msgid_plural and entry.msgstr_plural.get(0):
            table[entry.msgid] = entry.msgstr_plural[0]  # Chinese has one form (nplurals=1)
        elif entry.msgstr:
            table[entry.msgid] = entry.msgstr
    return table


def set_language(lang: str) -> None:
    """The language every later _() answers in (one per process: a served seat runs a process of its own)."""
    global _language
    _language = lang


def language() -> str:
    return _language


def _(message: str) -> str:
    """`message` in the current language, or as it is when it has no translation."""
    if _language == ENGLISH:
        return message
    return _table(_language).get(message, message)


def translator(lang: str | None):
    """_() in `lang` whatever the process's language: the server answers each browser in its own."""
    table = _table(lang) if lang and lang != ENGLISH else {}
    return lambda message: table.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """English's two forms chosen by `count`; a translation's one form (the course's languages have one)."""
    if _language != ENGLISH and singular in _table(_language):
        return _table(_language)[singular]
    return singular if count == 1 else plural


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined (a class attribute); _() translates it where it is shown."""
    return message
