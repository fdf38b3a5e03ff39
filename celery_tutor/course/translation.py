"""A lesson's prose as gettext messages: taken out paragraph by paragraph (code blocks left out), put back from a PO
catalog, each paragraph with no current translation left in English.

The catalogs are lessons/locale/LANG/<lesson file>.po and lessons/locale/LANG/course.po (course.yaml's titles). A
message is a paragraph, a heading (a step's without its id), a hint block's text or a lesson's title; commands,
files and checks are never in a catalog, so they exist once. Changed English keeps its old translation marked
fuzzy (stale), the way msgmerge does, so a PO editor (Poedit) shows what to look at again."""

from __future__ import annotations

import dataclasses
import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from celery_tutor.course.model import Course, Lesson
from celery_tutor.course.problems import Problem

LOCALE_DIR = "locale"
COURSE_CATALOG = "course.po"
NAMES = {"zh": "Chinese"}
CHECK_REASON = "check reason"  # a message a check prints: translated when shown, never in the script
HELPERS = Path(__file__).resolve().parent / "check_helpers.sh"  # the languages a course can be translated to, as lint names them
# How close an old English text must be for its translation to be kept as stale (difflib's ratio, msgmerge-like).
STALE_SIMILARITY = 0.5

_markdown = MarkdownIt("commonmark").use(front_matter_plugin)


@dataclass(frozen=True)
class Message:
    """One translatable text of a lesson, with the English lines it replaces."""

    text: str
    line: int  # 1-based, in the English file: where lint points
    start: int  # 0-based line range [start, end) the translation replaces
    end: int
    first_prefix: str = ""  # what stays before the text on its first line ("## ", "- ", "> ")
    prefix: str = ""  # what stays before each further line (a list item's indentation)
    suffix: str = ""  # what stays after it (a step heading's id)
    comment: str = ""  # what it is, for the translator


def messages(text: str) -> list[Message]:
    """Every translatable text of a lesson's Markdown, in file order."""
    from celery_tutor.course.parser import STEP_ID

    lines = text.splitlines()
    tokens = _markdown.parse(text)
    found: list[Message] = []
    if tokens and tokens[0].type == "front_matter" and tokens[0].map:
        for index in range(tokens[0].map[0] + 1, tokens[0].map[1] - 1):
            if lines[index].startswith("title:"):
                import yaml

                title = (yaml.safe_load(lines[index]) or {}).get("title")
                if isinstance(title, str):
                    found.append(Message(title, index + 1, index, index + 1, comment="lesson title"))
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        start, end = token.map
        if token.type in ("paragraph_open", "heading_open"):
            content = tokens[index + 1].content
            first = lines[start]
            at = first.find(content.split("\n", 1)[0])
            first_prefix = first[:at] if at >= 0 else ""
            prefix = "".join(c if c == ">" else " " for c in first_prefix) if token.type == "paragraph_open" else ""
            suffix, comment = "", "paragraph"
            if token.type == "heading_open":
                comment = "heading"
                match = STEP_ID.search(content) if token.tag == "h2" else None
                if match:
                    suffix, content = " " + match.group(0).strip(), content[: match.start()].strip()
                    comment = "step title"
            if content.strip():
                found.append(Message(content, start + 1, start, end, first_prefix, prefix, suffix, comment))
        elif token.type == "fence" and "{check" in token.info:
            from celery_tutor.course.check_messages import templates

            for offset, template in templates(token.content):
                found.append(Message(template, start + 2 + offset, -1, -1, comment=CHECK_REASON))
        elif token.type == "fence" and "{hint" in token.info and end - start > 2:
            fence = lines[start]
            indent = fence[: len(fence) - len(fence.lstrip())]
            found.append(Message(token.content.rstrip("\n"), start + 2, start + 1, end - 1, indent, indent,
                                 comment="hint"))
    return found


def apply(text: str, found: list[Message], translate) -> str:
    """The lesson's Markdown with each message replaced by `translate(message.text)` where that is not None."""
    lines = text.splitlines()
    for message in sorted(found, key=lambda m: m.start, reverse=True):
        translated = translate(message.text) if message.start >= 0 else None  # a check's reason stays in it
        if translated is None:
            continue
        if message.comment == "lesson title":
            import json

            new = ["title: " + json.dumps(translated, ensure_ascii=False)]  # JSON's string is YAML's too
        else:
            parts = translated.split("\n")
            new = [message.first_prefix + parts[0], *(message.prefix + part for part in parts[1:])]
            new[-1] += message.suffix
        lines[message.start : message.end] = new
    return "\n".join(lines) + "\n"


def catalog_path(root: Path, lang: str, name: str) -> Path:
    """The PO file of lesson file (or course.po) `name` in language `lang`."""
    return root / LOCALE_DIR / lang / (Path(name).stem + ".po")


def _read(path: Path):
    import polib

    if not path.is_file():
        return None
    try:
        return polib.pofile(str(path), encoding="utf-8")
    except (OSError, IOError, ValueError, UnicodeDecodeError):
        return None


