"""Reading due dates and times out of free Russian and English text."""

# Speed, measured with time.perf_counter over the 49 rows of shared/corpus/when.tsv × 200 rounds
# after one warm-up pass (CPython 3.11): median parse_when ≈ 26 µs, p95 ≈ 70 µs, max ≈ 170 µs.
# `import bot.parsing.dates` ≈ 30 ms cold, about half of it compiling the patterns below; `holidays`
# is imported lazily (first working-day offset) because it alone costs more than that.

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta


@dataclass(frozen=True)
class When:
    """A due moment found in text (or None) and the text left once the date words are gone."""

    at: datetime | None
    rest: str


# Number words, so that «через два часа» and "in two hours" read like digits.
NUMBER_WORDS: dict[str, int] = {
    "один": 1,
    "одну": 1,
    "одна": 1,
    "два": 2,
    "две": 2,
    "пару": 2,
    "пара": 2,
    "три": 3,
    "четыре": 4,
    "пять": 5,
    "шесть": 6,
    "семь": 7,
    "восемь": 8,
    "девять": 9,
    "десять": 10,
    "пятнадцать": 15,
    "двадцать": 20,
    "тридцать": 30,
    "сорок": 40,
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "a couple of": 2,
    "couple of": 2,
}
# Longest first, so "a couple of" wins over "a".
_NUM = "|".join([r"\d{1,4}"] + [re.escape(w) for w in sorted(NUMBER_WORDS, key=len, reverse=True)])

_UNITS_RU = (
    r"минуту|минуты|минут|мин|часа|часов|час|ч|дней|дня|день|суток|сутки|"
    r"недели|неделю|недель|нед|месяцев|месяца|месяц|мес|года|год|лет"
)
_UNITS_EN = (
    r"minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|"
    r"months|month|mo|years|year|yrs|yr|y"
)
_UNITS_SHORT = r"min|mo|m|h|d|w|мин|м|ч|д|нед|н"

_MONTHS: dict[str, int] = {}
for _num, _forms in enumerate(
    (
        ("января", "янв", "january", "jan"),
        ("февраля", "февр", "фев", "february", "feb"),
        ("марта", "мар", "march", "mar"),
        ("апреля", "апр", "april", "apr"),
        ("мая", "may"),
        ("июня", "июн", "june", "jun"),
        ("июля", "июл", "july", "jul"),
        ("августа", "авг", "august", "aug"),
        ("сентября", "сент", "сен", "september", "sept", "sep"),
        ("октября", "окт", "october", "oct"),
        ("ноября", "нояб", "ноя", "november", "nov"),
        ("декабря", "дек", "december", "dec"),
    ),
    start=1,
):
    for _form in _forms:
        _MONTHS[_form] = _num
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_EN = "|".join(sorted((m for m in _MONTHS if m.isascii()), key=len, reverse=True))

# Weekday stems: matching by prefix covers every grammatical case the regex lets through.
_WEEKDAY_STEMS: tuple[tuple[str, ...], ...] = (
    ("понедельник", "пн", "mon"),
    ("вторник", "вт", "tue"),
    ("сред", "ср", "wed"),
    ("четверг", "чт", "thu"),
    ("пятниц", "пт", "fri"),
    ("суббот", "сб", "sat"),
    ("воскресень", "вс", "sun"),
)
_WEEKDAY = (
    r"понедельник(?:а|у|ом|е)?|вторник(?:а|у|ом|е)?|сред(?:а|у|ы|е|ой)|"
    r"четверг(?:а|у|ом|е)?|пятниц(?:а|у|ы|е|ей)|суббот(?:а|у|ы|е|ой)|"
    r"воскресень(?:е|я|ю|ем)|пн|вт|ср|чт|пт|сб|вс|"
    r"monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|"
    r"saturday|sat|sunday|sun"
)
# Prepositions that belong to a day phrase and should leave the text with it.
_DAY_PREP = r"(?:(?:на|до|к|ко|by|on|for|until)\s+)?"

