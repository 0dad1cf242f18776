"""Reading a span of time (/sla and similar) and a plain count (/silent) out of typed text.

parse_duration accepts «10 минут», «10 мин», «2 ч», «1,5 часа», «полчаса», «полтора часа», «час»,
"15m", "1.5 h", "90s", "2 hours", "half an hour", "1h30m", «1 ч 30 мин», "1:30" (hours:minutes),
ISO 8601 "PT15M" / "P1DT2H", and a bare number, which counts `bare_unit` (minutes unless the
caller says otherwise). It returns None for zero, negative or larger than `maximum` spans, for
months and years (no fixed length), for anything but ASCII digits — superscripts such as ² and ¹⁴
pass str.isdigit() yet int() rejects them — and for numbers longer than _MAX_DIGITS digits.
"""

from __future__ import annotations

import re
from datetime import timedelta

# No count a person types needs more; it also keeps int() and float() away from huge inputs.
_MAX_DIGITS = 6
_MAX_TEXT = 64
DEFAULT_MAXIMUM = timedelta(days=366)

_SECOND, _MINUTE, _HOUR, _DAY, _WEEK = 1, 60, 3600, 86400, 604800
_UNITS: dict[str, int] = {}
for _seconds, _words in (
    (_SECOND, "s sec secs second seconds с сек секунда секунды секунду секунд"),
    (_MINUTE, "m min mins minute minutes м мин минута минуты минуту минут минутка минутки"),
    (_HOUR, "h hr hrs hour hours ч час часа часов часик"),
    (_DAY, "d day days д дн день дня дней сутки суток"),
    (_WEEK, "w wk wks week weeks нед неделя недели неделю недель"),
):
    for _word in _words.split():
        _UNITS[_word] = _seconds
BARE_UNITS: dict[str, int] = {
    "seconds": _SECOND,
    "minutes": _MINUTE,
    "hours": _HOUR,
    "days": _DAY,
    "weeks": _WEEK,
}

_NUMBER_WORDS: dict[str, float] = {
    "один": 1, "одна": 1, "одну": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5,
    "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "пятнадцать": 15,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "полтора": 1.5, "полторы": 1.5,
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50,
}  # fmt: skip
# Whole phrases that name a half.
_HALVES: dict[str, int] = {
    "полчаса": 30 * _MINUTE,
    "пол часа": 30 * _MINUTE,
    "пол-часа": 30 * _MINUTE,
    "полчасика": 30 * _MINUTE,
    "half an hour": 30 * _MINUTE,
    "half hour": 30 * _MINUTE,
    "a half hour": 30 * _MINUTE,
    "an hour and a half": 90 * _MINUTE,
    "hour and a half": 90 * _MINUTE,
    "полдня": 12 * _HOUR,
    "half a day": 12 * _HOUR,
}

_NUM = rf"[0-9]{{1,{_MAX_DIGITS}}}(?:[.,][0-9]{{1,3}})?|" + "|".join(
    sorted(_NUMBER_WORDS, key=len, reverse=True)
)
_UNIT = "|".join(sorted(_UNITS, key=len, reverse=True))
# One "N unit" term; a letter may not follow the unit ("5 mango"), a digit may ("1h30m").
_TERM = re.compile(
    rf"(?:(?P<n>{_NUM})\s*)?(?P<u>{_UNIT})\.?(?![^\W\d_])\s*(?:(?:,|и|and)(?!\w)\s*)?"
)
_BARE = re.compile(rf"[0-9]{{1,{_MAX_DIGITS}}}(?:[.,][0-9]{{1,3}})?")
_CLOCK = re.compile(r"([0-9]{1,3}):([0-5][0-9])")
_ISO = re.compile(
    r"p(?:(?P<w>[0-9]{1,4})w)?(?:(?P<d>[0-9]{1,4})d)?"
    r"(?:t(?:(?P<h>[0-9]{1,6}(?:[.,][0-9]{1,3})?)h)?(?:(?P<m>[0-9]{1,6}(?:[.,][0-9]{1,3})?)m)?"
    r"(?:(?P<s>[0-9]{1,6}(?:[.,][0-9]{1,3})?)s)?)?"
)


def _value(number: str) -> float:
    """A number typed with ASCII digits (either decimal mark) or as a word."""
    if number[0] in "0123456789":
        return float(number.replace(",", "."))
    return _NUMBER_WORDS[number]


def _seconds(text: str, bare: int) -> float | None:
    """Total seconds the text names, or None if it is not a duration."""
    if text in _HALVES:
        return _HALVES[text]
    if _BARE.fullmatch(text):
        return _value(text) * bare
    if clock := _CLOCK.fullmatch(text):
        return int(clock[1]) * _HOUR + int(clock[2]) * _MINUTE
    if text.startswith("p") and (iso := _ISO.fullmatch(text)) and text not in ("p", "pt"):
        if text.endswith("t"):
            return None  # "P1DT" has a time designator with nothing after it
        parts = iso.groupdict()
        units = {"w": _WEEK, "d": _DAY, "h": _HOUR, "m": _MINUTE, "s": _SECOND}
        return sum(_value(v) * units[k] for k, v in parts.items() if v)
    total = 0.0
    pos = 0
    while pos < len(text):
        term = _TERM.match(text, pos)
        if term is None or term.end() == pos:
            return None
        total += (_value(term["n"]) if term["n"] else 1) * _UNITS[term["u"]]
        pos = term.end()
    return total


def parse_duration(
    text: str, *, bare_unit: str = "minutes", maximum: timedelta = DEFAULT_MAXIMUM
) -> timedelta | None:
    """A positive span of time typed in text (module docstring), or None."""
    cleaned = " ".join(text.strip().lower().replace("ё", "е").split())
    if not cleaned or len(cleaned) > _MAX_TEXT:
        return None
    seconds = _seconds(cleaned, BARE_UNITS[bare_unit])
    if seconds is None or seconds <= 0 or seconds > maximum.total_seconds():
        return None
    return timedelta(seconds=round(seconds))


def parse_count(text: str, *, maximum: int = 10**_MAX_DIGITS - 1) -> int | None:
    """A plain positive whole number of ASCII digits (`/silent 14`), at most maximum, or None."""
    cleaned = text.strip()
    # Checked before int(): "²" and "¹⁴" are isdigit() but not int(), 4,000 digits are slow.
    if not 0 < len(cleaned) <= len(str(maximum)) or not all(c in "0123456789" for c in cleaned):
        return None
    value = int(cleaned)
    return value if 0 < value <= maximum else None
