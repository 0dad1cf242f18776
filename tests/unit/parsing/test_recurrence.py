"""Recurring reminders: phrases read from text, rules round-tripped, occurrences across DST."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrule, rrulestr, weekdays

from bot.parsing.recurrence import Recurrence, next_occurrence, parse_recurrence

MO, TU, WE, TH, FR, SA, SU = range(1, 8)
WORKWEEK = (MO, TU, WE, TH, FR)
# Not 10:00, so a phrase that falls back to the workday start cannot pass for one that said 10:00.
START = time(9, 15)
BERLIN = "Europe/Berlin"
MSK = "Europe/Moscow"

# text, freq, interval, weekdays, monthday, at, rest
Row = tuple[str, str, int, tuple[int, ...], int | None, time, str]
PHRASES: list[Row] = [
    # Russian, from the brief
    ("каждый пн 10:00 отчёт", "WEEKLY", 1, (MO,), None, time(10), "отчёт"),
    ("каждый понедельник", "WEEKLY", 1, (MO,), None, START, ""),
    ("каждую среду", "WEEKLY", 1, (WE,), None, START, ""),
    ("каждую пятницу в 17", "WEEKLY", 1, (FR,), None, time(17), ""),
    ("каждое воскресенье", "WEEKLY", 1, (SU,), None, START, ""),
    ("по понедельникам", "WEEKLY", 1, (MO,), None, START, ""),
    ("по вторникам и четвергам в 11", "WEEKLY", 1, (TU, TH), None, time(11), ""),
    ("каждый пн и чт", "WEEKLY", 1, (MO, TH), None, START, ""),
    ("каждый пн, ср, пт", "WEEKLY", 1, (MO, WE, FR), None, START, ""),
    ("каждый день в 9", "DAILY", 1, (), None, time(9), ""),
    ("ежедневно", "DAILY", 1, (), None, START, ""),
    ("каждый будний день", "WEEKLY", 1, WORKWEEK, None, START, ""),
    ("по будням", "WEEKLY", 1, WORKWEEK, None, START, ""),
    ("каждую неделю", "WEEKLY", 1, (), None, START, ""),
    ("еженедельно", "WEEKLY", 1, (), None, START, ""),
    ("каждые 2 недели", "WEEKLY", 2, (), None, START, ""),
    ("раз в две недели", "WEEKLY", 2, (), None, START, ""),
    ("каждый месяц", "MONTHLY", 1, (), None, START, ""),
    ("ежемесячно", "MONTHLY", 1, (), None, START, ""),
    ("каждый месяц 1 числа", "MONTHLY", 1, (), 1, START, ""),
    ("каждое 15 число", "MONTHLY", 1, (), 15, START, ""),
    ("ежемесячно 5-го", "MONTHLY", 1, (), 5, START, ""),
    ("1 числа каждого месяца", "MONTHLY", 1, (), 1, START, ""),
    ("в последний день месяца", "MONTHLY", 1, (), -1, START, ""),
    ("каждый год", "YEARLY", 1, (), None, START, ""),
    ("ежегодно", "YEARLY", 1, (), None, START, ""),
    # English, from the brief
    ("every monday", "WEEKLY", 1, (MO,), None, START, ""),
    ("every mon 10:00 report", "WEEKLY", 1, (MO,), None, time(10), "report"),
    ("every friday at 5pm", "WEEKLY", 1, (FR,), None, time(17), ""),
    ("every tue and thu at 11", "WEEKLY", 1, (TU, TH), None, time(11), ""),
    ("mondays", "WEEKLY", 1, (MO,), None, START, ""),
    ("on mondays", "WEEKLY", 1, (MO,), None, START, ""),
    ("every day at 9", "DAILY", 1, (), None, time(9), ""),
    ("daily", "DAILY", 1, (), None, START, ""),
    ("every weekday", "WEEKLY", 1, WORKWEEK, None, START, ""),
    ("weekdays", "WEEKLY", 1, WORKWEEK, None, START, ""),
    ("every week", "WEEKLY", 1, (), None, START, ""),
    ("weekly", "WEEKLY", 1, (), None, START, ""),
    ("every 2 weeks", "WEEKLY", 2, (), None, START, ""),
    ("every other week", "WEEKLY", 2, (), None, START, ""),
    ("biweekly", "WEEKLY", 2, (), None, START, ""),
    ("every month", "MONTHLY", 1, (), None, START, ""),
    ("monthly", "MONTHLY", 1, (), None, START, ""),
    ("every month on the 1st", "MONTHLY", 1, (), 1, START, ""),
    ("on the 15th of every month", "MONTHLY", 1, (), 15, START, ""),
    ("monthly on the 5th", "MONTHLY", 1, (), 5, START, ""),
    ("every month on the last day", "MONTHLY", 1, (), -1, START, ""),
    ("every year", "YEARLY", 1, (), None, START, ""),
    ("yearly", "YEARLY", 1, (), None, START, ""),
    ("Send report every month on the 1st", "MONTHLY", 1, (), 1, START, "Send report"),
    # Case, «ё», word order and the rest around the phrase
    ("КАЖДЫЙ ПН В 10 Отчёт клиенту", "WEEKLY", 1, (MO,), None, time(10), "Отчёт клиенту"),
    ("Звонок каждую среду в 11:30", "WEEKLY", 1, (WE,), None, time(11, 30), "Звонок"),
    ("Каждое воскресенье — сверить счёт", "WEEKLY", 1, (SU,), None, START, "сверить счёт"),
    ("Report, every Friday at 5 PM", "WEEKLY", 1, (FR,), None, time(17), "Report"),
    # Beyond the brief: ordinals, weekly periods with a day, weekends, quarters
    ("каждую вторую пятницу в 10.30 созвон", "WEEKLY", 2, (FR,), None, time(10, 30), "созвон"),
    ("каждые 2 недели в пн", "WEEKLY", 2, (MO,), None, START, ""),
    ("раз в 2 недели в среду позвонить", "WEEKLY", 2, (WE,), None, START, "позвонить"),
    ("every other monday 5 pm", "WEEKLY", 2, (MO,), None, time(17), ""),
    ("every week on tuesday at 9:30am", "WEEKLY", 1, (TU,), None, time(9, 30), ""),
    ("каждую четвёртую неделю", "WEEKLY", 4, (), None, START, ""),
    ("каждый пн и каждый чт", "WEEKLY", 1, (MO, TH), None, START, ""),
    ("every mon/wed/fri standup", "WEEKLY", 1, (MO, WE, FR), None, START, "standup"),
    ("каждый день по будням в 9", "WEEKLY", 1, WORKWEEK, None, time(9), ""),
    ("по выходным", "WEEKLY", 1, (SA, SU), None, START, ""),
    ("every weekend", "WEEKLY", 1, (SA, SU), None, START, ""),
    ("каждые 3 дня", "DAILY", 3, (), None, START, ""),
    ("every other day", "DAILY", 2, (), None, START, ""),
    ("раз в месяц", "MONTHLY", 1, (), None, START, ""),
    ("ежеквартально", "MONTHLY", 3, (), None, START, ""),
    ("quarterly", "MONTHLY", 3, (), None, START, ""),
    ("every 15th at 9", "MONTHLY", 1, (), 15, time(9), ""),
    ("every 2nd week", "WEEKLY", 2, (), None, START, ""),
    ("каждый месяц в последний день", "MONTHLY", 1, (), -1, START, ""),
    ("last day of every month", "MONTHLY", 1, (), -1, START, ""),
    ("каждые 2 месяца 10 числа", "MONTHLY", 2, (), 10, START, ""),
    ("every month on the 31st", "MONTHLY", 1, (), 31, START, ""),
    ("раз в год", "YEARLY", 1, (), None, START, ""),
    # Words that look like a detail but do not fit the series stay in the rest
    ("каждый день слать в 2 раза больше", "DAILY", 1, (), None, START, "слать в 2 раза больше"),
    ("каждый день 3 отчёта", "DAILY", 1, (), None, START, "3 отчёта"),
    ("weekly: sat down with them", "WEEKLY", 1, (), None, START, "sat down with them"),
    ("every monday: check the 5th", "WEEKLY", 1, (MO,), None, START, "check the 5th"),
    # A dotted number is a time outside yearly phrases, and after «в» even in them
    ("каждый день 15.03", "DAILY", 1, (), None, time(15, 3), ""),
    ("каждый месяц в 10.30", "MONTHLY", 1, (), None, time(10, 30), ""),
    ("каждый год в 10.30", "YEARLY", 1, (), None, time(10, 30), ""),
    # A date that does not exist is no date, and a yearly series without one keeps the anchor's
    ("каждый год 31.02 оплатить", "YEARLY", 1, (), None, START, "31.02 оплатить"),
    ("каждый год 10-12 марта", "YEARLY", 1, (), None, START, "10-12 марта"),
    ("every month 1 march", "MONTHLY", 1, (), None, START, "1 march"),
]


@pytest.mark.parametrize(
    ("text", "freq", "interval", "days", "monthday", "at", "rest"),
    PHRASES,
    ids=[r[0] for r in PHRASES],
)
def test_phrase(
    text: str,
    freq: str,
    interval: int,
    days: tuple[int, ...],
    monthday: int | None,
    at: time,
    rest: str,
) -> None:
    found = parse_recurrence(text, workday_start=START)
    assert found is not None
    assert found.recurrence == Recurrence(freq, interval, days, monthday, at)
    assert found.rest == rest


# text, interval, month, monthday, at, rest
YearRow = tuple[str, int, int, int, time, str]
YEARLY_PHRASES: list[YearRow] = [
    # From the brief
    ("ежегодно 1 марта продлить домен", 1, 3, 1, START, "продлить домен"),
    ("каждый год 15.03", 1, 3, 15, START, ""),
    ("каждый год 1 марта в 12", 1, 3, 1, time(12), ""),
    ("1 марта каждого года", 1, 3, 1, START, ""),
    ("каждое 1 марта", 1, 3, 1, START, ""),
    ("every year on March 1", 1, 3, 1, START, ""),
    ("yearly on 15 March at 9am", 1, 3, 15, time(9), ""),
    ("every March 1st", 1, 3, 1, START, ""),
    ("annually on 03-15", 1, 3, 15, START, ""),
    # Beyond the brief
    ("Каждое 9 мая в 10:00 поздравить ветеранов", 1, 5, 9, time(10), "поздравить ветеранов"),
    ("ежегодно 5-го мая", 1, 5, 5, START, ""),
    ("каждое 1-е сентября", 1, 9, 1, START, ""),
    ("раз в год 31 декабря в 23:00 итоги", 1, 12, 31, time(23), "итоги"),
    ("каждые 2 года 29 февраля", 2, 2, 29, START, ""),
    ("каждый год 15.03 в 10.30", 1, 3, 15, time(10, 30), ""),
    ("каждый год в 10.30 15.03", 1, 3, 15, time(10, 30), ""),
    ("Налоги: каждый год 15.07", 1, 7, 15, START, "Налоги"),
    ("every 1st of March renew the domain", 1, 3, 1, START, "renew the domain"),
    ("each Dec. 25th at 18:00", 1, 12, 25, time(18), ""),
    ("Renew the domain on the 1st of March every year", 1, 3, 1, START, "Renew the domain"),
    ("annually on 1 sept", 1, 9, 1, START, ""),
    ("yearly --12-25", 1, 12, 25, START, ""),
]


@pytest.mark.parametrize(
    ("text", "interval", "month", "monthday", "at", "rest"),
    YEARLY_PHRASES,
    ids=[r[0] for r in YEARLY_PHRASES],
)
def test_yearly_phrase(
    text: str, interval: int, month: int, monthday: int, at: time, rest: str
) -> None:
    found = parse_recurrence(text, workday_start=START)
    assert found is not None
    assert found.recurrence == Recurrence("YEARLY", interval, monthday=monthday, at=at, month=month)
    assert found.rest == rest


MONTH_NAMES = [
    *[(word, 1) for word in ("января", "январь", "январе", "янв", "january", "jan")],
    *[(word, 2) for word in ("февраля", "февраль", "фев", "февр.", "february", "feb")],
    *[(word, 3) for word in ("марта", "март", "марте", "мар.", "march", "mar")],
    *[(word, 4) for word in ("апреля", "апрель", "апр", "april", "apr")],
    *[(word, 5) for word in ("мая", "май", "мае", "may")],
    *[(word, 6) for word in ("июня", "июнь", "июн", "june", "jun")],
    *[(word, 7) for word in ("июля", "июль", "июл", "july", "jul")],
    *[(word, 8) for word in ("августа", "август", "авг", "august", "aug")],
    *[(word, 9) for word in ("сентября", "сентябрь", "сен", "сент", "september", "sep", "sept")],
    *[(word, 10) for word in ("октября", "октябрь", "окт", "october", "oct")],
    *[(word, 11) for word in ("ноября", "ноябрь", "ноя", "нояб", "november", "nov")],
    *[(word, 12) for word in ("декабря", "декабрь", "Декабрём", "дек", "December", "DEC")],
]


@pytest.mark.parametrize(("word", "month"), MONTH_NAMES, ids=[w for w, _ in MONTH_NAMES])
def test_month_names(word: str, month: int) -> None:
    found = parse_recurrence(f"ежегодно 2 {word} отчёт")
    assert found is not None
    rec = found.recurrence
    assert (rec.freq, rec.month, rec.monthday, found.rest) == ("YEARLY", month, 2, "отчёт")


NOT_RECURRING = [
    "завтра в 10",
    "в пн",
    "next monday",
    "бюджет 150000",
    "каждому клиенту отправить",
    "каждому клиенту в пн",
    "каждый раз одно и то же",
    "every time",
    "each of them on monday",
    "с пт по пн",
    "ежемесячный отчёт клиенту",
    "5 раз в день",
    "in 3 workdays",
    "отчёт за 2 недели",
    "in the middle of the month",
    "10:00",
    "1 марта",
    "15.03",
    "",
]


@pytest.mark.parametrize("text", NOT_RECURRING)
def test_not_recurring(text: str) -> None:
    assert parse_recurrence(text) is None


@pytest.mark.parametrize(
    ("said", "at"),
    [
        ("10:00", time(10)),
        ("в 10", time(10)),
        ("в 10:30", time(10, 30)),
        ("10.30", time(10, 30)),
        ("at 5pm", time(17)),
        ("at 17:00", time(17)),
        ("5 pm", time(17)),
        ("at 12am", time(0)),
        ("12 p.m.", time(12)),
        ("в 9 утра", time(9)),
        ("в 7 вечера", time(19)),
        ("в 18 часов", time(18)),
        ("at noon", time(12)),
        ("в полдень", time(12)),
    ],
)
def test_time_anywhere_in_the_phrase(said: str, at: time) -> None:
    for text in (
        f"каждый день {said} отчёт",
        f"{said} каждый день отчёт",
        f"отчёт каждый день {said}",
    ):
        found = parse_recurrence(text)
        assert found is not None, text
        assert (found.recurrence.at, found.rest) == (at, "отчёт"), text


def test_no_time_means_workday_start() -> None:
    assert parse_recurrence("каждый понедельник").recurrence.at == time(10)  # type: ignore[union-attr]
    found = parse_recurrence("every monday", workday_start=time(8, 45))
    assert found is not None and found.recurrence.at == time(8, 45)


# --- rules --------------------------------------------------------------------------------------


def test_rule_shape() -> None:
    assert Recurrence("WEEKLY", weekdays=(MO,)).rule == "FREQ=WEEKLY;BYDAY=MO;BYHOUR=10;BYMINUTE=0"
    assert (
        Recurrence("WEEKLY", 2, (TH, TU), at=time(9, 30)).rule
        == "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;BYHOUR=9;BYMINUTE=30"
    )
    assert (
        Recurrence("MONTHLY", monthday=-1).rule == "FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=10;BYMINUTE=0"
    )
    # The 31st as RFC 5545 spells "the 31st or the month's last day", so other readers agree.
    assert (
        Recurrence("MONTHLY", monthday=31).rule
        == "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1;BYHOUR=10;BYMINUTE=0"
    )
    assert (
        Recurrence("YEARLY", month=3, monthday=1).rule
        == "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1;BYHOUR=10;BYMINUTE=0"
    )
    # 29 February: «28 or 29, the last there is», as for the 31st of a month.
    assert (
        Recurrence("YEARLY", month=2, monthday=29).rule
        == "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1;BYHOUR=10;BYMINUTE=0"
    )
    assert (
        Recurrence("YEARLY", month=4, monthday=30).rule
        == "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=30;BYHOUR=10;BYMINUTE=0"
    )


ROUND_TRIP = [
    Recurrence("DAILY"),
    Recurrence("DAILY", 3, at=time(7, 5)),
    Recurrence("DAILY", weekdays=WORKWEEK, at=time(23, 59)),
    Recurrence("WEEKLY"),
    Recurrence("WEEKLY", 4, (SU,), at=time(0, 0)),
    Recurrence("MONTHLY", 2),
    Recurrence("MONTHLY", monthday=29),
    Recurrence("MONTHLY", monthday=30),
    Recurrence("MONTHLY", monthday=31),
    Recurrence("MONTHLY", 12, monthday=-1),
    Recurrence("YEARLY", at=time(18, 0, 30)),
    Recurrence("YEARLY", month=3, monthday=1),
    Recurrence("YEARLY", 2, month=2, monthday=29, at=time(9, 30)),
    Recurrence("YEARLY", month=12, monthday=31),
    Recurrence("YEARLY", month=4),
]


@pytest.mark.parametrize("rec", ROUND_TRIP, ids=lambda r: r.rule)
def test_rule_round_trip(rec: Recurrence) -> None:
    assert Recurrence.from_rule(rec.rule) == rec


@pytest.mark.parametrize("row", PHRASES, ids=[r[0] for r in PHRASES])
def test_parsed_rule_round_trip(row: Row) -> None:
    found = parse_recurrence(row[0])
    assert found is not None
    assert Recurrence.from_rule(found.recurrence.rule) == found.recurrence


@pytest.mark.parametrize("row", YEARLY_PHRASES, ids=[r[0] for r in YEARLY_PHRASES])
def test_parsed_yearly_rule_round_trip(row: YearRow) -> None:
    found = parse_recurrence(row[0])
    assert found is not None
    assert found.recurrence.month is not None
    assert Recurrence.from_rule(found.recurrence.rule) == found.recurrence


def test_from_rule_is_lenient_about_form() -> None:
    rec = Recurrence("WEEKLY", 2, (MO, FR), at=time(9))
    assert (
        Recurrence.from_rule("RRULE:byminute=0;BYDAY=FR,MO;INTERVAL=2;FREQ=WEEKLY;BYHOUR=9") == rec
    )
    assert Recurrence.from_rule("FREQ=MONTHLY;BYMONTHDAY=31") == Recurrence("MONTHLY", monthday=31)
    assert Recurrence.from_rule("FREQ=DAILY;WKST=MO") == Recurrence("DAILY")
    assert Recurrence.from_rule("BYMONTHDAY=1;FREQ=YEARLY;BYMONTH=3") == Recurrence(
        "YEARLY", month=3, monthday=1
    )


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "FREQ=HOURLY",
        "FREQ=WEEKLY;COUNT=3",
        "FREQ=WEEKLY;UNTIL=20270101T000000Z",
        "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=MONTHLY;BYMONTHDAY=32",
        "FREQ=WEEKLY;BYMONTHDAY=5",
        "FREQ=DAILY;INTERVAL=0",
        "FREQ=DAILY;BYHOUR=25",
        "FREQ=DAILY;WKST=SU",
        "FREQ",
        "FREQ=YEARLY;BYMONTHDAY=1",
        "FREQ=MONTHLY;BYMONTH=3",
        "FREQ=YEARLY;BYMONTH=1,2",
        "FREQ=YEARLY;BYMONTH=13;BYMONTHDAY=1",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=-1",
    ],
)
def test_from_rule_rejects_what_it_cannot_keep(rule: str) -> None:
    with pytest.raises(ValueError):
        Recurrence.from_rule(rule)


def test_invalid_series_are_rejected_and_weekdays_normalised() -> None:
    assert Recurrence("WEEKLY", weekdays=(WE, MO, WE)).weekdays == (MO, WE)
    for bad in (
        {"freq": "HOURLY"},
        {"freq": "DAILY", "interval": 0},
        {"freq": "WEEKLY", "weekdays": (8,)},
        {"freq": "MONTHLY", "weekdays": (MO,)},
        {"freq": "WEEKLY", "monthday": 5},
        {"freq": "MONTHLY", "monthday": 0},
        {"freq": "DAILY", "at": time(10, tzinfo=UTC)},
        {"freq": "MONTHLY", "month": 3},
        {"freq": "YEARLY", "month": 0},
        {"freq": "YEARLY", "month": 13},
        {"freq": "YEARLY", "monthday": 1},
        {"freq": "YEARLY", "month": 4, "monthday": 31},
        {"freq": "YEARLY", "month": 2, "monthday": 30},
        {"freq": "YEARLY", "month": 3, "monthday": -1},
    ):
        with pytest.raises(ValueError):
            Recurrence(**bad)  # type: ignore[arg-type]


def test_rule_means_the_same_to_dateutil() -> None:
    start = datetime(2026, 4, 1)
    rule = rrulestr(Recurrence("MONTHLY", monthday=31).rule, dtstart=start)
    assert [d.date() for d in rule[:3]] == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    rule = rrulestr(Recurrence("WEEKLY", 2, (TU, TH), at=time(9)).rule, dtstart=start)
    assert rule[:3] == [datetime(2026, 4, 2, 9), datetime(2026, 4, 14, 9), datetime(2026, 4, 16, 9)]
    rule = rrulestr(Recurrence("YEARLY", month=2, monthday=29).rule, dtstart=start)
    assert [d.date() for d in rule[:3]] == [date(2027, 2, 28), date(2028, 2, 29), date(2029, 2, 28)]


# --- occurrences --------------------------------------------------------------------------------


def _utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _series(
    rec: Recurrence, zone: str, after: datetime, n: int, anchor: date | None = None
) -> list[datetime]:
    """The next n occurrences after `after`, each found from the previous one."""
    found = []
    for _ in range(n):
        after = next_occurrence(rec, zone, after, anchor)
        found.append(after)
    return found


def test_weekly_keeps_wall_clock_when_dst_starts() -> None:
    # Berlin springs forward on Sunday 2027-03-28: 10:00 CET is 09:00Z, 10:00 CEST is 08:00Z.
    got = _series(Recurrence("WEEKLY", weekdays=(MO,)), BERLIN, _utc(2027, 3, 20), 3)
    assert got == [_utc(2027, 3, 22, 9), _utc(2027, 3, 29, 8), _utc(2027, 4, 5, 8)]
    assert {d.astimezone(ZoneInfo(BERLIN)).time() for d in got} == {time(10)}
    assert all(d.tzinfo is UTC for d in got)


def test_weekly_keeps_wall_clock_when_dst_ends() -> None:
    # Berlin falls back on Sunday 2026-10-25: 10:00 CEST is 08:00Z, 10:00 CET is 09:00Z.
    got = _series(Recurrence("WEEKLY", weekdays=(MO,)), BERLIN, _utc(2026, 10, 17), 2)
    assert got == [_utc(2026, 10, 19, 8), _utc(2026, 10, 26, 9)]
    assert {d.astimezone(ZoneInfo(BERLIN)).time() for d in got} == {time(10)}


def test_daily_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    rec = Recurrence("DAILY", at=time(2, 30))
    got = _series(rec, BERLIN, _utc(2027, 3, 27, 12), 2)
    # 02:30 does not exist on 2027-03-28: it becomes 03:30 CEST (01:30Z); the next night is 02:30.
    assert got == [_utc(2027, 3, 28, 1, 30), _utc(2027, 3, 29, 0, 30)]
    local = [d.astimezone(ZoneInfo(BERLIN)).time() for d in got]
    assert local == [time(3, 30), time(2, 30)]


def test_gap_occurrence_is_found_after_its_naive_wall_time() -> None:
    # 03:10 CEST is past 02:30 on the wall but before the 03:30 the gap moved it to.
    after = datetime(2027, 3, 28, 3, 10, tzinfo=ZoneInfo(BERLIN))
    assert next_occurrence(Recurrence("DAILY", at=time(2, 30)), BERLIN, after) == _utc(
        2027, 3, 28, 1, 30
    )


def test_daily_in_the_autumn_overlap_takes_the_first() -> None:
    rec = Recurrence("DAILY", at=time(2, 30))
    first = next_occurrence(rec, BERLIN, _utc(2026, 10, 24, 12))
    assert first == _utc(2026, 10, 25, 0, 30)  # 02:30 CEST, fold=0
    # The repeated 02:30 CET (01:30Z) that night is not a second occurrence.
    assert next_occurrence(rec, BERLIN, first) == _utc(2026, 10, 26, 1, 30)
    second_reading = datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=ZoneInfo(BERLIN))  # 01:10Z
    assert next_occurrence(rec, BERLIN, second_reading) == _utc(2026, 10, 26, 1, 30)


def test_monthly_31st_falls_on_the_last_day_of_short_months() -> None:
    got = _series(Recurrence("MONTHLY", monthday=31, at=time(9)), MSK, _utc(2026, 4, 1), 3)
    assert got == [_utc(2026, 4, 30, 6), _utc(2026, 5, 31, 6), _utc(2026, 6, 30, 6)]
    feb = [
        next_occurrence(Recurrence("MONTHLY", monthday=30), "UTC", _utc(y, 2, 1))
        for y in (2027, 2028)
    ]
    assert feb == [_utc(2027, 2, 28, 10), _utc(2028, 2, 29, 10)]
    last = _series(Recurrence("MONTHLY", monthday=-1), "UTC", _utc(2027, 1, 31, 12), 2)
    assert last == [_utc(2027, 2, 28, 10), _utc(2027, 3, 31, 10)]


def test_monthly_from_the_anchor_does_not_drift_after_a_short_month() -> None:
    # "Every month" started on 31 January: February's 28th, then back to the 31st.
    got = _series(Recurrence("MONTHLY"), "UTC", _utc(2027, 1, 31, 12), 2, anchor=date(2027, 1, 31))
    assert got == [_utc(2027, 2, 28, 10), _utc(2027, 3, 31, 10)]


def test_yearly_on_29_february_falls_on_the_28th() -> None:
    got = _series(Recurrence("YEARLY"), "UTC", _utc(2028, 2, 29, 12), 2, anchor=date(2028, 2, 29))
    assert got == [_utc(2029, 2, 28, 10), _utc(2030, 2, 28, 10)]


def test_yearly_date_keeps_wall_clock() -> None:
    # 1 March is winter time in Berlin (10:00 CET = 09:00Z), 1 July summer time (08:00Z).
    rec = Recurrence("YEARLY", month=3, monthday=1, at=time(10))
    assert next_occurrence(rec, BERLIN, _utc(2026, 11, 24)) == _utc(2027, 3, 1, 9)
    assert _series(rec, BERLIN, _utc(2026, 11, 24), 2) == [_utc(2027, 3, 1, 9), _utc(2028, 3, 1, 9)]
    july = Recurrence("YEARLY", month=7, monthday=1, at=time(10))
    assert next_occurrence(july, BERLIN, _utc(2026, 11, 24)) == _utc(2027, 7, 1, 8)
    # Later the same day it is next year's; earlier the same year, this year's.
    assert next_occurrence(rec, BERLIN, _utc(2027, 3, 1, 9)) == _utc(2028, 3, 1, 9)
    assert next_occurrence(rec, BERLIN, _utc(2027, 1, 10)) == _utc(2027, 3, 1, 9)


def test_yearly_on_a_named_29_february_falls_on_the_28th() -> None:
    rec = Recurrence("YEARLY", month=2, monthday=29, at=time(10))
    got = _series(rec, BERLIN, _utc(2026, 11, 24), 3)
    assert got == [_utc(2027, 2, 28, 9), _utc(2028, 2, 29, 9), _utc(2029, 2, 28, 9)]


def test_yearly_date_beats_the_anchor_but_keeps_its_phase() -> None:
    rec = Recurrence("YEARLY", month=3, monthday=1)
    # The anchor's own day and month (24 November) do not matter once the rule names a date.
    assert next_occurrence(rec, "UTC", _utc(2026, 11, 24), date(2026, 11, 24)) == _utc(
        2027, 3, 1, 10
    )
    # Every two years from 2025: 2027, not 2028.
    every_other = Recurrence("YEARLY", 2, month=3, monthday=1)
    assert next_occurrence(every_other, "UTC", _utc(2026, 11, 24), date(2025, 6, 1)) == _utc(
        2027, 3, 1, 10
    )
    # A month without a day takes the anchor's day, clamped to the month's length.
    april = Recurrence("YEARLY", month=4)
    assert next_occurrence(april, "UTC", _utc(2027, 1, 31), date(2027, 1, 31)) == _utc(
        2027, 4, 30, 10
    )


def test_every_other_week_follows_the_anchor() -> None:
    rec = Recurrence("WEEKLY", 2, (MO,))
    # Started Monday 2 November: 16th and 30th, never the 9th or 23rd.
    got = _series(rec, MSK, _utc(2026, 11, 3), 2, anchor=date(2026, 11, 2))
    assert got == [_utc(2026, 11, 16, 7), _utc(2026, 11, 30, 7)]
    # Started on a Wednesday: that week's Monday has passed, so the next on-week's Monday.
    assert next_occurrence(rec, MSK, _utc(2026, 11, 4), date(2026, 11, 4)) == _utc(2026, 11, 16, 7)
    # Without weekdays the anchor's weekday is the day: a Thursday start repeats on Thursdays.
    thu = next_occurrence(Recurrence("WEEKLY", 2), MSK, _utc(2026, 11, 6), date(2026, 11, 5))
    assert thu == _utc(2026, 11, 19, 7)


def test_default_anchor_is_the_local_date_of_after() -> None:
    rec = Recurrence("WEEKLY")  # «каждую неделю»: the weekday comes from the anchor
    zone = ZoneInfo(MSK)
    wednesday = datetime(2026, 11, 25, 9, tzinfo=zone)
    assert next_occurrence(rec, MSK, wednesday) == datetime(2026, 11, 25, 10, tzinfo=zone)
    assert next_occurrence(rec, MSK, wednesday + timedelta(hours=2)) == datetime(
        2026, 12, 2, 10, tzinfo=zone
    )


def test_occurrence_is_strictly_after() -> None:
    rec = Recurrence("DAILY", at=time(10))
    at = _utc(2026, 11, 24, 10)
    assert next_occurrence(rec, "UTC", at) == _utc(2026, 11, 25, 10)
    assert next_occurrence(rec, "UTC", at - timedelta(microseconds=1)) == at


def test_naive_after_is_rejected() -> None:
    with pytest.raises(ValueError):
        next_occurrence(Recurrence("DAILY"), MSK, datetime(2026, 11, 24, 10))


_RR_FREQ = {"DAILY": DAILY, "WEEKLY": WEEKLY, "MONTHLY": MONTHLY, "YEARLY": YEARLY}


@pytest.mark.parametrize(
    "rec",
    [
        Recurrence("DAILY", 3, at=time(8)),
        Recurrence("DAILY", 2, WORKWEEK),
        Recurrence("WEEKLY", 2, (MO, TH)),
        Recurrence("WEEKLY", 2, (TH, SU)),
        Recurrence("WEEKLY", 3),
        Recurrence("MONTHLY", 2, monthday=10),
        Recurrence("MONTHLY", 5),
        Recurrence("YEARLY", 2, at=time(23, 30)),
        Recurrence("YEARLY", 3, month=2, monthday=10),
        Recurrence("YEARLY", month=11, monthday=28, at=time(7)),
    ],
    ids=lambda r: r.rule,
)
# A Thursday and a Sunday, both before the 28th: no month-length clamping involved.
@pytest.mark.parametrize("anchor", [date(2019, 3, 14), date(2019, 3, 17)], ids=str)
def test_old_anchor_matches_plain_rrule(rec: Recurrence, anchor: date) -> None:
    # next_occurrence skips whole periods when the anchor is far back; plain dateutil from the
    # anchor, in UTC where wall time is the instant, is the reference it must agree with.
    reference = rrule(
        _RR_FREQ[rec.freq],
        dtstart=datetime.combine(anchor, rec.at),
        interval=rec.interval,
        byweekday=tuple(weekdays[d - 1] for d in rec.weekdays) or None,
        bymonth=rec.month,
        bymonthday=rec.monthday,
        wkst=weekdays[0],
        cache=True,
    )
    after = datetime(2026, 1, 1, 0, 0)
    for _ in range(60):  # 60 steps of 11 days 7 hours land on every weekday and many hours
        expected = reference.after(after).replace(tzinfo=UTC)
        assert next_occurrence(rec, "UTC", after.replace(tzinfo=UTC), anchor) == expected
        after += timedelta(days=11, hours=7)


def test_parsed_series_end_to_end() -> None:
    found = parse_recurrence("каждый пн 10:00 отчёт")
    assert found is not None
    rec = found.recurrence
    assert (rec.freq, rec.weekdays, rec.at, found.rest) == ("WEEKLY", (MO,), time(10), "отчёт")
    assert next_occurrence(rec, BERLIN, _utc(2027, 3, 23)) == _utc(2027, 3, 29, 8)


def test_parsed_yearly_series_end_to_end() -> None:
    found = parse_recurrence("ежегодно 1 марта в 10:00 продлить домен")
    assert found is not None
    assert found.recurrence == Recurrence("YEARLY", month=3, monthday=1, at=time(10))
    assert found.rest == "продлить домен"
    assert next_occurrence(found.recurrence, BERLIN, _utc(2026, 11, 24)) == _utc(2027, 3, 1, 9)


def test_module_is_pure() -> None:
    code = (
        "import sys, bot.parsing.recurrence; "
        "print(sorted(m for m in ('aiogram', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