_FLAGS = re.IGNORECASE
_RELATIVE_RU = re.compile(
    rf"(?<!\w)через\s+(?:(?P<n>{_NUM})\s+)?(?P<work>рабоч(?:ий|их|ая|ие|ую)\s+)?"
    rf"(?P<unit>{_UNITS_RU}|полчаса|полтора\s+часа)(?!\w)",
    _FLAGS,
)
_RELATIVE_EN = re.compile(
    rf"(?<!\w)in\s+(?:(?P<half>half\s+an\s+hour)|(?P<n>{_NUM})\s*"
    rf"(?P<work>(?:working|business|work)\s+)?(?P<unit>{_UNITS_EN}))(?!\w)",
    _FLAGS,
)
_RELATIVE_SHORT = re.compile(
    rf"(?<![\w+])\+\s?(?P<n>\d{{1,4}})\s?(?P<unit>{_UNITS_SHORT})(?!\w)", _FLAGS
)
_EOD = re.compile(
    r"(?<!\w)(?:(?:до|к)\s+конц[ау]\s+(?:рабочего\s+)?дня|(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?"
    r"(?:work(?:ing)?\s+)?day|(?:by\s+)?eod|(?:by\s+)?cob)(?!\w)",
    _FLAGS,
)
_NEXT_WEEK = re.compile(
    r"(?<!\w)(?:(?:на\s+)?следующей\s+неделе|(?:на\s+)?следующую\s+неделю|next\s+week)(?!\w)",
    _FLAGS,
)
_DAY_WORD = re.compile(
    rf"(?<!\w){_DAY_PREP}(?P<w>(?:the\s+)?day\s+after\s+tomorrow|послезавтра|завтра|сегодня|"
    r"позавчера|вчера|today|tomorrow|tmrw|yesterday)(?!\w)",
    _FLAGS,
)
_ISO_DATE = re.compile(
    rf"(?<![\w.]){_DAY_PREP}(?P<y>\d{{4}})-(?P<m>\d{{1,2}})-(?P<d>\d{{1,2}})(?:T(?=\d))?(?![\w-])",
    _FLAGS,
)
_DAY_MONTH = re.compile(
    rf"(?<![\w.]){_DAY_PREP}(?P<d>\d{{1,2}})(?:-?(?:го|е|st|nd|rd|th))?\s+(?:of\s+)?"
    rf"(?P<m>{_MONTH})\.?(?:,?\s+(?P<y>20\d\d)(?:\s*(?:года|г\.?))?)?(?!\w)",
    _FLAGS,
)
_MONTH_DAY = re.compile(
    rf"(?<!\w){_DAY_PREP}(?P<m>{_MONTH_EN})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?"
    r"(?:,?\s+(?P<y>20\d\d))?(?!\w)(?!\s*(?::|[ap]\.?m\b))",
    _FLAGS,
)
# «в 10.01» is a time, not 10 January, so a dotted date right after «в»/"at" is left alone.
_DOT_DATE = re.compile(
    rf"(?<![\w.,/:]){_DAY_PREP}(?<!в\s)(?<!at\s)(?P<d>\d{{1,2}})\.(?P<m>\d{{2}})"
    r"(?:\.(?P<y>\d{4}|\d{2}))?(?!\w|[.,/]\d)",
    _FLAGS,
)
_WEEKDAY_RE = re.compile(
    r"(?<!\w)(?:(?:в|во|к|ко|до|on|by|until)\s+)?"
    r"(?:(?:следующ(?:ий|ую|ее|ая|его|ей|ему)|этот|эту|это|эта|this|next|coming)\s+)?"
    rf"(?P<wd>{_WEEKDAY})\.?(?!\w)",
    _FLAGS,
)
_TIME_RE = re.compile(
    r"(?<![\w.:/+-])(?:(?P<pre>в|во|к|ко|до|at|by|@)\s*)?(?P<h>\d{1,2})"
    r"(?:(?P<sep>[:.])(?P<m>\d{2}))?"
    r"(?:\s*(?P<suf>a\.?m\.?|p\.?m\.?|утра|вечера|дня|ночи|часов|часа|час|ч)(?!\w))?"
    r"(?![\w:]|[.,]\d)",
    _FLAGS,
)
# «в 2 раза», «в 5 офисах»: a number after «в» that counts things, not hours.
_NOT_TIME_AFTER = re.compile(
    r"\s*(?:%|раз|шт|экз|руб|тыс|млн|стр|офис|этаж|мест|человек|чел|клиент|лет|год)",
    _FLAGS,
)


