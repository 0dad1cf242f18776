"""Spans of time (/sla) and plain counts (/silent) as people type them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.parsing.durations import parse_count, parse_duration

M = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10 минут", 10 * M),
        ("10 мин", 10 * M),
        ("10 мин.", 10 * M),
        ("1 минуту", M),
        ("минуту", M),
        ("15m", 15 * M),
        ("15 m", 15 * M),
        ("15 min", 15 * M),
        ("15 minutes", 15 * M),
        ("1.5 h", 90 * M),
        ("1,5 часа", 90 * M),
        ("1.5 hours", 90 * M),
        ("полчаса", 30 * M),
        ("пол часа", 30 * M),
        ("полтора часа", 90 * M),
        ("half an hour", 30 * M),
        ("an hour and a half", 90 * M),
        ("час", 60 * M),
        ("an hour", 60 * M),
        ("2 ч", 120 * M),
        ("2ч", 120 * M),
        ("2 hours", 120 * M),
        ("два часа", 120 * M),
        ("90s", timedelta(seconds=90)),
        ("90 сек", timedelta(seconds=90)),
        ("PT15M", 15 * M),
        ("pt1h30m", 90 * M),
        ("PT1.5H", 90 * M),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P2W", timedelta(weeks=2)),
        ("15", 15 * M),
        (" 15 ", 15 * M),
        ("1h30m", 90 * M),
        ("1 ч 30 мин", 90 * M),
        ("1 час и 30 минут", 90 * M),
        ("2 hours, 15 minutes", 135 * M),
        ("1:30", 90 * M),
        ("3 дня", timedelta(days=3)),
        ("2 недели", timedelta(weeks=2)),
        ("ДЕСЯТЬ МИНУТ", 10 * M),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "0",
        "0 минут",
        "PT0M",
        "-5",
        "-5 минут",
        "²",
        "¹⁴",
        "5²",
        "²⁰ минут",
        "١٥",  # Arabic-Indic digits: int() would read them, people here do not type them
        "1e5",
        "9999999",
        "1" * 4000,
        "5 месяцев",
        "1 year",
        "P1M",
        "P",
        "PT",
        "P1DT",
        "10 mango",
        "abc",
        "через 10 минут",
        "400 дней",  # beyond the default maximum of 366 days
        "1:75",
    ],
)
def test_not_durations(text: str) -> None:
    assert parse_duration(text) is None


def test_bare_unit_and_maximum() -> None:
    assert parse_duration("14", bare_unit="days") == timedelta(days=14)
    assert parse_duration("2", bare_unit="hours") == timedelta(hours=2)
    assert parse_duration("3 часа", maximum=timedelta(hours=2)) is None
    assert parse_duration("2 часа", maximum=timedelta(hours=2)) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("text", "expected"), [("14", 14), (" 7 ", 7), ("007", 7), ("999999", 999999)]
)
def test_counts(text: str, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "0", "-1", "+3", "1.5", "1 000", "14 дней", "²", "¹⁴", "٣", "1000000", "1" * 4000, "x"],
)
def test_not_counts(text: str) -> None:
    assert parse_count(text) is None


def test_count_maximum() -> None:
    assert parse_count("90", maximum=90) == 90
    assert parse_count("91", maximum=90) is None
