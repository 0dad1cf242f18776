"""Telegram's limits on what the bot sends, and the ways views stay inside them."""

from __future__ import annotations

from collections.abc import Callable

# Telegram refuses (400) a message beyond these; a refused message is lost to the manager.
MAX_TEXT = 4096
MAX_BUTTONS = 100
MAX_CALLBACK_BYTES = 64
# Pickers and lists: a phone screen, not the whole database.
MAX_CHOICES = 10
# How much of a name or a free text a line of a list shows.
NAME = 60
LINE_TEXT = 200
LONG_TEXT = 1500
# Room kept under MAX_TEXT for a "…and N more" line and small additions after fitting.
_RESERVE = 200


def size(text: str) -> int:
    """A message's length as Telegram counts it at the most: UTF-16 code units of the whole
    HTML, tags included (after parsing they only get shorter)."""
    return len(text.encode("utf-16-le")) // 2


def shorten(text: str, limit: int) -> str:
    """Raw user text cut to at most `limit` characters, ending with "…" if it was cut.

    Cut before escaping, so no HTML entity or tag is ever split."""
    text = text.strip()
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def fit(
    head: list[str],
    items: list[str],
    more: Callable[[int], str],
    *,
    tail: list[str] | None = None,
    limit: int = MAX_TEXT,
) -> tuple[str, int]:
    """`head`, then as many `items` as fit, then `more(n)` for the n left out, then `tail`;
    joined by newlines and within `limit`. Returns the text and how many items it shows."""
    tail = tail or []
    budget = limit - _RESERVE - sum(size(line) + 1 for line in head + tail)
    shown: list[str] = []
    for item in items:
        cost = size(item) + 1
        if cost > budget:
            break
        shown.append(item)
        budget -= cost
    lines = head + shown
    left = len(items) - len(shown)
    if left:
        lines.append(more(left))
    return "\n".join(lines + tail), len(shown)


def chunks(
    text: str, limit: int = MAX_TEXT - _RESERVE, measure: Callable[[str], int] = size
) -> list[str]:
    """Raw text split into pieces whose `measure` (e.g. the size once escaped) is at most
    `limit`, at line breaks where possible (for reading a long note whole)."""
    parts: list[str] = []
    rest = text.strip()
    while measure(rest) > limit:
        cut = min(len(rest), limit)
        while cut > 1 and measure(rest[:cut]) > limit:
            cut = cut * 9 // 10
        newline = rest.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline
        parts.append(rest[:cut])
        rest = rest[cut:].strip()
    if rest:
        parts.append(rest)
    return parts
