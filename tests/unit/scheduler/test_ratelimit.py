"""Pacing: overall slots booked in order, and no wait too short for a clock to pass."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FakeClock
from bot.scheduler.ratelimit import RateLimiter

T = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_booked_slots_follow_one_another_at_the_overall_rate() -> None:
    clock = FakeClock(T)
    limiter = RateLimiter(clock, global_rate=30.0)
    assert [limiter.book(chat) for chat in range(30)] == [0.0] * 30  # the saved-up second
    waits = [limiter.book(chat) for chat in range(30, 90)]
    assert waits == sorted(waits) and len(set(waits)) == 60  # each its own slot, in order
    assert waits[-1] == pytest.approx(60 / 30, abs=1e-4)


def test_a_wait_once_waited_out_on_a_fake_clock_frees_the_slot() -> None:
    """After sleeping exactly the wait it was told, a sender finds its slot free."""
    # Float error once left waits of a fraction of a microsecond, which a clock counting
    # microseconds never passes: the sender asked again and again, forever.
    clock = FakeClock(T)
    limiter = RateLimiter(clock, global_rate=30.0)
    for chat in range(30):
        limiter.book(chat)
    for chat in range(30, 300):
        wait = limiter.overall_wait()
        assert wait >= 1e-6
        clock.advance(timedelta(seconds=wait))
        assert limiter.overall_wait() == 0.0
        assert limiter.book(chat) == 0.0


def test_a_chat_waits_for_its_own_limit_and_a_429_for_exactly_retry_after() -> None:
    clock = FakeClock(T)
    limiter = RateLimiter(clock, global_rate=30.0, chat_rate=1.0, chat_burst=3.0)
    for _ in range(3):
        assert limiter.chat_wait(7) == 0.0
        limiter.book(7)
    assert limiter.chat_wait(7) == pytest.approx(1.0)
    assert limiter.chat_wait(8) == 0.0  # another chat is not held up
    limiter.refused(8, 5)
    assert limiter.chat_wait(8) == pytest.approx(5.0)
    for chat in range(100, 128):  # the rest of the overall budget (chat 8 gave one back)
        limiter.book(chat)
    assert limiter.overall_wait() > 0
    limiter.refused(9, 1)  # a refused send gives its overall slot back
    assert limiter.overall_wait() == 0.0
