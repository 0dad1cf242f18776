"""Drafts: what a user sent that waits for a button press, kept so nothing they sent is lost."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DraftRow


class DraftRepo:
    """Reads and writes `drafts`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_id: int, kind: str, payload: dict[str, Any], now: datetime) -> int:
        """Keep a draft; its id goes into the offer's buttons."""
        row = DraftRow(
            user_id=user_id,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False),
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def take(self, draft_id: int, user_id: int, kind: str) -> dict[str, Any] | None:
        """Remove and return the user's draft; None if it is gone (used already) or not theirs."""
        row = await self.session.scalar(
            select(DraftRow).where(
                DraftRow.id == draft_id, DraftRow.user_id == user_id, DraftRow.kind == kind
            )
        )
        if row is None:
            return None
        await self.session.execute(delete(DraftRow).where(DraftRow.id == draft_id))
        return json.loads(row.payload)
