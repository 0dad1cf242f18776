"""Users: who has talked to the bot and what they prefer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import UserRow
from bot.storage.records import User, plain
from bot.storage.repositories.identity import keep

EDITABLE = {
    "language",
    "timezone",
    "work_start_min",
    "work_end_min",
    "work_days",
    "quiet_start_min",
    "quiet_end_min",
    "weekend_reminders",
    "urgent_in_quiet",
    "holiday_country",
    "current_workspace_id",
    "awaiting",
}


class UserRepo:
    """Reads and writes `users`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, user_id: int) -> User | None:
        """The user, or None if they never wrote to the bot."""
        row = keep(self.session, await self.session.get(UserRow, user_id))
        return None if row is None else plain(User, row)

    async def seen(
        self,
        user_id: int,
        *,
        first_name: str,
        username: str | None,
        tg_language: str | None,
        now: datetime,
    ) -> tuple[User, bool]:
        """Create the user on first contact or refresh their Telegram profile; (user, created)."""
        row = keep(self.session, await self.session.get(UserRow, user_id))
        created = row is None
        if row is None:
            row = UserRow(
                id=user_id,
                first_name=first_name[:256],
                username=username,
                tg_language=tg_language,
                created_at=now,
                updated_at=now,
            )
            self.session.add(keep(self.session, row))
            await self.session.flush()
        elif (row.first_name, row.username, row.tg_language) != (
            first_name[:256],
            username,
            tg_language,
        ):
            row.first_name, row.username, row.tg_language = first_name[:256], username, tg_language
            row.updated_at = now
        if row.blocked_at is not None:
            # Writing to us again means they unblocked the bot.
            row.blocked_at = None
        return plain(User, row), created

    async def update(self, user_id: int, now: datetime, **changes: Any) -> User:
        """Change preferences; unknown field names are a programming error."""
        bad = set(changes) - EDITABLE
        if bad:
            raise ValueError(f"not editable: {sorted(bad)}")
        row = await self.session.get(UserRow, user_id)
        if row is None:
            raise LookupError(user_id)
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = now
        await self.session.flush()
        return plain(User, row)

    async def mark_blocked(self, user_id: int, now: datetime) -> None:
        """Remember that the user blocked the bot (403), so we stop trying."""
        await self.session.execute(
            update(UserRow).where(UserRow.id == user_id).values(blocked_at=now)
        )

    async def many(self, user_ids: list[int]) -> dict[int, User]:
        """Users by id, for rendering names."""
        if not user_ids:
            return {}
        rows = await self.session.scalars(select(UserRow).where(UserRow.id.in_(user_ids)))
        return {row.id: plain(User, row) for row in rows}

    async def reachable(self) -> list[User]:
        """Everyone who has not blocked the bot."""
        rows = await self.session.scalars(select(UserRow).where(UserRow.blocked_at.is_(None)))
        return [plain(User, row) for row in rows]
