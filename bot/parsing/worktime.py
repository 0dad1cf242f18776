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

# Why read_hours found no working hours.
UNREADABLE = "unreadable"
OVERNIGHT = "overnight"

OFF_WORDS = {"нет", "выкл", "выключить", "off", "no", "none", "-", "0", "никогда"}
# Day sets said in one word: «будни», «ежедневно», "weekends".
DAY_SETS: dict[str, str] = {
    "будни": "12345",
    "по будням": "12345",
    "weekdays": "12345",
    "ежедневно": "1234567",
    "каждый день": "1234567",
    "без выходных": "1234567",
    "daily": "1234567",
    "every day": "1234567",
    "выходные": "67",
    "по выходным": "67",
    "weekends": "67",
}
# One end of a window: «9», «9:30», «18.00», «9ч», "11pm", «10 утра», «7 вечера».
_TIME = (
    r"([0-9]{1,2})(?:[:.]([0-9]{2}))?\s*(?:ч\.?|час(?:ов|а)?|h)?"
    r"\s*(a\.?m\.?|p\.?m\.?|утра|вечера|дня|ночи)?"
)
_RANGE_RE = re.compile(
    rf"^(?:с|со|от|from|between)?\s*{_TIME}\s*(?:-|–|—|до|по|to|till|until|and)\s*{_TIME}$"
)
_DAY = r"[a-zа-яё]+\.?"
_DAYS_RE = re.compile(rf"^({_DAY})\s*(?:-|–|—)\s*({_DAY})\s*[,:]?\s+(.+)$")
_DAYLIST_RE = re.compile(rf"^((?:{_DAY})(?:\s*,\s*{_DAY})+)\s*:?\s+(.+)$")
_DAYSET_RE = re.compile(
    r"^(" + "|".join(sorted(DAY_SETS, key=len, reverse=True)) + r")\s*[,:]?\s+(.+)$"
)


@dataclass(frozen=True)
class Hours:
    """Working days (ISO weekday digits) and a daily window in minutes from midnight."""

    days: str
    start_min: int
    end_min: int


def _minutes(hour: str, minute: str | None, suffix: str = "", *, end: bool = False) -> int | None:
    """`9`,`30` → 570; None when not a clock time (24:00 allowed as the end of a day)."""
    h, m = int(hour), int(minute or 0)
    if m > 59 or h > 24 or (h == 24 and m):
        return None
    if suffix in ("am", "pm"):
        if not 1 <= h <= 12:
            return None
        h = h % 12 + (12 if suffix == "pm" else 0)
        if end and h == 0 and m == 0:
            h = 24  # "to 12am" is the end of the day
    elif suffix in ("вечера", "дня") and h < 12:
        h += 12
    elif suffix == "утра" and h > 12:
        return None
    elif suffix == "ночи" and h == 12:
        h = 24 if end else 0
    elif suffix == "ночи" and 9 <= h <= 11:
        h += 12  # «до 11 ночи» is 23:00
    return h * 60 + m


def _suffix(raw: str | None) -> str:
    """`p.m.` → `pm`; «вечера» stays."""
    return (raw or "").replace(".", "")


def parse_window(text: str) -> tuple[int, int] | None:
    """`10-19`, «с 9 до 18», `9:30–18`, "from 11pm to 7am" → (start, end) minutes, or None."""
    cleaned = " ".join(text.strip().lower().split())
    if len(cleaned) > 64:
        return None  # no window is that long; keeps the pattern's work small
    match = _RANGE_RE.match(cleaned)
    if not match:
        return None
    h1, m1, s1, h2, m2, s2 = match.groups()
    s1, s2 = _suffix(s1), _suffix(s2)
    meridiem = ("am", "pm")
    # "9-6pm", "11pm-7": the half of the day said once holds for the other end when that keeps
    # the window the right way round (not crossing midnight), else the other half is meant.
    if s2 in meridiem and not s1:
        s1 = _pick_half(h1, m1, h2, m2, s2)
    elif s1 in meridiem and not s2:
        s2 = _pick_half(h1, m1, h2, m2, s1)
    start = _minutes(h1, m1, s1)
    end = _minutes(h2, m2, s2, end=True)
    if start is None or end is None or start == end or start == 1440:
        return None
    return start, end


def _pick_half(h1: str, m1: str | None, h2: str, m2: str | None, given: str) -> str:
    """The am/pm for the end that has none: the given one if that keeps the window forward."""
    start = _minutes(h1, m1, given)
    end = _minutes(h2, m2, given, end=True)
    if start is not None and end is not None and start < end:
        return given
    return "am" if given == "pm" else "pm"


def _day(word: str) -> int | None:
    return DAY_NAMES.get(word.lower().replace("ё", "е").rstrip("."))


def parse_hours(text: str, default_days: str = "12345") -> Hours | None:
    """`пн-пт 10-19`, «пн-пт с 9 до 18», `mon-sat 9:30-18`, `пн,ср,пт 10-16`, «будни 9-18» or
    `10-19`; None if not understood or if it crosses midnight (see read_hours)."""
    hours, _error = read_hours(text, default_days)
    return hours


def read_hours(text: str, default_days: str = "12345") -> tuple[Hours | None, str | None]:
    """Working hours and, when there are none, why: UNREADABLE or OVERNIGHT (23-7 read fine,
    but working hours never cross midnight; the caller may offer it as quiet hours)."""
    text = " ".join(text.strip().lower().split())
    if len(text) > 128:
        return None, UNREADABLE
    days = default_days
    rest = text
    if match := _DAYSET_RE.match(text):
        days, rest = DAY_SETS[match.group(1)], match.group(2)
    elif match := _DAYS_RE.match(text):
        first, last = _day(match.group(1)), _day(match.group(2))
        if first is None or last is None:
            return None, UNREADABLE
        span = [(first - 1 + i) % 7 + 1 for i in range((last - first) % 7 + 1)]
        days, rest = "".join(str(d) for d in sorted(span)), match.group(3)
    elif match := _DAYLIST_RE.match(text):
        found = [_day(w.strip()) for w in match.group(1).split(",")]
        if any(d is None for d in found):
            return None, UNREADABLE
        days, rest = "".join(str(d) for d in sorted(set(found))), match.group(2)  # type: ignore[arg-type]
    window = parse_window(rest)
    if window is None:
        return None, UNREADABLE
    if window[0] >= window[1]:
        return None, OVERNIGHT
    return Hours(days, window[0], window[1]), None


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
