"""Website intake rules: reading a site's form into a lead, secrets, ids and failed-try limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.intake import (
    FailureLimiter,
    IntakeError,
    client_key,
    fingerprint,
    lead_ref,
    plausible_secret,
    secret_matches,
    validate,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_validate_builds_the_lead_and_keeps_unknown_fields() -> None:
    form = validate(
        {"name": "Иван", "phone": "8 (999) 123-45-67", "message": "Лендинг", "budget": "100к"}
    )
    assert form.lead.name == "Иван"
    assert [c.value for c in form.lead.contacts] == ["+79991234567"]
    assert form.lead.note == "Лендинг\nbudget: 100к"
    assert form.source == "website"


def test_site_builder_field_names_are_understood_in_any_case() -> None:
    form = validate(
        {
            "Name": "Ольга",
            "Phone": "+7 999 000-11-22",
            "E-mail": "Olga@Example.com",
            "Comment": "Нужен аудит",
            "formid": "form123",
            "g-recaptcha-response": "x" * 1500,
            "_wpcf7": "42",
        }
    )
    assert form.lead.name == "Ольга"
    assert [c.value for c in form.lead.contacts] == ["+79990001122", "olga@example.com"]
    assert form.lead.note == "Нужен аудит"


def test_russian_form_builder_field_names() -> None:
    form = validate({"Имя": "Пётр", "Телефон": "89991112233", "Сообщение": "Сайт"})
    assert form.lead.name == "Пётр"
    assert [c.value for c in form.lead.contacts] == ["+79991112233"]
    assert form.lead.note == "Сайт"


def test_utm_tags_make_the_source_and_the_rest_go_to_notes() -> None:
    form = validate(
        {
            "phone": "+79991234567",
            "UTM_SOURCE": "yandex",
            "utm_medium": "cpc",
            "utm_campaign": "spring",
            "utm_term": "сайт под ключ",
        }
    )
    assert form.source == "website · yandex / cpc / spring"
    assert form.lead.note == "utm_term: сайт под ключ"


def test_a_contact_without_a_name_makes_a_lead() -> None:
    form = validate({"email": "lead@example.com"})
    assert form.lead.name == ""  # create_lead names it by its first contact
    assert [c.value for c in form.lead.contacts] == ["lead@example.com"]


def test_a_message_alone_names_the_lead_by_its_first_words() -> None:
    form = validate({"message": "Хотим интернет-магазин на 500 товаров, сроки — месяц\nСпасибо"})
    assert form.lead.name == "Хотим интернет-магазин на 500 товаров, сроки — месяц"
    assert form.lead.note.endswith("Спасибо")
    long = validate({"message": "слово " * 40})
    assert len(long.lead.name) == 60 and long.lead.name.endswith("…")


def test_checkbox_groups_and_json_scalars_become_text() -> None:
    form = validate({"phone": 79991234567, "services": ["SEO", "Ads"], "agree": True, "x": None})
    assert [c.value for c in form.lead.contacts] == ["+79991234567"]
    assert form.lead.note == "services: SEO, Ads\nagree: true"


def test_control_characters_are_dropped() -> None:
    form = validate({"name": "Ан\x00на\x1b", "phone": "+79991234567", "message": "a\nb"})
    assert form.lead.name == "Анна" and form.lead.note == "a\nb"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"name": "Иван"}, "no phone, e-mail or message"),
        ({"name": "Иван", "phone": "", "message": "  "}, "no phone, e-mail or message"),
        ({"name": "x" * 201, "phone": "+79991234567"}, "longer than 200"),
        ({"name": "Иван", "phone": "позвоните"}, "not a phone number (e.g. +7 999"),
        ({"name": "Иван", "Email": "nope"}, "'Email' is not an e-mail address (e.g."),
        ({"name": {"first": "a"}, "phone": "+79991234567"}, "must be text"),
        ({"name": [["a"]], "phone": "+79991234567"}, "must be text"),
        ({"name": "\ud800", "phone": "+79991234567"}, "not valid Unicode"),
        ({"\udfff": "x", "phone": "+79991234567"}, "names must be valid Unicode"),
        ({"note": "y" * 1001, "phone": "+79991234567"}, "longer than 1000"),
        ({f"f{i}": "v" for i in range(31)} | {"phone": "+79991234567"}, "too many fields"),
    ],
)
def test_validate_rejects_with_a_reason(fields: dict, reason: str) -> None:
    with pytest.raises(IntakeError) as info:
        validate(fields)
    assert info.value.status == 400 and reason in info.value.reason


def test_the_refusal_of_an_empty_form_shows_the_right_form() -> None:
    with pytest.raises(IntakeError) as info:
        validate({"name": "Иван"})
    assert '{"name": "Ivan", "phone": "+7 999 123-45-67"' in info.value.reason


def test_secrets() -> None:
    assert secret_matches("abc", "abc") and not secret_matches("abc", "ABC")
    assert plausible_secret("Ab-_09" * 5)
    assert not plausible_secret("") and not plausible_secret("x" * 65)
    assert not plausible_secret("../etc") and not plausible_secret("a b")


def test_lead_ref_is_stable_opaque_and_per_key() -> None:
    ref = lead_ref(b"k1", 1, 41)
    assert ref == lead_ref(b"k1", 1, 41) and len(ref) == 16 and "41" not in ref
    assert len({lead_ref(b"k1", 1, n) for n in range(1000)}) == 1000
    assert ref != lead_ref(b"k2", 1, 41) and ref != lead_ref(b"k1", 2, 41)


def test_fingerprint_ignores_field_order_and_sees_values() -> None:
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1 "})
    assert fingerprint({"a": "1"}) != fingerprint({"a": "2"})


def test_a_double_submit_with_fresh_captcha_tokens_is_the_same_form() -> None:
    form = {"Phone": "+79991234567", "message": "Сайт"}
    first = form | {"g-recaptcha-response": "token-1", "tranid": "1:1", "_wpnonce": "a"}
    second = form | {"g-recaptcha-response": "token-2", "tranid": "1:2", "_wpnonce": "b"}
    assert fingerprint(first) == fingerprint(second)


@pytest.mark.parametrize(
    ("peer", "forwarded", "key"),
    [
        ("93.184.216.34", None, "93.184.216.34"),
        # A client on the internet cannot choose its key by claiming another address.
        ("93.184.216.34", "198.51.100.1", "93.184.216.34"),
        # Behind a local proxy the address the proxy appended last is the client.
        ("127.0.0.1", "10.0.0.1, 198.51.100.1", "198.51.100.1"),
        ("172.17.0.1", "198.51.100.2", "198.51.100.2"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "garbage", "127.0.0.1"),
        ("2001:db8:1:2:3:4:5:6", None, "2001:db8:1:2::/64"),
        (None, None, "unknown"),
    ],
)
def test_client_key(peer: str | None, forwarded: str | None, key: str) -> None:
    assert client_key(peer, forwarded) == key


def test_failure_limiter_blocks_after_the_limit_within_the_window() -> None:
    limiter = FailureLimiter(limit=3, window=timedelta(minutes=1))
    for i in range(3):
        assert limiter.retry_after("a", T0 + timedelta(seconds=i)) is None
        limiter.failed("a", T0 + timedelta(seconds=i))
    assert limiter.retry_after("a", T0 + timedelta(seconds=10)) == timedelta(seconds=50)
    assert limiter.retry_after("b", T0 + timedelta(seconds=10)) is None
    assert limiter.retry_after("a", T0 + timedelta(seconds=60)) is None


def test_failures_spread_out_never_block() -> None:
    limiter = FailureLimiter(limit=3, window=timedelta(minutes=1))
    for i in range(10):
        now = T0 + timedelta(seconds=30 * i)
        assert limiter.retry_after("a", now) is None
        limiter.failed("a", now)


def test_failure_limiter_memory_is_bounded() -> None:
    limiter = FailureLimiter(limit=2, window=timedelta(minutes=1), clients=100)
    for i in range(1000):
        limiter.failed(f"10.0.{i // 256}.{i % 256}", T0)
    assert len(limiter._failures) <= 100
    limiter.failed("last", T0)
    limiter.failed("last", T0)
    assert limiter.retry_after("last", T0) is not None
