"""Watched chats: the buttons on a reply ping, and the manager's Business private chats."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.types import BusinessConnection, CallbackQuery, Message

from bot.clock import Clock
from bot.handlers.common import answer, group_may_show
from bot.parsing.leadtext import Contact as ParsedContact
from bot.parsing.leadtext import LeadText
from bot.services.accounts import current_workspace
from bot.services.chats import (
    CLIENT,
    REPLY_KIND,
    SNOOZE,
    TEAM,
    Said,
    arm_reply_clock,
    client_wrote,
    manager_of,
    no_reply_needed,
    speaker,
    team_wrote,
)
from bot.services.leads import create_lead, workspace_sla
from bot.settings import Settings
from bot.storage.records import Conversation, User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.chats import (
    ReplyCb,
    business_text,
    passed_text,
    people_keyboard,
    reply_answered,
    reply_closed,
    reply_mine,
    reply_not_yours,
    reply_snoozed,
)
from bot.views.common import esc, id_arg

router = Router(name=__name__)


async def _pressed(
    query: CallbackQuery, data: ReplyCb, user: User | None, repos: Repos
) -> tuple[Conversation, Message, User] | None:
    """The conversation a ping's button is about, if the presser is in its team and the
    silence it was about still lasts; otherwise the press is answered with why."""
    conv = await repos.chats.get_conversation(data.id)
    msg = query.message
    member = (
        await repos.workspaces.membership(conv.workspace_id, user.id)
        if conv is not None and user is not None
        else None
    )
    if conv is None or user is None or member is None or not isinstance(msg, Message):
        await answer(query, reply_not_yours(), show_alert=True)
        return None
    if not await group_may_show(repos, msg, conv.workspace_id):
        await answer(query, reply_not_yours(), show_alert=True)
        return None
    if conv.waiting_since is None or str(int(conv.waiting_since.timestamp())) != data.t:
        await answer(query, reply_answered())
        return None
    return conv, msg, user


@router.callback_query(ReplyCb.filter(), F.message)
async def on_reply_button(
    query: CallbackQuery,
    callback_data: ReplyCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    clock: Clock,
) -> None:
    """I'll answer · assign to… · +30 min · no reply needed."""
    pressed = await _pressed(query, callback_data, user, repos)
    if pressed is None:
        return
    conv, msg, user = pressed
    now, action = clock.now(), callback_data.action
    client = await repos.clients.get(conv.client_id)
    name = esc(client.name) if client else "—"
    if action == "mine":
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, reply_mine(name))
    elif action == "who":
        members = await repos.workspaces.members(conv.workspace_id)
        people = await repos.users.many([m.user_id for m in members if m.user_id != user.id])
        await replies.edit_markup(
            msg.chat.id,
            msg.message_id,
            people_keyboard(conv, sorted(people.values(), key=lambda p: p.display_name)),
        )
        await answer(query)
    elif action in ("to", "snz"):
        target_id = id_arg(callback_data.arg) if action == "to" else user.id
        member = (
            await repos.workspaces.membership(conv.workspace_id, target_id) if target_id else None
        )
        if member is None or target_id is None:
            await answer(query, reply_not_yours(), show_alert=True)
            return
        # One private ping per silence: a new one (now to a colleague, or later to me)
        # replaces the one still to come; the escalation keeps its time.
        await repos.reminders.cancel_for_ref((REPLY_KIND,), conv.id)
        assert conv.waiting_since is not None
        await repos.reminders.add(
            conv.workspace_id,
            REPLY_KIND,
            now if action == "to" else now + SNOOZE,
            now=now,
            client_id=conv.client_id,
            user_id=target_id,
            ref_id=conv.id,
            payload={"conv": conv.id, "since": conv.waiting_since.timestamp()},
        )
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        if action == "to":
            person = await repos.users.get(target_id)
            await answer(query, passed_text(name, esc(person.display_name if person else "—")))
        else:
            await answer(query, reply_snoozed())
    elif action == "none":
        await no_reply_needed(repos, conv, now)
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, reply_closed(name))
    else:
        await answer(query, reply_answered())


@router.business_connection()
async def on_business_connection(
    connection: BusinessConnection, repos: Repos, replies: Replies, clock: Clock
) -> None:
    """A manager connected (or changed, or disconnected) Nudge in Telegram Business."""
    rights = connection.rights
    saved = await repos.chats.save_connection(
        connection.id,
        user_id=connection.user.id,
        user_chat_id=connection.user_chat_id,
        can_reply=bool(rights and rights.can_reply),
        can_read=bool(rights and rights.can_read_messages),
        is_enabled=connection.is_enabled,
        now=clock.now(),
    )
    if not saved.is_enabled:
        # Not watched any more: no ping may come about a chat the bot can no longer see.
        for conv in await repos.chats.waiting_through(saved.id):
            await no_reply_needed(repos, conv, clock.now())
    person = await repos.users.get(connection.user.id)
    if person is not None and person.blocked_at is None:
        await replies.send(saved.user_chat_id, business_text(saved.is_enabled))


