"""Pacing under Telegram's send limits: overall, per private chat and per group."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

from bot.clock import Clock

# A Clock tells time in whole microseconds: a shorter wait would pass no time at all (a fake
# clock would then never refill the bucket it waits for), so waits are rounded up to it.
RESOLUTION = 1e-6
# Refills are sums of floats; a token short by rounding alone counts as whole.
EPSILON = 1e-9


@dataclass
class _Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` saved up; below zero when
    tokens are booked ahead of time."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last look."""
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait(self, now: float) -> float:
        """Seconds until one token is free (0 if one is free now)."""
        self.refill(now)
        short = 1.0 - self.tokens
        if short <= EPSILON:
            return 0.0
        return math.ceil(short / self.rate / RESOLUTION) * RESOLUTION

    def take(self) -> None:
        """Spend one token (possibly one not earned yet: a booking)."""
        self.tokens -= 1


class RateLimiter:
    """Telegram's published limits: ~30/s overall, ~1/s per chat with bursts, 20/min per group.

    A sender first waits until its chat may send (`chat_wait`), then books the next overall
    slot (`book`) and sends when it comes: slots go in the order they are booked, and nobody
    waiting for one competes for it again.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        global_rate: float = 30.0,
        chat_rate: float = 1.0,
        chat_burst: float = 3.0,
        group_per_minute: float = 20.0,
        max_chats: int = 50_000,
    ) -> None:
        self.clock = clock
        self.global_rate = global_rate
        self.chat_rate = chat_rate
        self.chat_burst = chat_burst
        self.group_rate = group_per_minute / 60.0
        self.max_chats = max_chats
        # Seconds from here, as exact microseconds: epoch timestamps (~1.8e9) lose precision.
        self._epoch = clock.now()
        burst = max(1.0, global_rate)
        self._global = _Bucket(global_rate, burst, burst, 0.0)
        # LRU so memory stays bounded however many chats we ever wrote to.
        self._chats: OrderedDict[int, _Bucket] = OrderedDict()

    def _t(self) -> float:
        return (self.clock.now() - self._epoch).total_seconds()

    def _chat(self, chat_id: int, now: float) -> _Bucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if chat_id < 0:  # groups and channels have negative ids
                bucket = _Bucket(self.group_rate, 3.0, 3.0, now)
            else:
                bucket = _Bucket(self.chat_rate, self.chat_burst, self.chat_burst, now)
            self._chats[chat_id] = bucket
            if len(self._chats) > self.max_chats:
                self._chats.popitem(last=False)
        else:
            self._chats.move_to_end(chat_id)
        return bucket

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until the chat's own limit lets one more message go (0: now)."""
        now = self._t()
        return self._chat(chat_id, now).wait(now)

    def overall_wait(self) -> float:
        """Seconds until the next overall slot nobody has booked yet (0: now)."""
        return self._global.wait(self._t())

    def book(self, chat_id: int) -> float:
        """Take the chat's token and book the next overall slot; seconds until that slot."""
        now = self._t()
        chat = self._chat(chat_id, now)
        chat.refill(now)
        wait = self._global.wait(now)
        chat.take()
        self._global.take()
        return wait

    def refused(self, chat_id: int, retry_after: float) -> None:
        """Telegram answered 429 for this chat: hold the chat for exactly `retry_after` seconds."""
        # The refused request delivered nothing, so its token goes back to the overall budget:
        # one chat's flood control must not slow every other chat down.
        now = self._t()
        chat = self._chat(chat_id, now)
        chat.refill(now)
        # One token is free again when retry_after has passed, not a token's worth later.
        chat.tokens = min(chat.tokens, 1.0 - retry_after * chat.rate)
        self._global.refill(now)
        self._global.tokens = min(self._global.burst, self._global.tokens + 1)
