"""Reading what follows a client's name in `/call`: how long, what was said, what comes next.

`/call Acme 20м обсудили бюджет, next: пт 11:00 отправить КП` reads as 20 minutes, "обсудили
бюджет" and the next step "пт 11:00 отправить КП". The duration is the first one or two words
when they are a span of time with its unit (минуты/мин/м/min/m, часы/ч/h, or h:mm);
the next step follows `next:`, `дальше:` or `далее:`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from bot.parsing.durations import parse_duration

# A call longer than this is a typo (a date or an amount), not a duration.
MAX_CALL = timedelta(hours=12)
_NEXT = re.compile(r"(?:^|[\s,;.])(?:next|дальше|далее)\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class CallText:
    """A call's duration (or None), what was said, and the next step's text (or None)."""

    duration: timedelta | None
    summary: str
    next_step: str | None


def parse_call(text: str) -> CallText:
    """Split the words after the client's name in `/call` into duration, summary and next."""
    found = _NEXT.search(text)
    head, next_step = (
        (text[: found.start()], text[found.end() :].strip()) if found else (text, None)
    )
    words = head.split()
    duration = None
    for take in (2, 1):
        if len(words) >= take:
            said = " ".join(words[:take])
            span = parse_duration(said, maximum=MAX_CALL)
            # A duration has its unit ("20м", "20 минут", "1:30"): "2 товара" is no span.
            if span is not None and not said.isdecimal():
                duration, words = span, words[take:]
                break
    summary = " ".join(words).strip(" ,;")
    return CallText(duration, summary, next_step or None)
