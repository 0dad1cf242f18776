"""The one source of "now" for the bot, so time logic can be tested with a fake clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Current UTC instant."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait for real."""
        await asyncio.sleep(seconds)


class FakeClock:
    """A clock that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The instant the test set."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Pass the time at once, so paced code runs instantly in tests."""
        self._now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` and return the new instant."""
        self._now += delta
        return self._now

    def set(self, instant: datetime) -> None:
        """Jump to `instant`."""
        self._now = instant.astimezone(UTC)
