"""Recurring reminders read out of free Russian and English text, and their next occurrences."""

# Pure module: stdlib + python-dateutil + zoneinfo, no aiogram, so the parser and the occurrence
# arithmetic can be tested and reused without the bot around them.
#
# Decisions worth knowing:
# - «каждую неделю» / "every week" carry no weekday: the series' anchor date decides it (and for
#   "every month" / "every year" the anchor's day and month), so the caller stores the start date.
# - A month day the month lacks (31 in April, 30 in February) means the month's last day: people
#   who say "on the 31st" mean "at the end of the month", not "skip short months" as RFC 5545 does.
# - «каждый второй понедельник» / "every other monday" is every two weeks, not "the second Monday
#   of the month".
# - A yearly series may name its date («ежегодно 1 марта», "every March 1st"); without one the
#   anchor's day and month decide. 29 February falls on the 28th in other years, like the 31st.
# - Inside a yearly phrase a dotted «15.03» is a date, 15 March; anywhere else it stays a time,
#   15:03, and right after «в» / "at" it is a time in yearly phrases too.
# - Only adverbs trigger in Russian («ежемесячно», not «ежемесячный отчёт»); English "weekly"
#   cannot be told apart from the adjective, so "weekly report" does read as a recurrence.

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, weekdays

from bot.parsing.dates import NUMBER_WORDS, wall_time

__all__ = ["Recurrence", "RecurrenceFound", "next_occurrence", "parse_recurrence"]

_FREQS: dict[str, int] = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_RULE_KEYS = frozenset(
    "FREQ INTERVAL BYDAY BYMONTH BYMONTHDAY BYSETPOS BYHOUR BYMINUTE BYSECOND WKST".split()
)
# Days in each month: the most it can have and the fewest (February is 29 or 28).
_LONGEST = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SHORTEST = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_WORKWEEK = (1, 2, 3, 4, 5)
_WEEKEND = (6, 7)


def _monthday_set(day: int, month: int | None = None) -> tuple[tuple[int, ...], bool]:
    """BYMONTHDAY values for a month day, and whether BYSETPOS=-1 must pick the last of them."""
    shortest = _SHORTEST[month - 1] if month is not None else 28
    if day > shortest:
        # RFC 5545 skips months without the day; «28..31, last one» is its idiom for "the 31st,
        # or the month's last day when shorter", which is what people mean. In a known month
        # only 29 February needs it: «28,29, last one».
        return tuple(range(shortest, day + 1)), True
    return (day,), False


