"""Catalogues: every message translated in ru and en, .mo files current, Russian plurals."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR

KEYWORDS = {"_": None, "__": None, "ngettext": (1, 2), "lazy_gettext": None}
ROOT = Path(__file__).resolve().parents[2]


def _catalog(lang: str):  # type: ignore[no-untyped-def]
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=lang)


def _source_ids() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        ROOT / "bot", keywords=KEYWORDS, comment_tags=()
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_every_message_is_translated(lang: str) -> None:
    catalog = _catalog(lang)
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    missing = _source_ids() - ids
    assert not missing, f"run scripts/i18n.sh: not in {lang} catalogue: {sorted(missing)[:5]}"
    empty = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not empty, f"untranslated in {lang}: {empty[:5]}"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy, f"fuzzy in {lang}: {fuzzy[:5]}"


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_compiled_catalogue_is_current(lang: str) -> None:
    catalog = _catalog(lang)
    with open(LOCALES_DIR / lang / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            assert compiled.ngettext(message.id[0], message.id[1], 5) == (
                message.string[-1] if lang == "ru" else message.string[1]
            ), "run scripts/i18n.sh to recompile"
        else:
            assert compiled.gettext(message.id) == message.string, "run scripts/i18n.sh"


def test_russian_plural_forms() -> None:
    with open(LOCALES_DIR / "ru" / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        ru = gettext.GNUTranslations(fh)
    forms = {
        n: ru.ngettext("{n} minute", "{n} minutes", n).format(n=n)
        for n in (1, 2, 5, 11, 21, 22, 25)
    }
    assert forms == {
        1: "1 минуту",
        2: "2 минуты",
        5: "5 минут",
        11: "11 минут",
        21: "21 минуту",
        22: "22 минуты",
        25: "25 минут",
    }


def test_placeholders_survive_translation() -> None:
    import re

    for message in _catalog("ru"):
        if not message.id or isinstance(message.id, tuple):
            continue
        assert set(re.findall(r"{\w+}", message.id)) == set(re.findall(r"{\w+}", message.string)), (
            message.id
        )
