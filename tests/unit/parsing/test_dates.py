"""Dates and times read out of free text: the shared corpus plus cases beyond it."""

from __future__ import annotations

import time as time_module
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.parsing import dates
from bot.parsing.dates import IMPOSSIBLE, TOO_FAR, VAGUE, When, add_working_days, parse_when

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


# --- "Fit for a manager's real day": each category as a manager types it -----------------------

FRI = "2026-11-27T08:00"  # a Friday morning


@pytest.mark.parametrize(
    ("tz", "now", "text", "expected", "rest"),
    [
        # Times of day in words.
        (MSK, TUE, "в 2 часа ночи", "2026-11-25T02:00", ""),
        (
            MSK,
            TUE,
            "в 2 часа ночи позвонить в Нью-Йорк",
            "2026-11-25T02:00",
            "позвонить в Нью-Йорк",
        ),
        (MSK, TUE, "в 11 ночи", "2026-11-24T23:00", ""),
        (MSK, TUE, "в 12 ночи", "2026-11-25T00:00", ""),
        (MSK, TUE, "в 3 часа дня", "2026-11-24T15:00", ""),
        (MSK, TUE, "завтра в 3 дня", "2026-11-25T15:00", ""),
        (MSK, TUE, "в 10 утра", "2026-11-25T10:00", ""),
        (MSK, TUE, "в 9 часов утра", "2026-11-25T09:00", ""),
        (MSK, TUE, "в 7:30 вечера", "2026-11-24T19:30", ""),
        (MSK, TUE, "в полдень", "2026-11-25T12:00", ""),
        (MSK, TUE, "завтра в полдень созвон", "2026-11-25T12:00", "созвон"),
        (MSK, TUE, "к полудню", "2026-11-25T12:00", ""),
        (MSK, TUE, "в полночь", "2026-11-25T00:00", ""),
        (MSK, TUE, "до полуночи", "2026-11-25T00:00", ""),
        (MSK, TUE, "завтра в полночь", "2026-11-26T00:00", ""),
        (MSK, TUE, "в 24:00", "2026-11-25T00:00", ""),
        (MSK, TUE, "at noon", "2026-11-25T12:00", ""),
        (MSK, TUE, "tomorrow at noon", "2026-11-25T12:00", ""),
        (MSK, TUE, "noon tomorrow", "2026-11-25T12:00", ""),
        (MSK, TUE, "at midnight", "2026-11-25T00:00", ""),
        (MSK, TUE, "by midnight", "2026-11-25T00:00", ""),
        (MSK, TUE, "tonight at 9", "2026-11-24T21:00", ""),
        (MSK, TUE, "call the client tonight at 9", "2026-11-24T21:00", "call the client"),
        (MSK, TUE, "tonight at 11", "2026-11-24T23:00", ""),
        (MSK, TUE, "tonight", "2026-11-24T18:00", ""),
        (MSK, TUE, "сегодня вечером в 8", "2026-11-24T20:00", ""),
        (MSK, TUE, "сегодня вечером", "2026-11-24T18:00", ""),
        (MSK, TUE, "вечером в 7:30", "2026-11-24T19:30", ""),
        (MSK, TUE, "вечером в 11", "2026-11-24T23:00", ""),
        (MSK, TUE, "днём в 3", "2026-11-24T15:00", ""),
        (MSK, TUE, "ночью в 3", "2026-11-25T03:00", ""),
        (MSK, TUE, "at 9 in the morning", "2026-11-25T09:00", ""),
        (MSK, TUE, "at 7 in the evening", "2026-11-24T19:00", ""),
        (MSK, TUE, "at 3 in the afternoon", "2026-11-24T15:00", ""),
        (MSK, TUE, "tomorrow evening at 8", "2026-11-25T20:00", ""),
        (MSK, TUE, "at 11pm", "2026-11-24T23:00", ""),
        (MSK, TUE, "at 9 o'clock", "2026-11-25T09:00", ""),
        # Clock hours in words, halves and quarters.
        (MSK, TUE, "в восемь вечера", "2026-11-24T20:00", ""),
        (MSK, TUE, "вечером в восемь", "2026-11-24T20:00", ""),
        (MSK, TUE, "в семь утра", "2026-11-25T07:00", ""),
        (MSK, "2026-11-24T10:00", "в час позвонить", "2026-11-24T13:00", "позвонить"),
        (MSK, TUE, "в час ночи", "2026-11-25T01:00", ""),
        (MSK, TUE, "в полвосьмого вечера", "2026-11-24T19:30", ""),
        (MSK, TUE, "в половине восьмого", "2026-11-25T07:30", ""),
        (MSK, TUE, "без четверти девять", "2026-11-25T08:45", ""),
        (MSK, TUE, "в четверть девятого", "2026-11-25T08:15", ""),
        (MSK, TUE, "at half past 7 pm", "2026-11-24T19:30", ""),
        (MSK, TUE, "quarter to nine", "2026-11-25T08:45", ""),
        (MSK, TUE, "at seven pm", "2026-11-24T19:00", ""),
        (MSK, TUE, "в три этапа", "-", "в три этапа"),
        (MSK, TUE, "в два раза", "-", "в два раза"),
        # An explicit today keeps its clock even when past: the caller refuses it as past.
        (MSK, TUE, "сегодня в 9", "2026-11-24T09:00", ""),
        (MSK, "2026-11-24T07:00", "сегодня в 8", "2026-11-24T08:00", ""),
        # Fractions.
        (MSK, TUE, "через 1,5 часа", "2026-11-24T14:30", ""),
        (MSK, TUE, "через 1.5 часа", "2026-11-24T14:30", ""),
        (MSK, TUE, "через 2,5 часа позвонить", "2026-11-24T15:30", "позвонить"),
        (MSK, TUE, "через 0,5 часа", "2026-11-24T13:30", ""),
        (MSK, TUE, "через пол часа", "2026-11-24T13:30", ""),
        (MSK, TUE, "через пол-часа", "2026-11-24T13:30", ""),
        (MSK, TUE, "через 2ч", "2026-11-24T15:00", ""),
        (MSK, TUE, "через 1,5 дня", "2026-11-26T01:00", ""),
        (MSK, TUE, "через полгода", "2027-05-24T13:00", ""),
        (MSK, TUE, "in 2.5 hours", "2026-11-24T15:30", ""),
        (MSK, TUE, "in 0.5 hours", "2026-11-24T13:30", ""),
        (MSK, TUE, "через 1 час 30 минут", "2026-11-24T14:30", ""),
        (MSK, TUE, "через 2 часа и 15 минут позвонить", "2026-11-24T15:15", "позвонить"),
        (MSK, TUE, "через 1ч30м", "2026-11-24T14:30", ""),
        (MSK, TUE, "in 1 hour 30 minutes", "2026-11-24T14:30", ""),
        (MSK, TUE, "in 2 hours and 15 minutes", "2026-11-24T15:15", ""),
        (MSK, TUE, "+1h30m", "2026-11-24T14:30", ""),
        (MSK, TUE, "in 1.5h", "2026-11-24T14:30", ""),
        (MSK, TUE, "+1.5h", "2026-11-24T14:30", ""),
        (MSK, TUE, "in an hour and a half", "2026-11-24T14:30", ""),
        (MSK, TUE, "in one and a half hours", "2026-11-24T14:30", ""),
        (MSK, TUE, "через 0 минут", "-", "через 0 минут"),
        # Ordinal days of the month.
        (MSK, TUE, "25-го", "2026-11-25T10:00", ""),
        (MSK, TUE, "25го", "2026-11-25T10:00", ""),
        (MSK, TUE, "1-го числа", "2026-12-01T10:00", ""),
        (MSK, TUE, "до 5-го", "2026-12-05T10:00", ""),
        (MSK, TUE, "к 10-му", "2026-12-10T10:00", ""),
        (MSK, TUE, "25 числа", "2026-11-25T10:00", ""),
        (MSK, TUE, "на 25-е число", "2026-11-25T10:00", ""),
        (MSK, TUE, "31-го", "2026-12-31T10:00", ""),
        (MSK, TUE, "30-го в 15:00 созвон", "2026-11-30T15:00", "созвон"),
        (MSK, TUE, "24-го в 15", "2026-11-24T15:00", ""),
        (MSK, TUE, "24-го", "2026-12-24T10:00", ""),
        (MSK, "2027-01-31T12:00", "30-го", "2027-03-30T10:00", ""),
        (MSK, TUE, "on the 1st", "2026-12-01T10:00", ""),
        (MSK, TUE, "the 15th", "2026-12-15T10:00", ""),
        (MSK, TUE, "on the 3rd at 10", "2026-12-03T10:00", ""),
        (MSK, TUE, "on the 25th at 3pm", "2026-11-25T15:00", ""),
        (MSK, TUE, "by the 20th send invoice", "2026-12-20T10:00", "send invoice"),
        (MSK, TUE, "3-го этажа", "-", "3-го этажа"),
        (MSK, TUE, "the 2nd floor", "-", "the 2nd floor"),
        (MSK, TUE, "32-го", "-", "32-го"),
        # "next <weekday>" said on that weekday is a week ahead.
        (MSK, TUE, "next tuesday 3pm", "2026-12-01T15:00", ""),
        (MSK, "2026-11-24T08:00", "next tuesday", "2026-12-01T10:00", ""),
        (MSK, "2026-11-24T08:00", "в следующий вторник", "2026-12-01T10:00", ""),
        (MSK, TUE, "в следующий вторник в 15:00", "2026-12-01T15:00", ""),
        (MSK, FRI, "next friday", "2026-12-04T10:00", ""),
        (MSK, FRI, "в следующую пятницу", "2026-12-04T10:00", ""),
        (MSK, FRI, "в пятницу", "2026-11-27T10:00", ""),
        # Parts of the day read as documented hours (working day starts at 10:00 here).
        (MSK, TUE, "завтра утром", "2026-11-25T10:00", ""),
        (MSK, TUE, "завтра утром позвонить", "2026-11-25T10:00", "позвонить"),
        (MSK, TUE, "tomorrow morning", "2026-11-25T10:00", ""),
        (MSK, TUE, "утром", "2026-11-25T10:00", ""),
        (MSK, TUE, "с утра позвонить", "2026-11-25T10:00", "позвонить"),
        (MSK, TUE, "вечером", "2026-11-24T18:00", ""),
        (MSK, "2026-11-24T19:00", "вечером", "2026-11-25T18:00", ""),
        (MSK, TUE, "in the afternoon", "2026-11-24T14:00", ""),
        (MSK, TUE, "днём", "2026-11-24T14:00", ""),
        (MSK, TUE, "днем", "2026-11-24T14:00", ""),
        (MSK, TUE, "в пятницу вечером", "2026-11-27T18:00", ""),
        (MSK, TUE, "в обед", "2026-11-25T13:00", ""),
        (MSK, TUE, "после обеда", "2026-11-24T14:00", ""),
        (MSK, TUE, "к вечеру отчёт", "2026-11-24T18:00", "отчёт"),
        (MSK, TUE, "this evening", "2026-11-24T18:00", ""),
        (MSK, TUE, "this afternoon", "2026-11-24T14:00", ""),
        (MSK, TUE, "tomorrow afternoon", "2026-11-25T14:00", ""),
        (MSK, TUE, "через 2 дня утром", "2026-11-26T10:00", ""),
        (MSK, TUE, "поздно вечером", "2026-11-24T21:00", ""),
        (MSK, TUE, "рано утром", "2026-11-25T08:00", ""),
        (MSK, TUE, "с днём рождения", "-", "с днём рождения"),
        (MSK, TUE, "Good evening, Anna", "-", "Good evening, Anna"),
        (MSK, TUE, "отпуск на 3 дня", "-", "отпуск на 3 дня"),
        (MSK, TUE, "завтра ближе к вечеру", "2026-11-25T18:00", ""),
        (MSK, TUE, "под вечер", "2026-11-24T18:00", ""),
        (MSK, TUE, "ближе к обеду", "2026-11-25T13:00", ""),
        # The night after the day named: «сегодня ночью в 2» is after midnight.
        (MSK, TUE, "сегодня ночью в 2", "2026-11-25T02:00", ""),
        (MSK, TUE, "завтра ночью в 3", "2026-11-26T03:00", ""),
        # A weekday with "next week" is that weekday of next week.
        (MSK, TUE, "в пятницу на следующей неделе", "2026-12-04T10:00", ""),
        (MSK, TUE, "во вторник на следующей неделе в 15:00", "2026-12-01T15:00", ""),
        (MSK, TUE, "next week tuesday", "2026-12-01T10:00", ""),
        (MSK, TUE, "в след. вторник", "2026-12-01T10:00", ""),
        (MSK, TUE, "в следующем месяце", "2026-12-01T10:00", ""),
        (MSK, "2026-12-24T13:00", "next month call", "2027-01-01T10:00", "call"),
        (MSK, TUE, "на 15-е", "2026-12-15T10:00", ""),
        (MSK, TUE, "2-е место", "-", "2-е место"),
        # End of the working day stays what it was.
        (MSK, TUE, "eod отчёт", "2026-11-24T19:00", "отчёт"),
        (MSK, TUE, "до конца рабочего дня", "2026-11-24T19:00", ""),
        (MSK, TUE, "в течение дня", "2026-11-24T19:00", ""),
        # Long but possible offsets.
        (MSK, TUE, "через 5 лет", "2031-11-24T13:00", ""),
    ],
)
def test_real_day(tz: str, now: str, text: str, expected: str, rest: str) -> None:
    _check(tz, now, text, expected, rest)


