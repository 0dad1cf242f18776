"""Due items: rows with a UTC due time that the alarm clock wakes up for."""

from __future__ import annotations

import json
from dataclasses import fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ReminderRow
from bot.storage.records import Reminder, plain

PENDING = "pending"
FIRED = "fired"
CANCELLED = "cancelled"
# A Reminder's columns, claimed as plain tuples: no ORM object per fired row.
_COLUMNS = [getattr(ReminderRow, f.name) for f in fields(Reminder)]


class ReminderRepo:
    """Reads and writes `reminders`; `changed` tells the caller to re-arm the alarm."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.changed = False

    async def add(
        self,
        workspace_id: int,
        kind: str,
        due_at: datetime,
        *,
        now: datetime,
        client_id: int | None = None,
        user_id: int | None = None,
        ref_id: int | None = None,
        urgent: bool = False,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Schedule one due item."""
        row = ReminderRow(
            workspace_id=workspace_id,
            kind=kind,
            client_id=client_id,
            user_id=user_id,
            ref_id=ref_id,
            due_at=due_at,
            state=PENDING,
            urgent=urgent,
            payload=json.dumps(payload or {}, ensure_ascii=False),
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        self.changed = True
        return row.id

    async def add_many(
        self, items: list[tuple[int, str, datetime, int | None]], *, now: datetime
    ) -> None:
        """Schedule many plain items at once: (workspace_id, kind, due_at, user_id) each."""
        if not items:
            return
        await self.session.execute(
            insert(ReminderRow),
            [
                {
                    "workspace_id": workspace_id,
                    "kind": kind,
                    "due_at": due_at,
                    "user_id": user_id,
                    "state": PENDING,
                    "urgent": False,
                    "payload": "{}",
                    "created_at": now,
                }
                for workspace_id, kind, due_at, user_id in items
            ],
        )
        self.changed = True

    async def cancel_for_client(self, client_id: int, kinds: tuple[str, ...]) -> int:
        """Cancel the client's pending items of these kinds."""
        result = await self.session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.client_id == client_id,
                ReminderRow.state == PENDING,
                ReminderRow.kind.in_(kinds),
            )
            .values(state=CANCELLED)
        )
        self.changed = self.changed or bool(result.rowcount)
        return result.rowcount or 0

    async def cancel_for_ref(self, kinds: tuple[str, ...], ref_id: int) -> list[int]:
        """Cancel the pending items of these kinds about one task or invoice; their ids."""
        ids = list(
            await self.session.scalars(
                select(ReminderRow.id).where(
                    ReminderRow.ref_id == ref_id,
                    ReminderRow.state == PENDING,
                    ReminderRow.kind.in_(kinds),
                )
            )
        )
        if ids:
            await self.session.execute(
                update(ReminderRow).where(ReminderRow.id.in_(ids)).values(state=CANCELLED)
            )
            self.changed = True
        return ids

    async def ids_for_ref(self, kinds: tuple[str, ...], ref_id: int) -> list[int]:
        """Every item of these kinds about one task or invoice, fired or not."""
        return list(
            await self.session.scalars(
                select(ReminderRow.id).where(
                    ReminderRow.ref_id == ref_id, ReminderRow.kind.in_(kinds)
                )
            )
        )

    async def pending_for_ref(self, kinds: tuple[str, ...], ref_id: int) -> list[Reminder]:
        """The pending items of these kinds about one task or invoice, earliest first."""
        rows = await self.session.scalars(
            select(ReminderRow)
            .where(
                ReminderRow.ref_id == ref_id,
                ReminderRow.state == PENDING,
                ReminderRow.kind.in_(kinds),
            )
            .order_by(ReminderRow.due_at)
        )
        return [plain(Reminder, r) for r in rows]

    async def get(self, reminder_id: int) -> Reminder | None:
        """One due item by id."""
        row = await self.session.get(ReminderRow, reminder_id)
        return plain(Reminder, row) if row is not None else None

    async def cancel(self, reminder_id: int | None) -> None:
        """Cancel one pending item (no-op for None or one already fired)."""
        if reminder_id is None:
            return
        result = await self.session.execute(
            update(ReminderRow)
            .where(ReminderRow.id == reminder_id, ReminderRow.state == PENDING)
            .values(state=CANCELLED)
        )
        self.changed = self.changed or bool(result.rowcount)

    async def cancel_for_user(self, user_id: int, kind: str) -> int:
        """Cancel the person's pending items of this kind."""
        result = await self.session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.user_id == user_id,
                ReminderRow.state == PENDING,
                ReminderRow.kind == kind,
            )
            .values(state=CANCELLED)
        )
        self.changed = self.changed or bool(result.rowcount)
        return result.rowcount or 0

    async def users_with_pending(self, kind: str) -> set[int]:
        """Who has a pending item of this kind."""
        return set(
            await self.session.scalars(
                select(ReminderRow.user_id).where(
                    ReminderRow.state == PENDING, ReminderRow.kind == kind
                )
            )
        )

    async def reassign(self, client_id: int, kind: str, user_id: int) -> None:
        """Send the client's pending items of this kind to another person; due times stay."""
        await self.session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.client_id == client_id,
                ReminderRow.state == PENDING,
                ReminderRow.kind == kind,
            )
            .values(user_id=user_id)
        )

    async def hand_over(self, workspace_id: int, from_user: int, to_user: int) -> None:
        """Every pending item of one person in this team now goes to another (they left)."""
        await self.session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.workspace_id == workspace_id,
                ReminderRow.user_id == from_user,
                ReminderRow.state == PENDING,
            )
            .values(user_id=to_user)
        )

    async def claim_due(self, now: datetime, limit: int) -> list[Reminder]:
        """Mark due items fired and return them, earliest first (same transaction as sends)."""
        rows = await self.session.execute(
            select(*_COLUMNS)
            .where(ReminderRow.state == PENDING, ReminderRow.due_at <= now)
            .order_by(ReminderRow.due_at, ReminderRow.id)
            .limit(limit)
            # Two instances claiming at once (a lead changing hands) take disjoint rows on
            # PostgreSQL; SQLite has one writer and leaves the clause out.
            .with_for_update(skip_locked=True)
        )
        claimed = [replace(Reminder(*r), state=FIRED) for r in rows]
        if claimed:
            await self.session.execute(
                update(ReminderRow)
                .where(ReminderRow.id.in_([r.id for r in claimed]))
                .values(state=FIRED, fired_at=now)
            )
        return claimed

    async def next_due(self) -> datetime | None:
        """The earliest pending due time (index-backed)."""
        return await self.session.scalar(
            select(func.min(ReminderRow.due_at)).where(ReminderRow.state == PENDING)
        )
