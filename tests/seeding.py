"""Databases filled fast for tests and benches: rows written through the bot's own models, so
each value is stored as the bot stores it on either backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from bot.storage.db import Database
from bot.storage.models import (
    Base,
    ClientRow,
    MembershipRow,
    ReminderRow,
    UserRow,
    WorkspaceRow,
)


async def seed_rows(url: str, *tables: tuple[type[Base], list[dict[str, Any]]]) -> None:
    """The bot's schema in its (new) database, holding these rows."""
    db = Database(url)
    try:
        await db.migrate()
        async with db.session() as session:
            for model, values in tables:
                for at in range(0, len(values), 5000):
                    await session.execute(insert(model), values[at : at + 5000])
            if not db.is_sqlite:
                # Rows inserted with their ids leave PostgreSQL's id sequences behind: move
                # them past, or the bot's first new row would take a seeded id.
                for model, values in tables:
                    if values and "id" in values[0] and model is not UserRow:
                        table = model.__tablename__
                        await session.execute(
                            text(
                                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                f"(SELECT max(id) FROM {table}))"
                            )
                        )
    finally:
        await db.close()


async def seed_leads(
    url: str,
    *,
    managers: int,
    leads: int,
    first_due: datetime,
    spread: timedelta,
    received: datetime | None = None,
) -> None:
    """`managers` onboarded users with a workspace each; `leads` leads whose SLA pings fall
    due evenly over `spread` from `first_due` (spread over the managers round-robin), received
    15 minutes before their ping unless `received` is given."""
    now = datetime.now(UTC)
    users = [
        {
            "id": 10_000 + i,
            "first_name": "M",
            "tg_language": "ru",
            "language": "ru",
            "timezone": "Europe/Moscow",
            "work_start_min": 600,
            "work_end_min": 1140,
            "work_days": "12345",
            "weekend_reminders": True,
            "urgent_in_quiet": True,
            "holiday_country": "RU",
            "current_workspace_id": i + 1,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(managers)
    ]
    workspaces = [
        {
            "id": i + 1,
            "name": "W",
            "owner_id": 10_000 + i,
            "invite_code": f"inv{i}",
            "intake_secret": f"sec{i}",
            "silent_days": 14,
            "created_at": now,
        }
        for i in range(managers)
    ]
    members = [
        {"workspace_id": i + 1, "user_id": 10_000 + i, "role": "owner", "joined_at": now}
        for i in range(managers)
    ]
    step = spread / max(1, leads)
    clients, reminders = [], []
    for n in range(leads):
        manager = n % managers
        due = first_due + step * n
        clients.append(
            {
                "id": n + 1,
                "workspace_id": manager + 1,
                "name": f"Lead {n}",
                "aliases": "",
                "status": "lead",
                "note": "",
                "owner_id": 10_000 + manager,
                "received_at": due - timedelta(minutes=15) if received is None else received,
                "created_at": now,
                "updated_at": now,
            }
        )
        reminders.append(
            {
                "workspace_id": manager + 1,
                "kind": "lead_sla",
                "client_id": n + 1,
                "user_id": 10_000 + manager,
                "due_at": due,
                "state": "pending",
                "urgent": True,
                "payload": "{}",
                "created_at": now,
            }
        )
    await seed_rows(
        url,
        (UserRow, users),
        (WorkspaceRow, workspaces),
        (MembershipRow, members),
        (ClientRow, clients),
        (ReminderRow, reminders),
    )
