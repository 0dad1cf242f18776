"""Watched chats: who is speaking, who owes the next reply, and when a silence becomes a ping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.parsing.pleasantries import is_pleasantry
from bot.services.align import add_working_time
from bot.services.followups import client_window, stop_chases
from bot.services.leads import respond, workspace_sla
from bot.storage.records import Client, Conversation, Reminder, User, Workspace
from bot.storage.repositories import Repos

REPLY_KIND, REPLY_ESCALATION_KIND = "reply_sla", "reply_escalation"
REPLY_KINDS = (REPLY_KIND, REPLY_ESCALATION_KIND)
# What of a client's message is kept: enough to recognise it, not the whole conversation.
SNIPPET = 200
CLIENT, TEAM, NOBODY = "client", "team", "nobody"
# "Snooze" on a reply ping asks again this much later.
SNOOZE = timedelta(minutes=30)


@dataclass(frozen=True)
class Said:
    """One message in a watched chat, as the watcher needs it (no aiogram types)."""

    from_id: int | None
    from_is_bot: bool
    sender_chat_id: int | None
    chat_id: int
    is_service: bool = False
    # Business chats: our own echo, and away/greeting messages, belong to neither side.
    from_business_bot: bool = False
    from_offline: bool = False


def speaker(said: Said, team: set[int], manager_id: int | None = None) -> str:
    """Which side a message is from: the client's, ours (`team`), or neither.

    In a group our side is any team member, and an anonymous admin (who posts as the group
    itself). In a Business chat (`manager_id` given) our side is the manager alone.
    """
    if said.is_service or said.from_business_bot or said.from_offline:
        return NOBODY
    if said.sender_chat_id is not None:
        # An anonymous admin speaks as the group: staff. A channel speaking is nobody's reply.
        return TEAM if said.sender_chat_id == said.chat_id else NOBODY
    if said.from_id is None or said.from_is_bot:
        return NOBODY
    if manager_id is not None:
        return TEAM if said.from_id == manager_id else CLIENT
    return TEAM if said.from_id in team else CLIENT


def manager_of(client: Client, workspace: Workspace) -> int:
    """Who is pinged about the client: their owner, else the team's owner."""
    return client.owner_id or workspace.owner_id


def reply_due(
    client: Client,
    workspace: Workspace,
    manager: User,
    since: datetime,
    *,
    lead_sla: timedelta,
    default_zone: str,
) -> tuple[datetime, datetime]:
    """When the ping and the escalation are due for a message that came at `since`.

    A lead is answered within the lead SLA around the clock, as /lead is. A known client
    within the team's reply SLA counted in the client's working hours: a Friday-evening
    message is due on Monday morning, not at midnight.
    """
    if client.status == "lead":
        sla = workspace_sla(workspace, lead_sla)
        return since + sla, since + 2 * sla
    sla = timedelta(minutes=workspace.reply_sla_minutes)
    window = client_window(client, manager, default_zone)
    return add_working_time(since, sla, window), add_working_time(since, 2 * sla, window)


async def _retire(repos: Repos, conversation_id: int) -> None:
    """The conversation's pings are off, with any message of theirs still held back."""
    await repos.reminders.cancel_for_ref(REPLY_KINDS, conversation_id)
    await repos.outbox.cancel_for_reminders(
        await repos.reminders.ids_for_ref(REPLY_KINDS, conversation_id)
    )


async def arm_reply_clock(
    repos: Repos,
    conv: Conversation,
    client: Client,
    workspace: Workspace,
    manager: User,
    now: datetime,
    *,
    lead_sla: timedelta,
    default_zone: str,
) -> None:
    """The ping to the client's manager at the SLA and the escalation at twice it."""
    assert conv.waiting_since is not None
    due, escalate = reply_due(
        client, workspace, manager, conv.waiting_since, lead_sla=lead_sla, default_zone=default_zone
    )
    payload = {"conv": conv.id, "since": conv.waiting_since.timestamp()}
    await repos.reminders.add(
        workspace.id,
        REPLY_KIND,
        max(due, now),
        now=now,
        client_id=client.id,
        user_id=manager.id,
        ref_id=conv.id,
        urgent=client.status == "lead",
        payload=payload,
    )
    await repos.reminders.add(
        workspace.id,
        REPLY_ESCALATION_KIND,
        max(escalate, now),
        now=now,
        client_id=client.id,
        user_id=None,
        ref_id=conv.id,
        urgent=client.status == "lead",
        payload=payload,
    )


