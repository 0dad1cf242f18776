"""How recurring rules and moments read in Russian and English."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.i18n import make_i18n, speaking
from bot.parsing.recurrence import parse_recurrence
from bot.views.followups import both_clocks, moment, repeat_text

I18N = make_i18n("ru")


@pytest.mark.parametrize(
    ("phrase", "ru", "en"),
    [
        ("каждый день в 9", "каждый день в 09:00", "every day at 09:00"),
        ("каждые 3 дня", "раз в 3 дня в 10:00", "every 3 days at 10:00"),
        ("по будням в 11", "по будням в 11:00", "every weekday at 11:00"),
        ("каждый пн и чт в 10", "еженедельно: пн, чт в 10:00", "weekly: Mon, Thu at 10:00"),
        ("каждые 2 недели в пн", "раз в 2 недели: пн в 10:00", "every 2 weeks: Mon at 10:00"),
        ("каждый месяц 1 числа", "ежемесячно 1-го числа в 10:00", "monthly on day 1 at 10:00"),
        ("ежеквартально", "раз в 3 месяца в 10:00", "every 3 months at 10:00"),
        (
            "в последний день месяца",
            "ежемесячно в последний день в 10:00",
            "monthly on the last day at 10:00",
        ),
        ("каждые 2 года", "раз в 2 года в 10:00", "every 2 years at 10:00"),
        ("ежегодно 1 марта", "ежегодно 1 марта в 10:00", "yearly on March 1 at 10:00"),
        (
            "every year on 29 Feb at 9am",
            "ежегодно 29 февраля в 09:00",
            "yearly on February 29 at 09:00",
        ),
    ],
)
def test_rules_read_back_in_both_languages(phrase: str, ru: str, en: str) -> None:
    found = parse_recurrence(phrase)
    assert found is not None
    for lang, expected in (("ru", ru), ("en", en)):
        with speaking(I18N, lang):
            assert repeat_text(found.recurrence.rule, lang) == expected


def test_moment_shows_the_year_only_when_it_is_not_this_year() -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    assert moment(datetime(2026, 11, 27, 7, 0, tzinfo=UTC), "Europe/Moscow", "ru", now) == (
        "пт 27.11 10:00"
    )
    assert moment(datetime(2027, 1, 11, 7, 0, tzinfo=UTC), "Europe/Moscow", "en", now) == (
        "Mon 11.01.2027 10:00"
    )


def test_both_clocks_only_when_they_differ() -> None:
    at = datetime(2026, 11, 27, 7, 0, tzinfo=UTC)
    with speaking(I18N, "ru"):
        assert both_clocks(at, "Europe/Moscow", "Europe/Moscow", "ru") == "пт 27.11 10:00"
        assert (
            both_clocks(at, "Asia/Vladivostok", "Europe/Moscow", "ru")
            == "пт 27.11 17:00 у клиента (10:00 у вас)"
        )
        # Across midnight the manager's date is shown too.
        assert (
            both_clocks(
                datetime(2026, 11, 27, 20, 0, tzinfo=UTC), "Asia/Vladivostok", "Europe/Moscow", "ru"
            )
            == "сб 28.11 06:00 у клиента (пт 27.11 23:00 у вас)"
        )
