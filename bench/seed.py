"""Fill a fresh bot database quickly with users, workspaces, leads and due reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import ROOT  # noqa: F401  (puts the project on sys.path)

from bot.storage.db import Database
from tests.seeding import seed_leads as seed_url

__all__ = ["_ts", "migrate", "seed", "seed_url"]


def _ts(at: datetime) -> str:
    """How SQLAlchemy stores our naive-UTC datetimes in SQLite (for raw SQL in benches)."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


async def migrate(path: Path) -> None:
    """Create the schema the bot expects."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    await db.close()


async def seed(
    path: Path, *, managers: int, leads: int, first_due: datetime, spread: timedelta
) -> None:
    """Seed a SQLite file (see tests.seeding.seed_leads)."""
    await seed_url(
        f"sqlite+aiosqlite:///{path}",
        managers=managers,
        leads=leads,
        first_due=first_due,
        spread=spread,
    )
