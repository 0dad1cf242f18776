"""Fill a fresh bot database quickly with users, workspaces, leads and due reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT  # noqa: F401  (puts the project on sys.path)
from sqlalchemy import insert, text

from bot.storage.db import Database
from bot.storage.models import ClientRow, MembershipRow, ReminderRow, UserRow, WorkspaceRow


async def migrate(path: Path) -> None:
    """Create the schema the bot expects."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.close()


async def seed(
    path: Path, *, managers: int, leads: int, first_due: datetime, spread: timedelta
) -> None:
    """Seed a SQLite file (see seed_url)."""
    await seed_url(
        f"sqlite+aiosqlite:///{path}",
        managers=managers,
        leads=leads,
        first_due=first_due,
        spread=spread,
    )


async def seed_url(
    url: str, *, managers: int, leads: int, first_due: datetime, spread: timedelta
) -> None:
    """`managers` onboarded users with a workspace each; `leads` leads whose SLA pings fall
    due evenly over `spread` from `first_due` (spread over the managers round-robin). Written
    through the models' tables, so SQLite and PostgreSQL each get their own column types."""
    db = Database(url)
    await db.migrate()
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
                "received_at": due - timedelta(minutes=15),
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
    try:
        async with db.session() as session:
            for table, rows in (
                (UserRow, users),
                (WorkspaceRow, workspaces),
                (MembershipRow, members),
                (ClientRow, clients),
                (ReminderRow, reminders),
            ):
                for at in range(0, len(rows), 5000):
                    await session.execute(insert(table), rows[at : at + 5000])
            if not db.is_sqlite:
                # Explicit ids were given: move the sequences past them.
                for table in ("workspaces", "clients"):
                    await session.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                        )
                    )
    finally:
        await db.close()
