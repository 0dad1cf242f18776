"""A batch of due reminders fires in one savepoint, and a reminder that fails alone is skipped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import NotificationRow
from tests.conftest import Harness
from tests.dispatcher.test_leads import onboard


async def test_one_failing_reminder_is_skipped_and_the_rest_of_its_batch_fires(
    harness: Harness,
) -> None:
    await onboard(harness)
    for n, name in enumerate(("Анна", "Борис", "Вера")):
        await harness.send(f"/lead {name}, +7 999 000-00-0{n}")
    real = harness.app.alarm.fire
    failed: list[int] = []

    async def broken(repos: Any, replies: Any, reminder: Any, now: Any) -> None:
        if not failed:
            failed.append(reminder.id)  # the first of the batch is the broken one, every time
        await real(repos, replies, reminder, now)  # its outbox row is written, and then…
        if reminder.id == failed[0]:
            raise RuntimeError("a reminder that cannot be rendered")

    harness.app.alarm.fire = broken  # type: ignore[method-assign]
    harness.clock.advance(timedelta(minutes=16))
    fired = await harness.app.alarm.run_due()
    assert fired == 3 and len(failed) == 1
    async with harness.app.db.session() as s:
        pings = await s.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.kind == "lead_sla")
        )
    assert pings == 2  # the failing one left nothing behind; the other two were queued once each