def _current(catalog) -> dict[str, str]:
    """The catalog's translations that may be shown: neither empty nor fuzzy."""
    if catalog is None:
        return {}
    return {entry.msgid: entry.msgstr for entry in catalog
            if entry.msgstr and not entry.fuzzy and not entry.obsolete}


# --- the translated course --------------------------------------------------------------------------------------

def _same_blocks(english: list, translated: list) -> bool:
    """The same blocks, wherever they sit: a translation moves the lines, never the code."""
    def shape(block):
        return block.role, block.body, block.attrs, block.lang

    return [shape(b) for b in english] == [shape(b) for b in translated]


def _reasons(step, table: dict[str, str]) -> dict[str, str]:
    """The translations of the reasons the step's checks (and the helpers they call) may print."""
    from celery_tutor.course.check_messages import templates

    own = {template for block in step.checks for _, template in templates(block.body)}
    return {template: text for template, text in table.items() if template in own or template in _helper_templates()}


@functools.lru_cache(maxsize=1)
def _helper_templates() -> frozenset[str]:
    from celery_tutor.course.check_messages import templates

    return frozenset(template for _, template in templates(HELPERS.read_text(encoding="utf-8")))


def _graft(english: Lesson, translated: Lesson, table: dict[str, str]) -> Lesson | None:
    """The translated lesson carrying the English one's very blocks, lines and ids; None if they differ (a
    translation that added or lost a code block, or moved one to another step)."""
    if [s.id for s in english.steps] != [s.id for s in translated.steps]:
        return None
    steps = []
    for en, zh in zip(english.steps, translated.steps):
        if not (_same_blocks(en.actions, zh.actions) and _same_blocks(en.checks, zh.checks)
                and len(en.fences) == len(zh.fences)):
            return None
        # the English blocks themselves (their lines point into the English file); a hint keeps its translation
        fences = [(start, end, dataclasses.replace(block, line=original.line) if block.role == "hint" else original)
                  for (start, end, block), (_, _, original) in zip(zh.fences, en.fences)]
        steps.append(dataclasses.replace(zh, line=en.line, actions=en.actions, checks=en.checks, fences=fences,
                                         reasons=_reasons(en, table)))
    return dataclasses.replace(translated, path=english.path, steps=steps)


def translate_lesson(english: Lesson, lang: str) -> tuple[Lesson, list[Problem]]:
    """`english` in `lang`, every untranslated text left in English; a translation that would change the lesson's
    blocks is not used at all, and said."""
    from celery_tutor.course.loader import course_nodes, read_text
    from celery_tutor.course.parser import parse_lesson

    root = english.path.parent
    po = catalog_path(root, lang, english.path.name)
    catalog = _read(po)
    if catalog is None:
        return english, []
    text, problem = read_text(english.path)
    if problem:
        return english, [problem]
    table = _current(catalog)
    translated, problems = parse_lesson(english.path, apply(text, messages(text), table.get), course_nodes(root))
    helpers = _current(_read(catalog_path(root, lang, HELPERS.name)))
    grafted = _graft(english, translated, {**helpers, **table}) if translated and not problems else None
    if grafted is None:
        reason = "; ".join(p.message for p in problems[:1]) or "its code blocks differ from the English ones"
        return english, [Problem(po, 1, f"this translation is not used: {reason} (code blocks stay as in "
                                        f"{english.path.name}; translate only the prose)")]
    return grafted, []


def translate_course(course: Course, lang: str) -> Course:
    """The course in `lang`: each lesson translated as far as its catalog goes, the course's titles from course.po."""
    if lang not in NAMES:
        return course
    table = _current(_read(catalog_path(course.root, lang, COURSE_CATALOG)))
    sections = []
    for section in course.sections:
        lessons = [translate_lesson(lesson, lang)[0] for lesson in section.lessons]
        translated = dataclasses.replace(section, title=table.get(section.title, section.title), lessons=lessons)
        for lesson in lessons:
            lesson.section = translated
            for step in lesson.steps:
                step.lesson = lesson
        sections.append(translated)
    return dataclasses.replace(course, title=table.get(course.title, course.title), sections=sections)


def course_messages(root: Path) -> list[Message]:
    """course.yaml's translatable texts: the course's title and each section's."""
    from celery_tutor.course.loader import COURSE_FILE

    found = []
    for index, line in enumerate((root / COURSE_FILE).read_text(encoding="utf-8").splitlines()):
        key, _, value = line.strip().lstrip("- ").partition(":")
        if key == "title" and value.strip():
            import yaml

            found.append(Message(str(yaml.safe_load(value)), index + 1, index, index + 1,
                                 comment="course title" if not line.startswith(" ") else "section title"))
    return found


# --- what a translator has left to do ----------------------------------------------------------------------------

