"""The outbox: messages owed to chats, kept until Telegram accepts them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import NotificationRow, ReminderRow
from bot.storage.records import Notification, plain

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
BLOCKED = "blocked"
CANCELLED = "cancelled"
# Folded into one summary message (a burst of lead notifications to one chat).
SUPERSEDED = "superseded"
# Kinds of answers to a person's own command or button; every other kind is a notification.
ANSWER_KINDS = ("reply", "edit")
# Payload keys (beside the Bot API parameters): whose action queued a message to someone else,
# and the client it is about; delivery uses them, the Bot API call ignores them.
ON_BEHALF_OF = "on_behalf_of"
ABOUT_CLIENT = "client_id"
# A Notification's columns, read as plain tuples: delivery reads every row at least once, and
# ORM objects (identity map, instance state) cost more than the row itself.
_COLUMNS = [getattr(NotificationRow, f.name) for f in fields(Notification)]
_table = NotificationRow.__table__
# One encoder for every row: json.dumps builds a new one whenever an option is not the default.
_encode = json.JSONEncoder(ensure_ascii=False).encode
# By primary key, as one executemany; Core, so that no ORM bulk-update bookkeeping runs.
_MARK_SENT = (
    update(_table)
    .where(_table.c.id == bindparam("nid"))
    .values(state=SENT, sent_at=bindparam("at"), message_id=bindparam("mid"))
)


class OutboxRepo:
    """Reads and writes `notifications`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Rows queued inside `buffered()`, not yet written.
        self._buffer: list[dict[str, Any]] | None = None

    @asynccontextmanager
    async def buffered(self) -> AsyncIterator[None]:
        """Write the rows queued in this block in one INSERT when it ends."""
        # For the alarm's batch of reminders: an ORM object and its flush cost ~3x the row.
        # Every other method writes the buffer before its own statement, so it sees those rows;
        # if the block fails, they are dropped with it (and its savepoint rolls back).
        self._buffer = []
        try:
            yield
            await self._session()
        finally:
            self._buffer = None

    async def _session(self) -> AsyncSession:
        """The session, once any buffered rows are written."""
        if self._buffer:
            rows, self._buffer = self._buffer, []
            await self.session.execute(insert(_table), rows)
        return self.session

    async def add(
        self,
        chat_id: int,
        payload: dict[str, Any],
        *,
        kind: str,
        now: datetime,
        due_at: datetime | None = None,
        not_before: datetime | None = None,
        method: str = "sendMessage",
        reminder_id: int | None = None,
    ) -> None:
        """Queue one message; it goes out after the surrounding transaction commits."""
        values = {
            "chat_id": chat_id,
            "method": method,
            "payload": _encode(payload),
            "kind": kind,
            "reminder_id": reminder_id,
            "state": PENDING,
            "due_at": due_at or now,
            "not_before": not_before or now,
            "attempts": 0,
            "created_at": now,
        }
        if self._buffer is not None:
            self._buffer.append(values)
            return
        # No flush: the row is written with the transaction, saving a round trip per message.
        self.session.add(NotificationRow(**values))

    async def due(self, now: datetime, limit: int) -> list[Notification]:
        """Pending messages whose time has come: answers first, then the oldest due."""
        session = await self._session()
        # Answers lead so that a backlog of notifications never keeps one out of the batch.
        answers_first = case((NotificationRow.kind.in_(ANSWER_KINDS), 0), else_=1)
        rows = await session.execute(
            select(*_COLUMNS)
            .where(NotificationRow.state == PENDING, NotificationRow.not_before <= now)
            .order_by(answers_first, NotificationRow.due_at, NotificationRow.id)
            .limit(limit)
        )
        return [Notification(*r) for r in rows]

    async def next_time(self) -> datetime | None:
        """When the earliest pending message may be tried."""
        session = await self._session()
        return await session.scalar(
            select(func.min(NotificationRow.not_before)).where(NotificationRow.state == PENDING)
        )

    async def mark_sent(
        self, ids_and_messages: list[tuple[int, int | None]], now: datetime
    ) -> None:
        """Telegram accepted these."""
        session = await self._session()
        if not ids_and_messages:
            return
        await session.execute(
            _MARK_SENT,
            [{"nid": nid, "at": now, "mid": message_id} for nid, message_id in ids_and_messages],
        )

    async def retry_later(self, nid: int, not_before: datetime, attempts: int, error: str) -> None:
        """Try again at `not_before` (429, 5xx, network)."""
        session = await self._session()
        await session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == nid)
            .values(not_before=not_before, attempts=attempts, last_error=error[:500])
        )

    async def give_up(self, nid: int, state: str, attempts: int, error: str) -> None:
        """Stop trying this message: the chat blocked us, or Telegram rejected it."""
        session = await self._session()
        await session.execute(
            update(NotificationRow)
            .where(NotificationRow.id == nid)
            .values(state=state, attempts=attempts, last_error=error[:500])
        )

    async def block_chat(self, chat_id: int, error: str) -> int:
        """Give up every pending message to a chat that blocked the bot."""
        session = await self._session()
        result = await session.execute(
            update(NotificationRow)
            .where(NotificationRow.chat_id == chat_id, NotificationRow.state == PENDING)
            .values(state=BLOCKED, last_error=error[:500])
        )
        return result.rowcount or 0

    async def stats(self) -> tuple[int, datetime | None]:
        """How many messages are pending, and the oldest one's due time."""
        session = await self._session()
        row = (
            await session.execute(
                select(func.count(), func.min(NotificationRow.due_at)).where(
                    NotificationRow.state == PENDING
                )
            )
        ).one()
        return int(row[0]), row[1]

    async def sent_message(self, nid: int) -> int | None:
        """The Telegram message id a sent notification got."""
        session = await self._session()
        return await session.scalar(
            select(NotificationRow.message_id).where(NotificationRow.id == nid)
        )

    async def postpone_chat(self, chat_id: int, until: datetime) -> None:
        """Hold every pending message to a chat until `until`, keeping their order."""
        session = await self._session()
        await session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.chat_id == chat_id,
                NotificationRow.state == PENDING,
                NotificationRow.not_before < until,
            )
            .values(not_before=until)
        )

    async def release(self, nids: list[int], held_until: datetime, now: datetime) -> int:
        """Make these messages due now if they still wait for `held_until` (a backoff ended)."""
        session = await self._session()
        # A later hold (quiet hours, a 429) is left alone.
        if not nids:
            return 0
        result = await session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.id.in_(nids),
                NotificationRow.state == PENDING,
                NotificationRow.not_before == held_until,
            )
            .values(not_before=now)
        )
        return result.rowcount or 0

    async def pending_in_chat(self, chat_id: int) -> list[Notification]:
        """Every message still owed to a chat, in due order."""
        session = await self._session()
        rows = await session.scalars(
            select(NotificationRow)
            .where(NotificationRow.chat_id == chat_id, NotificationRow.state == PENDING)
            .order_by(NotificationRow.due_at, NotificationRow.id)
        )
        return [plain(Notification, r) for r in rows]

    async def still_pending(self, nids: list[int]) -> set[int]:
        """Which of these messages are still owed."""
        session = await self._session()
        if not nids:
            return set()
        found = await session.scalars(
            select(NotificationRow.id).where(
                NotificationRow.id.in_(nids), NotificationRow.state == PENDING
            )
        )
        return set(found)

    async def supersede(
        self,
        nids: list[int],
        chat_id: int,
        payload: dict[str, Any],
        *,
        kind: str,
        due_at: datetime,
        now: datetime,
    ) -> Notification:
        """Replace these pending messages with one, queued in the place of the first."""
        session = await self._session()
        await session.execute(
            update(NotificationRow)
            .where(NotificationRow.id.in_(nids), NotificationRow.state == PENDING)
            .values(state=SUPERSEDED)
        )
        row = NotificationRow(
            chat_id=chat_id,
            method="sendMessage",
            payload=_encode(payload),
            kind=kind,
            state=PENDING,
            due_at=due_at,
            not_before=now,
            attempts=0,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return plain(Notification, row)

    async def cancel_for_client_reminders(self, client_id: int, kinds: tuple[str, ...]) -> int:
        """Drop queued messages of a client's reminders of these kinds (e.g. a ping held for
        quiet hours whose lead has been answered meanwhile)."""
        session = await self._session()
        reminder_ids = select(ReminderRow.id).where(
            ReminderRow.client_id == client_id, ReminderRow.kind.in_(kinds)
        )
        result = await session.execute(
            update(NotificationRow)
            .where(NotificationRow.state == PENDING, NotificationRow.reminder_id.in_(reminder_ids))
            .values(state=CANCELLED)
        )
        return result.rowcount or 0

    async def cancel_for_member(self, chat_id: int, workspace_id: int) -> int:
        """Drop queued messages to a person about one team's reminders (they left the team:
        nothing about its clients may reach them any more)."""
        session = await self._session()
        reminder_ids = select(ReminderRow.id).where(ReminderRow.workspace_id == workspace_id)
        result = await session.execute(
            update(NotificationRow)
            .where(
                NotificationRow.state == PENDING,
                NotificationRow.chat_id == chat_id,
                NotificationRow.reminder_id.in_(reminder_ids),
            )
            .values(state=CANCELLED)
        )
        return result.rowcount or 0

    async def reminder_of_message(self, chat_id: int, message_id: int) -> int | None:
        """The reminder whose message this is (for a reply that reschedules it), or None."""
        session = await self._session()
        return await session.scalar(
            select(NotificationRow.reminder_id)
            .where(NotificationRow.chat_id == chat_id, NotificationRow.message_id == message_id)
            .limit(1)
        )

    async def cancel_for_reminders(self, reminder_ids: list[int]) -> int:
        """Drop queued, unsent messages of these reminders (closed or moved meanwhile)."""
        session = await self._session()
        if not reminder_ids:
            return 0
        result = await session.execute(
            update(NotificationRow)
            .where(NotificationRow.state == PENDING, NotificationRow.reminder_id.in_(reminder_ids))
            .values(state=CANCELLED)
        )
        return result.rowcount or 0
