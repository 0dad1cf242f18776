"""Repositories over one session: `Repos(session)` gives every one of them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import ClientRow, UserRow, WorkspaceRow
from bot.storage.records import Reminder
from bot.storage.repositories.chats import ChatRepo
from bot.storage.repositories.clients import ClientRepo
from bot.storage.repositories.drafts import DraftRepo
from bot.storage.repositories.followups import FollowUpRepo
from bot.storage.repositories.intake import IntakeRepo
from bot.storage.repositories.invoices import InvoiceRepo
from bot.storage.repositories.outbox import OutboxRepo
from bot.storage.repositories.reminders import ReminderRepo
from bot.storage.repositories.tasks import TaskRepo
from bot.storage.repositories.updates import UpdateRepo
from bot.storage.repositories.users import UserRepo
from bot.storage.repositories.workspaces import WorkspaceRepo


class Repos:
    """All repositories bound to one unit of work."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.users = UserRepo(session)
        self.workspaces = WorkspaceRepo(session)
        self.updates = UpdateRepo(session)
        self.outbox = OutboxRepo(session)
        self.clients = ClientRepo(session)
        self.reminders = ReminderRepo(session)
        self.intake = IntakeRepo(session)
        self.drafts = DraftRepo(session)
        self.followups = FollowUpRepo(session)
        self.tasks = TaskRepo(session)
        self.invoices = InvoiceRepo(session)
        self.chats = ChatRepo(session)
        # Rows read ahead for a batch: the session's identity map holds them only weakly.
        self._kept: list[object] = []

    async def prefetch(self, reminders: Sequence[Reminder]) -> None:
        """Read what firing these reminders looks up (their clients with contacts, the people
        and teams involved) in one query per table: each later get() is then answered from the
        session's identity map instead of a query of its own."""
        client_ids = sorted({r.client_id for r in reminders if r.client_id})
        clients = list(
            await self.session.scalars(select(ClientRow).where(ClientRow.id.in_(client_ids)))
        )
        teams = list(
            await self.session.scalars(
                select(WorkspaceRow).where(
                    WorkspaceRow.id.in_(sorted({r.workspace_id for r in reminders}))
                )
            )
        )
        people = (
            {r.user_id for r in reminders if r.user_id}
            | {c.owner_id for c in clients if c.owner_id}
            | {w.owner_id for w in teams}
        )
        users = list(await self.session.scalars(select(UserRow).where(UserRow.id.in_(people))))
        await self.clients.prefetch_contacts(client_ids)
        self._kept = [*clients, *teams, *users]


__all__ = ["Repos"]
