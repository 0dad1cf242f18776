"""When reminders may reach a person: quiet hours, weekends, urgent lead pings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.services.quiet import release_at
from bot.storage.records import User

BASE = User(
    id=1,
    first_name="A",
    username=None,
    tg_language="ru",
    language=None,
    timezone="Europe/Moscow",
    work_start_min=600,
    work_end_min=1140,
    work_days="12345",
    quiet_start_min=22 * 60,
    quiet_end_min=8 * 60,
    weekend_reminders=True,
    urgent_in_quiet=True,
    holiday_country="RU",
    current_workspace_id=1,
    awaiting=None,
    blocked_at=None,
)


def msk(*args: int) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(*args, tzinfo=ZoneInfo("Europe/Moscow")).astimezone(UTC)


def test_urgent_goes_at_night() -> None:
    at = msk(2026, 11, 24, 3, 0)
    assert release_at(BASE, at, urgent=True, default_zone="UTC") == at


def test_urgent_held_when_the_manager_chose_so() -> None:
    user = replace(BASE, urgent_in_quiet=False)
    assert release_at(user, msk(2026, 11, 24, 3, 0), urgent=True, default_zone="UTC") == msk(
        2026, 11, 24, 8, 0
    )


def test_ordinary_waits_for_quiet_end_across_midnight() -> None:
    assert release_at(BASE, msk(2026, 11, 24, 23, 30), urgent=False, default_zone="UTC") == msk(
        2026, 11, 25, 8, 0
    )
    assert release_at(BASE, msk(2026, 11, 24, 12, 0), urgent=False, default_zone="UTC") == msk(
        2026, 11, 24, 12, 0
    )


def test_weekend_policy() -> None:
    saturday = msk(2026, 11, 28, 12, 0)
    assert release_at(BASE, saturday, urgent=False, default_zone="UTC") == saturday
    off = replace(BASE, weekend_reminders=False)
    assert release_at(off, saturday, urgent=False, default_zone="UTC") == msk(2026, 11, 30, 10, 0)
    assert release_at(off, saturday, urgent=True, default_zone="UTC") == saturday
