"""Groups: being added or removed, /link, and watching a linked client chat for replies owed."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.enums import ChatMemberStatus, ContentType
from aiogram.filters import Command, CommandObject
from aiogram.types import ChatMemberUpdated, Message

from bot.clock import Clock
from bot.handlers.common import linked_team_chat, team_name
from bot.services.accounts import current_workspace
from bot.services.agenda import schedule_team_digest
from bot.services.chats import (
    CLIENT,
    TEAM,
    Said,
    arm_reply_clock,
    client_wrote,
    manager_of,
    speaker,
    stop_watching,
    team_wrote,
)
from bot.services.clients import name_in_text
from bot.settings import Settings
from bot.storage.records import LinkedChat, User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import esc
from bot.views.groups import (
    added_text,
    cannot_read_text,
    demoted_text,
    link_refused,
    link_usage,
    linked_client_text,
    linked_team_text,
    private_only_keyboard,
    private_only_text,
    unlinked_owner_text,
)

router = Router(name=__name__)
# Nothing about clients, the agenda, invites or intake may be posted where people outside the
# team may read it; this router comes first and keeps group messages from the others.
router.message.filter(F.chat.type.in_({"group", "supergroup", "channel"}))

IN = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR}
ADMINS = {ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.CREATOR}


@router.my_chat_member()
async def on_my_chat_member(
    event: ChatMemberUpdated, repos: Repos, replies: Replies, settings: Settings, clock: Clock
) -> None:
    """Added: one line on what the bot does here. Removed: the link sleeps, its owner hears."""
    if event.chat.type not in ("group", "supergroup"):
        return
    was_in = event.old_chat_member.status in IN
    is_in = event.new_chat_member.status in IN
    linked = await repos.chats.get(event.chat.id)
    if is_in and not was_in:
        if linked is not None:
            await repos.chats.set_active(event.chat.id, True)
            workspace = await repos.workspaces.get(linked.workspace_id)
            owner = await repos.users.get(workspace.owner_id) if workspace else None
            if linked.kind == "team" and owner is not None:
                # Back in the team's chat: its morning post resumes.
                await schedule_team_digest(
                    repos, linked.workspace_id, owner, clock.now(), settings.default_timezone
                )
        else:
            await replies.send(event.chat.id, added_text())
    elif was_in and not is_in and linked is not None:
        await repos.chats.set_active(event.chat.id, False)
        await stop_watching(repos, event.chat.id, clock.now(), forget=False)
        await _tell_linkers(repos, replies, linked, unlinked_owner_text(esc(linked.title)))
    elif (
        linked is not None
        and event.old_chat_member.status == ChatMemberStatus.ADMINISTRATOR
        and event.new_chat_member.status == ChatMemberStatus.MEMBER
    ):
        # Demoted: with privacy mode on the bot now sees commands only, and would miss replies.
        await _tell_linkers(repos, replies, linked, demoted_text(esc(linked.title)))


async def _tell_linkers(repos: Repos, replies: Replies, linked: LinkedChat, text: str) -> None:
    """Whoever linked the chat, and the team's owner, hear about it privately."""
    workspace = await repos.workspaces.get(linked.workspace_id)
    for person_id in dict.fromkeys([linked.linked_by, workspace.owner_id if workspace else 0]):
        person = await repos.users.get(person_id) if person_id else None
        if person is not None and person.blocked_at is None:
            await replies.send(person.id, text)


@router.message(F.migrate_to_chat_id)
async def on_migrated(message: Message, repos: Repos) -> None:
    """A group became a supergroup: its link and conversations move to the new id."""
    assert message.migrate_to_chat_id is not None
    await repos.chats.move(message.chat.id, message.migrate_to_chat_id)


@router.message(Command("link", ignore_case=True))
async def cmd_link(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    bot: Bot,
    clock: Clock,
    settings: Settings,
) -> None:
    """`/link team` or `/link client <name>`, by a team member who is an admin here."""
    default_zone = settings.default_timezone
    chat_id, reply_to = message.chat.id, message.message_id
    words = (command.args or "").split(maxsplit=1)
    kind = words[0].lower() if words else ""
    if kind not in ("team", "client", "команда", "клиент") or (
        kind in ("client", "клиент") and len(words) < 2
    ):
        await replies.send(chat_id, link_usage(), reply_to=reply_to)
        return
    if message.sender_chat is not None:
        await replies.send(chat_id, link_refused("anonymous"), reply_to=reply_to)
        return
    found = await current_workspace(repos, user) if user is not None else None
    if user is None or found is None:
        await replies.send(chat_id, link_refused("start"), reply_to=reply_to)
        return
    member = await bot.get_chat_member(chat_id, user.id)
    if member.status not in ADMINS:
        await replies.send(chat_id, link_refused("not_admin"), reply_to=reply_to)
        return
    linked = await repos.chats.get(chat_id)
    if (
        linked is not None
        and await repos.workspaces.membership(linked.workspace_id, user.id) is None
    ):
        await replies.send(chat_id, link_refused("other_team"), reply_to=reply_to)
        return
    workspace, client = found[0], None
    if kind in ("client", "клиент"):
        teams = [w.id for w, _role in await repos.workspaces.of_user(user.id)]
        named = await name_in_text(repos, teams, words[1])
        if not named.unique or named.rest.strip():
            await replies.send(chat_id, link_refused("no_client"), reply_to=reply_to)
            return
        client = named.clients[0]
        workspace = await repos.workspaces.get(client.workspace_id) or workspace
    if linked is not None and (linked.kind, linked.client_id) != (
        "client" if client else "team",
        client.id if client else None,
    ):
        # Linked to someone else now: the old client's clocks stop, their conversation ends.
        await stop_watching(repos, chat_id, clock.now(), forget=True)
    await repos.chats.link(
        chat_id,
        workspace_id=workspace.id,
        kind="client" if client else "team",
        client_id=client.id if client else None,
        title=message.chat.title or "",
        chat_type=message.chat.type,
        by=user.id,
        now=clock.now(),
    )
    if client is None:
        text = linked_team_text(esc(await team_name(repos, workspace)))
        owner = await repos.users.get(workspace.owner_id)
        if owner is not None:
            await schedule_team_digest(repos, workspace.id, owner, clock.now(), default_zone)
    else:
        text = linked_client_text()
    me = await bot.get_chat_member(chat_id, bot.id)
    if (
        me.status != ChatMemberStatus.ADMINISTRATOR
        and not (await bot.me()).can_read_all_group_messages
    ):
        text += "\n" + cannot_read_text()
    await replies.send(chat_id, text, reply_to=reply_to)


