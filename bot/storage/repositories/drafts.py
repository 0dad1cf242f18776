"""Drafts: a question the bot asked and what it is about, kept until answered, so nothing a
user sent is lost and each question's buttons work once."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import DraftRow

OPEN = "open"
USED = "used"
GONE = "gone"


@dataclass(frozen=True)
class Draft:
    """A stored question: its id and the token its buttons carry."""

    id: int
    token: str


@dataclass(frozen=True)
class Taken:
    """What answering a question found: `open` (payload is yours now), `used` or `gone`."""

    state: str
    payload: dict[str, Any]


class DraftRepo:
    """Reads and writes `drafts`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, user_id: int, kind: str, payload: dict[str, Any], now: datetime) -> Draft:
        """Keep a question; its id and token go into its buttons."""
        row = DraftRow(
            user_id=user_id,
            kind=kind,
            payload=json.dumps(payload, ensure_ascii=False),
            token=secrets.token_hex(3),
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return Draft(row.id, row.token)

    async def peek(self, draft_id: int, user_id: int, kind: str, token: str) -> Taken:
        """The question as `take` would find it, without answering it (for paging)."""
        row = await self.session.scalar(
            select(DraftRow).where(
                DraftRow.id == draft_id, DraftRow.user_id == user_id, DraftRow.kind == kind
            )
        )
        if row is None or row.token != token:
            return Taken(GONE, {})
        return Taken(USED if row.used_at is not None else OPEN, json.loads(row.payload))

    async def take(
        self, draft_id: int, user_id: int, kind: str, now: datetime, token: str | None = None
    ) -> Taken:
        """Answer the user's question once: `open` with its payload the first time; `used`
        after that; `gone` if it is not theirs, of another kind, or the token differs (a
        button of an older question whose id was reused). `token=None` for typed answers,
        whose question id the bot itself kept."""
        row = await self.session.scalar(
            select(DraftRow).where(
                DraftRow.id == draft_id, DraftRow.user_id == user_id, DraftRow.kind == kind
            )
        )
        if row is None or (token is not None and row.token != token):
            return Taken(GONE, {})
        # Only the first of two racing presses marks it: the other finds it used.
        marked = await self.session.execute(
            update(DraftRow)
            .where(DraftRow.id == draft_id, DraftRow.used_at.is_(None))
            .values(used_at=now)
        )
        if not marked.rowcount:
            return Taken(USED, {})
        return Taken(OPEN, json.loads(row.payload))

    async def drop_open(self, user_id: int, now: datetime) -> int:
        """Close every question still open for the user (they cancelled); how many."""
        result = await self.session.execute(
            update(DraftRow)
            .where(DraftRow.user_id == user_id, DraftRow.used_at.is_(None))
            .values(used_at=now)
        )
        return result.rowcount or 0