@dataclass(frozen=True)
class Recurrence:
    """A series of local wall-clock times: how often, on which days, at what time."""

    freq: str  # "DAILY" | "WEEKLY" | "MONTHLY" | "YEARLY"
    interval: int = 1
    weekdays: tuple[int, ...] = ()  # ISO 1=Mon..7=Sun, for DAILY/WEEKLY
    monthday: int | None = None  # 1..31 or -1 (last day of the month) for MONTHLY; YEARLY: 1..31
    at: time = time(10)  # local wall-clock time, no tzinfo
    month: int | None = None  # 1..12, for YEARLY; last so that positional construction still works

    def __post_init__(self) -> None:
        """Reject series that cannot be written as a rule; keep weekdays sorted and unique."""
        if self.freq not in _FREQS:
            raise ValueError(f"unknown freq {self.freq!r}")
        if self.interval < 1:
            raise ValueError(f"interval must be at least 1, got {self.interval}")
        days = tuple(sorted(set(self.weekdays)))
        if any(not 1 <= d <= 7 for d in days):
            raise ValueError(f"weekdays are ISO 1..7, got {self.weekdays}")
        if days and self.freq not in ("DAILY", "WEEKLY"):
            raise ValueError("weekdays only go with DAILY or WEEKLY")
        if self.month is not None:
            if self.freq != "YEARLY":
                raise ValueError("month only goes with YEARLY")
            if not 1 <= self.month <= 12:
                raise ValueError(f"month is 1..12, got {self.month}")
        if self.monthday is not None:
            if self.freq == "MONTHLY":
                if not (1 <= self.monthday <= 31 or self.monthday == -1):
                    raise ValueError(f"monthday is 1..31 or -1, got {self.monthday}")
            elif self.freq == "YEARLY":
                # FREQ=YEARLY;BYMONTHDAY=1 alone means the 1st of every month: not a yearly series.
                if self.month is None:
                    raise ValueError("a yearly monthday needs a month")
                if not 1 <= self.monthday <= _LONGEST[self.month - 1]:
                    raise ValueError(f"month {self.month} has no day {self.monthday}")
            else:
                raise ValueError("monthday only goes with MONTHLY or YEARLY")
        if self.at.tzinfo is not None:
            raise ValueError("at is a wall-clock time and must not carry a tzinfo")
        # Sorted so that equal series compare (and hash) equal after a round trip through a rule.
        object.__setattr__(self, "weekdays", days)

    @property
    def rule(self) -> str:
        """The series as an RFC 5545 RRULE body without DTSTART."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.weekdays:
            parts.append("BYDAY=" + ",".join(_DAY_CODES[d - 1] for d in self.weekdays))
        if self.month is not None:
            parts.append(f"BYMONTH={self.month}")
        if self.monthday is not None:
            days, last = _monthday_set(self.monthday, self.month)
            parts.append("BYMONTHDAY=" + ",".join(map(str, days)))
            if last:
                parts.append("BYSETPOS=-1")
        parts += [f"BYHOUR={self.at.hour}", f"BYMINUTE={self.at.minute}"]
        if self.at.second:
            parts.append(f"BYSECOND={self.at.second}")
        return ";".join(parts)

    @classmethod
    def from_rule(cls, rule: str) -> Recurrence:
        """Read a rule of the shape `rule` writes (any key order, optional "RRULE:" prefix)."""
        body = rule.strip()
        if body[:6].upper() == "RRULE:":
            body = body[6:]
        fields: dict[str, str] = {}
        for part in filter(None, body.split(";")):
            key, sep, value = part.partition("=")
            if not sep:
                raise ValueError(f"malformed rule part {part!r} in {rule!r}")
            fields[key.strip().upper()] = value.strip().upper()
        # COUNT, UNTIL, BYYEARDAY… would change the series; dropping them silently would be worse.
        unknown = sorted(fields.keys() - _RULE_KEYS)
        if unknown:
            raise ValueError(f"unsupported rule parts {unknown} in {rule!r}")
        try:
            if fields.get("WKST", "MO") != "MO":
                raise ValueError("only WKST=MO")
            weekdays = tuple(
                _DAY_CODES.index(c) + 1 for c in fields.get("BYDAY", "").split(",") if c
            )
            monthday = None
            if "BYMONTHDAY" in fields:
                days = [int(d) for d in fields["BYMONTHDAY"].split(",")]
                setpos = fields.get("BYSETPOS")
                if setpos is None and len(days) == 1:
                    monthday = days[0]
                elif setpos == "-1" and days == list(range(28, max(days) + 1)):
                    monthday = max(days)
                else:
                    raise ValueError("BYMONTHDAY/BYSETPOS of another shape")
            elif "BYSETPOS" in fields:
                raise ValueError("BYSETPOS without BYMONTHDAY")
            month = int(fields["BYMONTH"]) if "BYMONTH" in fields else None
            at = time(
                int(fields.get("BYHOUR", "10")),
                int(fields.get("BYMINUTE", "0")),
                int(fields.get("BYSECOND", "0")),
            )
            return cls(
                fields["FREQ"], int(fields.get("INTERVAL", "1")), weekdays, monthday, at, month
            )
        except (KeyError, ValueError) as exc:
            raise ValueError(f"not a rule this module can read: {rule!r} ({exc})") from exc


@dataclass(frozen=True)
class RecurrenceFound:
    """A recurrence found in text and the text left once its words (and time) are gone."""

    recurrence: Recurrence
    rest: str


# --- reading text -------------------------------------------------------------------------------

# Patterns are lower-case and run over a lower-cased copy of the text (see _fold): compiling them
# case-insensitively costs noticeably more at import, with the Cyrillic alternations.

# The date parser's number words up to ten, single words only: «каждые две недели», "every two
# weeks" (its "a", "пару" and "couple of" would read "a week" as a period of its own here).
_NUMBER_WORDS: dict[str, int] = {
    word: n
    for word, n in NUMBER_WORDS.items()
    if n <= 10 and " " not in word and word not in ("a", "an", "пару", "пара")
}
# Ordinals by stem: «каждую вторую неделю», "every other week".
_ORDINAL_STEMS: tuple[tuple[str, int], ...] = (
    ("втор", 2),
    ("other", 2),
    ("second", 2),
    ("2nd", 2),
    ("трет", 3),
    ("third", 3),
    ("3rd", 3),
    ("четверт", 4),
    ("fourth", 4),
    ("4th", 4),
)
_ORD = (
    r"втор(?:ой|ую|ое|ая|ого)|трет(?:ий|ью|ье|ья|его)|четверт(?:ый|ую|ое|ая|ого)|"
    r"other|second|2nd|third|3rd|fourth|4th"
)
_NUM = r"\d{1,3}|" + "|".join(_NUMBER_WORDS)

# Weekday stems: matching by prefix covers every grammatical form the pattern lets through.
_WEEKDAY_STEMS: tuple[tuple[str, ...], ...] = (
    ("понедельник", "пн", "mon"),
    ("вторник", "вт", "tue"),
    ("сред", "ср", "wed"),
    ("четверг", "чт", "thu"),
    ("пятниц", "пт", "fri"),
    ("суббот", "сб", "sat"),
    ("воскресень", "вс", "sun"),
)
# Plurals read as a habit on their own: «по понедельникам», "mondays".
_PLURAL_ENDINGS = ("ам", "ям", "days")
_WD = (
    r"(?:(?:понедельник|вторник|четверг)(?:ам|а|у|ом|е)?|(?:сред|пятниц|суббот)(?:ам|а|у|ы|е|ой|ей)|"
    r"воскресень(?:ям|е|я|ю|ем)|пн|вт|ср|чт|пт|сб|вс|(?:mon|tues|wednes|thurs|fri|satur|sun)days?|"
    r"mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun)\.?(?!\w)"
)
# One list, «пн, ср и пт», "tue and thu", "mon/wed", «пн и каждый чт», behind an optional marker.
_WEEKDAYS = re.compile(
    rf"(?<!\w)(?:(?P<every>кажд\w*|every|each)\s+(?:(?P<ord>{_ORD})\s+)?|(?P<prep>по|в|во|on)\s+)?"
    rf"(?P<list>{_WD}(?:(?:\s*[,/&]\s*(?:и\s+|and\s+)?|\s+(?:и|and)\s+)"
    rf"(?:(?:кажд\w*|every|each)\s+)?{_WD})*)"
)
_WD_TOKEN = re.compile(_WD)
_WORKDAYS = re.compile(
    r"(?<!\w)(?:кажд\w*\s+(?:будн|рабоч)\w*\s+д(?:ень|ни|ня)|по\s+(?:будн|рабоч)\w*(?:\s+дням)?|"
    r"в\s+(?:будни|будние\s+дни|рабочие\s+дни)|(?:every|each)\s+(?:week|work(?:ing)?|business)"
    r"\s*day|on\s+(?:working|business)\s+days|(?<!\d\s)(?:on\s+)?(?:weekdays|workdays))(?!\w)"
)
_WEEKENDS = re.compile(
    r"(?<!\w)(?:кажд\w*\s+выходн\w*(?:\s+дни)?|по\s+выходным(?:\s+дням)?|(?:every|each)\s+weekend|"
    r"(?<!\d\s)(?:on\s+)?weekends)(?!\w)"
)
_UNITS = (
    r"д(?:ень|ня|ней)|сут(?:ки|ок)|недел[юияь]|месяц(?:а|ев|е)?|квартал(?:а|ов)?|полгода|"
    r"год(?:а)?|лет|days?|weeks?|fortnights?|months?|quarters?|years?"
)
_PERIOD = re.compile(
    rf"(?<!\w)(?:(?:кажд\w*|(?:of\s+)?(?:every|each))\s+(?:(?P<n>{_ORD}|{_NUM})\s+)?|"
    rf"(?<!\d\s)(?:один\s+)?раз\s+в\s+(?:(?P<n2>{_NUM})\s+)?|once\s+(?:a|per|every)\s+)"
    rf"(?P<unit>{_UNITS})(?!\w)|(?<!\w)(?P<word>еже(?:дневно|недельно|месячно|квартально|годно)|"
    r"daily|weekly|monthly|quarterly|yearly|annually|bi-?weekly|fortnightly)(?!\w)"
)
# Month days that make a series by themselves: «каждое 15 число», «в последний день месяца».
_MONTHDAY_ALONE = re.compile(
    r"(?<!\w)(?:кажд\w*\s+(?P<d>\d{1,2})(?:-?(?:го|ое|е))?\s+числ[оау]|"
    r"кажд\w*\s+(?P<d2>\d{1,2})-?(?:го|ое|е)|(?P<every>every|each)\s+(?P<d3>\d{1,2})(?:st|nd|rd|th)"
    r"(?:\s+day)?(?:\s+of\s+(?:the|every|each)\s+month)?|"
    r"(?P<last>(?:в\s+)?последн\w+\s+(?:день|числ\w+)\s+(?:каждого\s+)?месяца|"
    r"(?:on\s+)?(?:the\s+)?last\s+day\s+of\s+(?:the|every|each)\s+month))(?!\w)"
)
# Month days that only detail a monthly period: «1 числа», «5-го», "on the 1st", "the last day".
_MONTHDAY = re.compile(
    r"(?<!\w)(?:(?:(?:в|к|ко)\s+)?(?P<d>\d{1,2})(?:-?(?:го|ое|е))?\s+числ[оау]|(?P<d2>\d{1,2})-?го|"
    r"(?:(?:on|by)\s+)?(?:the\s+)?(?P<d3>\d{1,2})(?:st|nd|rd|th)(?:\s+day)?|on\s+day\s+(?P<d4>\d{1,2})|"
    r"(?P<last>(?:в\s+)?последн\w+\s+(?:день|числ\w+)|(?:(?:on|by)\s+)?(?:the\s+)?last\s+day))(?!\w)"
)
# "every 2nd week" is a period, "every 2nd monday" a weekday series: not the 2nd of the month.
_NOT_MONTHDAY_AFTER = ("day", "week", "month", "year", "quarter", "mon", "tue", "wed", "thu", "fri")
_TIME = re.compile(
    r"(?<![\w.:/+-])(?:(?P<noon>(?:(?:в|at)\s+)?(?:полдень|noon))|"
    r"(?:(?P<pre>в|во|к|ко|at|by|@)\s*)?(?P<h>\d{1,2})(?:(?P<sep>[:.])(?P<m>\d{2}))?"
    r"(?:\s*(?P<suf>a\.?m\.?|p\.?m\.?|утра|вечера|дня|ночи|часов|часа|час|ч)(?!\w))?)"
    r"(?![\w:]|[.,]\d)"
)
# Month names next to a day number: every case of the Russian ones («март», «марта», «в марте»)
# and their usual abbreviations; English full and three-letter ones.
_MONTH_RU = (
    r"(?:(?:январ|феврал|апрел|июн|июл|сентябр|октябр|ноябр|декабр)(?:ь|я|е|ю|ем)|"
    r"(?:март|август)(?:а|е|у|ом)?|ма(?:й|я|е|ю|ем)|"
    r"(?:янв|февр?|мар|апр|июн|июл|авг|сент?|окт|нояб?|дек)\.?)(?!\w)"
)
_MONTH_EN = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
    r"(?:jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec)\.?)(?!\w)"
)
# By first letters, in calendar order: «марта» is March before «ма» can make it May.
_MONTH_STEMS: tuple[tuple[str, ...], ...] = (
    ("янв", "jan"),
    ("фев", "feb"),
    ("мар", "mar"),
    ("апр", "apr"),
    ("ма", "may"),
    ("июн", "jun"),
    ("июл", "jul"),
    ("авг", "aug"),
    ("сен", "sep"),
    ("окт", "oct"),
    ("ноя", "nov"),
    ("дек", "dec"),
)
# «1 марта», «5-го мая», "15 March", "the 1st of March"; "March 1st" (English only: «мае 5»
# is more often «в мае 5 раз» than a date), but not "March 5 pm" or "March 10:30".
_DAY_FIRST = (
    rf"(?P<d1>\d{{1,2}})(?:-?(?:го|ое|е)|st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH_RU}|{_MONTH_EN})"
)
_MONTH_FIRST = (
    rf"(?P<m2>{_MONTH_EN})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\w|[.:,]\d|\s*[ap]\.?m(?!\w))"
)
# «15.03»: a date only where a yearly series is being read, and never right after «в» / "at",
# where it is a time («каждый год в 10.30»).
_DOTTED = (
    r"(?<!\bв\s)(?<!\bво\s)(?<!\bк\s)(?<!\bко\s)(?<!\bat\s)(?<!\bby\s)(?<!@)"
    r"(?P<d3>\d{1,2})\.(?P<m3>\d{2})(?!\w|[.,/:]\d)"
)
# A date that makes a yearly series by itself: «каждое 1 марта», "every March 1st".
_YEARLY_ALONE = re.compile(
    rf"(?<!\w)(?:кажд\w*|every|each)\s+(?:the\s+)?(?:{_DAY_FIRST}|{_MONTH_FIRST}|{_DOTTED})"
)
# A date that details a yearly period: «ежегодно 1 марта», «каждый год 15.03», "yearly on
# 15 March", "annually on 03-15" (ISO month-day only after "on" or as "--03-15": «10-12 марта»
# and «10-15 человек» are ranges).
_YEARLY_DATE = re.compile(
    rf"(?<![\w.,/:@+-])(?:(?:(?:on|by|в|во|на|к|ко)\s+)?(?:the\s+)?(?:{_DAY_FIRST}|{_MONTH_FIRST})|"
    rf"(?:(?:on|на)\s+)?{_DOTTED}|(?:on\s+|--)(?P<m4>\d{{2}})-(?P<d4>\d{{2}})(?![\w-]))"
)
# «в 2 раза», «в 3 клиентах»: a number after «в» that counts things, not hours.
_NOT_TIME_AFTER = re.compile(r"\s*(?:%|раз|шт|руб|тыс|млн|клиент|чел|мест|офис|times)")


def _fold(text: str) -> str:
    """Lower-case text and read «ё» as «е», keeping every character where it was."""
    folded = text.lower()
    if len(folded) != len(text):
        # A few characters ("İ") lower-case to two; spans into the original must stay valid.
        folded = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return folded.replace("ё", "е")


def _number(word: str) -> int:
    """The value of digits, a number word or an ordinal such as «вторую» / "other"."""
    if word.isdigit():
        return int(word)
    if word in _NUMBER_WORDS:
        return _NUMBER_WORDS[word]
    return next(n for stem, n in _ORDINAL_STEMS if word.startswith(stem))


def _weekdays(m: re.Match[str]) -> tuple[tuple[int, ...], int, bool] | None:
    """ISO weekdays of a list, the interval its ordinal asks for, and whether it is a habit."""
    words = [token[0].rstrip(".") for token in _WD_TOKEN.finditer(m["list"])]
    plural = words[0].endswith(_PLURAL_ENDINGS)
    if m["every"] is None and m["prep"] is None and not plural:
        return None  # a bare "sat" or "sun" is too often an ordinary word
    days = {next(i for i, s in enumerate(_WEEKDAY_STEMS, 1) if w.startswith(s)) for w in words}
    # «каждый пн» and «по понедельникам» are habits; «в пн» and "on monday" are one day, which
    # only details a weekly period said elsewhere («каждые 2 недели в пн»).
    habit = m["every"] is not None or plural
    return tuple(sorted(days)), _number(m["ord"]) if m["ord"] else 1, habit


def _period(m: re.Match[str]) -> tuple[str, int] | None:
    """Frequency and interval of «каждые 2 недели», "every other month", «ежедневно»."""
    word = m["word"]
    if word:
        if word.startswith(("bi", "fort")):
            return "WEEKLY", 2
        if word.startswith(("ежекв", "quart")):
            return "MONTHLY", 3
        stems = (("ежедн", "dai"), ("ежене", "wee"), ("ежем", "mon"))
        for freq, stem in zip(("DAILY", "WEEKLY", "MONTHLY"), stems, strict=True):
            if word.startswith(stem):
                return freq, 1
        return "YEARLY", 1
    count = m["n"] or m["n2"]
    n = _number(count) if count else 1
    if n < 1:
        return None
    unit = m["unit"]
    if unit.startswith(("д", "сут", "day")):
        return "DAILY", n
    if unit.startswith(("нед", "week")):
        return "WEEKLY", n
    if unit.startswith("fortnight"):
        return "WEEKLY", 2 * n
    if unit.startswith(("месяц", "month")):
        return "MONTHLY", n
    if unit.startswith(("квартал", "quarter")):
        return "MONTHLY", 3 * n
    if unit == "полгода":
        return "MONTHLY", 6
    return "YEARLY", n


def _monthday(m: re.Match[str]) -> int | None:
    """Day of the month of «15 числа», "the 1st", «последний день» (-1)."""
    if m["last"]:
        return -1
    groups = m.groupdict()
    if groups.get("every") and m.string[m.end() :].lstrip().startswith(_NOT_MONTHDAY_AFTER):
        return None
    day = int(next(g for g in (groups["d"], groups["d2"], groups["d3"], groups.get("d4")) if g))
    return day if 1 <= day <= 31 else None


def _month_day(m: re.Match[str]) -> tuple[int, int] | None:
    """Month and day of «1 марта», "March 1st", «15.03», "--03-15"; None for «31.02»."""
    groups = m.groupdict()
    name = groups["m1"] or groups["m2"]
    if name:
        month = next(i for i, stems in enumerate(_MONTH_STEMS, 1) if name.startswith(stems))
        day = int(groups["d1"] or groups["d2"])
    elif groups["m3"]:
        month, day = int(groups["m3"]), int(groups["d3"])
    else:
        month, day = int(groups["m4"]), int(groups["d4"])
    if 1 <= month <= 12 and 1 <= day <= _LONGEST[month - 1]:
        return month, day
    return None


def _clock(m: re.Match[str]) -> time | None:
    """Read «в 18», «в 9:30», «10.30», "at 5pm", "17:45"; a bare number is not a time."""
    if m["noon"]:
        return time(12)
    pre, sep, suf = m["pre"], m["sep"], (m["suf"] or "").replace(".", "")
    if pre is None and sep is None and not suf:
        return None
    if pre is not None and sep is None and not suf and _NOT_TIME_AFTER.match(m.string, m.end()):
        return None
    return wall_time(int(m["h"]), int(m["m"] or 0), suf)


_Span = tuple[int, int]


class _Scan:
    """The folded text being read, with the words already claimed by earlier patterns blanked."""

    def __init__(self, text: str) -> None:
        """Start from the folded text; it has the original's length, so spans carry over."""
        self.text = _fold(text)

    def take(
        self, pattern: re.Pattern[str], read: Callable[[re.Match[str]], Any], *, many: bool = False
    ) -> list[tuple[Any, _Span]]:
        """Values read from the first (or every) match that makes sense, claiming their words."""
        hits: list[tuple[Any, _Span]] = []
        for m in pattern.finditer(self.text):
            value = read(m)
            if value is None:
                continue
            hits.append((value, m.span()))
            if not many:
                break
        for _, (start, end) in hits:
            self.text = self.text[:start] + " " * (end - start) + self.text[end:]
        return hits


