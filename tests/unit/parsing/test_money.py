"""Amounts and currencies as people type them: groups, decimals, multipliers, symbols, words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.parsing.money import (
    BAD_CURRENCY,
    NO_AMOUNT,
    PRECISION,
    TOO_BIG,
    ZERO,
    Money,
    MoneyError,
    find_money,
    read_money,
)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("120000", "120000"),
        ("120 000", "120000"),
        ("120\u00a0000", "120000"),
        ("120\u202f000", "120000"),
        ("120\u2009000", "120000"),
        ("120,000", "120000"),
        ("120.000", "120000"),
        ("1,200,000", "1200000"),
        ("1.200.000", "1200000"),
        ("1 200 000", "1200000"),
        ("1'200'000", "1200000"),
        ("120 000,50", "120000.50"),
        ("120 000.50", "120000.50"),
        ("120,000.50", "120000.50"),
        ("120.000,50", "120000.50"),
        ("1,200.5", "1200.50"),
        ("1,5", "1.50"),
        ("1.5", "1.50"),
        ("99.99", "99.99"),
        ("99.999", "99999"),  # a single mark before exactly three digits groups thousands
        ("0.01", "0.01"),
        ("007", "7"),
        ("  500  ", "500"),
        ("1 000 000 000 000", "1000000000000"),
    ],
)
def test_numbers(text: str, amount: str) -> None:
    assert read_money(text) == (Money(Decimal(amount), None), "")


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("1,5к", "1500", None),
        ("1.5к", "1500", None),
        ("120к", "120000", None),
        ("120К", "120000", None),
        ("120k", "120000", None),
        ("120K", "120000", None),
        ("120 тыс", "120000", None),
        ("120 тыс.", "120000", None),
        ("120тыс.", "120000", None),
        ("5 тысяч", "5000", None),
        ("5 thousand", "5000", None),
        ("120 т.р.", "120000", "RUB"),
        ("120 т. р.", "120000", "RUB"),
        ("120т.р", "120000", "RUB"),
        ("120 тр", "120000", "RUB"),
        ("120тр.", "120000", "RUB"),
        ("1.2 млн", "1200000", None),
        ("1,2 млн.", "1200000", None),
        ("3 mln", "3000000", None),
        ("2 миллиона", "2000000", None),
        ("1.2m", "1200000", None),
        ("1.2M", "1200000", None),
        ("1кк", "1000000", None),
        ("2kk", "2000000", None),
        ("2 млрд", "2000000000", None),
        ("1.5bn", "1500000000", None),
        ("2 billion", "2000000000", None),
        ("1 трлн", "1000000000000", None),
        ("0.000000000001 trillion", "1", None),
        ("1.2345к", "1234.50", None),
        ("1.23456к", "1234.56", None),
        ("120 тыс. руб", "120000", "RUB"),
        ("120к₽", "120000", "RUB"),
        ("$1.2m", "1200000", "USD"),
        ("1 тыс. $", "1000", "USD"),
    ],
)
def test_multipliers(text: str, amount: str, currency: str | None) -> None:
    assert read_money(text) == (Money(Decimal(amount), currency), "")


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("₽ 120 000", "RUB"),
        ("₽120000", "RUB"),
        ("120000₽", "RUB"),
        ("120 000 ₽", "RUB"),
        ("$120000", "USD"),
        ("$ 120 000", "USD"),
        ("120000$", "USD"),
        ("120000 USD", "USD"),
        ("120000USD", "USD"),
        ("usd 120000", "USD"),
        ("USD120000", "USD"),
        ("Usd 120000", "USD"),
        ("€120000", "EUR"),
        ("120000 eur", "EUR"),
        ("EUR 120 000", "EUR"),
        ("£120000", "GBP"),
        ("₸120000", "KZT"),
        ("₴120000", "UAH"),
        ("¥120000", "CNY"),
        ("120000 руб", "RUB"),
        ("120000 руб.", "RUB"),
        ("120000руб", "RUB"),
        ("120000 р", "RUB"),
        ("120000 р.", "RUB"),
        ("120000р", "RUB"),
        ("120000 рублей", "RUB"),
        ("120000 рубля", "RUB"),
        ("120000 РУБ.", "RUB"),
        ("120000 rub", "RUB"),
        ("120000 rubles", "RUB"),
        ("120000 долл", "USD"),
        ("120000 долл.", "USD"),
        ("120000 доллар", "USD"),
        ("120000 долларов", "USD"),
        ("120000 dollars", "USD"),
        ("120000 евро", "EUR"),
        ("120000 euro", "EUR"),
        ("120000 тенге", "KZT"),
        ("120000 грн", "UAH"),
        ("120000 грн.", "UAH"),
        ("120000 гривен", "UAH"),
        ("120000 юаней", "CNY"),
        ("120000 yuan", "CNY"),
        ("120000 фунтов", "GBP"),
        ("120000 byn", "BYN"),
        ("120000 CHF", "CHF"),
        ("120000 kzt", "KZT"),
        ("120000 ALL", "ALL"),
        ("120000 TRY", "TRY"),
        ("TOP 120000", "TOP"),
        ("120000 PHP", "PHP"),
    ],
)
def test_currencies(text: str, currency: str) -> None:
    assert read_money(text) == (Money(Decimal(120000), currency), "")


@pytest.mark.parametrize(
    ("text", "amount", "currency", "rest"),
    [
        # Codes that are everyday words count only in upper case.
        ("500 all inclusive", "500", None, "all inclusive"),
        ("500 top priority", "500", None, "top priority"),
        ("500 try again", "500", None, "try again"),
        ("500 cup", "500", None, "cup"),
        ("500 mop", "500", None, "mop"),
        ("500 bob", "500", None, "bob"),
        ("500 mad", "500", None, "mad"),
        ("500 php", "500", None, "php"),
        ("500 std", "500", None, "std"),
        ("500 lsl", "500", None, "lsl"),
        ("500 for design", "500", None, "for design"),
        ("500 xyz", "500", None, "xyz"),
        ("500 USDT", "500", None, "USDT"),
        ("120 000 ₽ до 5.12 #45", "120000", "RUB", "до 5.12 #45"),
        ("120 000, до 5.12", "120000", None, "до 5.12"),
        ("120 к пятнице", "120", None, "к пятнице"),
        ("120 рублевый", "120", None, "рублевый"),
        ("120 000 000 отчётов", "120000000", None, "отчётов"),
        ("1200 100", "1200", None, "100"),
        ("12 3456", "12", None, "3456"),
        ("120 трактор", "120", None, "трактор"),
        ("1.2 m", "1.20", None, "m"),
        ("120  000", "120", None, "000"),
    ],
)
def test_rest(text: str, amount: str, currency: str | None, rest: str) -> None:
    assert read_money(text) == (Money(Decimal(amount), currency), rest)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", NO_AMOUNT),
        ("   ", NO_AMOUNT),
        ("abc", NO_AMOUNT),
        ("руб 500", NO_AMOUNT),
        ("all 500", NO_AMOUNT),
        ("до 5.12", NO_AMOUNT),
        ("20м", NO_AMOUNT),
        ("50кг", NO_AMOUNT),
        ("50%", NO_AMOUNT),
        ("5.12.2024", NO_AMOUNT),
        ("18:00", NO_AMOUNT),
        ("5-10к", NO_AMOUNT),
        ("2024/17", NO_AMOUNT),
        ("INV2024", NO_AMOUNT),
        ("$", NO_AMOUNT),
        (".5", NO_AMOUNT),
        ("٣٠٠", NO_AMOUNT),
        ("0", ZERO),
        ("0,00", ZERO),
        ("0 руб", ZERO),
        ("-500", ZERO),
        ("−500", ZERO),
        ("-$500", ZERO),
        ("$-500", ZERO),
        ("0к", ZERO),
        ("1 000 000 000 000.01", TOO_BIG),
        ("10000000000000", TOO_BIG),
        ("1001 млрд", TOO_BIG),
        ("2 000 000 млн", TOO_BIG),
        ("9" * 500, TOO_BIG),
        ("1.2345", PRECISION),
        ("99.9999", PRECISION),
        ("0.500", PRECISION),
        ("0,001", PRECISION),
        ("120 000,505", PRECISION),
        ("1.234567к", PRECISION),
        ("1." + "1" * 40 + " млрд", PRECISION),
        ("1." + "0" * 40 + "1 трлн", PRECISION),
        ("1.001 трлн", TOO_BIG),
        ("$120 руб", BAD_CURRENCY),
        ("€120 USD", BAD_CURRENCY),
        ("120 т.р. $", BAD_CURRENCY),
    ],
)
def test_refusals(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as raised:
        read_money(text)
    assert raised.value.code == code
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("text", "money", "rest"),
    [
        ("#45 50 000", Money(Decimal(50000), None), "#45"),
        ("Acme 50к", Money(Decimal(50000), None), "Acme"),
        ("Acme $200 за октябрь", Money(Decimal(200), "USD"), "Acme за октябрь"),
        ("оплатили 120 000 ₽, спасибо", Money(Decimal(120000), "RUB"), "оплатили, спасибо"),
        ("Studio 54 50к", Money(Decimal(50000), None), "Studio 54"),
        ("Studio 54", Money(Decimal(54), None), "Studio"),
        ("до 5.12 $500", Money(Decimal(500), "USD"), "до 5.12"),
        ("Acme usd 1200", Money(Decimal(1200), "USD"), "Acme"),
        ("Acme (50к)", Money(Decimal(50000), None), "Acme ()"),
        ("Acme", None, "Acme"),
        ("", None, ""),
        ("до 5.12", None, "до 5.12"),
        ("в 18:00", None, "в 18:00"),
        ("Ромашка-2 50%", None, "Ромашка-2 50%"),
        ("a 1,2,3", None, "a 1,2,3"),
        ("inv-2024", None, "inv-2024"),
    ],
)
def test_find_money(text: str, money: Money | None, rest: str) -> None:
    assert find_money(text) == (money, rest)


def test_find_money_only_marked() -> None:
    assert find_money("Acme 54 и 50к", marked=True) == (Money(Decimal(50000), None), "Acme 54 и")
    assert find_money("до 20 декабря", marked=True) == (None, "до 20 декабря")


@pytest.mark.parametrize(("text", "code"), [("Acme 0", ZERO), ("Acme 1.2345", PRECISION)])
def test_find_money_refuses_a_wrong_amount(text: str, code: str) -> None:
    with pytest.raises(MoneyError) as raised:
        find_money(text)
    assert raised.value.code == code
