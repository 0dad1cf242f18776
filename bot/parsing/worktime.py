"""Working hours and quiet hours: reading what a user types, and showing them back."""

from __future__ import annotations

import re
from dataclasses import dataclass

DAY_NAMES: dict[str, int] = {}
for _num, _names in enumerate(
    (
        ("пн", "пон", "понедельник", "mon", "monday", "mo"),
        ("вт", "вто", "вторник", "tue", "tues", "tuesday", "tu"),
        ("ср", "сре", "среда", "wed", "wednesday", "we"),
        ("чт", "чет", "четверг", "thu", "thur", "thurs", "thursday", "th"),
        ("пт", "пят", "пятница", "fri", "friday", "fr"),
        ("сб", "суб", "суббота", "sat", "saturday", "sa"),
        ("вс", "вос", "воскресенье", "sun", "sunday", "su"),
    ),
    start=1,
):
    for _name in _names:
        DAY_NAMES[_name] = _num

OFF_WORDS = {"нет", "выкл", "выключить", "off", "no", "none", "-", "0", "никогда"}
_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE_RE = re.compile(rf"^{_TIME}\s*(?:-|–|—|до|to)\s*{_TIME}$")
_DAY = r"[a-zа-яё]+"
_DAYS_RE = re.compile(rf"^({_DAY})\s*(?:-|–|—)\s*({_DAY})\s+(.+)$")
_DAYLIST_RE = re.compile(rf"^((?:{_DAY})(?:\s*,\s*{_DAY})+)\s+(.+)$")


@dataclass(frozen=True)
class Hours:
    """Working days (ISO weekday digits) and a daily window in minutes from midnight."""

    days: str
    start_min: int
    end_min: int


def _minutes(hour: str, minute: str | None) -> int | None:
    """`9`,`30` → 570; None when not a clock time (24:00 allowed as the end of a day)."""
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    return h * 60 + m


def parse_window(text: str) -> tuple[int, int] | None:
    """`10-19`, `10:00–19:00`, `22:00-7:30` → (start, end) minutes; None if not a window."""
    match = _RANGE_RE.match(text.strip().lower())
    if not match:
        return None
    start = _minutes(match.group(1), match.group(2))
    end = _minutes(match.group(3), match.group(4))
    if start is None or end is None or start == end or start == 1440:
        return None
    return start, end


def _day(word: str) -> int | None:
    return DAY_NAMES.get(word.lower().replace("ё", "е").rstrip("."))


def parse_hours(text: str, default_days: str = "12345") -> Hours | None:
    """`пн-пт 10-19`, `mon-sat 9:30-18`, `пн,ср,пт 10-16` or `10-19`; None if not understood."""
    text = " ".join(text.strip().lower().split())
    days = default_days
    rest = text
    if match := _DAYS_RE.match(text):
        first, last = _day(match.group(1)), _day(match.group(2))
        if first is None or last is None:
            return None
        span = [(first - 1 + i) % 7 + 1 for i in range((last - first) % 7 + 1)]
        days, rest = "".join(str(d) for d in sorted(span)), match.group(3)
    elif match := _DAYLIST_RE.match(text):
        found = [_day(w.strip()) for w in match.group(1).split(",")]
        if any(d is None for d in found):
            return None
        days, rest = "".join(str(d) for d in sorted(set(found))), match.group(2)  # type: ignore[arg-type]
    window = parse_window(rest)
    if window is None or window[0] >= window[1]:
        # Working hours never cross midnight; quiet hours may (see parse_quiet).
        return None
    return Hours(days, window[0], window[1])


def parse_quiet(text: str) -> tuple[int, int] | bool | None:
    """Quiet hours: a window (may cross midnight), False for "off", None if not understood."""
    cleaned = text.strip().lower()
    if cleaned in OFF_WORDS:
        return False
    return parse_window(cleaned)


def hhmm(minutes: int) -> str:
    """570 → `09:30`."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def window_text(start: int, end: int) -> str:
    """`10:00–19:00`."""
    return f"{hhmm(start)}–{hhmm(end)}"


def in_window(minute_of_day: int, start: int, end: int) -> bool:
    """Whether a minute of the day falls inside a window that may cross midnight."""
    if start < end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end