def test_morning_is_the_start_of_the_working_day() -> None:
    now = datetime(2026, 11, 24, 13, tzinfo=ZoneInfo(MSK))
    assert parse_when("завтра утром", now, workday_start=time(9)).at == datetime(
        2026, 11, 25, 9, tzinfo=ZoneInfo(MSK)
    )
    # A working day that starts after noon has no morning in it: 10:00 then.
    assert parse_when("tomorrow morning", now, workday_start=time(13)).at == datetime(
        2026, 11, 25, 10, tzinfo=ZoneInfo(MSK)
    )


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("30.02", "30.02"),
        ("31.02 в 10 созвон", "31.02"),
        ("31.04.2027", "31.04.2027"),
        ("29.02", "29.02"),  # no 29 February within a year of 2026-11-24
        ("2027-02-29", "2027-02-29"),
        ("2026-13-01", "2026-13-01"),
        ("31 апреля", "31 апреля"),
        ("30 февраля в 10 позвонить", "30 февраля"),
        ("45 мая", "45 мая"),
        ("Feb 30", "Feb 30"),
        ("February 30th", "February 30th"),
        ("31 June", "31 June"),
        ("25:00", "25:00"),
        ("в 25:00", "в 25:00"),
        ("24:30", "24:30"),
        ("в 24:30 созвон", "в 24:30"),
        ("завтра в 23:75", "в 23:75"),
        ("at 12:60", "at 12:60"),
        ("13pm", "13pm"),
        ("at 0am", "at 0am"),
        ("в 25 часов", "в 25 часов"),
        ("в 13 утра", "в 13 утра"),
    ],
)
def test_impossible_is_refused_as_a_whole(text: str, bad: str) -> None:
    found = parse_when(text, datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK)))
    assert found == When(None, text, IMPOSSIBLE, bad)


