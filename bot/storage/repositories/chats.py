"""Linked groups, watched conversations and Business connections."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import BusinessConnectionRow, ChatRow, ConversationRow
from bot.storage.records import BusinessConnection, Conversation, LinkedChat, plain
from bot.storage.repositories.identity import keep


class ChatRepo:
    """Reads and writes `chats`, `conversations` and `business_connections`."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- linked groups ---------------------------------------------------------------------

    async def get(self, chat_id: int) -> LinkedChat | None:
        """The link of one group, if it has one."""
        row = keep(self.session, await self.session.get(ChatRow, chat_id))
        return plain(LinkedChat, row) if row is not None else None

    async def link(
        self,
        chat_id: int,
        *,
        workspace_id: int,
        kind: str,
        client_id: int | None,
        title: str,
        chat_type: str,
        by: int,
        now: datetime,
    ) -> LinkedChat:
        """Link a group (again): a new link replaces an old one of the same group, and a team
        has one team chat: linking another unlinks the old one."""
        if kind == "team":
            await self.session.execute(
                delete(ChatRow).where(
                    ChatRow.workspace_id == workspace_id,
                    ChatRow.kind == "team",
                    ChatRow.chat_id != chat_id,
                )
            )
        row = await self.session.get(ChatRow, chat_id)
        if row is None:
            row = ChatRow(chat_id=chat_id)
            self.session.add(row)
        row.workspace_id, row.kind, row.client_id = workspace_id, kind, client_id
        row.title, row.chat_type, row.active = title[:256], chat_type, True
        row.linked_by, row.linked_at = by, now
        await self.session.flush()
        return plain(LinkedChat, row)

    async def set_active(self, chat_id: int, active: bool) -> LinkedChat | None:
        """Mark a linked group as watched or not (the bot was removed or came back)."""
        row = await self.session.get(ChatRow, chat_id)
        if row is None:
            return None
        row.active = active
        await self.session.flush()
        return plain(LinkedChat, row)

    async def move(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup: its link and conversations follow the new id."""
        row = await self.session.get(ChatRow, old_chat_id)
        if row is not None and await self.session.get(ChatRow, new_chat_id) is None:
            await self.session.execute(
                update(ChatRow)
                .where(ChatRow.chat_id == old_chat_id)
                .values(chat_id=new_chat_id, chat_type="supergroup")
            )
        await self.session.execute(
            update(ConversationRow)
            .where(ConversationRow.chat_id == old_chat_id)
            .values(chat_id=new_chat_id, chat_type="supergroup")
        )

    async def team_chat(self, workspace_id: int) -> LinkedChat | None:
        """The team's active team chat, if it has one."""
        row = await self.session.scalar(
            select(ChatRow).where(
                ChatRow.workspace_id == workspace_id, ChatRow.kind == "team", ChatRow.active
            )
        )
        return plain(LinkedChat, row) if row is not None else None

    # --- conversations ---------------------------------------------------------------------

    async def conversation(
        self, chat_id: int, thread_id: int = 0, connection_id: str = ""
    ) -> Conversation | None:
        """One watched conversation, if it exists."""
        row = await self.session.scalar(
            select(ConversationRow).where(
                ConversationRow.chat_id == chat_id,
                ConversationRow.thread_id == thread_id,
                ConversationRow.connection_id == connection_id,
            )
        )
        return plain(Conversation, row) if row is not None else None

    async def open_conversation(
        self,
        *,
        workspace_id: int,
        client_id: int,
        chat_id: int,
        thread_id: int,
        connection_id: str,
        chat_type: str,
        title: str,
        now: datetime,
    ) -> Conversation:
        """The conversation, made on its first message."""
        found = await self.conversation(chat_id, thread_id, connection_id)
        if found is not None:
            return found
        row = ConversationRow(
            workspace_id=workspace_id,
            client_id=client_id,
            chat_id=chat_id,
            thread_id=thread_id,
            connection_id=connection_id,
            chat_type=chat_type,
            title=title[:256],
            waiting_text="",
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return plain(Conversation, row)

    async def waiting(self, workspace_ids: list[int], limit: int = 200) -> list[Conversation]:
        """Conversations of these teams where we owe a reply, longest waiting first."""
        rows = await self.session.scalars(
            select(ConversationRow)
            .where(
                ConversationRow.workspace_id.in_(workspace_ids),
                ConversationRow.waiting_since.is_not(None),
            )
            .order_by(ConversationRow.waiting_since)
            .limit(limit)
        )
        return [plain(Conversation, r) for r in rows]

    async def waiting_through(self, connection_id: str) -> list[Conversation]:
        """The Business connection's conversations where we owe a reply."""
        rows = await self.session.scalars(
            select(ConversationRow).where(
                ConversationRow.connection_id == connection_id,
                ConversationRow.waiting_since.is_not(None),
            )
        )
        return [plain(Conversation, r) for r in rows]

    async def conversations_in(self, chat_id: int) -> list[Conversation]:
        """Every conversation of one group (its topics too)."""
        rows = await self.session.scalars(
            select(ConversationRow).where(
                ConversationRow.chat_id == chat_id, ConversationRow.connection_id == ""
            )
        )
        return [plain(Conversation, r) for r in rows]

    async def drop_conversations(self, chat_id: int) -> None:
        """Forget a group's conversations (it is linked to someone else now)."""
        await self.session.execute(
            delete(ConversationRow).where(
                ConversationRow.chat_id == chat_id, ConversationRow.connection_id == ""
            )
        )

    async def get_conversation(self, conversation_id: int) -> Conversation | None:
        """One conversation by id."""
        row = await self.session.get(ConversationRow, conversation_id)
        return plain(Conversation, row) if row is not None else None

    async def update_conversation(self, conversation_id: int, **changes: Any) -> Conversation:
        """Change fields of one conversation and return it."""
        await self.session.execute(
            update(ConversationRow).where(ConversationRow.id == conversation_id).values(**changes)
        )
        row = await self.session.get(ConversationRow, conversation_id, populate_existing=True)
        assert row is not None
        return plain(Conversation, row)

    # --- Business connections --------------------------------------------------------------

    async def connection(self, connection_id: str) -> BusinessConnection | None:
        """One Business connection."""
        row = await self.session.get(BusinessConnectionRow, connection_id)
        return plain(BusinessConnection, row) if row is not None else None

    async def save_connection(
        self,
        connection_id: str,
        *,
        user_id: int,
        user_chat_id: int,
        can_reply: bool,
        can_read: bool,
        is_enabled: bool,
        now: datetime,
    ) -> BusinessConnection:
        """Store a connection as its latest update describes it."""
        row = await self.session.get(BusinessConnectionRow, connection_id)
        if row is None:
            row = BusinessConnectionRow(id=connection_id)
            self.session.add(row)
        row.user_id, row.user_chat_id = user_id, user_chat_id
        row.can_reply, row.can_read, row.is_enabled = can_reply, can_read, is_enabled
        row.updated_at = now
        await self.session.flush()
        return plain(BusinessConnection, row)
