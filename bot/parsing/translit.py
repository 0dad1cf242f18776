"""Latin spellings of Cyrillic names, so `petrov` finds Петров and `shchukin` finds Щукин."""

from __future__ import annotations

# Our own table rather than a library: Russian needs 33 letters, the common variants of a few
# of them are listed, and the fuzzy matcher absorbs the rest (kh/h, ya/ia). `unidecode` is
# GPL-licensed, and `transliterate` is unmaintained.
_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
}  # fmt: skip
# Second spellings people type as often: Khabarov/Habarov, Yulia/Iulia, Tsoi/Coi.
_VARIANTS = {"kh": "h", "yu": "iu", "ya": "ia", "ts": "c", "shch": "sch"}


def to_latin(text: str) -> str:
    """The common Latin spelling of a Cyrillic text; other characters stay as they are."""
    out = []
    for ch in text:
        low = ch.lower()
        latin = _TABLE.get(low)
        if latin is None:
            out.append(ch)
        else:
            out.append(latin.capitalize() if ch != low and latin else latin)
    return "".join(out)


def latin_spellings(text: str) -> list[str]:
    """The Latin spellings of a Cyrillic text (none if it has no Cyrillic letters)."""
    if not any(ch.lower() in _TABLE for ch in text):
        return []
    main = to_latin(text)
    spellings = [main]
    other = main.lower()
    for a, b in _VARIANTS.items():
        other = other.replace(a, b)
    if other != main.lower():
        spellings.append(other)
    return spellings
