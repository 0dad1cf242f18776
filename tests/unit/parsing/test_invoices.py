"""/invoice and /paid lines after the client's name: amount, number, due date, what is left."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.parsing.invoices import InvoiceText, PaidText, read_invoice, read_paid
from bot.parsing.money import BAD_CURRENCY, NO_AMOUNT, PRECISION, TOO_BIG, ZERO, Money, MoneyError


def rub(amount: int | str) -> Money:
    return Money(Decimal(amount), "RUB")


def usd(amount: int | str) -> Money:
    return Money(Decimal(amount), "USD")


def bare(amount: int | str) -> Money:
    return Money(Decimal(amount), None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("120 000 ₽ до 5.12 #45", InvoiceText(rub(120000), "45", "до 5.12", "")),
        ("120к due 15.12", InvoiceText(bare(120000), None, "15.12", "")),
        ("$1,500 #INV-7", InvoiceText(usd(1500), "INV-7", "", "")),
        (
            "50000 руб. № 12 оплата до 20 декабря",
            InvoiceText(rub(50000), "12", "до 20 декабря", ""),
        ),
        ("1.2 млн до конца месяца", InvoiceText(bare(1200000), None, "до конца месяца", "")),
        ("#45 120000", InvoiceText(bare(120000), "45", "", "")),
        ("№45 120000", InvoiceText(bare(120000), "45", "", "")),
        ("No.45 120000", InvoiceText(bare(120000), "45", "", "")),
        ("no. 45 120000", InvoiceText(bare(120000), "45", "", "")),
        ("120000 #inv-2024/17", InvoiceText(bare(120000), "inv-2024/17", "", "")),
        ("120000 #inv-2024/17.", InvoiceText(bare(120000), "inv-2024/17", "", "")),
        ("120000 #A_1.2", InvoiceText(bare(120000), "A_1.2", "", "")),
        ("120000 #45 #46", InvoiceText(bare(120000), "45", "", "#46")),
        # Due markers: dropped, with an English preposition after them; «до» and «к» are kept.
        ("120к due by 15.12", InvoiceText(bare(120000), None, "15.12", "")),
        ("120к due: 15.12", InvoiceText(bare(120000), None, "15.12", "")),
        ("120к due date 15.12", InvoiceText(bare(120000), None, "15.12", "")),
        ("120к payment due Dec 15", InvoiceText(bare(120000), None, "Dec 15", "")),
        ("120к pay by 5.12", InvoiceText(bare(120000), None, "5.12", "")),
        ("120к payable until Friday", InvoiceText(bare(120000), None, "Friday", "")),
        ("120к deadline 5.12", InvoiceText(bare(120000), None, "5.12", "")),
        ("120к срок 5.12", InvoiceText(bare(120000), None, "5.12", "")),
        ("120к срок: 5.12", InvoiceText(bare(120000), None, "5.12", "")),
        ("120к срок до 5.12", InvoiceText(bare(120000), None, "до 5.12", "")),
        ("120к срок оплаты до 5.12", InvoiceText(bare(120000), None, "до 5.12", "")),
        ("120к дедлайн пятница", InvoiceText(bare(120000), None, "пятница", "")),
        ("120к оплата до 5.12", InvoiceText(bare(120000), None, "до 5.12", "")),
        ("120к оплатить к 5.12", InvoiceText(bare(120000), None, "к 5.12", "")),
        ("120к оплата 5.12", InvoiceText(bare(120000), None, "5.12", "")),
        ("120к до 5.12", InvoiceText(bare(120000), None, "до 5.12", "")),
        ("120к к 5.12", InvoiceText(bare(120000), None, "к 5.12", "")),
        ("$500 by 15.12", InvoiceText(usd(500), None, "15.12", "")),
        ("$500 until 15 Dec", InvoiceText(usd(500), None, "15 Dec", "")),
        # The due date ends at a comma, a semicolon or a spaced dash; the rest is a comment.
        ("120к срок: 5.12, аванс 50%", InvoiceText(bare(120000), None, "5.12", "аванс 50%")),
        ("120к до 5.12; за октябрь", InvoiceText(bare(120000), None, "до 5.12", "за октябрь")),
        ("120к до 5.12 — за октябрь", InvoiceText(bare(120000), None, "до 5.12", "за октябрь")),
        ("120к аванс до 5.12", InvoiceText(bare(120000), None, "до 5.12", "аванс")),
        ("120 000 за дизайн", InvoiceText(bare(120000), None, "", "за дизайн")),
        ("$500 for the design by Olga", InvoiceText(usd(500), None, "", "for the design by Olga")),
        ("120к оплата частями", InvoiceText(bare(120000), None, "", "оплата частями")),
        ("120к due", InvoiceText(bare(120000), None, "", "due")),
        ("120к, до", InvoiceText(bare(120000), None, "", "до")),
        # An amount later in the line needs a currency or a multiplier.
        ("до 5.12 $500", InvoiceText(usd(500), None, "до 5.12", "")),
        ("счёт на 120к до 5.12", InvoiceText(bare(120000), None, "до 5.12", "счёт на")),
    ],
)
def test_read_invoice(text: str, expected: InvoiceText) -> None:
    assert read_invoice(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", NO_AMOUNT),
        ("#45", NO_AMOUNT),
        ("до 20 декабря", NO_AMOUNT),
        ("счёт на 120000", NO_AMOUNT),
        ("за дизайн", NO_AMOUNT),
        ("0 руб до 5.12", ZERO),
        ("-500", ZERO),
        ("#45 1.2345", PRECISION),
        ("2 трлн", TOO_BIG),
        ("2000 млрд", TOO_BIG),
        ("$120 руб", BAD_CURRENCY),
        ("счёт 0к", ZERO),
    ],
)
def test_read_invoice_refuses(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as raised:
        read_invoice(text)
    assert raised.value.code == code


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#45", PaidText("45", None, "")),
        ("#45 50 000", PaidText("45", bare(50000), "")),
        ("#45 50к", PaidText("45", bare(50000), "")),
        ("№45 $200", PaidText("45", usd(200), "")),
        ("№ 45 200 руб", PaidText("45", rub(200), "")),
        ("No.45", PaidText("45", None, "")),
        ("Acme 50к", PaidText(None, bare(50000), "Acme")),
        ("Acme 50 000 ₽", PaidText(None, rub(50000), "Acme")),
        ("Acme", PaidText(None, None, "Acme")),
        ("ООО «Ромашка» 50000", PaidText(None, bare(50000), "ООО «Ромашка»")),
        ("Studio 54 50к", PaidText(None, bare(50000), "Studio 54")),
        ("#45 полностью", PaidText("45", None, "полностью")),
        ("", PaidText(None, None, "")),
        # A wrong amount is no amount: its words stay for the caller.
        ("Acme 0", PaidText(None, None, "Acme 0")),
        ("#45 1.2345", PaidText("45", None, "1.2345")),
        ("Acme $120 руб", PaidText(None, None, "Acme $120 руб")),
    ],
)
def test_read_paid(text: str, expected: PaidText) -> None:
    assert read_paid(text) == expected
