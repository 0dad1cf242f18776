"""Website forms already turned into leads, for answering a repeated post with the same lead."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import IntakeRequestRow


class IntakeRepo:
    """Reads and writes `intake_requests`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, workspace_id: int, key: str) -> tuple[int, str] | None:
        """(lead, fingerprint of the fields) an Idempotency-Key already made."""
        row = (
            await self.session.execute(
                select(IntakeRequestRow.client_id, IntakeRequestRow.fingerprint).where(
                    IntakeRequestRow.workspace_id == workspace_id,
                    IntakeRequestRow.idempotency_key == key,
                )
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def recent(self, workspace_id: int, fingerprint: str, since: datetime) -> int | None:
        """The lead the same fields made after `since`."""
        return await self.session.scalar(
            select(IntakeRequestRow.client_id)
            .where(
                IntakeRequestRow.workspace_id == workspace_id,
                IntakeRequestRow.fingerprint == fingerprint,
                IntakeRequestRow.created_at >= since,
            )
            .order_by(IntakeRequestRow.created_at.desc())
            .limit(1)
        )

    async def record(
        self, workspace_id: int, key: str | None, fingerprint: str, client_id: int, now: datetime
    ) -> None:
        """Remember which lead this request made, in the lead's own transaction."""
        self.session.add(
            IntakeRequestRow(
                workspace_id=workspace_id,
                idempotency_key=key,
                fingerprint=fingerprint,
                client_id=client_id,
                created_at=now,
            )
        )
