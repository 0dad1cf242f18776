"""Reading due dates and times out of free Russian and English text.

Parts of the day without a clock time read as fixed hours (DESIGN.md, Time):
- morning — «утром», «с утра», «к утру», "in the morning", "this morning": the start of the
  writer's working day when it lies between 05:00 and 12:00, otherwise 10:00;
- noon — «полдень», «к полудню», "noon", "midday": 12:00;
- lunch — «в обед», «к обеду», "at lunch": 13:00;
- afternoon — «днём», «после обеда», "in the afternoon", "this afternoon": 14:00;
- evening — «вечером», «к вечеру», «на вечер», "in the evening", "tonight": 18:00;
- early morning — «рано утром», "early morning": 08:00; late evening — «поздно вечером»,
  "late evening": 21:00;
- midnight — «полночь», «до полуночи», "midnight": 24:00 of the day named, i.e. 00:00 of the next;
- night — «ночью», "at night", "tomorrow night" alone is refused as VAGUE (the caller asks for a
  time); with a clock («ночью в 3») it only says which half of the day the clock is in.
A part of the day also settles a bare clock: «вечером в 8» and "tonight at 9" are 20:00 and
21:00, «днём в 3» is 15:00. «До конца дня» / "eod" stays the end of the working day.

«На следующей неделе» / "next week" is its Monday, or the weekday named with it («в пятницу на
следующей неделе»); «в следующем месяце» / "next month" is the 1st of next month. A weekday said
with «следующий» / "next" on that very weekday is a week ahead.

Refusals: when `When.error` is set, `rest` is the whole text and `bad` holds the words at fault:
IMPOSSIBLE for a date or clock that does not exist (30.02, 31 апреля, Feb 30, 25:00, 24:30,
13pm) and VAGUE for a night without an hour, both with `at` None; TOO_FAR for a moment more than
MAX_AHEAD (about five years) ahead, with `at` kept when it was computed («31.12.2099») and None
when it was not (working days beyond the bound are never walked, «через 9999 лет» overflows).
Nothing is half-read with the offending words left in the rest.
"""

# Speed, measured with bench/parse.py (49 corpus rows × 200 rounds after one warm-up pass, CPython
# 3.11, a shared 2-core machine under load): median parse_when ≈ 30 µs, p95 ≈ 66 µs (dateparser
# on the same rows: ≈ 380 µs, p95 0.7–1.3 ms). `import bot.parsing.dates` ≈ 25–30 ms cold;
# `holidays` is imported lazily (first working-day offset) because it alone costs more than that.
# Working-day offsets that cannot end within MAX_AHEAD are refused before any calendar is walked.
# Time grows linearly with the text: ≈ 4 ms per KB of digits and spaces, the worst found.

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from dateutil.relativedelta import relativedelta

# Error codes in When.error.
IMPOSSIBLE = "impossible"
TOO_FAR = "too_far"
VAGUE = "vague"

# Further ahead than this is a typo (31.12.9999), not a plan; the same bound as the services'.
MAX_AHEAD = timedelta(days=5 * 366)
# No week has more than six working days, even with a transferred Saturday, so more working days
# than this cannot end inside MAX_AHEAD: refused before the holiday calendar is even loaded.
# _working_days_limit tightens it with the country's own weekend once the calendar is loaded.
_MAX_WORKING_DAYS = MAX_AHEAD.days * 6 // 7
# Weekend days a country's decrees may turn into working days over MAX_AHEAD, generously.
_TRANSFERRED_MARGIN = 30

# The hours that parts of the day stand for (see the module docstring).
NOON = time(12)
LUNCH = time(13)
AFTERNOON = time(14)
EVENING = time(18)
MORNING_FALLBACK = time(10)
EARLY_MORNING = time(8)
LATE_EVENING = time(21)


@dataclass(frozen=True)
class When:
    """A due moment found in text (or None), the text left once the date words are gone, and
    why nothing was read when the text named an impossible, too distant or vague moment."""

    at: datetime | None
    rest: str
    error: str | None = None  # IMPOSSIBLE | TOO_FAR | VAGUE
    bad: str = ""  # the words that caused the error, as typed


