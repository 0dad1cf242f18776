"""Workspaces and their members."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import MembershipRow, WorkspaceRow
from bot.storage.records import Membership, Workspace, plain
from bot.storage.repositories.identity import keep

# In order of rank; "member" is kept for rows written before roles had meaning.
ROLES = ("owner", "admin", "manager", "member")


def new_invite_code() -> str:
    """An unguessable code short enough for a /start payload (max 64 chars)."""
    return secrets.token_urlsafe(12)


def new_intake_secret() -> str:
    """An unguessable secret for the intake URL."""
    return secrets.token_urlsafe(24)


# session.info key of the teams read per user in this unit of work.
_OF_USER = "workspaces_of_user"


class WorkspaceRepo:
    """Reads and writes `workspaces` and `memberships`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(self, name: str, owner_id: int, now: datetime) -> Workspace:
        """A new workspace with its owner as the first member."""
        self._forget()
        row = WorkspaceRow(
            name=name[:200],
            owner_id=owner_id,
            invite_code=new_invite_code(),
            intake_secret=new_intake_secret(),
            silent_days=14,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        self.session.add(
            MembershipRow(workspace_id=row.id, user_id=owner_id, role="owner", joined_at=now)
        )
        await self.session.flush()
        return plain(Workspace, row)

    async def get(self, workspace_id: int) -> Workspace | None:
        """The workspace, or None."""
        row = keep(self.session, await self.session.get(WorkspaceRow, workspace_id))
        return None if row is None else plain(Workspace, row)

    async def by_invite(self, code: str) -> Workspace | None:
        """The workspace an invite code belongs to."""
        row = await self.session.scalar(
            select(WorkspaceRow).where(WorkspaceRow.invite_code == code)
        )
        return None if row is None else plain(Workspace, row)

    async def by_intake_secret(self, secret: str) -> tuple[int, str] | None:
        """(workspace id, its secret) for an intake secret, by the column's unique index."""
        row = (
            await self.session.execute(
                select(WorkspaceRow.id, WorkspaceRow.intake_secret).where(
                    WorkspaceRow.intake_secret == secret
                )
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def rotate_invite(self, workspace_id: int) -> str:
        """A new invite code: old links stop working (after someone was removed)."""
        self._forget()
        code = new_invite_code()
        await self.session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(invite_code=code)
        )
        return code

    async def rotate_intake_secret(self, workspace_id: int) -> str:
        """Replace the intake secret; the old URL stops working at once."""
        self._forget()
        secret = new_intake_secret()
        await self.session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(intake_secret=secret)
        )
        return secret

    async def set_lead_sla(self, workspace_id: int, seconds: int | None) -> None:
        """Override (or reset, with None) the workspace's lead response time."""
        self._forget()
        await self.session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.id == workspace_id)
            .values(lead_sla_seconds=seconds)
        )

    async def set_silent_days(self, workspace_id: int, days: int) -> None:
        """After how many days without a touch a client counts as silent."""
        self._forget()
        await self.session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(silent_days=days)
        )

    async def set_reply_sla(self, workspace_id: int, minutes: int) -> None:
        """How long a known client's message may wait for an answer, in working minutes."""
        self._forget()
        await self.session.execute(
            update(WorkspaceRow)
            .where(WorkspaceRow.id == workspace_id)
            .values(reply_sla_minutes=minutes)
        )

    async def set_currency(self, workspace_id: int, currency: str) -> None:
        """The currency an invoice is in when its command names none."""
        self._forget()
        await self.session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(currency=currency)
        )

    async def add_member(
        self, workspace_id: int, user_id: int, role: str, now: datetime
    ) -> tuple[Membership, bool]:
        """Add a member unless already there; (membership, added)."""
        self._forget()
        if role not in ROLES:
            raise ValueError(role)
        row = await self.session.get(MembershipRow, (workspace_id, user_id))
        if row is not None:
            return plain(Membership, row), False
        row = MembershipRow(workspace_id=workspace_id, user_id=user_id, role=role, joined_at=now)
        self.session.add(row)
        await self.session.flush()
        return plain(Membership, row), True

    async def set_role(self, workspace_id: int, user_id: int, role: str) -> None:
        """Give a member another role."""
        self._forget()
        if role not in ROLES:
            raise ValueError(role)
        await self.session.execute(
            update(MembershipRow)
            .where(MembershipRow.workspace_id == workspace_id, MembershipRow.user_id == user_id)
            .values(role=role)
        )

    async def remove_member(self, workspace_id: int, user_id: int) -> None:
        """Take a person out of the team."""
        self._forget()
        await self.session.execute(
            delete(MembershipRow).where(
                MembershipRow.workspace_id == workspace_id, MembershipRow.user_id == user_id
            )
        )

    async def rename(self, workspace_id: int, name: str) -> None:
        """Name the team."""
        self._forget()
        await self.session.execute(
            update(WorkspaceRow).where(WorkspaceRow.id == workspace_id).values(name=name[:200])
        )

    async def membership(self, workspace_id: int, user_id: int) -> Membership | None:
        """The user's role in the workspace, or None if they are not a member."""
        row = keep(self.session, await self.session.get(MembershipRow, (workspace_id, user_id)))
        return None if row is None else plain(Membership, row)

    async def members(self, workspace_id: int) -> list[Membership]:
        """Everyone in the workspace, owner first."""
        rows = await self.session.scalars(
            select(MembershipRow).where(MembershipRow.workspace_id == workspace_id)
        )
        return sorted((plain(Membership, r) for r in rows), key=lambda m: ROLES.index(m.role))

    def _forget(self) -> None:
        """Drop what this unit of work remembered of teams: one of them is changing."""
        self.session.info.pop(_OF_USER, None)

    async def of_user(self, user_id: int) -> list[tuple[Workspace, str]]:
        """Every workspace the user belongs to, with their role there (read once per unit of
        work: a command asks for it from several places)."""
        known: dict[int, list[tuple[Workspace, str]]] = self.session.info.setdefault(_OF_USER, {})
        if user_id in known:
            return list(known[user_id])
        rows = await self.session.execute(
            select(WorkspaceRow, MembershipRow.role)
            .join(MembershipRow, MembershipRow.workspace_id == WorkspaceRow.id)
            .where(MembershipRow.user_id == user_id)
            .order_by(WorkspaceRow.id)
        )
        known[user_id] = [(plain(Workspace, ws), role) for ws, role in rows]
        return list(known[user_id])
