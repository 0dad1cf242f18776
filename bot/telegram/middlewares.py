"""Update middlewares: one transaction per update or per batch; handled updates are skipped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.accounts import register
from bot.services.agenda import digest_key, schedule_digest
from bot.storage.coordination import hold_chat, wake_others
from bot.storage.db import Database
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies

log = logging.getLogger(__name__)


# The scheduler sits above this layer; the middleware only needs to wake it after a commit.
class Pokeable(Protocol):
    """The outbox worker: told that new messages wait."""

    def poke(self) -> None: ...


class Armable(Protocol):
    """The alarm clock: told that the earliest due time may have moved."""

    async def arm(self) -> object: ...


def _is_private(update: Update) -> bool:
    """True for events that come from a person's private chat with the bot."""
    if update.message is not None:
        return update.message.chat.type == "private"
    if update.callback_query is not None:
        msg = update.callback_query.message
        return msg is None or msg.chat.type == "private"
    return False


def _is_command(update: Update) -> bool:
    """True for a message that is a /command."""
    text = update.message.text if update.message is not None else None
    return bool(text and text.startswith("/"))


def chat_of(update: Update) -> int:
    """The chat an update belongs to (0 for updates of no chat), whose order must hold."""
    event = (
        update.message
        or update.edited_message
        or update.business_message
        or update.edited_business_message
    )
    if event is not None:
        return event.chat.id
    query = update.callback_query
    if query is not None:
        return query.message.chat.id if query.message is not None else query.from_user.id
    if update.my_chat_member is not None:
        return update.my_chat_member.chat.id
    if update.deleted_business_messages is not None:
        return update.deleted_business_messages.chat.id
    return 0


class Batch:
    """Several updates handled in one transaction (one getUpdates answer): the session they
    share, and what to wake once it has committed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.poke = False
        self.arm = False


class UnitOfWorkMiddleware(BaseMiddleware):
    """Runs the handler in one transaction with the record of its update_id and its replies."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        delivery: Pokeable,
        alarm: Armable,
        replies_factory: Callable[[Repos, Clock], Replies] = Replies,
        *,
        default_zone: str = "UTC",
    ) -> None:
        self.db = db
        self.clock = clock
        self.delivery = delivery
        self.alarm = alarm
        # Swappable so a benchmark can compare with plain direct answers.
        self.replies_factory = replies_factory
        self.default_zone = default_zone

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        """Skip a redelivered update; otherwise handle it and commit everything at once."""
        assert isinstance(event, Update)
        batch: Batch | None = data.get("batch")
        if batch is not None:
            # The poller's transaction: it commits, then wakes delivery and the alarm.
            result, repos, replies = await self._handle(handler, event, data, batch.session)
            batch.poke = batch.poke or bool(replies is not None and replies.queued)
            batch.arm = batch.arm or bool(repos.reminders.changed)
            return result
        async with self.db.session() as session:
            result, repos, replies = await self._handle(handler, event, data, session)
        if replies is not None and replies.queued:
            self.delivery.poke()
        if repos.reminders.changed:
            await self.alarm.arm()
        return result

    async def _handle(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: Update,
        data: dict[str, Any],
        session: AsyncSession,
    ) -> tuple[Any, Repos, Replies | None]:
        """Claim the update, know its user, run the handler; (result, repos, replies)."""
        repos = Repos(session)
        # Another process may hold an update of the same chat (webhook deliveries come over
        # several connections): it commits first, so a question precedes its answer.
        await hold_chat(session, chat_of(event))
        if not await repos.updates.claim(event.update_id, self.clock.now()):
            log.info("update %s was handled before; skipped", event.update_id)
            return UNHANDLED, repos, None
        replies = self.replies_factory(repos, self.clock)
        data["repos"] = repos
        data["replies"] = replies
        tg_user = data.get("event_from_user")
        if tg_user is not None and not tg_user.is_bot:
            if _is_private(event):
                user, created = await register(
                    repos,
                    tg_user.id,
                    first_name=tg_user.first_name,
                    username=tg_user.username,
                    tg_language=tg_user.language_code,
                    now=self.clock.now(),
                )
                data["user_created"] = created
            else:
                user = await repos.users.get(tg_user.id)
            if user is not None and user.awaiting and _is_command(event):
                # A new command abandons the question the bot asked last: the text typed
                # after it must not be read as that old answer.
                user = await repos.users.update(user.id, self.clock.now(), awaiting=None)
            data["user"] = user
        result = await handler(event, data)
        await self._follow_settings(repos, data.get("user"))
        if replies.queued or repos.reminders.changed:
            await wake_others(session)
        return result, repos, replies

    async def _follow_settings(self, repos: Repos, before: Any) -> None:
        """Re-arm the morning digest when the handler changed what its time depends on."""
        if before is None:
            return
        after = await repos.users.get(before.id)  # identity map: no query unless it changed
        if digest_key(after) != digest_key(before) and after is not None:
            await schedule_digest(repos, after, self.clock.now(), self.default_zone)