def _sources(root: Path) -> list[tuple[Path, list[Message]]]:
    """Each English file of the course with its messages: course.yaml first, then the lessons."""
    from celery_tutor.course.check_messages import templates
    from celery_tutor.course.loader import COURSE_FILE, read_text

    found = [(root / COURSE_FILE, course_messages(root))] if (root / COURSE_FILE).is_file() else []
    found.append((HELPERS, [Message(template, number + 1, -1, -1, comment=CHECK_REASON)
                            for number, template in templates(HELPERS.read_text(encoding="utf-8"))]))
    for path in sorted(root.glob("*.md")):
        text, problem = read_text(path)
        if text is not None:
            found.append((path, messages(text)))
    return found


def _stale_match(text: str, old: dict[str, object]) -> object | None:
    close = difflib.get_close_matches(text, list(old), n=1, cutoff=STALE_SIMILARITY)
    return old[close[0]] if close else None


def lint(root: Path, lang: str) -> list[Problem]:
    """Every text of the course in `root` with no current translation to `lang` (missing, or stale: fuzzy, or its
    English changed since it was translated), as `file:line: message` at the English line, naming the PO file."""
    from celery_tutor.course.check_messages import placeholders, wrong_placeholders

    problems: list[Problem] = []
    for source, found in _sources(root):
        po = catalog_path(root, lang, source.name)
        catalog = _read(po)
        if po.is_file() and catalog is None:
            problems.append(Problem(po, 1, "cannot read this PO file; open it in a PO editor (Poedit) to see why"))
            continue
        entries = {e.msgid: e for e in catalog or [] if not e.obsolete}
        unused = {msgid: e for msgid, e in entries.items() if msgid not in {m.text for m in found}}
        where = po.relative_to(root.parent) if po.is_relative_to(root.parent) else po
        for message in found:
            entry = entries.get(message.text)
            if entry is not None and entry.msgstr and not entry.fuzzy:
                wrong = wrong_placeholders(message.text, entry.msgstr) if message.comment == CHECK_REASON else []
                if wrong:
                    problems.append(Problem(source, message.line, f"the {NAMES.get(lang, lang)} translation of this "
                                            f"check reason uses {', '.join(wrong)}, which the check does not print; "
                                            f"use only {', '.join(placeholders(message.text)) or 'no $ values'} in {where}"))
                continue
            if entry is not None and entry.fuzzy:
                said = f"stale {NAMES.get(lang, lang)} translation (marked fuzzy): check it and clear the flag in {where}"
            elif entry is not None or (old := _stale_match(message.text, unused)) is None:
                said = f"no {NAMES.get(lang, lang)} translation of this {message.comment}: add it in {where}"
            else:
                said = (f"stale {NAMES.get(lang, lang)} translation: the English {message.comment} changed since it "
                        f"was translated; `celery-tutor lint --lang {lang} --update` marks it fuzzy in {where}")
            problems.append(Problem(source, message.line, said))
        if source.suffix == ".md" and catalog is not None:
            from celery_tutor.course.loader import course_nodes, parse_file

            english, found_there = parse_file(source, course_nodes(root))
            if english is not None and not found_there:
                problems += translate_lesson(english, lang)[1]
    return problems


def update(root: Path, lang: str) -> list[Path]:
    """Write every catalog of `lang` anew from the English: a new text is added untranslated, a changed one keeps
    its old translation marked fuzzy (the old English kept as `#| msgid`), a gone one is kept obsolete. Returns the
    files written."""
    import polib

    written = []
    for source, found in _sources(root):
        po = catalog_path(root, lang, source.name)
        old = _read(po)
        entries = {e.msgid: e for e in old or [] if not e.obsolete}
        unused = {msgid: e for msgid, e in entries.items() if msgid not in {m.text for m in found}}
        catalog = polib.POFile(wrapwidth=0)
        catalog.metadata = (old.metadata if old is not None else {}) or {
            "Project-Id-Version": "celery-tutor lessons", "Language": lang,
            "MIME-Version": "1.0", "Content-Type": "text/plain; charset=UTF-8", "Content-Transfer-Encoding": "8bit",
        }
        added: dict[str, object] = {}
        for message in found:
            if message.text in added:  # the same words twice in a file: one entry, both places
                added[message.text].occurrences.append((source.name, str(message.line)))
                continue
            entry = polib.POEntry(msgid=message.text, msgstr="", comment=message.comment,
                                  occurrences=[(source.name, str(message.line))])
            added[message.text] = entry
            kept = entries.get(message.text)
            if kept is not None:
                entry.msgstr, entry.flags = kept.msgstr, list(kept.flags)
                entry.previous_msgid = kept.previous_msgid
            elif (stale := _stale_match(message.text, unused)) is not None:
                unused.pop(stale.msgid)
                entry.msgstr, entry.flags, entry.previous_msgid = stale.msgstr, ["fuzzy"], stale.msgid
            catalog.append(entry)
        for gone in unused.values():
            if gone.msgstr:
                gone.obsolete = True
                catalog.append(gone)
        po.parent.mkdir(parents=True, exist_ok=True)
        text = str(catalog) + "\n"
        if not po.is_file() or po.read_text(encoding="utf-8") != text:
            po.write_text(text, encoding="utf-8")
            written.append(po)
    return written
