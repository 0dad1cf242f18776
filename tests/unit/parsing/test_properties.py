"""Arbitrary text into every reader of typed input: no exception escapes, results stay sane."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parsing.dates import IMPOSSIBLE, MAX_AHEAD, TOO_FAR, VAGUE, parse_when
from bot.parsing.durations import parse_count, parse_duration
from bot.parsing.leadtext import parse_lead_text
from bot.parsing.phones import find_phones, format_phone, normalize_phone, phone_key
from bot.parsing.worktime import parse_hours, parse_quiet, parse_window, read_hours

# Pieces the readers look for, so that generated text reaches deep into the grammars rather than
# being rejected at the first character.
_WORDS = [
    "через", "в", "во", "к", "до", "на", "at", "by", "on", "the", "in", "next", "следующий",
    "завтра", "сегодня", "tomorrow", "tonight", "утром", "вечером", "ночью", "днём", "полдень",
    "полночь", "noon", "midnight", "часа", "ночи", "вечера", "утра", "pm", "am", "o'clock",
    "минут", "мин", "ч", "h", "m", "s", "рабочих", "дней", "дня", "лет", "years", "месяца",
    "полчаса", "полтора", "1,5", "2.5", "25-го", "числа", "1st", "15th", "30.02", "25:00",
    "24:00", "31", "апреля", "Feb", "декабря", "вторник", "tuesday", "пн-пт", "с", "по", "-",
    "–", ":", ".", ",", "+", "+7", "8", "999", "123-45-67", "(495)", "@", "@ivan_petrov",
    "ivan@mail.ru", "t.me/", "https://", "www.", "site.ru", "меня зовут", "Иван", "«", "»",
    "(", ")", '"', "🦄", "²", "¹⁴", "٣", "PT15M", "P1DT", "9999", "0", "-5", "\n", "\x00",
]  # fmt: skip
_TEXT = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(_WORDS) | st.text(max_size=4), max_size=30).map(" ".join),
    st.lists(st.sampled_from(_WORDS), max_size=30).map("".join),
)
_ZONES = st.sampled_from(
    ["Europe/Moscow", "Asia/Vladivostok", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati"]
)
_NOW = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31))
# NUDGE_FUZZ_EXAMPLES=5000 for a longer hunt; 300 keeps the suite quick.
_SETTINGS = settings(
    max_examples=int(os.environ.get("NUDGE_FUZZ_EXAMPLES", "300")),
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(text=_TEXT, zone=_ZONES, now=_NOW, country=st.sampled_from(["RU", "US", "DE", "XX"]))
def test_parse_when_never_raises(text: str, zone: str, now: datetime, country: str) -> None:
    aware = now.replace(tzinfo=ZoneInfo(zone))
    found = parse_when(text, aware, country=country)
    if found.error is not None:
        assert found.error in (IMPOSSIBLE, TOO_FAR, VAGUE)
        assert found.rest == " ".join(text.split()) and found.bad
        assert found.at is None or found.error == TOO_FAR
    if found.at is not None:
        assert found.at.tzinfo is not None
        ahead = found.at.astimezone(UTC) - aware.astimezone(UTC)
        assert (ahead > MAX_AHEAD) == (found.error == TOO_FAR)


@_SETTINGS
@given(text=_TEXT, region=st.sampled_from(["RU", "US", "DE", "KZ", "xx", ""]))
def test_parse_lead_text_never_raises(text: str, region: str) -> None:
    lead = parse_lead_text(text, region=region)
    # A name, when there is one, has a letter and no contact in it.
    assert lead.name == "" or any(char.isalpha() for char in lead.name)
    assert "\x00" not in lead.name + lead.note
    for contact in lead.contacts:
        if contact.kind == "phone":
            assert contact.value.startswith("+") and contact.value[1:].isdigit()


@_SETTINGS
@given(text=_TEXT, region=st.sampled_from(["RU", "US", "DE", "xx"]))
def test_phone_helpers_never_raise(text: str, region: str) -> None:
    for start, end, value in find_phones(text, region):
        assert 0 <= start < end <= len(text) and value.startswith("+")
    key = phone_key(text, region)
    assert key is None or key.isdigit()
    assert isinstance(format_phone(text, region), str)
    assert normalize_phone(text, region) in (None, None if key is None else "+" + key)


@_SETTINGS
@given(text=_TEXT, unit=st.sampled_from(["seconds", "minutes", "hours", "days", "weeks"]))
def test_parse_duration_never_raises(text: str, unit: str) -> None:
    found = parse_duration(text, bare_unit=unit)
    assert found is None or timedelta(0) < found <= timedelta(days=366)


@_SETTINGS
@given(text=_TEXT | st.from_regex(r"\A\s*[0-9²³¹⁰-⁹٠-٩]{0,12}\s*\Z"))
def test_parse_count_never_raises(text: str) -> None:
    found = parse_count(text)
    assert found is None or 0 < found <= 999_999


@_SETTINGS
@given(text=_TEXT)
def test_hours_readers_never_raise(text: str) -> None:
    hours = parse_hours(text)
    assert hours is None or 0 <= hours.start_min < hours.end_min <= 1440
    read, error = read_hours(text)
    assert (read is None) != (error is None)
    window = parse_window(text)
    assert window is None or all(0 <= m <= 1440 for m in window)
    assert parse_quiet(text) in (False, None, window)
