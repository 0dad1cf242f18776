"""Reading the `/task` line after the client's name: who does it, how urgent, what it is.

`/task Acme отчёт по рекламе @olga до пт 18:00 !` leaves «отчёт по рекламе до пт 18:00» as the
text (the caller reads the date out of it), "olga" as the assignee and urgent set.
- The assignee is the first @username (a Telegram username: a Latin letter, then letters, digits
  or underscores, 4–32 in all; 4-letter ones are sold on Fragment). Later mentions stay in the
  text, and an @ inside a word or an e-mail (a@b.com) is no mention.
- Urgent: a standalone run of "!" (or ❗/‼), or the word «срочно», "urgent" or "asap" in any case,
  with a "!" or a comma glued to it. An exclamation mark glued to a word («Привет!») stays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MENTION = re.compile(r"(?<![\w@.+\-/])@(?P<name>[A-Za-z][A-Za-z0-9_]{3,31})(?![\w@\-])[,;:]?")
_URGENT = re.compile(
    r"(?<!\S)(?:[!❗‼]\ufe0f?)+(?!\S)"
    r"|(?<![\w@#\-])(?:срочно|urgent|asap)(?![\w\-])[!.,;:❗‼\ufe0f]*",
    re.IGNORECASE,
)
# After a cut, a mark that followed the removed word joins the word before it: «для @olga_k.».
_GLUE = (".", "!", "?", ")", "…")
# Left hanging at either end once a mention or a mark is cut out: «@olga_k: отчёт», «отчёт — !».
_DANGLING = " ,;:—–-"


@dataclass(frozen=True)
class TaskText:
    """A task's words without the mention and the urgency mark, its assignee, and urgency."""

    text: str
    assignee: str | None
    urgent: bool


def split_task(text: str) -> TaskText:
    """Take the assignee and the urgency mark out of the words of a `/task` line."""
    mention = _MENTION.search(text)
    taken = mention.span() if mention else (0, 0)
    marks = [
        mark.span()
        for mark in _URGENT.finditer(text)
        if mark.end() <= taken[0] or mark.start() >= taken[1]
    ]
    cuts = sorted([taken, *marks] if mention else marks)
    words: list[str] = []
    last = 0
    for start, end in [*cuts, (len(text), len(text))]:
        piece = text[last:start].split()
        if words and piece and piece[0].startswith(_GLUE):
            words[-1] += piece.pop(0)
        words.extend(piece)
        last = end
    joined = " ".join(words)
    if cuts:
        joined = joined.strip(_DANGLING)
    return TaskText(joined, mention["name"] if mention else None, bool(marks))
