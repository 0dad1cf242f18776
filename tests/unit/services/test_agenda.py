"""The morning digest's time in the manager's own zone, and the agenda it is built from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.agenda import (
    DIGEST_KIND,
    build_agenda,
    ensure_digests,
    next_digest_at,
    schedule_digest,
)
from bot.storage.db import Database
from bot.storage.records import User
from bot.storage.repositories import Repos

BASE = User(
    id=1,
    first_name="A",
    username=None,
    tg_language="ru",
    language="ru",
    timezone="Europe/Moscow",
    work_start_min=600,
    work_end_min=1140,
    work_days="12345",
    quiet_start_min=None,
    quiet_end_min=None,
    weekend_reminders=True,
    urgent_in_quiet=True,
    holiday_country="RU",
    current_workspace_id=1,
    awaiting=None,
    blocked_at=None,
)


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        # Moscow (UTC+3): 10:00 local is 07:00 UTC; before it, today; after it, tomorrow.
        ("Europe/Moscow", datetime(2026, 11, 24, 6, 0, tzinfo=UTC), datetime(2026, 11, 24, 7, 0)),
        ("Europe/Moscow", datetime(2026, 11, 24, 7, 0, tzinfo=UTC), datetime(2026, 11, 25, 7, 0)),
        # Vladivostok (UTC+10): its Wednesday 10:00 is Tuesday 24:00 UTC.
        (
            "Asia/Vladivostok",
            datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 0, 0),
        ),
        # New York in winter (UTC-5): 10:00 is 15:00 UTC ...
        (
            "America/New_York",
            datetime(2026, 11, 24, 10, 0, tzinfo=UTC),
            datetime(2026, 11, 24, 15, 0),
        ),
        # ... and in summer (UTC-4) 14:00 UTC: the morning follows DST.
        ("America/New_York", datetime(2026, 7, 1, 10, 0, tzinfo=UTC), datetime(2026, 7, 1, 14, 0)),
    ],
)
def test_digest_at_the_start_of_the_local_working_day(
    zone: str, now: datetime, expected: datetime
) -> None:
    user = replace(BASE, timezone=zone)
    assert next_digest_at(user, now, "UTC") == expected.replace(tzinfo=UTC)


def test_weekends_are_skipped_unless_weekend_reminders_are_on() -> None:
    friday_after = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    off = replace(BASE, weekend_reminders=False)
    assert next_digest_at(off, friday_after, "UTC") == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)
    assert next_digest_at(BASE, friday_after, "UTC") == datetime(2026, 11, 28, 7, 0, tzinfo=UTC)


def test_custom_working_day_start() -> None:
    user = replace(BASE, work_start_min=9 * 60 + 30, timezone="Asia/Vladivostok")
    now = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)  # 10:00 in Vladivostok: 09:30 has passed
    assert next_digest_at(user, now, "UTC") == datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    await database.migrate()
    yield database
    await database.close()


async def _manager(repos: Repos, now: datetime, zone: str | None = "Europe/Moscow") -> User:
    from bot.services.accounts import register

    await register(repos, 1, first_name="A", username=None, tg_language="ru", now=now)
    return await repos.users.update(1, now, timezone=zone)


async def test_one_pending_digest_per_user_rearmed_on_change(db: Database) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    async with db.session() as s:
        repos = Repos(s)
        user = await _manager(repos, now)
        assert await ensure_digests(repos, now, "UTC") == 1
        assert await ensure_digests(repos, now, "UTC") == 0
        moved = await repos.users.update(1, now, timezone="Asia/Vladivostok")
        await schedule_digest(repos, moved, now, "UTC")
        assert await repos.reminders.users_with_pending(DIGEST_KIND) == {user.id}
        due = await repos.reminders.next_due()
    assert due == datetime(2026, 11, 25, 0, 0, tzinfo=UTC)


async def test_agenda_sorts_overdue_today_and_silent(db: Database) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # 13:00 in Moscow
    async with db.session() as s:
        repos = Repos(s)
        user = await _manager(repos, now)
        ws = user.current_workspace_id
        assert ws is not None
        await repos.clients.create(
            ws, "Старый", owner_id=user.id, now=now - timedelta(days=30), status="active"
        )
        fresh = await repos.clients.create(ws, "Свежий", owner_id=user.id, now=now, status="active")
        for client_id, due in (
            (fresh.id, now - timedelta(hours=1)),  # overdue
            (fresh.id, now + timedelta(hours=5)),  # today, 18:00 Moscow
            (fresh.id, now + timedelta(hours=12)),  # tomorrow 01:00 Moscow: not today
        ):
            await repos.followups.add(
                workspace_id=ws, client_id=client_id, user_id=user.id, due_at=due, now=now
            )
        today = await build_agenda(repos, user, now, "UTC", silent=True)
        week = await build_agenda(repos, user, now, "UTC", days=7)
    assert [fu.due_at for fu in today.overdue] == [now - timedelta(hours=1)]
    assert [fu.due_at for fu in today.upcoming] == [now + timedelta(hours=5)]
    assert [s.name for s in today.silent] == ["Старый"]
    assert len(week.upcoming) == 2 and week.silent == []
