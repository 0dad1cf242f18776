"""Handled update ids: what makes a redelivered update a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ProcessedUpdateRow


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

    async def mark_processed(self, update_id: int, now: datetime) -> None:
        """Record the update in the handler's own transaction."""
        self.session.add(ProcessedUpdateRow(update_id=update_id, handled_at=now))

    async def prune(self, before: datetime) -> int:
        """Forget ids older than Telegram would ever redeliver (it keeps updates 24 h)."""
        result = await self.session.execute(
            delete(ProcessedUpdateRow).where(ProcessedUpdateRow.handled_at < before)
        )
        return result.rowcount or 0