@router.business_message()
async def on_business_message(
    message: Message, repos: Repos, settings: Settings, clock: Clock
) -> None:
    """A message in a manager's private chat: a new person becomes a lead, a client's message
    starts our clock, the manager's own stops it. Nothing is ever sent into these chats."""
    connection = (
        await repos.chats.connection(message.business_connection_id)
        if message.business_connection_id
        else None
    )
    if connection is None or not connection.is_enabled:
        return
    manager = await repos.users.get(connection.user_id)
    found = await current_workspace(repos, manager) if manager is not None else None
    if manager is None or found is None:
        return  # a manager who never started the bot has no team to file clients in
    workspace = found[0]
    said = Said(
        from_id=message.from_user.id if message.from_user else None,
        from_is_bot=bool(message.from_user and message.from_user.is_bot),
        sender_chat_id=None,
        chat_id=message.chat.id,
        from_business_bot=message.sender_business_bot is not None,
        from_offline=bool(message.is_from_offline),
    )
    side = speaker(said, set(), manager_id=connection.user_id)
    now = clock.now()
    at = min(message.date, now) if message.date else now
    conv = await repos.chats.conversation(message.chat.id, 0, connection.id)
    if conv is None:
        if side != CLIENT:
            return  # the manager writing first to someone: nothing is owed to anyone yet
        person = message.from_user
        assert person is not None
        name = " ".join(filter(None, [person.first_name, person.last_name])) or str(person.id)
        contacts = (ParsedContact("username", "@" + person.username),) if person.username else ()
        known = (
            await repos.clients.with_contact(
                workspace.id, "username", [person.username, "@" + person.username]
            )
            if person.username
            else []
        )
        if known:
            client = known[0]
        else:
            text = message.text or message.caption or ""
            client = await create_lead(
                repos,
                workspace,
                manager.id,
                LeadText(name, contacts, text),
                now=now,
                sla=workspace_sla(workspace, settings.lead_response_sla),
                source="business",
                received_at=at,
            )
        conv = await repos.chats.open_conversation(
            workspace_id=workspace.id,
            client_id=client.id,
            chat_id=message.chat.id,
            thread_id=0,
            connection_id=connection.id,
            chat_type="private",
            title=name,
            now=now,
        )
        # A new lead's own clock (the lead SLA ping and escalation) already runs for this
        # message: the conversation's clock starts with the next one.
        conv, started = await client_wrote(
            repos,
            conv,
            client,
            at,
            message.text or message.caption,
            message.message_id,
            start=bool(known) and not client.awaiting_answer,
        )
        if started:
            await _arm(repos, conv.id, workspace.id, manager, settings, now)
        return
    client = await repos.clients.get(conv.client_id)
    if client is None:
        return
    if side == TEAM:
        await team_wrote(repos, conv, client, manager.id, at)
    elif side == CLIENT:
        conv, started = await client_wrote(
            repos,
            conv,
            client,
            at,
            message.text or message.caption,
            message.message_id,
            # A lead nobody has answered yet has its own clock running: one ping, not two.
            start=not client.awaiting_answer,
        )
        if started:
            await _arm(repos, conv.id, workspace.id, manager, settings, now)


async def _arm(
    repos: Repos, conv_id: int, workspace_id: int, manager: User, settings: Settings, now: datetime
) -> None:
    """Start the pings of a silence that has just begun."""
    conv = await repos.chats.get_conversation(conv_id)
    workspace = await repos.workspaces.get(workspace_id)
    client = await repos.clients.get(conv.client_id) if conv else None
    if conv is None or workspace is None or client is None:
        return
    person = await repos.users.get(manager_of(client, workspace)) or manager
    await arm_reply_clock(
        repos,
        conv,
        client,
        workspace,
        person,
        now,
        lead_sla=settings.lead_response_sla,
        default_zone=settings.default_timezone,
    )


@router.edited_business_message()
async def on_edited_business_message(message: Message) -> None:
    """An edit changes nothing about who owes a reply."""


@router.deleted_business_messages()
async def on_deleted_business_messages(event: object) -> None:
    """A deleted message changes nothing about who owes a reply (it was seen)."""
