"""Follow-ups: dated reminders about clients, one row per occurrence or chase step."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import FollowUpRow
from bot.storage.records import FollowUp, plain

PENDING = "pending"  # waits for its due time
FIRED = "fired"  # reminded, not acted on yet: overdue until done, snoozed or replaced
DONE = "done"
STOPPED = "stopped"  # cancelled: the client answered a chase, or a series was stopped
SKIPPED = "skipped"  # an occurrence left unanswered when the next one of its series came
OPEN = (PENDING, FIRED)


class FollowUpRepo:
    """Reads and writes `followups`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(
        self,
        *,
        workspace_id: int,
        client_id: int,
        user_id: int,
        due_at: datetime,
        now: datetime,
        what: str = "",
        mode: str = "once",
        series_id: int | None = None,
        rule: str | None = None,
        zone: str | None = None,
        step: int = 0,
        started_at: datetime | None = None,
    ) -> FollowUp:
        """Store one follow-up (its reminder is attached separately)."""
        row = FollowUpRow(
            workspace_id=workspace_id,
            client_id=client_id,
            user_id=user_id,
            what=what,
            mode=mode,
            series_id=series_id,
            rule=rule,
            zone=zone,
            step=step,
            started_at=started_at,
            due_at=due_at,
            state=PENDING,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return plain(FollowUp, row)

    async def hand_over(self, workspace_id: int, from_user: int, to_user: int) -> None:
        """One person's follow-ups in this team become another's (they left the team)."""
        await self.session.execute(
            update(FollowUpRow)
            .where(FollowUpRow.workspace_id == workspace_id, FollowUpRow.user_id == from_user)
            .values(user_id=to_user)
        )

    async def get(self, fu_id: int) -> FollowUp | None:
        """One follow-up by id."""
        row = await self.session.get(FollowUpRow, fu_id)
        return plain(FollowUp, row) if row is not None else None

    async def update(self, fu_id: int, **changes: Any) -> FollowUp:
        """Change fields of one follow-up and return it."""
        await self.session.execute(
            update(FollowUpRow).where(FollowUpRow.id == fu_id).values(**changes)
        )
        row = await self.session.get(FollowUpRow, fu_id, populate_existing=True)
        assert row is not None
        return plain(FollowUp, row)

    async def close_series(
        self, series_id: int, state: str, now: datetime, states: tuple[str, ...] = OPEN
    ) -> list[FollowUp]:
        """Close every row of a series in one of `states`; the rows as they were."""
        rows = list(
            await self.session.scalars(
                select(FollowUpRow).where(
                    (FollowUpRow.series_id == series_id) | (FollowUpRow.id == series_id),
                    FollowUpRow.state.in_(states),
                )
            )
        )
        if rows:
            await self.session.execute(
                update(FollowUpRow)
                .where(FollowUpRow.id.in_([r.id for r in rows]))
                .values(state=state, closed_at=now)
            )
        return [plain(FollowUp, r) for r in rows]

    async def has_pending(self, series_id: int, exclude: int) -> bool:
        """Whether another row of the series waits for its due time."""
        found = await self.session.scalar(
            select(FollowUpRow.id)
            .where(
                (FollowUpRow.series_id == series_id) | (FollowUpRow.id == series_id),
                FollowUpRow.state == PENDING,
                FollowUpRow.id != exclude,
                # A snoozed row that fired before does not stand for the series' next one.
                FollowUpRow.fired_at.is_(None),
            )
            .limit(1)
        )
        return found is not None

    async def open_chases(self, client_id: int) -> list[FollowUp]:
        """The client's chase rows still pending or fired."""
        rows = await self.session.scalars(
            select(FollowUpRow).where(
                FollowUpRow.client_id == client_id,
                FollowUpRow.mode == "chase",
                FollowUpRow.state.in_(OPEN),
            )
        )
        return [plain(FollowUp, r) for r in rows]

    async def open_for_user(
        self, user_id: int, until: datetime | None = None, limit: int = 200
    ) -> list[FollowUp]:
        """The user's open follow-ups due before `until` (all when None), earliest first."""
        query = select(FollowUpRow).where(
            FollowUpRow.user_id == user_id, FollowUpRow.state.in_(OPEN)
        )
        if until is not None:
            query = query.where(FollowUpRow.due_at < until)
        rows = await self.session.scalars(
            query.order_by(FollowUpRow.due_at, FollowUpRow.id).limit(limit)
        )
        return [plain(FollowUp, r) for r in rows]

    async def open_for_client(self, client_id: int, limit: int = 3) -> list[FollowUp]:
        """The client's open follow-ups, earliest first."""
        rows = await self.session.scalars(
            select(FollowUpRow)
            .where(FollowUpRow.client_id == client_id, FollowUpRow.state.in_(OPEN))
            .order_by(FollowUpRow.due_at, FollowUpRow.id)
            .limit(limit)
        )
        return [plain(FollowUp, r) for r in rows]

    async def count_open(self, user_id: int, until: datetime | None = None) -> int:
        """How many open follow-ups the user has (due before `until`, when given)."""
        query = (
            select(func.count())
            .select_from(FollowUpRow)
            .where(FollowUpRow.user_id == user_id, FollowUpRow.state.in_(OPEN))
        )
        if until is not None:
            query = query.where(FollowUpRow.due_at < until)
        return await self.session.scalar(query) or 0