@dataclass(frozen=True)
class _Refused:
    """A rule's verdict that the words name a moment that must be refused as a whole."""

    code: str


@dataclass(frozen=True)
class _Clock:
    """A clock time; bare = no am/pm or «утра/вечера» of its own; day_end = 24:00."""

    at: time
    bare: bool = False
    day_end: bool = False


@dataclass(frozen=True)
class _Part:
    """A part of the day (morning, lunch, afternoon, evening, night); today = "tonight" etc."""

    kind: str
    today: bool = False


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
# Kept apart from NUMBER_WORDS, which the recurrence reader shares and which holds whole numbers.
_FRACTION_WORDS: dict[str, float] = {
    "полтора": 1.5,
    "полторы": 1.5,
    "one and a half": 1.5,
}
# Longest first, so "a couple of" wins over "a". ASCII digits: float() must read what matched.
_NUM = "|".join(
    [r"[0-9]{1,4}(?:[.,][0-9]{1,2})?"]
    + [re.escape(w) for w in sorted({**NUMBER_WORDS, **_FRACTION_WORDS}, key=len, reverse=True)]
)

_UNITS_RU = (
    r"минуту|минуты|минут|мин|часа|часов|час|ч|дней|дня|день|суток|сутки|"
    r"недели|неделю|недель|нед|месяцев|месяца|месяц|мес|года|год|лет"
)
_UNITS_EN = (
    r"minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|"
    r"months|month|mo|years|year|yrs|yr|y"
)
_UNITS_SHORT = r"min|mo|m|h|d|w|мин|м|ч|д|нед|н"
# Halves that stand alone after «через» / "in": «полчаса», «пол-часа», «полгода», "half an hour",
# "an hour and a half", "half a year".
_HALF_RU = r"пол(?:\s*-\s*|\s+)?час(?:а|ика)|пол(?:\s*-\s*|\s+)?года"
_HALF_EN = r"(?:a\s+)?half\s+(?:an\s+)?hour|(?:an\s+)?hour\s+and\s+a\s+half|half\s+a\s+year"

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
# The most days each month can have (February in a leap year).
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

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
# Minutes after hours in one offset: «через 1 час 30 минут», "in 2 hours and 15 minutes", "1h30m".
_MINUTES_RU = (
    r"(?:\s*(?:и\s+)?(?P<mins>[0-9]{1,2}|пятнадцать|двадцать|тридцать|сорок)"
    r"\s*(?:минут[уы]?|мин|м)\.?)"
)
_MINUTES_EN = (
    r"(?:\s*(?:and\s+)?(?P<mins>[0-9]{1,2}|fifteen|twenty|thirty|forty)\s*(?:minutes?|mins?|m))"
)
_RELATIVE_RU = re.compile(
    rf"(?<!\w)через\s+(?:(?P<half>{_HALF_RU})"
    rf"|(?:(?P<hn>{_NUM})\s*)?(?P<hu>часа|часов|час|ч)\.?{_MINUTES_RU}"
    rf"|(?:(?P<n>{_NUM})\s*)?(?P<work>рабоч(?:ий|их|ая|ие|ую|его)\s+)?(?P<unit>{_UNITS_RU}))(?!\w)",
    _FLAGS,
)
_RELATIVE_EN = re.compile(
    rf"(?<!\w)in\s+(?:(?P<half>{_HALF_EN})"
    rf"|(?P<hn>{_NUM})\s*(?P<hu>hours|hour|hrs|hr|h){_MINUTES_EN}"
    rf"|(?P<n>{_NUM})\s*(?P<work>(?:working|business|work)\s+)?(?P<unit>{_UNITS_EN}))(?!\w)",
    _FLAGS,
)
_RELATIVE_SHORT = re.compile(
    r"(?<![\w+])\+\s?(?:(?P<hn>[0-9]{1,4})\s?(?P<hu>h|ч)\s?(?P<mins>[0-9]{1,2})\s?(?:m|м|min|мин)"
    rf"|(?P<n>[0-9]{{1,4}}(?:[.,][0-9]{{1,2}})?)\s?(?P<unit>{_UNITS_SHORT}))(?!\w)",
    _FLAGS,
)
_EOD = re.compile(
    r"(?<!\w)(?:(?:до|к)\s+конц[ау]\s+(?:рабочего\s+)?дня|в\s+течени[ей]\s+(?:рабочего\s+)?дня|"
    r"(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+)?"
    r"(?:work(?:ing)?\s+)?day|(?:by\s+)?eod|(?:by\s+)?cob)(?!\w)",
    _FLAGS,
)
_NEXT_MONTH = re.compile(
    r"(?<!\w)(?:в\s+следующем\s+месяце|(?:на\s+)?следующий\s+месяц|next\s+month)(?!\w)",
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
# An ordinal after which a noun follows counts things, not days: «3-го этажа», "the 2nd floor".
_NOT_A_DAY_AFTER = (
    r"(?!\s+(?:класс|этаж|уровн|квартал|размер|калибр|курс|порядк|сорт|ранг|том|пункт|подъезд|"
    r"корпус|век|мест|раз|год|лет|floor|place|century|row|page|time|anniversary|grade|edition))"
)
# «25-го», «1-го числа», «к 5-му», «25 числа»; "on the 1st", "by the 20th", "the 15th".
_ORDINAL_DAY = re.compile(
    r"(?<![\w.,/:-])(?:(?P<prep>на|до|к|ко|с|со)\s+)?(?P<d>\d{1,2})"
    r"(?:-?(?:го|ого|му|ому)(?:\s+числ[аоу])?|(?:-?(?:е|ое))?\s+числ[аоу]|(?P<e>-?(?:е|ое)))(?!\w)"
    + _NOT_A_DAY_AFTER,
    _FLAGS,
)
_ORDINAL_DAY_EN = re.compile(
    r"(?<!\w)(?:(?:on|by|until|till|before|for)\s+(?:the\s+)?|the\s+)(?P<d>\d{1,2})"
    r"(?:st|nd|rd|th)(?!\w)" + _NOT_A_DAY_AFTER,
    _FLAGS,
)
_WEEKDAY_RE = re.compile(
    r"(?<!\w)(?:(?:в|во|к|ко|до|on|by|until)\s+)?"
    r"(?:(?P<next>следующ(?:ий|ую|ее|ая|его|ей|ему)|след\.?|next)\s+|"
    r"(?:этот|эту|это|эта|this|coming)\s+)?"
    rf"(?P<wd>{_WEEKDAY})\.?(?!\w)",
    _FLAGS,
)
# Parts of the day (see the module docstring); "tonight", "this morning" also mean today.
_PART = re.compile(
    r"(?<!\w)(?:"
    r"(?P<today>tonight|this\s+(?:morning|afternoon|evening))|"
    r"(?P<early>рано\s+утром|с\s+самого\s+утра|early\s+(?:in\s+the\s+)?morning)|"
    r"(?P<late>поздно\s+вечером|late\s+(?:in\s+the\s+)?evening|late\s+tonight)|"
    r"(?P<morning>утром|с\s+утра|(?:на|до|к|под|ближе\s+к)\s+утр[оау]|поутру|"
    r"в\s+первой\s+половине\s+дня|"
    r"(?:in\s+the\s+|by\s+(?:the\s+)?)?morning)|"
    r"(?P<lunch>в\s+обед|(?:ближе\s+)?к\s+обеду|до\s+обеда|(?:at|by)\s+lunch(?:time)?)|"
    r"(?P<afternoon>днём|днем|после\s+обеда|во\s+второй\s+половине\s+дня|"
    r"(?:in\s+the\s+|by\s+)?afternoon|after\s+lunch)|"
    r"(?P<evening>вечером|(?:на|до|к|под|ближе\s+к)\s+вечер[аоу]?|"
    r"(?:in\s+the\s+|by\s+(?:the\s+)?)?evening)|"
    r"(?P<night>ночью|(?:на|в)\s+ночь|(?:at|in\s+the|by)\s+night|night|overnight)"
    r")(?!\w)",
    _FLAGS,
)
_NOON = re.compile(
    r"(?<!\w)(?:(?:в|к|до|at|by|around|before|until|till)\s+)?(?:12\s+)?"
    r"(?P<w>полдень|полудн[юяе]|полночь|полуноч[иь]|noon|midday|midnight)(?!\w)",
    _FLAGS,
)
# Clock hours said in words. Only after «в»/«к»/«до»/"at": «два дня» and "one call" are not times.
_HOUR_WORDS: dict[str, int] = {
    "час": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8,
    "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}  # fmt: skip
# «полвосьмого» = 7:30, «без четверти восемь» = 7:45: hours by the genitive of the next one.
_HOUR_ORDINALS: dict[str, int] = {
    "первого": 1, "второго": 2, "третьего": 3, "четвёртого": 4, "четвертого": 4, "пятого": 5,
    "шестого": 6, "седьмого": 7, "восьмого": 8, "девятого": 9, "десятого": 10,
    "одиннадцатого": 11, "двенадцатого": 12,
}  # fmt: skip
_TO_MINUTES: dict[str, int] = {
    "четверти": 15, "пятнадцати": 15, "десяти": 10, "пяти": 5, "двадцати": 20,
    "quarter": 15, "ten": 10, "five": 5, "twenty": 20,
}  # fmt: skip
_HOUR_WORD = "|".join(sorted(_HOUR_WORDS, key=len, reverse=True))
_HOUR_ORD = "|".join(_HOUR_ORDINALS)
_HOUR_ANY = rf"(?:{_HOUR_WORD}|\d{{1,2}})"
_TO_RU = "|".join(m for m in _TO_MINUTES if not m.isascii())
_AT_RU = r"(?:(?:в|к|до)\s+)?"
_AT_EN = r"(?:(?:at|by)\s+)?"
_WORD_CLOCK = re.compile(
    r"(?<!\w)(?:"
    rf"(?:в|к|до|at|by)\s+(?P<h>{_HOUR_WORD})(?:\s+(?:часов|часа|o['’]?clock))?"
    rf"|{_AT_RU}(?:пол\s*-?\s*|половин[еуа]\s+)(?P<half>{_HOUR_ORD})"
    rf"|{_AT_RU}четверть\s+(?P<quarter>{_HOUR_ORD})"
    rf"|{_AT_RU}без\s+(?P<to>{_TO_RU})\s+(?P<to_h>{_HOUR_ANY})"
    rf"|{_AT_EN}(?P<past_m>half|quarter|ten|five|twenty)\s+past\s+(?P<past_h>{_HOUR_ANY})"
    rf"|{_AT_EN}(?P<to_m>quarter|ten|five|twenty)\s+to\s+(?P<to_en>{_HOUR_ANY})"
    r")(?:\s*(?P<suf>a\.?m\.?|p\.?m\.?|утра|вечера|дня|ночи)(?!\w))?(?!\w)",
    _FLAGS,
)
_TIME_RE = re.compile(
    r"(?<![\w.:/+-])(?:(?P<pre>в|во|к|ко|до|at|by|@)\s*)?(?P<h>\d{1,2})"
    r"(?:(?P<sep>[:.])(?P<m>\d{2}))?"
    r"(?:\s*(?P<hw>часов|часа|час|ч|o['’]?clock)(?!\w)\.?)?"
    r"(?:\s*(?P<suf>a\.?m\.?|p\.?m\.?|утра|вечера|дня|ночи)(?!\w))?"
    r"(?![\w:]|[.,]\d)",
    _FLAGS,
)
# «в 2 раза», «в 5 офисах»: a number after «в» that counts things, not hours.
_NOT_TIME_AFTER = re.compile(
    r"\s*(?:%|раз|шт|экз|руб|тыс|млн|стр|офис|этаж|мест|человек|чел|клиент|лет|год|этап|заход|шаг|"
    r"ряд|сло[йея]|при[её]м|колон|times|steps|stages)",
    _FLAGS,
)
_GOOD = re.compile(r"(?:good|спокойной)\s+$", _FLAGS)
_NOT_AFTERNOON = re.compile(r"\s+рожд", _FLAGS)


def _number(word: str) -> float:
    """Return the value of a digit string (1,5 and 1.5 too) or a number word."""
    if word[0].isdigit():
        value = float(word.replace(",", "."))
        return int(value) if value.is_integer() else value
    key = " ".join(word.lower().split())
    return _FRACTION_WORDS[key] if key in _FRACTION_WORDS else NUMBER_WORDS[key]


def _offset(n: float, unit: str) -> tuple[str, Any]:
    """Turn a count and a unit word into an exact timedelta or a calendar relativedelta."""
    u = unit.lower()
    whole = float(n).is_integer()
    if u.startswith(("мин", "min")) or u in ("m", "м"):
        return "exact", timedelta(minutes=n)
    if u.startswith(("час", "ч", "h")):
        return "exact", timedelta(hours=n)
    # A fraction of a day or week has no time of day to keep: it is an exact span.
    if u.startswith(("д", "сут", "d")):
        return ("days", relativedelta(days=int(n))) if whole else ("exact", timedelta(days=n))
    if u.startswith(("нед", "w")) or u == "н":
        return ("days", relativedelta(weeks=int(n))) if whole else ("exact", timedelta(weeks=n))
    if u.startswith(("мес", "mo")):
        return "days", relativedelta(months=int(n)) if whole else relativedelta(days=round(n * 30))
    return "days", relativedelta(years=int(n)) if whole else relativedelta(months=round(n * 12))


def _relative(m: re.Match[str], today: date) -> tuple[str, Any] | _Refused | None:
    """Read «через N …», "in N …", "+2h", halves and «полтора»."""
    groups = m.groupdict()
    if groups.get("half"):
        half = groups["half"].lower()
        if "год" in half or "year" in half:
            return "days", relativedelta(months=6)
        return "exact", timedelta(minutes=90 if "and a half" in half else 30)
    if groups.get("hu"):
        hours = _number(groups["hn"]) if groups.get("hn") else 1
        return "exact", timedelta(hours=hours, minutes=_number(groups["mins"]))
    unit = groups["unit"].lower()
    n = _number(groups["n"]) if groups.get("n") else 1
    if n <= 0:
        return None
    if groups.get("work"):
        if not unit.startswith(("д", "d")) or not float(n).is_integer():
            return None
        if n > _MAX_WORKING_DAYS:
            return _Refused(TOO_FAR)
        return "work", int(n)
    return _offset(n, unit)


def _next_week(m: re.Match[str], today: date) -> date:
    """Monday of next week."""
    return today + timedelta(days=7 - today.weekday())


def _next_month(m: re.Match[str], today: date) -> date:
    """The first day of next month."""
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


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


def _calendar_date(day: int, month: int, year: str | None, today: date) -> date | _Refused:
    """Build a date; without a year, one already past this year means next year."""
    if year is not None:
        y = int(year) + (2000 if len(year) == 2 else 0)
        try:
            return date(y, month, day)
        except ValueError:
            return _Refused(IMPOSSIBLE)
    for y in (today.year, today.year + 1):
        try:
            found = date(y, month, day)
        except ValueError:
            continue  # 29 February: try the next year
        if found >= today:
            return found
    # 30.02, 31 April, or 29 February with no leap year within a year from today.
    return _Refused(IMPOSSIBLE)


def _numeric_date(m: re.Match[str], today: date) -> date | _Refused | None:
    """Read ISO and dotted dates; an ISO date that does not exist is refused."""
    day, month = int(m["d"]), int(m["m"])
    if m.re is _DOT_DATE and not (1 <= day <= 31 and 1 <= month <= 12):
        return None  # 32.13 is a number, not a date
    if not 1 <= month <= 12:
        return _Refused(IMPOSSIBLE)
    return _calendar_date(day, month, m["y"], today)


def _named_date(m: re.Match[str], today: date) -> date | _Refused:
    """Read «1 декабря», "Dec 5", "5 December 2027"; «31 апреля» and "Feb 30" are refused."""
    return _calendar_date(int(m["d"]), _MONTHS[m["m"].lower()], m["y"], today)


class _Weekday(date):
    """A day named by its weekday: today's own name means today only while the time is ahead."""


class _MonthDay(date):
    """A day named by its number alone («25-го»): a month later once its time has passed."""


def _weekday(m: re.Match[str], today: date) -> date:
    """The next such weekday from today on (today's name: see _resolve); "next" skips today."""
    word = m["wd"].lower()
    wd = next(i for i, stems in enumerate(_WEEKDAY_STEMS) if word.startswith(stems))
    ahead = (wd - today.weekday()) % 7
    if ahead == 0 and m["next"]:
        # "next tuesday" said on a Tuesday is a week ahead, whatever the time.
        return today + timedelta(days=7)
    day = today + timedelta(days=ahead)
    return _Weekday(day.year, day.month, day.day)


def _month_day(day: int, start: date) -> _MonthDay:
    """The first date from start on whose day of the month is day (1..31)."""
    year, month = start.year, start.month
    while True:  # ends within two months: every second month has 31 days
        if day <= _days_in(year, month):
            found = date(year, month, day)
            if found >= start:
                return _MonthDay(found.year, found.month, found.day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _days_in(year: int, month: int) -> int:
    """Number of days in a month."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return _LONGEST[month - 1]


def _ordinal(m: re.Match[str], today: date) -> date | None:
    """Read «25-го», «до 5-го числа», "on the 3rd": the next such day of a month."""
    day = int(m["d"])
    if m.re is _ORDINAL_DAY and m["e"] and (m["prep"] or "").lower() != "на":
        return None  # «на 15-е» is a day; «90-е», «2-е место» are not
    return _month_day(day, today) if 1 <= day <= 31 else None


def _part(m: re.Match[str], today: date) -> _Part | None:
    """Read a part of the day; "good morning" and «с днём рождения» are not times."""
    kind = next(k for k, v in m.groupdict().items() if v)
    word = m[kind].lower()
    is_today = "tonight" in word or word.startswith("this")
    if kind == "today":
        kind = "evening" if word == "tonight" else word.split()[-1]
    before = m.string[: m.start()]
    if _GOOD.search(before[-16:]):
        return None
    if kind == "afternoon" and word.startswith("дн"):
        if re.search(r"(?<!\w)со?\s+$", before[-4:], _FLAGS) or _NOT_AFTERNOON.match(
            m.string, m.end()
        ):
            return None
    return _Part(kind, is_today)


def _noon(m: re.Match[str], today: date) -> _Clock:
    """Read noon and midnight; midnight is the end of the day it belongs to."""
    if m["w"].lower().startswith(("полн", "полуноч", "midn")):
        return _Clock(time(0), day_end=True)
    return _Clock(NOON)


def _hour_value(word: str) -> int:
    """An hour 1..12 from a word or digits."""
    return int(word) if word.isdigit() else _HOUR_WORDS[word.lower()]


def _word_clock(m: re.Match[str], today: date) -> _Clock | None:
    """Read «в восемь вечера», «в час дня», «полвосьмого», «без четверти девять», "half past 7"."""
    suf = (m["suf"] or "").lower().replace(".", "")
    minute = 0
    if m["h"]:
        if not suf and _NOT_TIME_AFTER.match(m.string, m.end()):
            return None  # «в два раза», «в три этапа»
        hour = _hour_value(m["h"])
        if hour == 1 and m["h"].lower() == "час" and not suf:
            suf = "дня"  # «в час» is one in the afternoon; one at night is «в час ночи»
    elif m["half"] or m["quarter"]:
        hour = _HOUR_ORDINALS[(m["half"] or m["quarter"]).lower()] - 1 or 12
        minute = 30 if m["half"] else 15
    elif m["to"] or m["to_m"]:
        hour = _hour_value(m["to_h"] or m["to_en"]) - 1 or 12
        minute = 60 - _TO_MINUTES[(m["to"] or m["to_m"]).lower()]
    else:
        hour = _hour_value(m["past_h"])
        minute = {"half": 30, "quarter": 15}.get(m["past_m"].lower()) or _TO_MINUTES[
            m["past_m"].lower()
        ]
    if not 1 <= hour <= 12 or (suf in ("am", "pm") and hour == 0):
        return None
    at = wall_time(hour, minute, suf)
    return None if at is None else _Clock(at, bare=not suf and hour <= 12)


def _clock(m: re.Match[str], today: date) -> _Clock | _Refused | None:
    """Read «в 18», «в 9:30», «в 2 часа ночи», "at 5pm", "17:45"; a bare number is not a time."""
    pre, sep, hw = m["pre"], m["sep"], m["hw"]
    suf = (m["suf"] or "").lower().replace(".", "")
    meridiem = suf in ("am", "pm")
    clockword = (hw or "").lower().startswith("o")
    if pre is None and not meridiem and not clockword and suf not in ("утра", "вечера", "ночи"):
        if sep != ":":
            return None  # «3 дня», «5 часов» without «в» are spans of time
    if sep == "." and pre is None:
        return None
    if pre is not None and sep is None and not (hw or suf):
        if _NOT_TIME_AFTER.match(m.string, m.end()):
            return None
    hour, minute = int(m["h"]), int(m["m"] or 0)
    if sep == ".":
        # «в 10.75» is more likely a number than a clock: not read, not refused.
        if hour > 24 or minute > 59 or (hour == 24 and minute):
            return None
    elif sep == ":" and hour >= 30:
        return None  # 75:25 is a ratio or a score
    if pre is not None and sep is None and not (hw or suf) and hour > 24:
        return None  # «в 25» without «часов» may count anything
    if hour > 24 or minute > 59 or (hour == 24 and minute):
        return _Refused(IMPOSSIBLE)
    if meridiem and not 1 <= hour <= 12:
        return _Refused(IMPOSSIBLE)
    if suf == "утра" and hour > 12:
        return _Refused(IMPOSSIBLE)
    if hour == 24:
        return _Clock(time(0), day_end=True)
    at = wall_time(hour, minute, suf)
    return None if at is None else _Clock(at, bare=not suf)


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
    elif suffix == "ночи" and 9 <= hour <= 11:
        hour += 12  # «в 11 ночи» is 23:00; «в 2 ночи» is 02:00
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
    ("week", _NEXT_WEEK, _next_week),
    ("day", _NEXT_MONTH, _next_month),
    ("day", _DAY_WORD, _day_word),
    ("day", _ISO_DATE, _numeric_date),
    ("day", _DAY_MONTH, _named_date),
    ("day", _MONTH_DAY, _named_date),
    ("day", _DOT_DATE, _numeric_date),
    ("day", _ORDINAL_DAY, _ordinal),
    ("day", _ORDINAL_DAY_EN, _ordinal),
    ("day", _WEEKDAY_RE, _weekday),
    ("time", _NOON, _noon),
    ("time", _WORD_CLOCK, _word_clock),
    ("part", _PART, _part),
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


def _working_days_limit(country: str) -> int:
    """More working days than this end beyond MAX_AHEAD in the country's calendar."""
    cal = _holidays(country)
    weekend = getattr(cal, "weekend", None) or {5, 6}
    per_week = max(1, 7 - len(weekend))
    return min(_MAX_WORKING_DAYS, MAX_AHEAD.days * per_week // 7 + _TRANSFERRED_MARGIN)


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
    whole = " ".join(text.split())
    found: dict[str, Any] = {}
    words: dict[str, str] = {}
    working = text
    for slot, pattern, handler in _RULES:
        if slot in found:
            continue
        for m in pattern.finditer(working):
            value = handler(m, today)
            if isinstance(value, _Refused):
                return When(None, whole, value.code, " ".join(m.group().split()))
            if value is not None:
                found[slot] = value
                words[slot] = " ".join(m.group().split())
                # Blank the words out (same length) so later rules cannot reuse them.
                working = working[: m.start()] + " " * (m.end() - m.start()) + working[m.end() :]
                break
    part: _Part | None = found.get("part")
    exact = "offset" in found and found["offset"][0] == "exact"
    if part and part.kind == "night" and not ("time" in found or "eod" in found or exact):
        return When(None, whole, VAGUE, words["part"])
    rest = " ".join(working.split()).strip(" ,;—–-")
    bad = words.get("offset") or words.get("day") or whole
    try:
        at = _resolve(found, now, today, zone, workday_start, workday_end, country)
    except (ValueError, OverflowError):
        # «через 9999 лет» runs past year 9999; far working days are not walked at all.
        return When(None, whole, TOO_FAR, bad)
    if at is not None and at.astimezone(UTC) - now.astimezone(UTC) > MAX_AHEAD:
        # The moment stays for callers that compare it with their own limit.
        return When(at, whole, TOO_FAR, bad)
    return When(at, rest)


def _part_time(kind: str, workday_start: time) -> time:
    """The hour a part of the day stands for when no clock is given (module docstring)."""
    if kind == "morning":
        return workday_start if time(5) <= workday_start < time(12) else MORNING_FALLBACK
    return {
        "early": EARLY_MORNING,
        "lunch": LUNCH,
        "afternoon": AFTERNOON,
        "evening": EVENING,
        "late": LATE_EVENING,
    }[kind]


def _hinted(clock: _Clock, part: _Part | None) -> time:
    """A bare clock moved into the half of the day its part of the day names."""
    at = clock.at
    if part is None or not clock.bare or at.hour > 12:
        return at
    hour = at.hour
    if part.kind in ("afternoon", "lunch") and 1 <= hour < 8:
        hour += 12  # «днём в 3» is 15:00, «днём в 11» stays 11:00
    elif part.kind in ("evening", "late") and 1 <= hour < 12:
        hour += 12
    elif part.kind == "night" and 9 <= hour < 12:
        hour += 12
    elif part.kind == "night" and hour == 12:
        hour = 0
    return at.replace(hour=hour)


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
    part: _Part | None = found.get("part")
    clock_found: _Clock | None = found.get("time")
    clock: time | None = None
    day_end = False
    if found.get("eod"):
        clock = workday_end
    elif clock_found is not None:
        clock, day_end = _hinted(clock_found, part), clock_found.day_end
    elif part is not None and part.kind != "night":
        clock = _part_time(part.kind, workday_start)

    def at_day(day: date, at: time) -> datetime:
        """The wall clock on a day; 24:00 is the start of the next one."""
        return _local(day + timedelta(days=1) if day_end else day, at, zone)

    if "offset" in found:
        kind, amount = found["offset"]
        if kind == "exact":
            return (now.astimezone(UTC) + amount).astimezone(zone)
        if kind == "work" and amount > _working_days_limit(country):
            raise OverflowError("working days beyond MAX_AHEAD")  # refused without the walk
        day = add_working_days(today, amount, country) if kind == "work" else today + amount
        # Calendar offsets keep the time of day unless one was given.
        return at_day(day, clock or now.time())
    day = found.get("day")
    if "week" in found:
        # «в пятницу на следующей неделе»: that weekday of next week; alone, its Monday.
        monday = found["week"]
        day = monday + timedelta(days=day.weekday()) if isinstance(day, _Weekday) else monday
    if day is None and part is not None and part.today:
        day = today
    if day is not None:
        if part and part.kind == "night" and clock is not None and clock < time(6):
            day += timedelta(days=1)  # «завтра ночью в 3» is the night after tomorrow's day
        at = at_day(day, clock or workday_start)
        if at <= now and isinstance(day, _Weekday):
            # «пт 10:00» typed on Friday at 02:00 is today; typed at 15:00 it is next Friday.
            at = at_day(day + timedelta(days=7), clock or workday_start)
        elif at <= now and isinstance(day, _MonthDay):
            at = at_day(_month_day(day.day, day + timedelta(days=1)), clock or workday_start)
        return at
    if clock is None:
        return None
    at = at_day(today, clock)
    if at <= now and not found.get("eod"):
        at = at_day(today + timedelta(days=1), clock)
    return at
