"""Reading `/invoice` and `/paid` lines after the client's name: amount, number, when it is due.

`/invoice Acme 120 000 ₽ до 5.12 #45` is 120000 RUB, invoice "45", due «до 5.12»;
`/paid #45 50 000` is a payment of 50000 against invoice 45, `/paid Acme 50к` one against Acme.
- The number follows "#", "№" or "No." ("#45", "№ 12", "No.7", "#inv-2024/17"): letters, digits
  and - / _ . up to 32 characters; only the first one counts.
- The amount is bot.parsing.money's. In an invoice it stands first (the number may precede it);
  elsewhere in the line only an amount with a currency or a multiplier is taken, because a bare
  number there is more likely part of a date («до 20 декабря»).
- The due date starts at a marker — «срок», «срок оплаты», «дедлайн», "deadline", "due",
  "due date", "payment due", and «оплата»/«оплатить»/"pay"/"payable" when «до», «к», "by",
  a digit... follows — which is dropped with an English preposition after it ("due by 5.12" →
  "5.12"), or at a bare «до» (kept: the date reader knows it), «к 5.12» or "by 5.12" (a digit
  after it). It runs to a comma, a semicolon, a spaced dash or a new line; the rest is a comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.parsing.money import NO_AMOUNT, Money, MoneyError, find_money, read_money

_NUMBER = re.compile(
    r"(?<!\w)(?:[#№]\s?(?P<tag>[^\W_][\w\-/.]{0,31})|No\.\s?(?P<no>[0-9][\w\-/.]{0,31}))"
    r"(?![\w\-/.])",
    re.IGNORECASE,
)
_DUE_MARK = re.compile(
    r"(?<!\w)(?:(?:срок(?:\s+оплаты)?|дедлайн|deadline|(?:payment\s+)?due(?:\s+date)?)(?!\w)"
    r"|(?:pay(?:able|ment)?|оплат(?:а|ить|ите))"
    r"(?=\s+(?:(?:до|к|ко|by|until|before)\s|[0-9])))"
    r"\s*:?\s*(?:(?:by|on|until|before)\s+)?",
    re.IGNORECASE,
)
_DUE_START = re.compile(
    r"(?<!\w)(?:до(?![\w\-])(?=\s*\S)|ко?\s+(?=[0-9])|(?P<english>by|until|before)\s+(?=[0-9]))",
    re.IGNORECASE,
)
_DUE_STOP = re.compile(r"[,;\n]|\s[—–-]\s")
_DANGLING = " ,;:—–-"


@dataclass(frozen=True)
class InvoiceText:
    """An invoice's amount, its number (or None), when it is due ("" if unsaid) and a comment."""

    money: Money
    number: str | None
    due_text: str
    rest: str


@dataclass(frozen=True)
class PaidText:
    """A payment's invoice number, amount (None: all that is owed) and the words left over."""

    number: str | None
    money: Money | None
    rest: str


def _tidy(text: str) -> str:
    """Whitespace collapsed, no separator hanging at either end."""
    return " ".join(text.split()).strip(_DANGLING)


def _take_number(text: str) -> tuple[str | None, str]:
    """The first invoice number in the text, and the text without it."""
    found = _NUMBER.search(text)
    if found is None:
        return None, text
    number = (found["tag"] or found["no"]).rstrip(".-/")
    return number, f"{text[: found.start()]} {text[found.end() :]}"


def _split_due(text: str) -> tuple[str, str]:
    """The words that say when the invoice is due, and the rest."""
    if mark := _DUE_MARK.search(text):
        head, begin = text[: mark.start()], mark.end()
    elif start := _DUE_START.search(text):
        head, begin = text[: start.start()], start.end() if start["english"] else start.start()
    else:
        return "", _tidy(text)
    stop = _DUE_STOP.search(text, begin)
    due = _tidy(text[begin : stop.start() if stop else len(text)])
    if not due:
        return "", _tidy(text)
    return due, _tidy(f"{head} {text[stop.end() :] if stop else ''}")


def read_invoice(text: str) -> InvoiceText:
    """Amount, number, due date and comment of an `/invoice` line; MoneyError without an amount."""
    number, text = _take_number(text)
    try:
        money, text = read_money(text)
    except MoneyError as error:
        if error.code != NO_AMOUNT:
            raise
        found, text = find_money(text, marked=True)
        if found is None:
            raise
        money = found
    due, rest = _split_due(text)
    return InvoiceText(money, number, due, rest)


def read_paid(text: str) -> PaidText:
    """Number, amount and leftover words of a `/paid` line; a wrong amount stays in the words."""
    number, text = _take_number(text)
    try:
        money, text = find_money(text)
    except MoneyError:
        money = None
    return PaidText(number, money, _tidy(text))