@pytest.mark.parametrize("text", ["32.13", "счёт 2:1", "75:25", "в 10.75", "цена 31.5"])
def test_numbers_that_are_not_dates_are_not_impossible(text: str) -> None:
    found = parse_when(text, datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK)))
    assert found == When(None, text)


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("ночью", "ночью"),
        ("завтра ночью позвонить", "ночью"),
        ("at night", "at night"),
        ("tomorrow night", "night"),
    ],
)
def test_night_without_an_hour_is_vague(text: str, bad: str) -> None:
    found = parse_when(text, datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK)))
    assert found == When(None, text, VAGUE, bad)


@pytest.mark.parametrize(
    "text",
    [
        "через 9999 рабочих дней",
        "через 1569 рабочих дней",
        "in 2000 business days",
        "через 1330 рабочих дней",  # inside the quick bound: walked, then found too far
        "через 6 лет",
        "in 9999 years",
        "через 9999 дней",
        "10.01.2035",
        "5 января 2099 года",
    ],
)
def test_beyond_five_years_is_too_far(text: str) -> None:
    now = datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK))
    found = parse_when(text, now)
    assert (found.rest, found.error) == (text, TOO_FAR)
    assert found.bad
    # The moment, when computed, stays for callers that check their own limit.
    assert found.at is None or found.at - now > dates.MAX_AHEAD