def _spans(hits: Iterable[tuple[Any, _Span]]) -> list[_Span]:
    """Just the spans of some hits."""
    return [span for _, span in hits]


def parse_recurrence(text: str, *, workday_start: time = time(10)) -> RecurrenceFound | None:
    """Find a recurring schedule in text; None when the text holds no recurrence words."""
    scan = _Scan(text)
    # Order matters: «каждый будний день» before «каждый день», «каждое 15 число» before «15 числа»,
    # «каждое 1-е марта» before «каждое 1-е», a yearly date before «5-го» and before the time.
    workdays = scan.take(_WORKDAYS, lambda m: _WORKWEEK, many=True)
    weekends = scan.take(_WEEKENDS, lambda m: _WEEKEND, many=True)
    listed = scan.take(_WEEKDAYS, _weekdays, many=True)
    yearly = scan.take(_YEARLY_ALONE, _month_day)
    alone = scan.take(_MONTHDAY_ALONE, _monthday)
    period = scan.take(_PERIOD, _period)
    freq, interval = period[0][0] if period else (None, 1)
    if freq == "YEARLY" and not yearly:
        # Only here is «15.03» a date: in «каждый день 10.30» it is the time.
        yearly = scan.take(_YEARLY_DATE, _month_day)
    monthday = scan.take(_MONTHDAY, _monthday)
    habits = [hit for hit in listed if hit[0][2]]
    loose = [hit for hit in listed if not hit[0][2]]

    days = {d for found, _ in workdays + weekends for d in found}
    days.update(d for (found, _, _), _ in habits for d in found)
    # Words that were matched but do not fit the series stay in the rest, untouched.
    used = _spans(period)
    fields: dict[str, Any]
    if days and freq in (None, "DAILY", "WEEKLY"):
        ordinal = max((n for (_, n, _), _ in habits), default=1)
        weekly = interval if freq == "WEEKLY" else 1
        fields = {"freq": "WEEKLY", "interval": max(ordinal, weekly), "weekdays": tuple(days)}
        used += _spans(workdays + weekends + habits)
    elif yearly and freq in (None, "YEARLY"):
        (month, day), _ = yearly[0]
        fields = {"freq": "YEARLY", "interval": interval, "month": month, "monthday": day}
        used += _spans(yearly)
    elif alone and freq in (None, "MONTHLY"):
        fields = {"freq": "MONTHLY", "interval": interval, "monthday": alone[0][0]}
        used += _spans(alone)
    elif freq is not None:
        fields = {"freq": freq, "interval": interval}
        if freq == "WEEKLY" and loose:
            fields["weekdays"] = tuple({d for (found, _, _), _ in loose for d in found})
            used += _spans(loose)
        elif freq == "MONTHLY" and monthday:
            fields["monthday"] = monthday[0][0]
            used += _spans(monthday)
    else:
        return None

    clock = scan.take(_TIME, _clock)
    if clock:
        used += _spans(clock)
    rest = text
    for start, end in used:
        rest = rest[:start] + " " * (end - start) + rest[end:]
    rest = " ".join(rest.split()).strip(" ,;:—–-")
    at = clock[0][0] if clock else workday_start
    return RecurrenceFound(Recurrence(at=at, **fields), rest)


