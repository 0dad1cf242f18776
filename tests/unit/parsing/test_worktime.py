"""Working and quiet hours as users type them."""

from __future__ import annotations

import pytest

from bot.parsing.worktime import (
    OVERNIGHT,
    UNREADABLE,
    Hours,
    in_window,
    parse_hours,
    parse_quiet,
    parse_window,
    read_hours,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10-19", Hours("12345", 600, 1140)),
        ("10:00–19:00", Hours("12345", 600, 1140)),
        ("пн-пт 10-19", Hours("12345", 600, 1140)),
        ("Пн–Сб 9:30-18", Hours("123456", 570, 1080)),
        ("mon-fri 9-17", Hours("12345", 540, 1020)),
        ("пн, ср, пт 10-16", Hours("135", 600, 960)),
        ("сб-вт 10-19", Hours("1267", 600, 1140)),
        ("9 до 18", Hours("12345", 540, 1080)),
    ],
)
def test_parse_hours(text: str, expected: Hours) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize("text", ["", "утром", "19-10", "10-25", "10:70-19", "хз-пт 10-19", "10"])
def test_bad_hours(text: str) -> None:
    assert parse_hours(text) is None


def test_quiet_hours_cross_midnight() -> None:
    assert parse_quiet("22-8") == (1320, 480)
    assert parse_quiet("выкл") is False
    assert parse_quiet("вечером") is None
    assert in_window(23 * 60, 1320, 480) and in_window(7 * 60, 1320, 480)
    assert not in_window(12 * 60, 1320, 480)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("с 9 до 18", Hours("12345", 540, 1080)),
        ("от 9 до 18", Hours("12345", 540, 1080)),
        ("9-18", Hours("12345", 540, 1080)),
        ("9 - 18", Hours("12345", 540, 1080)),
        ("9:30–18", Hours("12345", 570, 1080)),
        ("9.30-18.00", Hours("12345", 570, 1080)),
        ("с 9:00 до 18:00", Hours("12345", 540, 1080)),
        ("9ч-18ч", Hours("12345", 540, 1080)),
        ("с 10 утра до 7 вечера", Hours("12345", 600, 1140)),
        ("9am-6pm", Hours("12345", 540, 1080)),
        ("9 am – 6 pm", Hours("12345", 540, 1080)),
        ("9-6pm", Hours("12345", 540, 1080)),
        ("1-5pm", Hours("12345", 780, 1020)),
        ("from 9 to 17", Hours("12345", 540, 1020)),
        ("between 9 and 17", Hours("12345", 540, 1020)),
        ("10pm-12am", Hours("12345", 1320, 1440)),
        ("пн-пт 10-19", Hours("12345", 600, 1140)),
        ("пн-пт с 9 до 18", Hours("12345", 540, 1080)),
        ("пн.-пт. 9-18", Hours("12345", 540, 1080)),
        ("пн-пт, 9-18", Hours("12345", 540, 1080)),
        ("mon-fri 9am-5pm", Hours("12345", 540, 1020)),
        ("будни 9-18", Hours("12345", 540, 1080)),
        ("ежедневно 10-22", Hours("1234567", 600, 1320)),
        ("every day 10-22", Hours("1234567", 600, 1320)),
        ("выходные 11-16", Hours("67", 660, 960)),
    ],
)
def test_more_ways_to_write_hours(text: str, expected: Hours) -> None:
    assert parse_hours(text) == expected


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("from 11pm to 7am", (1380, 420)),
        ("11pm-7am", (1380, 420)),
        ("11pm-7", (1380, 420)),
        ("11-7am", (1380, 420)),
        ("с 23 до 7", (1380, 420)),
        ("с 11 вечера до 7 утра", (1380, 420)),
        ("с 22 до 12 ночи", (1320, 1440)),
        ("22:00-7:30", (1320, 450)),
    ],
)
def test_overnight_windows(text: str, window: tuple[int, int]) -> None:
    assert parse_window(text) == window
    assert parse_quiet(text) == window
    # Working hours never cross midnight: refused, with the reason for the caller.
    if window[0] > window[1]:
        assert read_hours(text) == (None, OVERNIGHT)
        assert parse_hours(text) is None


@pytest.mark.parametrize(
    "text", ["13pm-5pm", "0am-5am", "9-25", "с 9", "до 18", "9-18-20", "x" * 500]
)
def test_unreadable_windows(text: str) -> None:
    assert parse_window(text) is None
    assert read_hours(text) == (None, UNREADABLE)


def test_read_hours_reports_success() -> None:
    assert read_hours("пн-пт с 9 до 18") == (Hours("12345", 540, 1080), None)
