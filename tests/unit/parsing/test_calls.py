"""What follows a client's name in /call: duration, summary, next step."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing.calls import parse_call


@pytest.mark.parametrize(
    ("text", "minutes", "summary", "next_step"),
    [
        (
            "20м обсудили бюджет, next: пт 11:00 отправить КП",
            20,
            "обсудили бюджет",
            "пт 11:00 отправить КП",
        ),
        ("20 минут обсудили бюджет", 20, "обсудили бюджет", None),
        ("1:30 бриф", 90, "бриф", None),
        ("1ч", 60, "", None),
        (
            "обсудили бюджет дальше: завтра в 12 договор",
            None,
            "обсудили бюджет",
            "завтра в 12 договор",
        ),
        (
            "agreed on the brief, Next: fri 3pm send the deck",
            None,
            "agreed on the brief",
            "fri 3pm send the deck",
        ),
        ("", None, "", None),
        ("2 товара не подошли", None, "2 товара не подошли", None),
    ],
)
def test_call_text(text: str, minutes: int | None, summary: str, next_step: str | None) -> None:
    found = parse_call(text)
    assert found.duration == (timedelta(minutes=minutes) if minutes else None)
    assert (found.summary, found.next_step) == (summary, next_step)


@given(st.text(max_size=500))
def test_any_text_is_read_without_error(text: str) -> None:
    found = parse_call(text)
    assert found.duration is None or timedelta(0) < found.duration <= timedelta(hours=12)