async def client_wrote(
    repos: Repos,
    conv: Conversation,
    client: Client,
    at: datetime,
    text: str | None,
    message_id: int,
    *,
    start: bool = True,
) -> tuple[Conversation, bool]:
    """A client's message: logged as an incoming touch (its first words), their chases
    stopped, and our clock started unless one already runs or it is only a pleasantry
    (`start=False`: a new lead's first message, whose own lead clock already runs).
    Returns the conversation and whether a clock started (the caller arms its pings)."""
    snippet = (text or "").strip()[:SNIPPET]
    await repos.clients.add_touch(
        client.id,
        user_id=None,
        kind="message",
        direction="in",
        at=at,
        now=at,
        summary=snippet,
    )
    await stop_chases(repos, client.id, at)
    changes: dict[str, object] = {"last_client_at": at}
    starts = start and conv.waiting_since is None and not is_pleasantry(text)
    if starts:
        changes.update(waiting_since=at, waiting_message_id=message_id, waiting_text=snippet)
    conv = await repos.chats.update_conversation(conv.id, **changes)
    return conv, starts


async def team_wrote(
    repos: Repos, conv: Conversation, client: Client, user_id: int | None, at: datetime
) -> Conversation:
    """Our side wrote in the chat: nobody owes a reply any more; a lead is answered."""
    if conv.waiting_since is not None:
        await _retire(repos, conv.id)
    if client.awaiting_answer and user_id is not None:
        await respond(repos, client, user_id, at, kind="message")
    return await repos.chats.update_conversation(
        conv.id, waiting_since=None, waiting_message_id=None, waiting_text="", last_ours_at=at
    )


async def no_reply_needed(repos: Repos, conv: Conversation, at: datetime) -> Conversation:
    """The manager says the client's message needs no answer: the clock stops."""
    await _retire(repos, conv.id)
    return await repos.chats.update_conversation(
        conv.id, waiting_since=None, waiting_message_id=None, waiting_text=""
    )


async def stop_watching(repos: Repos, chat_id: int, now: datetime, *, forget: bool) -> None:
    """The bot can no longer see a group (removed), or it now belongs to someone else
    (re-linked, `forget`): its clocks stop, since no answer there could stop them."""
    for conv in await repos.chats.conversations_in(chat_id):
        if conv.waiting_since is not None:
            await no_reply_needed(repos, conv, now)
    if forget:
        await repos.chats.drop_conversations(chat_id)


async def still_owed(repos: Repos, reminder: Reminder) -> tuple[Conversation, Client] | None:
    """The conversation a fired ping is about, if we still owe the same reply (re-checked
    just before sending: an answer meanwhile means no ping)."""
    conv = await repos.chats.get_conversation(reminder.ref_id) if reminder.ref_id else None
    if conv is None or conv.waiting_since is None:
        return None
    if reminder.payload_dict().get("since") != conv.waiting_since.timestamp():
        return None  # answered, then a newer message started another clock
    client = await repos.clients.get(conv.client_id)
    if client is None or client.status in ("lost", "paused"):
        return None
    return conv, client


def message_link(chat_id: int, chat_type: str, message_id: int | None, thread_id: int = 0) -> str:
    """A t.me link to a message in a supergroup; none exists for basic groups and private
    chats ('')."""
    if chat_type != "supergroup" or message_id is None or not str(chat_id).startswith("-100"):
        return ""
    internal = str(chat_id)[4:]
    if thread_id:
        return f"https://t.me/c/{internal}/{thread_id}/{message_id}"
    return f"https://t.me/c/{internal}/{message_id}"