# What a team's own chat may do: give tasks to its members (client names and what is due
# may show there; contacts, notes and lists stay in private chats).
TEAM_CHAT_COMMANDS = frozenset({"task"})


@router.message(F.text.startswith("/"))
async def on_group_command(
    message: Message,
    replies: Replies,
    bot_username: str,
    repos: Repos,
    settings: Settings,
    clock: Clock,
) -> None:
    """Any other command in a group: one line that it works in a private chat, with a button;
    in the team's chat, /task goes on to its router."""
    assert message.text is not None
    head = message.text.split(maxsplit=1)[0]
    name, _at, addressee = head[1:].partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return  # another bot's command
    linked = await repos.chats.get(message.chat.id)
    if linked is not None and linked.active and linked.kind == "client":
        sender = message.from_user.id if message.from_user else None
        team = {m.user_id for m in await repos.workspaces.members(linked.workspace_id)}
        if sender not in team:
            # A client's "/home/site is down?" is a message to us, not a command: it is
            # watched like any other, and nothing is answered into their chat.
            await _watch(message, linked, repos, settings, clock)
            return
    if name.lower() in TEAM_CHAT_COMMANDS and await linked_team_chat(repos, message.chat.id):
        raise SkipHandler
    await replies.send(
        message.chat.id,
        private_only_text(),
        reply_markup=private_only_keyboard(bot_username),
        reply_to=message.message_id,
    )


@router.message(~F.text.startswith("/"))
async def on_group_message(
    message: Message, repos: Repos, settings: Settings, clock: Clock
) -> None:
    """A message in a linked client chat: the client's starts our clock, ours stops it."""
    linked = await repos.chats.get(message.chat.id)
    if linked is not None and linked.active and linked.kind == "client":
        await _watch(message, linked, repos, settings, clock)


async def _watch(
    message: Message, linked: LinkedChat, repos: Repos, settings: Settings, clock: Clock
) -> None:
    """Who spoke in a watched client chat, and what that does to the reply clock."""
    client = await repos.clients.get(linked.client_id) if linked.client_id else None
    workspace = await repos.workspaces.get(linked.workspace_id)
    if client is None or workspace is None:
        return
    team = {m.user_id for m in await repos.workspaces.members(workspace.id)}
    said = Said(
        from_id=message.from_user.id if message.from_user else None,
        from_is_bot=bool(message.from_user and message.from_user.is_bot),
        sender_chat_id=message.sender_chat.id if message.sender_chat else None,
        chat_id=message.chat.id,
        is_service=message.content_type not in SPOKEN,
    )
    side = speaker(said, team)
    if side not in (CLIENT, TEAM):
        return
    at = min(message.date, clock.now()) if message.date else clock.now()
    thread = message.message_thread_id if message.is_topic_message else 0
    conv = await repos.chats.open_conversation(
        workspace_id=workspace.id,
        client_id=client.id,
        chat_id=message.chat.id,
        thread_id=thread or 0,
        connection_id="",
        chat_type=message.chat.type,
        title=message.chat.title or "",
        now=clock.now(),
    )
    if side == TEAM:
        await team_wrote(repos, conv, client, said.from_id, at)
        return
    text = message.text or message.caption or (message.sticker.emoji if message.sticker else None)
    conv, started = await client_wrote(
        repos,
        conv,
        client,
        at,
        text,
        message.message_id,
        # A lead nobody has answered yet has its own clock running: one ping, not two.
        start=not client.awaiting_answer,
    )
    if started:
        manager = await repos.users.get(manager_of(client, workspace))
        if manager is not None:
            await arm_reply_clock(
                repos,
                conv,
                client,
                workspace,
                manager,
                clock.now(),
                lead_sla=settings.lead_response_sla,
                default_zone=settings.default_timezone,
            )


# What people say to each other; every other kind of message (joins, pins, title changes,
# timers, boosts, topic edits…) is the chat's housekeeping and owes nobody a reply.
SPOKEN = frozenset(
    {
        ContentType.TEXT,
        ContentType.PHOTO,
        ContentType.DOCUMENT,
        ContentType.AUDIO,
        ContentType.VIDEO,
        ContentType.VOICE,
        ContentType.VIDEO_NOTE,
        ContentType.STICKER,
        ContentType.ANIMATION,
        ContentType.CONTACT,
        ContentType.LOCATION,
        ContentType.VENUE,
        ContentType.POLL,
        ContentType.DICE,
        ContentType.STORY,
        ContentType.PAID_MEDIA,
    }
)
