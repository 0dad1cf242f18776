"""Handled update ids: what makes a redelivered update a no-op."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ProcessedUpdateRow


def _claim(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING into processed_updates, in the dialect's own form."""
    insert = sqlite_insert
    if dialect == "postgresql":
        # Imported only there: the PostgreSQL dialect costs a SQLite install memory.
        from sqlalchemy.dialects.postgresql import insert
    table = ProcessedUpdateRow.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.update_id])


_CLAIMS: dict[str, Any] = {}


class UpdateRepo:
    """Reads and writes `processed_updates`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_processed(self, update_id: int) -> bool:
        """True if this update's effects are already committed."""
        found = await self.session.scalar(
            select(ProcessedUpdateRow.update_id).where(ProcessedUpdateRow.update_id == update_id)
        )
        return found is not None

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Record the update as handled in this transaction; False if it already was.

        One statement instead of a look-up and an insert: if the handler fails, the
        transaction's rollback takes the record with it."""
        connection = await self.session.connection()
        # Core on the table, built once per dialect: every update runs it, and the ORM's
        # bulk-insert path and statement building cost more than the insert.
        statement = _CLAIMS.get(connection.dialect.name)
        if statement is None:
            statement = _CLAIMS[connection.dialect.name] = _claim(connection.dialect.name)
        result = await connection.execute(statement, {"update_id": update_id, "handled_at": now})
        return bool(result.rowcount)

    async def mark_processed(self, update_id: int, now: datetime) -> None:
        """Record the update in the handler's own transaction."""
        self.session.add(ProcessedUpdateRow(update_id=update_id, handled_at=now))

    async def prune(self, before: datetime) -> int:
        """Forget ids older than Telegram would ever redeliver (it keeps updates 24 h)."""
        result = await self.session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.handled_at < before)
        )
        return result.rowcount or 0
