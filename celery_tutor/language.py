"""The learner's language: --lang, else the locale's (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, in gettext's order)."""

from __future__ import annotations

import os
from typing import Mapping

ENGLISH = "en"
LANGUAGES = {"en": "English", "zh": "简体中文"}  # what --lang takes: the course's own language and its translations
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def from_locale(environ: Mapping[str, str] | None = None) -> str:
    """The language the locale asks for: the first of gettext's variables that is set decides; LANGUAGE may list
    several (`fr:zh`), the first one the course has wins. Anything else (C, POSIX, unset) is English."""
    environ = os.environ if environ is None else environ
    for variable in LOCALE_VARIABLES:
        value = environ.get(variable, "")
        if not value:
            continue
        for name in value.split(":") if variable == "LANGUAGE" else [value]:
            code = name.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGUAGES:
                return code
            if code in ("c", "posix"):
                return ENGLISH
        if variable != "LANGUAGE":
            return ENGLISH
    return ENGLISH


def choose(option: str | None, environ: Mapping[str, str] | None = None) -> str:
    """--lang when given, else the locale's language."""
    return option or from_locale(environ)


def from_accept_language(header: str | None) -> str | None:
    """The course's language a browser's Accept-Language prefers most (`zh-CN,zh;q=0.9,en;q=0.8`: zh), or None
    when it names none of them."""
    best, best_weight = None, 0.0
    for order, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        code = tag.strip().split("-")[0].split("_")[0].lower()
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        weight -= order * 1e-6  # equal weights: the first listed wins
        if code in LANGUAGES and weight > best_weight:
            best, best_weight = code, weight
    return best
