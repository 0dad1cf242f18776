"""Repositories over one session: `Repos(session)` gives every one of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

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


__all__ = ["Repos"]