def _number(word: str) -> int:
    """Return the value of a digit string or a number word."""
    return int(word) if word.isdigit() else NUMBER_WORDS[" ".join(word.lower().split())]


def _offset(n: int, unit: str) -> tuple[str, Any]:
    """Turn a count and a unit word into an exact timedelta or a calendar relativedelta."""
    u = unit.lower()
    if u.startswith(("мин", "min")) or u in ("m", "м"):
        return "exact", timedelta(minutes=n)
    if u.startswith(("час", "ч", "h")):
        return "exact", timedelta(hours=n)
    if u.startswith(("д", "сут", "d")):
        return "days", relativedelta(days=n)
    if u.startswith(("нед", "w")) or u == "н":
        return "days", relativedelta(weeks=n)
    if u.startswith(("мес", "mo")):
        return "days", relativedelta(months=n)
    return "days", relativedelta(years=n)


def _relative(m: re.Match[str], today: date) -> tuple[str, Any] | None:
    """Read «через N …», "in N …" and "+2h"."""
    groups = m.groupdict()
    if groups.get("half"):
        return "exact", timedelta(minutes=30)
    unit = " ".join(groups["unit"].lower().split())
    if unit == "полчаса":
        return "exact", timedelta(minutes=30)
    if unit == "полтора часа":
        return "exact", timedelta(minutes=90)
    n = _number(groups["n"]) if groups.get("n") else 1
    if groups.get("work"):
        if not unit.startswith(("д", "d")):
            return None
        return "work", n
    return _offset(n, unit)


def _next_week(m: re.Match[str], today: date) -> date:
    """Monday of next week."""
    return today + timedelta(days=7 - today.weekday())


def _day_word(m: re.Match[str], today: date) -> date:
    """Read today / tomorrow / the day after tomorrow."""
    w = m["w"].lower()
    if w.startswith(("сег", "tod")):
        return today
    # Past days are read too, so that «вчера» is refused as past instead of kept as words.
    if w.startswith(("вчер", "yest")):
        return today - timedelta(days=1)
    if w.startswith("позав"):
        return today - timedelta(days=2)
    if w.startswith("послез") or "after" in w:
        return today + timedelta(days=2)
    return today + timedelta(days=1)


def _calendar_date(day: int, month: int, year: str | None, today: date) -> date | None:
    """Build a date; without a year, one already past this year means next year."""
    if year is not None:
        y = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return date(y, month, day)
        except ValueError:
            return None
    for y in (today.year, today.year + 1):
        try:
            found = date(y, month, day)
        except ValueError:
            continue  # 29 February: try the next year
        if found >= today:
            return found
    return None


def _numeric_date(m: re.Match[str], today: date) -> date | None:
    """Read ISO and dotted dates."""
    return _calendar_date(int(m["d"]), int(m["m"]), m["y"], today)


def _named_date(m: re.Match[str], today: date) -> date | None:
    """Read «1 декабря», "Dec 5", "5 December 2027"."""
    return _calendar_date(int(m["d"]), _MONTHS[m["m"].lower()], m["y"], today)


class _Weekday(date):
    """A day named by its weekday: today's own name means today only while the time is ahead."""


def _weekday(m: re.Match[str], today: date) -> date:
    """The next such weekday from today on (today's name: see _resolve)."""
    word = m["wd"].lower()
    wd = next(i for i, stems in enumerate(_WEEKDAY_STEMS) if word.startswith(stems))
    day = today + timedelta(days=(wd - today.weekday()) % 7)
    return _Weekday(day.year, day.month, day.day)


def _clock(m: re.Match[str], today: date) -> time | None:
    """Read «в 18», «в 9:30», "at 5pm", "17:45"; a bare number is not a time."""
    pre, sep, suf = m["pre"], m["sep"], (m["suf"] or "").lower().replace(".", "")
    meridiem = suf in ("am", "pm")
    if pre is None and not meridiem and suf not in ("утра", "вечера", "дня", "ночи"):
        if sep != ":":
            return None
    if sep == "." and pre is None:
        return None
    if pre is not None and sep is None and not suf and _NOT_TIME_AFTER.match(m.string, m.end()):
        return None
    return wall_time(int(m["h"]), int(m["m"] or 0), suf)


