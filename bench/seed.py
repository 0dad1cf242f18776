"""Fill a fresh bot database quickly with users, workspaces, leads and due reminders."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT  # noqa: F401  (puts the project on sys.path)

from bot.storage.db import Database


def _ts(at: datetime) -> str:
    """How SQLAlchemy stores our naive-UTC datetimes in SQLite."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


async def migrate(path: Path) -> None:
    """Create the schema the bot expects."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.close()


async def seed(
    path: Path, *, managers: int, leads: int, first_due: datetime, spread: timedelta
) -> None:
    """`managers` onboarded users with a workspace each; `leads` leads whose SLA pings fall
    due evenly over `spread` from `first_due` (spread over the managers round-robin)."""
    await migrate(path)
    now = datetime.now(UTC)
    conn = sqlite3.connect(path)
    with conn:
        conn.executemany(
            "INSERT INTO users (id, first_name, tg_language, language, timezone, work_start_min,"
            " work_end_min, work_days, weekend_reminders, urgent_in_quiet, holiday_country,"
            " current_workspace_id, created_at, updated_at) VALUES"
            " (?, 'M', 'ru', 'ru', 'Europe/Moscow', 600, 1140, '12345', 1, 1, 'RU', ?, ?, ?)",
            [(10_000 + i, i + 1, _ts(now), _ts(now)) for i in range(managers)],
        )
        conn.executemany(
            "INSERT INTO workspaces (id, name, owner_id, invite_code, intake_secret, silent_days,"
            " created_at) VALUES (?, 'W', ?, ?, ?, 14, ?)",
            [(i + 1, 10_000 + i, f"inv{i}", f"sec{i}", _ts(now)) for i in range(managers)],
        )
        conn.executemany(
            "INSERT INTO memberships (workspace_id, user_id, role, joined_at)"
            " VALUES (?, ?, 'owner', ?)",
            [(i + 1, 10_000 + i, _ts(now)) for i in range(managers)],
        )
        step = spread / max(1, leads)
        clients, reminders = [], []
        for n in range(leads):
            manager = n % managers
            due = first_due + step * n
            received = due - timedelta(minutes=15)
            clients.append(
                (
                    n + 1,
                    manager + 1,
                    f"Lead {n}",
                    10_000 + manager,
                    _ts(received),
                    _ts(now),
                    _ts(now),
                )
            )
            reminders.append((manager + 1, n + 1, 10_000 + manager, _ts(due), _ts(now)))
        conn.executemany(
            "INSERT INTO clients (id, workspace_id, name, aliases, status, note, owner_id,"
            " received_at, created_at, updated_at) VALUES (?, ?, ?, '', 'lead', '', ?, ?, ?, ?)",
            clients,
        )
        conn.executemany(
            "INSERT INTO reminders (workspace_id, kind, client_id, user_id, due_at, state, urgent,"
            " payload, created_at) VALUES (?, 'lead_sla', ?, ?, ?, 'pending', 1, '{}', ?)",
            reminders,
        )
    conn.close()
