"""Arbitrary text into the quick-command readers: only MoneyError escapes, results stay sane."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.calls import MAX_CALL, parse_call
from bot.parsing.durations import parse_count, parse_duration
from bot.parsing.invoices import InvoiceText, read_invoice, read_paid
from bot.parsing.money import MAX_AMOUNT, Money, MoneyError, find_money, read_money
from bot.parsing.tasks import split_task

CODES = {"no_amount", "zero", "too_big", "bad_currency", "precision"}
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")

# Pieces the readers look for, so that generated text reaches deep into the grammars rather than
# being rejected at the first character.
_TOKENS = [
    "0", "1", "5", "12", "45", "120", "000", "500", "999", "1000", "120000", "9999999999999",
    " ", "\u00a0", "\u202f", "\u2009", ",", ".", "'", "-", "−", ":", "/", "%", "(", ")",
    "₽", "$", "€", "£", "₸", "₴", "¥", "USD", "usd", "eur", "RUB", "ALL", "all", "try", "TOP",
    "xyz", "к", "k", "K", "кк", "m", "M", "тыс", "тыс.", "т.р.", "тр", "млн", "mln", "млрд", "bn",
    "трлн", "руб", "руб.", "р", "р.", "рублей", "долл", "dollars", "евро", "тенге", "грн", "юаней",
    "@olga", "@olga_k", "@ivan_petrov", "@_x", "@1abc", "a@b.com", "!", "!!", "!!!", "❗", "‼️",
    "срочно", "СРОЧНО", "urgent", "asap", "Привет!", "#12", "#45", "#INV-7", "№", "№ 12",
    "No.45", "#", "до", "к", "due", "due by", "срок", "оплата до", "pay by", "5.12", "15.12",
    "20 декабря", "пт", "18:00", "next:", "дальше:", "20м", "1:30", "минут", "ч", "отчёт",
    "по", "рекламе", "Acme", "Ромашка", "\n", "\t", "\x00", "🦄", "²", "٣", "ſ", "K", "İ",
]  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(_TOKENS) | st.text(max_size=4), max_size=30).map(" ".join),
    st.lists(st.sampled_from(_TOKENS), max_size=30).map("".join),
)
_SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)
_AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=MAX_AMOUNT, places=2)


def _sane(money: Money) -> None:
    """An amount the rest of the bot can store: positive, capped, whole cents, a known code."""
    assert Decimal(0) < money.amount <= MAX_AMOUNT
    assert money.amount == money.amount.quantize(Decimal("0.01"))
    assert money.currency is None or re.fullmatch(r"[A-Z]{3}", money.currency)


def _tidy(text: str) -> None:
    """Leftover words: no whitespace at the ends, none doubled."""
    assert text == text.strip() and "  " not in text and "\n" not in text


@_SETTINGS
@given(text=_TEXT)
def test_read_money_never_raises_anything_else(text: str) -> None:
    try:
        money, rest = read_money(text)
    except MoneyError as error:
        assert error.code in CODES
        return
    _sane(money)
    _tidy(rest)


@_SETTINGS
@given(text=_TEXT, marked=st.booleans())
def test_find_money_never_raises_anything_else(text: str, marked: bool) -> None:
    try:
        money, rest = find_money(text, marked=marked)
    except MoneyError as error:
        assert error.code in CODES - {"no_amount"}
        return
    _tidy(rest)
    if money is None:
        assert rest == " ".join(text.split())
    else:
        _sane(money)
        assert len(rest) <= len(text)  # at least the digit out, at most a space in


@_SETTINGS
@given(amount=_AMOUNTS, separator=st.sampled_from([" ", "\u00a0", "\u202f", ","]))
def test_grouped_amounts_read_back(amount: Decimal, separator: str) -> None:
    typed = f"{amount:,}".replace(",", separator)
    assert read_money(typed) == (Money(amount, None), "")
    assert read_money(f"{typed} ₽ до 5.12") == (Money(amount, "RUB"), "до 5.12")
    assert find_money(f"Acme ${typed}") == (Money(amount, "USD"), "Acme")


@_SETTINGS
@given(amount=_AMOUNTS)
def test_european_amounts_read_back(amount: Decimal) -> None:
    typed = f"{amount:,}".translate(str.maketrans(",.", ".,"))
    assert read_money(f"€{typed}") == (Money(amount, "EUR"), "")


@_SETTINGS
@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(999_999), places=2),
    multiplier=st.sampled_from([("к", 1000), ("k", 1000), (" тыс.", 1000), (" млн", 10**6)]),
)
def test_multiplied_amounts(amount: Decimal, multiplier: tuple[str, int]) -> None:
    word, factor = multiplier
    typed = f"{amount}".replace(".", ",")
    money, rest = read_money(typed + word)
    assert (money.amount, money.currency, rest) == (amount * factor, None, "")


@_SETTINGS
@given(text=_TEXT)
def test_split_task_never_raises(text: str) -> None:
    task = split_task(text)
    _tidy(task.text)
    assert task.assignee is None or USERNAME.fullmatch(task.assignee)
    if task.assignee is not None:
        assert "@" + task.assignee in text
    if not task.urgent and task.assignee is None:
        assert task.text == " ".join(text.split())


@_SETTINGS
@given(
    words=st.lists(st.sampled_from(["отчёт", "по", "рекламе", "до", "пт", "18:00"]), max_size=6),
    name=st.from_regex(USERNAME, fullmatch=True),
    urgent=st.sampled_from(["", "!", "!!!", "срочно", "ASAP"]),
    where=st.integers(min_value=0, max_value=6),
)
def test_split_task_takes_back_what_was_put_in(
    words: list[str], name: str, urgent: str, where: int
) -> None:
    line = [*words]
    line.insert(min(where, len(line)), "@" + name)
    if urgent:
        line.append(urgent)
    task = split_task(" ".join(line))
    assert (task.text, task.assignee, task.urgent) == (" ".join(words), name, bool(urgent))


@_SETTINGS
@given(text=_TEXT)
def test_read_invoice_never_raises_anything_else(text: str) -> None:
    try:
        invoice = read_invoice(text)
    except MoneyError as error:
        assert error.code in CODES
        return
    _sane(invoice.money)
    _tidy(invoice.due_text)
    _tidy(invoice.rest)
    assert invoice.number is None or 0 < len(invoice.number) <= 32


@_SETTINGS
@given(text=_TEXT)
def test_read_paid_never_raises(text: str) -> None:
    paid = read_paid(text)
    if paid.money is not None:
        _sane(paid.money)
    _tidy(paid.rest)
    assert paid.number is None or 0 < len(paid.number) <= 32


# "#" then letters, digits, - and _, not ending in "-" (a trailing "-" or "." is punctuation).
_NUMBERS = st.from_regex(r"[A-Za-z0-9](?:[A-Za-z0-9_-]{0,20}[A-Za-z0-9_])?", fullmatch=True)


@_SETTINGS
@given(amount=_AMOUNTS, number=_NUMBERS)
def test_invoice_and_payment_read_back(amount: Decimal, number: str) -> None:
    typed = f"{amount:,}".replace(",", " ")
    invoice = read_invoice(f"{typed} ₽ до 5.12 #{number}")
    assert invoice == InvoiceText(Money(amount, "RUB"), number, "до 5.12", "")
    paid = read_paid(f"#{number} {typed} ₽")
    assert (paid.number, paid.money, paid.rest) == (number, Money(amount, "RUB"), "")
    paid = read_paid(f"#{number} {typed}")
    # A bare "1.01" reads as a date (1 January), so it is no amount there.
    bare = None if re.fullmatch(r"(?:[1-9]|[12][0-9]|3[01])\.(?:0[1-9]|1[0-2])", typed) else amount
    expected = (number, Money(amount, None), "") if bare else (number, None, typed)
    assert (paid.number, paid.money, paid.rest) == expected


@_SETTINGS
@given(text=_TEXT)
def test_existing_readers_never_raise(text: str) -> None:
    call = parse_call(text)
    assert call.duration is None or timedelta(0) < call.duration <= MAX_CALL
    assert call.next_step is None or call.next_step
    span = parse_duration(text)
    assert span is None or timedelta(0) < span <= timedelta(days=366)
    count = parse_count(text)
    assert count is None or 0 < count <= 999_999