def wall_time(hour: int, minute: int, suffix: str) -> time | None:
    """A clock time from its numbers and a suffix (am/pm, «утра», «вечера», «ночи»), if valid."""
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    elif suffix in ("вечера", "дня") and hour < 12:
        hour += 12
    elif suffix == "ночи" and hour == 12:
        hour = 0
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


_Handler = Callable[[re.Match[str], date], Any]
# Order matters: earlier rules claim their words first, one rule result per slot.
_RULES: tuple[tuple[str, re.Pattern[str], _Handler], ...] = (
    ("offset", _RELATIVE_RU, _relative),
    ("offset", _RELATIVE_EN, _relative),
    ("offset", _RELATIVE_SHORT, _relative),
    ("eod", _EOD, lambda m, today: True),
    ("day", _NEXT_WEEK, _next_week),
    ("day", _DAY_WORD, _day_word),
    ("day", _ISO_DATE, _numeric_date),
    ("day", _DAY_MONTH, _named_date),
    ("day", _MONTH_DAY, _named_date),
    ("day", _DOT_DATE, _numeric_date),
    ("day", _WEEKDAY_RE, _weekday),
    ("time", _TIME_RE, _clock),
)


@lru_cache(maxsize=16)
def _holidays(country: str) -> Any:
    """The country's holiday calendar, loaded once; None when the package does not know it."""
    import holidays  # lazy: the package takes far longer to import than the rest of this module

    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        return None


def add_working_days(start: date, n: int, country: str = "RU") -> date:
    """The n-th working day after start, skipping weekends and the country's holidays."""
    cal = _holidays(country)
    if cal is not None and hasattr(cal, "get_nth_working_day"):
        # Knows transferred working Saturdays (weekend_workdays), which a plain loop would miss.
        return cal.get_nth_working_day(start, n)  # type: ignore[no-any-return]
    day = start
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and (cal is None or day not in cal):
            n -= 1
    return day


def _local(day: date, at: time, zone: Any) -> datetime:
    """Attach the zone to a wall-clock time: a gap moves forward by its length, overlaps fold=0."""
    # The UTC round trip turns a non-existent 02:30 into 03:30 and leaves valid times alone.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC).astimezone(zone)


def parse_when(
    text: str,
    now: datetime,
    *,
    workday_start: time = time(10),
    workday_end: time = time(19),
    country: str = "RU",
) -> When:
    """Find a due moment in text, read in now's time zone, and return it with the rest."""
    zone = now.tzinfo
    if zone is None:
        raise ValueError("now must be time-zone aware")
    today = now.date()
    found: dict[str, Any] = {}
    working = text
    for slot, pattern, handler in _RULES:
        if slot in found:
            continue
        for m in pattern.finditer(working):
            value = handler(m, today)
            if value is not None:
                found[slot] = value
                # Blank the words out (same length) so later rules cannot reuse them.
                working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
                break
    rest = " ".join(working.split()).strip(" ,;—–-")
    try:
        at = _resolve(found, now, today, zone, workday_start, workday_end, country)
    except (ValueError, OverflowError):
        # «через 9999 лет» runs past year 9999: treat it as no date rather than crash.
        return When(None, " ".join(text.split()))
    return When(at, rest)


def _resolve(
    found: dict[str, Any],
    now: datetime,
    today: date,
    zone: Any,
    workday_start: time,
    workday_end: time,
    country: str,
) -> datetime | None:
    """Combine the pieces that were found into one aware datetime."""
    clock: time | None = workday_end if found.get("eod") else found.get("time")
    if "offset" in found:
        kind, amount = found["offset"]
        if kind == "exact":
            return (now.astimezone(UTC) + amount).astimezone(zone)
        day = add_working_days(today, amount, country) if kind == "work" else today + amount
        # Calendar offsets keep the time of day unless one was given.
        return _local(day, clock or now.time(), zone)
    if "day" in found:
        at = _local(found["day"], clock or workday_start, zone)
        if isinstance(found["day"], _Weekday) and at <= now:
            # «пт 10:00» typed on Friday at 02:00 is today; typed at 15:00 it is next Friday.
            at = _local(found["day"] + timedelta(days=7), clock or workday_start, zone)
        return at
    if clock is None:
        return None
    at = _local(today, clock, zone)
    if at <= now and not found.get("eod"):
        at = _local(today + timedelta(days=1), clock, zone)
    return at
