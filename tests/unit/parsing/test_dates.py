"""Dates and times read out of free text: the shared corpus plus cases beyond it."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.parsing.dates import When, add_working_days, parse_when

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "when.tsv"


def _corpus_rows() -> list[tuple[str, str, str, str, str]]:
    """Rows of the shared corpus, or nothing when the file is not there."""
    if not CORPUS.exists():
        return []
    rows = []
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("tz\t"):
            continue
        cells = line.split("\t")
        cells += [""] * (5 - len(cells))  # a trailing empty rest may be cut off by editors
        tz, now, text, expected, rest = cells[:5]
        rows.append((tz, now, text, expected, rest))
    return rows


def _check(tz: str, now: str, text: str, expected: str, rest: str, **kwargs: object) -> None:
    """Parse text at now in tz and compare the local wall clock and the rest."""
    zone = ZoneInfo(tz)
    found = parse_when(text, datetime.fromisoformat(now).replace(tzinfo=zone), **kwargs)  # type: ignore[arg-type]
    got = "-" if found.at is None else found.at.astimezone(zone).strftime("%Y-%m-%dT%H:%M")
    assert (got, found.rest) == (expected, rest)


_ROWS = _corpus_rows()


@pytest.mark.parametrize(
    ("tz", "now", "text", "expected", "rest"),
    _ROWS or [pytest.param("", "", "", "", "", marks=pytest.mark.skip(reason=f"no {CORPUS}"))],
    ids=[row[2] for row in _ROWS] or None,
)
def test_corpus(tz: str, now: str, text: str, expected: str, rest: str) -> None:
    _check(tz, now, text, expected, rest)


def test_corpus_is_present() -> None:
    if not CORPUS.exists():
        pytest.skip(f"shared corpus not found at {CORPUS}")
    assert len(_ROWS) > 40


MSK = "Europe/Moscow"
TUE = "2026-11-24T13:00"  # a Tuesday


@pytest.mark.parametrize(
    ("tz", "now", "text", "expected", "rest"),
    [
        # Weekdays in several grammatical cases and both languages.
        (MSK, TUE, "во вторник созвон", "2026-12-01T10:00", "созвон"),
        (MSK, TUE, "в понедельник", "2026-11-30T10:00", ""),
        (MSK, TUE, "в следующую пятницу", "2026-11-27T10:00", ""),
        (MSK, TUE, "в воскресенье в 12", "2026-11-29T12:00", ""),
        (MSK, TUE, "к четвергу сделать макет", "2026-11-26T10:00", "сделать макет"),
        (MSK, TUE, "до субботы", "2026-11-28T10:00", ""),
        # Today's own weekday is today while its time is ahead, else a week later.
        (MSK, "2026-11-27T02:24", "пт 10:00 созвон", "2026-11-27T10:00", "созвон"),
        (MSK, "2026-11-24T08:00", "во вторник", "2026-11-24T10:00", ""),
        (MSK, "2026-11-24T08:00", "on tuesday at 9", "2026-11-24T09:00", ""),
        (MSK, "2026-11-24T08:00", "on tuesday at 7", "2026-12-01T07:00", ""),
        # Past days are read (and then refused by the commands), not left in the text.
        (MSK, TUE, "вчера в 10 звонил", "2026-11-23T10:00", "звонил"),
        (MSK, TUE, "позавчера", "2026-11-22T10:00", ""),
        (MSK, TUE, "yesterday", "2026-11-23T10:00", ""),
        (MSK, TUE, "Пятница 15:00 отчёт", "2026-11-27T15:00", "отчёт"),
        (MSK, TUE, "next tue", "2026-12-01T10:00", ""),
        (MSK, TUE, "on Friday at 5pm demo", "2026-11-27T17:00", "demo"),
        (MSK, TUE, "wednesday 9:15", "2026-11-25T09:15", ""),
        # English dates, times and offsets.
        (MSK, TUE, "5 December", "2026-12-05T10:00", ""),
        (MSK, TUE, "Dec 5, 2027 call Anna", "2027-12-05T10:00", "call Anna"),
        (MSK, TUE, "Jan 10", "2027-01-10T10:00", ""),
        (MSK, TUE, "5:30 pm", "2026-11-24T17:30", ""),
        (MSK, TUE, "at 9am", "2026-11-25T09:00", ""),
        (MSK, TUE, "at 12am", "2026-11-25T00:00", ""),
        (MSK, TUE, "at 17", "2026-11-24T17:00", ""),
        (MSK, TUE, "in 30 minutes", "2026-11-24T13:30", ""),
        (MSK, TUE, "in an hour ping", "2026-11-24T14:00", "ping"),
        (MSK, TUE, "in half an hour", "2026-11-24T13:30", ""),
        (MSK, TUE, "in 2 weeks", "2026-12-08T13:00", ""),
        (MSK, TUE, "in 3 working days", "2026-11-27T13:00", ""),
        (MSK, TUE, "by end of day", "2026-11-24T19:00", ""),
        (MSK, TUE, "day after tomorrow", "2026-11-26T10:00", ""),
        (MSK, TUE, "next week", "2026-11-30T10:00", ""),
        # Russian forms beyond the corpus.
        (MSK, TUE, "через два часа", "2026-11-24T15:00", ""),
        (MSK, TUE, "через полтора часа", "2026-11-24T14:30", ""),
        (MSK, TUE, "через 3 дня в 15", "2026-11-27T15:00", ""),
        (MSK, TUE, "через 2 месяца", "2027-01-24T13:00", ""),
        (MSK, "2027-01-31T09:00", "через месяц", "2027-02-28T09:00", ""),
        (MSK, TUE, "завтра до конца дня", "2026-11-25T19:00", ""),
        (MSK, TUE, "в 7 вечера", "2026-11-24T19:00", ""),
        (MSK, TUE, "в 9 утра", "2026-11-25T09:00", ""),
        (MSK, TUE, "в 13:00", "2026-11-25T13:00", ""),
        (MSK, TUE, "1 дек.", "2026-12-01T10:00", ""),
        (MSK, TUE, "20 ноября", "2027-11-20T10:00", ""),
        (MSK, TUE, "5 января 2027 г. в 12", "2027-01-05T12:00", ""),
        (MSK, TUE, "на 10.01.27", "2027-01-10T10:00", ""),
        (MSK, TUE, "+15m", "2026-11-24T13:15", ""),
        (MSK, TUE, "+1w", "2026-12-01T13:00", ""),
        (MSK, TUE, "перенести на завтра", "2026-11-25T10:00", "перенести"),
        (MSK, TUE, "завтра, в 11, позвонить", "2026-11-25T11:00", "позвонить"),
        # Numbers that are not dates or times.
        (MSK, TUE, "бюджет 150000", "-", "бюджет 150000"),
        (MSK, TUE, "10 страниц", "-", "10 страниц"),
        (MSK, TUE, "вырос в 2 раза", "-", "вырос в 2 раза"),
        (MSK, TUE, "цена 2.5 млн", "-", "цена 2.5 млн"),
        (MSK, TUE, "31.02", "-", "31.02"),
        (MSK, TUE, "в 25:00", "-", "в 25:00"),
        (MSK, TUE, "", "-", ""),
        (MSK, TUE, "in 9999 years", "-", "in 9999 years"),
        (MSK, TUE, "в 5 офисах", "-", "в 5 офисах"),
        # Working days across the RU New Year holidays (Dec 31 2026 is a day off).
        (MSK, "2026-12-30T12:00", "через 3 рабочих дня", "2027-01-13T12:00", ""),
        (MSK, "2026-12-30T12:00", "через 1 рабочий день", "2027-01-11T12:00", ""),
        # DST in Berlin: 2027-03-28 02:00 -> 03:00, 2027-10-31 03:00 -> 02:00.
        ("Europe/Berlin", "2027-03-27T02:30", "через 1 день", "2027-03-28T03:30", ""),
        ("Europe/Berlin", "2027-03-27T12:00", "завтра в 2:30", "2027-03-28T03:30", ""),
        ("Europe/Berlin", "2027-03-28T01:30", "через 1 час", "2027-03-28T03:30", ""),
        ("Europe/Berlin", "2027-10-30T12:00", "завтра в 2:30", "2027-10-31T02:30", ""),
        ("Europe/Berlin", "2027-10-30T12:00", "in 24 hours", "2027-10-31T11:00", ""),
    ],
)
def test_extra(tz: str, now: str, text: str, expected: str, rest: str) -> None:
    _check(tz, now, text, expected, rest)


def test_overlap_takes_first_occurrence() -> None:
    zone = ZoneInfo("Europe/Berlin")
    at = parse_when("завтра в 2:30", datetime(2027, 10, 30, 12, tzinfo=zone)).at
    assert at is not None
    assert at.fold == 0
    assert at.utcoffset() is not None and at.utcoffset().total_seconds() == 7200  # CEST


def test_custom_workday_and_zone() -> None:
    zone = ZoneInfo("Asia/Vladivostok")
    now = datetime(2026, 11, 24, 8, tzinfo=zone)
    found = parse_when("eod", now, workday_start=time(9), workday_end=time(18))
    assert found == When(datetime(2026, 11, 24, 18, tzinfo=zone), "")
    assert parse_when("завтра", now, workday_start=time(9)).at == datetime(
        2026, 11, 25, 9, tzinfo=zone
    )


def test_transferred_saturday_is_a_working_day() -> None:
    from datetime import date

    # RU moves a working day to Saturday 2027-02-20; Friday + 1 working day lands on it.
    assert add_working_days(date(2027, 2, 19), 1, "RU") == date(2027, 2, 20)


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        parse_when("завтра", datetime(2026, 11, 24, 13))