def test_too_far_keeps_a_computed_moment() -> None:
    zone = ZoneInfo(MSK)
    found = parse_when("31.12.2099 23:59 позвонить", datetime(2026, 11, 24, 13, tzinfo=zone))
    assert found == When(
        datetime(2099, 12, 31, 23, 59, tzinfo=zone),
        "31.12.2099 23:59 позвонить",
        TOO_FAR,
        "31.12.2099",
    )
    unwalked = parse_when("через 9999 рабочих дней", datetime(2026, 11, 24, 13, tzinfo=zone))
    assert unwalked == When(None, "через 9999 рабочих дней", TOO_FAR, "через 9999 рабочих дней")


@pytest.mark.parametrize("text", ["через 9999 рабочих дней", "через 1400 рабочих дней"])
def test_far_working_days_are_refused_without_walking(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def walk(*args: object) -> None:
        raise AssertionError("walked the holiday calendar")

    monkeypatch.setattr(dates, "add_working_days", walk)
    found = parse_when(text, datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK)))
    assert found.error == TOO_FAR


def test_working_day_limit_refusal_is_fast() -> None:
    now = datetime.fromisoformat(TUE).replace(tzinfo=ZoneInfo(MSK))
    parse_when("через 1 рабочий день", now)  # loads the calendar once
    started = time_module.perf_counter()
    for _ in range(20):
        assert parse_when("через 9999 рабочих дней", now).error == TOO_FAR
    # A guard against counting 9,999 working days one by one, not a speed target.
    assert (time_module.perf_counter() - started) / 20 < 0.02


def test_when_stays_backward_compatible() -> None:
    zone = ZoneInfo(MSK)
    found = parse_when("завтра 10:00 позвонить", datetime(2026, 11, 24, 13, tzinfo=zone))
    assert found == When(datetime(2026, 11, 25, 10, tzinfo=zone), "позвонить")
    assert found.error is None and found.bad == ""
