"""How invoices read: money in Russian and English, the timeline line, /debts within
Telegram's limits, and callback data within 64 bytes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bot.i18n import make_i18n, speaking
from bot.services.invoices import aging
from bot.storage.records import Client, Invoice
from bot.views.invoices import (
    InvCb,
    debts_text,
    invoice_keyboard,
    invoice_line,
    money,
    over_keyboard,
    pick_keyboard,
)
from bot.views.limits import MAX_BUTTONS, MAX_CALLBACK_BYTES, MAX_TEXT, size

I18N = make_i18n("ru")
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NBSP = "\xa0"


def plain(text: str) -> str:
    """Non-breaking spaces (which keep an amount on one line) read as spaces."""
    return text.replace(NBSP, " ").replace("\u202f", " ")


def invoice(**changes: object) -> Invoice:
    base = Invoice(
        id=1,
        workspace_id=1,
        client_id=1,
        user_id=1,
        number="45",
        amount=Decimal("120000.00"),
        paid=Decimal(0),
        currency="RUB",
        note="",
        sent_at=NOW,
        due_at=datetime(2026, 12, 4, 16, 0, tzinfo=UTC),  # Friday 19:00 in Moscow
        state="open",
        closed_at=None,
        created_at=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def client(client_id: int, name: str) -> Client:
    return Client(
        id=client_id,
        workspace_id=1,
        name=name,
        aliases="",
        company=None,
        timezone=None,
        status="active",
        source=None,
        note="",
        owner_id=1,
        next_step=None,
        next_step_who=None,
        next_step_at=None,
        received_at=None,
        first_response_at=None,
        first_response_by=None,
        last_touch_at=None,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("amount", "currency", "ru", "en"),
    [
        ("120000", "RUB", "120 000,00 ₽", "₽120,000.00"),
        ("1200.5", "USD", "1 200,50 $", "$1,200.50"),
        ("99.99", "EUR", "99,99 €", "€99.99"),
        ("500000", "KZT", "500 000,00 ₸", "₸500,000.00"),
        ("1000", "JPY", "1 000 ¥", "¥1,000"),
        ("0.30", "RUB", "0,30 ₽", "₽0.30"),
    ],
)
def test_money_in_the_readers_locale(amount: str, currency: str, ru: str, en: str) -> None:
    assert plain(money(Decimal(amount), currency, "ru")) == ru
    assert plain(money(Decimal(amount), currency, "en")) == en


def test_money_is_exact() -> None:
    total = Decimal("0.1") + Decimal("0.2")
    assert plain(money(total, "RUB", "ru")) == "0,30 ₽"
    assert plain(money(Decimal("999999999999.99"), "USD", "en")) == "$999,999,999,999.99"


def test_the_timeline_line_in_both_languages() -> None:
    partly = invoice(paid=Decimal(50_000))
    with speaking(I18N, "en"):
        line = plain(invoice_line(partly, None, "Europe/Moscow", "en", NOW))
        assert line == "🧾 #45 ₽120,000.00 · due Fri 04.12 · partly paid, ₽70,000.00 left"
        named = plain(invoice_line(invoice(), "Acme", "Europe/Moscow", "en", NOW))
        assert named.startswith("🧾 #45 “Acme” ₽120,000.00") and "not paid yet" in named
    with speaking(I18N, "ru"):
        line = plain(invoice_line(partly, None, "Europe/Moscow", "ru", NOW))
        assert line == (
            "🧾 #45 120 000,00 ₽ · срок пт 04.12 · оплачен частично, осталось 70 000,00 ₽"
        )
        late = plain(invoice_line(partly, "Acme", "Europe/Moscow", "ru", NOW + timedelta(days=13)))
        assert "«Acme»" in late and "просрочен на 3 дня, осталось 70 000,00 ₽" in late
        undated = plain(invoice_line(invoice(due_at=None, number=None), None, "UTC", "ru", NOW))
        assert undated.startswith("🧾 от 24.11 120 000,00 ₽ · без срока оплаты")


def test_debts_of_300_clients_stay_within_limits() -> None:
    long_name = "Общество с ограниченной ответственностью «Очень длинное название» "
    clients = {i: client(i, f"{long_name}{i}") for i in range(1, 301)}
    invoices = [
        invoice(
            id=n,
            client_id=1 + n % 300,
            number=f"INV-2026/{n:05d}",
            currency=("RUB", "USD", "EUR")[n % 3],
            amount=Decimal("1234567.89"),
            due_at=NOW - timedelta(days=n % 90),
        )
        for n in range(1, 901)
    ]
    debts = aging(invoices, NOW, "Europe/Moscow")
    for lang in ("ru", "en"):
        with speaking(I18N, lang):
            text, markup = debts_text(debts, clients, lang)
        assert size(text) <= MAX_TEXT
        assert "300" in text and ("ещё" in text or "more" in text)
        assert markup is not None
        buttons = [b for row in markup.inline_keyboard for b in row]
        assert 0 < len(buttons) <= MAX_BUTTONS
        assert all(len((b.callback_data or "").encode()) <= MAX_CALLBACK_BYTES for b in buttons)


def test_no_debts_says_so_with_an_example() -> None:
    with speaking(I18N, "en"):
        text, markup = debts_text(aging([], NOW, "UTC"), {}, "en")
    assert "no unpaid invoices" in text and "/invoice" in text and markup is None


def test_callback_data_fits_64_bytes_with_the_largest_ids() -> None:
    big = 2**63 - 1
    inv = invoice(id=big, amount=Decimal("999999999999.99"), paid=Decimal(0))
    with speaking(I18N, "ru"):
        markups = [
            invoice_keyboard(inv, single=True),
            over_keyboard(big, "abcdef", inv, Decimal("1000000000000.00"), "ru"),
            pick_keyboard(
                big, "abcdef", [inv] * 12, {1: client(1, "x" * 300)}, "UTC", "ru", with_names=True
            ),
        ]
    for markup in markups:
        for row in markup.inline_keyboard:
            for button in row:
                assert len((button.callback_data or "").encode()) <= MAX_CALLBACK_BYTES
                assert len(button.text) <= 64
    assert len(markups[2].inline_keyboard) == 10  # a phone screen of choices, not all twelve
    assert InvCb.unpack(InvCb(action="pick", id=big, arg=str(big), t="abcdef").pack()).id == big
