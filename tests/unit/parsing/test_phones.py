"""Phones normalised, shown and keyed with phonenumbers, in the manager's region."""

from __future__ import annotations

import time

import pytest

from bot.parsing.phones import (
    DEFAULT_REGION,
    _check,
    find_phones,
    format_phone,
    normalize_phone,
    phone_key,
    region_code,
)


@pytest.mark.parametrize(
    ("written", "region", "e164", "shown"),
    [
        ("8 (999) 123-45-67", "RU", "+79991234567", "+7 999 123-45-67"),
        ("+7 999 123 45 67", "RU", "+79991234567", "+7 999 123-45-67"),
        ("79991234567", "RU", "+79991234567", "+7 999 123-45-67"),
        ("9991234567", "RU", "+79991234567", "+7 999 123-45-67"),
        ("+79991234567", "US", "+79991234567", "+7 999 123-45-67"),
        ("(495) 123-45-67", "RU", "+74951234567", "+7 495 123-45-67"),
        ("8 800 555 35 35", "RU", "+78005553535", "+7 800 555-35-35"),
        ("+8 999 123 45 67", "RU", "+79991234567", "+7 999 123-45-67"),  # slip for +7
        ("(212) 555-0100", "US", "+12125550100", "+1 212-555-0100"),
        ("212-555-0100", "us", "+12125550100", "+1 212-555-0100"),
        ("+44 20 7946 0958", "RU", "+442079460958", "+44 20 7946 0958"),
        ("030 1234567", "DE", "+49301234567", "+49 30 1234567"),
        ("8 701 123 4567", "KZ", "+77011234567", "+7 701 123 4567"),
        ("+7 701 123 4567", "RU", "+77011234567", "+7 701 123 4567"),
    ],
)
def test_normalise_and_show(written: str, region: str, e164: str, shown: str) -> None:
    assert normalize_phone(written, region) == e164
    assert phone_key(written, region) == e164[1:]
    assert format_phone(written, region) == shown
    assert format_phone(e164, region) == shown  # a stored value shows the same


@pytest.mark.parametrize(
    ("written", "region"),
    [
        ("бюджет 150000", "RU"),
        ("150000", "RU"),
        ("9 000 000 000", "RU"),  # an amount, though the library calls it a valid mobile
        ("7707083893", "RU"),  # an INN; the library reads it as a Kazakh mobile
        ("4951234567", "RU"),  # unbroken and not a mobile: may be an INN too
        ("8 701 123 4567", "RU"),  # a Kazakh number typed nationally is not Russian
        ("212-555-0100", "RU"),  # a US number typed nationally is not Russian
        ("+7 123 456 78 90", "RU"),  # no such Russian range
        ("+7 999 123 45", "RU"),
        ("12.05.2024", "RU"),
        ("12.05.2024", "DK"),
        ("", "RU"),
        ("tel +7 999 123 45 67 ext", "RU"),
        ("8 999 123 45 67 (whatsapp)", "RU"),
        ("²¹²⁵⁵⁵⁰¹⁰⁰", "US"),
    ],
)
def test_not_phones(written: str, region: str) -> None:
    assert normalize_phone(written, region) is None
    assert phone_key(written, region) is None
    assert format_phone(written, region) == written


def test_unknown_region_falls_back_to_default() -> None:
    assert region_code("xx") == DEFAULT_REGION == "RU"
    assert region_code(None) == "RU"
    assert region_code("de") == "DE"
    assert normalize_phone("8 999 123 45 67", "XX") == "+79991234567"


def test_find_phones_spans() -> None:
    text = "Иван 8 999 123 45 67, Пётр +1 212 555 0100, 2024 89161234567"
    found = find_phones(text)
    assert [value for _s, _e, value in found] == ["+79991234567", "+12125550100", "+79161234567"]
    assert [text[s:e] for s, e, _v in found] == [
        "8 999 123 45 67",
        "+1 212 555 0100",
        "89161234567",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "1 " * 2000,
        "12 " * 1365,
        " ".join(str(1000 + i) for i in range(800)),
        "+7 " * 1300,
        "(1) " * 1000,
        "1" * 4000,
    ],
)
def test_numbers_everywhere_stay_fast(text: str) -> None:
    find_phones("8 999 123 45 67")  # loads the region's metadata once
    timings = []
    for _ in range(3):
        _check.cache_clear()  # each round pays for every library call again
        started = time.perf_counter()
        find_phones(text)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.01
