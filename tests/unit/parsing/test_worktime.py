"""Working and quiet hours as users type them."""

from __future__ import annotations

import pytest

from bot.parsing.worktime import Hours, in_window, parse_hours, parse_quiet


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
