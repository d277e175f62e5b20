"""The English catalogue: one file, every entry translated, and the compiled .mo in step with the .po.

Source strings are Chinese; English comes from src/quanban/locale/en/LC_MESSAGES/django.po and its
compiled django.mo (both committed). When one of these fails, run `make messages`, translate the
entries it names (docs/translations.md) and commit both files.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

import quanban

PACKAGE_DIR = Path(quanban.__file__).resolve().parent
LOCALE_DIR = PACKAGE_DIR / "locale"
PO_FILE = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")

# %(name)s, %(n)d, %s, %d — what Python's %-formatting will look up in the msgstr.
PLACEHOLDER = re.compile(r"%(?:\([A-Za-z_][A-Za-z0-9_]*\))?[sdif]")


@dataclass
class Entry:
    msgid: str
    line: int
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    def label(self) -> str:
        return f"django.po:{self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header and obsolete (#~) entries left out."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    start = 0
    last: str | None = None

    def finish() -> None:
        if fields.get("msgid"):
            entries.append(
                Entry(
                    msgid=fields["msgid"],
                    line=start,
                    msgctxt=fields.get("msgctxt"),
                    msgid_plural=fields.get("msgid_plural"),
                    msgstrs=[v for k, v in sorted(fields.items()) if k.startswith("msgstr")],
                    flags=set(flags),
                )
            )
        fields.clear()
        flags.clear()

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            last = None
        elif line.startswith("#,"):
            flags.update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and last is not None:
            fields[last] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword == "msgid":
                start = number
            fields[keyword] = ast.literal_eval(value)
            last = keyword
    finish()
    return entries


ENTRIES = parse_po(PO_FILE)


def test_the_package_has_one_catalogue():
    locale_dirs = sorted(
        str(path.relative_to(PACKAGE_DIR))
        for path in PACKAGE_DIR.rglob("locale")
        if path.is_dir() and "node_modules" not in path.parts
    )
    assert locale_dirs == ["locale"]
    assert [Path(p).resolve() for p in settings.LOCALE_PATHS] == [LOCALE_DIR]
    assert MO_FILE.is_file()


def test_every_entry_is_translated_and_none_is_fuzzy():
    untranslated = [e.label() for e in ENTRIES if not e.msgstrs or not all(e.msgstrs)]
    fuzzy = [e.label() for e in ENTRIES if "fuzzy" in e.flags]
    assert (untranslated, fuzzy) == ([], [])


def test_translations_keep_every_placeholder():
    broken = [
        e.label()
        for e in ENTRIES
        for msgstr in e.msgstrs
        if sorted(PLACEHOLDER.findall(msgstr)) != sorted(PLACEHOLDER.findall(e.msgid))
    ]
    assert broken == []


def test_compiled_catalogue_matches_the_po():
    """Each msgid translates, through Django, to the .po's msgstr: the .mo is not stale."""
    stale = []
    with translation.override("en"):
        for e in ENTRIES:
            if e.msgid_plural is not None:
                got = [
                    translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
                    if e.msgctxt is not None
                    else translation.ngettext(e.msgid, e.msgid_plural, n)
                    for n in (1, 2)
                ]
            elif e.msgctxt is not None:
                got = [translation.pgettext(e.msgctxt, e.msgid)]
            else:
                got = [translation.gettext(e.msgid)]
            if got != e.msgstrs:
                stale.append((e.label(), got, e.msgstrs))
    assert stale == []


def test_english_is_what_a_reader_sees():
    with translation.override("en"):
        assert translation.gettext("窗口人员") == "Window clerk"
        assert translation.gettext("一窗受理、一网通办、一次办好。") == (
            "One window, one website, one visit."
        )
    with translation.override("zh-hans"):
        assert translation.gettext("窗口人员") == "窗口人员"


@pytest.mark.skipif(
    shutil.which("xgettext") is None,
    reason="GNU gettext (xgettext) is not installed, so new source strings cannot be extracted",
)
def test_every_source_string_is_in_the_catalogue(tmp_path, settings):
    """Extract the package's strings afresh (as `make messages` does) into a scratch copy."""
    copy = tmp_path / "quanban"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "__pycache__", "static", "node_modules"),
    )
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [copy / "locale"]
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)
        call_command(
            "makemessages",
            locale=["en"],
            ignore_patterns=["migrations/*", "tests/*"],
            no_location=True,
            verbosity=0,
        )
    fresh = parse_po(copy / "locale" / "en" / "LC_MESSAGES" / "django.po")
    known = {(e.msgctxt, e.msgid) for e in ENTRIES}
    missing = sorted(e.msgid for e in fresh if (e.msgctxt, e.msgid) not in known)
    assert missing == [], "new strings: run `make messages` and translate them"