# --- occurrences --------------------------------------------------------------------------------


def _to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive local wall-clock time as an aware UTC instant: gaps forward, overlaps fold=0."""
    local = wall.replace(tzinfo=zone)  # fold=0: the first of the two readings in an overlap
    utc = local.astimezone(UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    # The round trip moved the wall time, so it falls in a gap (02:30 on a spring-forward night).
    # Move it forward by the gap's length — 03:30 — spelled out rather than left to how a given
    # tz implementation reads fold inside a gap.
    gap = abs(local.replace(fold=1).utcoffset() - local.utcoffset())  # type: ignore[operator]
    return (wall + gap).replace(tzinfo=zone).astimezone(UTC)


def _period_start(rec: Recurrence, anchor: date, near: date) -> date:
    """A later series start in the same phase as anchor, at or before near, to skip iterating."""
    # rrule walks every occurrence from DTSTART; a daily series anchored years ago would cost
    # thousands of steps per call. Restarting at the first day of a later period of the same
    # phase (whole intervals after anchor's period) yields exactly the same occurrences from there.
    step = rec.interval
    if rec.freq == "DAILY":
        k = (near - anchor).days // step
        return anchor + timedelta(days=k * step) if k > 0 else anchor
    if rec.freq == "WEEKLY":
        monday = anchor - timedelta(days=anchor.weekday())
        k = (near - monday).days // 7 // step
        return monday + timedelta(weeks=k * step) if k > 0 else anchor
    if rec.freq == "MONTHLY":
        k = ((near.year - anchor.year) * 12 + near.month - anchor.month) // step
        return anchor.replace(day=1) + relativedelta(months=k * step) if k > 0 else anchor
    k = (near.year - anchor.year) // step
    return date(anchor.year + k * step, 1, 1) if k > 0 else anchor


def _rrule(rec: Recurrence, anchor: date, start: date) -> rrule:
    """The series as a dateutil rrule over naive local datetimes, starting at start."""
    kwargs: dict[str, Any] = {
        "dtstart": datetime.combine(start, time()),
        "interval": rec.interval,
        "wkst": weekdays[0],  # explicit: the default follows calendar.firstweekday(), a global
        "byhour": rec.at.hour,
        "byminute": rec.at.minute,
        "bysecond": rec.at.second,
        "cache": False,
    }
    # Whatever the rule leaves open comes from the anchor, not from the moved start.
    if rec.freq in ("DAILY", "WEEKLY") and (rec.weekdays or rec.freq == "WEEKLY"):
        days = rec.weekdays or (anchor.isoweekday(),)
        kwargs["byweekday"] = tuple(weekdays[d - 1] for d in days)
    elif rec.freq in ("MONTHLY", "YEARLY"):
        month = None
        if rec.freq == "YEARLY":
            month = rec.month if rec.month is not None else anchor.month
            kwargs["bymonth"] = month
        day = rec.monthday if rec.monthday is not None else anchor.day
        monthdays, last = _monthday_set(day, month)
        kwargs["bymonthday"] = monthdays
        if last:
            kwargs["bysetpos"] = -1
    return rrule(_FREQS[rec.freq], **kwargs)


def next_occurrence(
    rec: Recurrence, zone: str, after: datetime, anchor: date | None = None
) -> datetime:
    """The first occurrence strictly after `after`, as an aware UTC datetime."""
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("after must be time-zone aware")
    tz = ZoneInfo(zone)
    local_after = after.astimezone(tz).replace(tzinfo=None)
    first = anchor if anchor is not None else local_after.date()
    # Start two days early: a wall time in a gap is later in UTC than its naive value suggests
    # (02:30 → 03:30), and in an overlap `after` may be the second reading of a time already seen.
    # Candidates that are not strictly after `after` are skipped below, by instant, not wall time.
    probe = local_after - timedelta(days=2)
    start = _period_start(rec, first, probe.date())
    for wall in _rrule(rec, first, start).xafter(
        max(probe, datetime.combine(start, time())), inc=True
    ):
        at = _to_utc(wall, tz)
        if at > after:
            return at
    raise ValueError(f"{rec.rule} has no occurrence after {after.isoformat()}")
