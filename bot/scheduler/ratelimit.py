"""Pacing under Telegram's send limits: overall, per private chat and per group."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from bot.clock import Clock


@dataclass
class _Bucket:
    """A token bucket: `rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float
    stamp: float

    def wait(self, now: float) -> float:
        """Seconds until one token is free (0 if one is free now)."""
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        """Spend one token."""
        self.tokens -= 1


class RateLimiter:
    """Telegram's published limits: ~30/s overall, ~1/s per chat with bursts, 20/min per group."""

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
        now = self._t()
        self._global = _Bucket(global_rate, max(1.0, global_rate), max(1.0, global_rate), now)
        # LRU so memory stays bounded however many chats we ever wrote to.
        self._chats: OrderedDict[int, _Bucket] = OrderedDict()

    def _t(self) -> float:
        return self.clock.now().timestamp()

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

    def acquire(self, chat_id: int) -> float:
        """Take a slot for one message to `chat_id`, or say how many seconds to wait first."""
        now = self._t()
        chat = self._chat(chat_id, now)
        wait = max(chat.wait(now), self._global.wait(now))
        if wait > 0:
            return wait
        chat.take()
        self._global.take()
        return 0.0

    def refused(self, chat_id: int, retry_after: float) -> None:
        """Telegram answered 429 for this chat: hold the chat for exactly `retry_after` seconds."""
        # The refused request delivered nothing, so its token goes back to the overall budget:
        # one chat's flood control must not slow every other chat down.
        now = self._t()
        chat = self._chat(chat_id, now)
        chat.wait(now)
        # One token is free again when retry_after has passed, not a token's worth later.
        chat.tokens = min(chat.tokens, 1.0 - retry_after * chat.rate)
        self._global.wait(now)
        self._global.tokens = min(self._global.burst, self._global.tokens + 1)
