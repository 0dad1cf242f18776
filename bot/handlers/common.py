"""Helpers shared by the routers: who is asking, in which team, with what rights; button answers."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.services.accounts import CAN_MANAGE, current_workspace
from bot.services.clients import accessible, client_file, name_in_text, new_client_name
from bot.settings import Settings
from bot.storage.records import Client, LinkedChat, User, Workspace
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.clients import card_keyboard, client_card, client_picker
from bot.views.common import esc, id_arg, team_label


async def workspace_of(
    repos: Repos, user: User | None, replies: Replies, chat_id: int
) -> tuple[User, Workspace, str] | None:
    """The sender, the workspace they work in now and their role in it; if they have none
    (never wrote to the bot privately), they are told how to start and None comes back."""
    found = await current_workspace(repos, user) if user is not None else None
    if user is None or found is None:
        await replies.send(chat_id, _("Send me /start in a private chat first."))
        return None
    return user, found[0], found[1]


async def group_may_show(repos: Repos, msg: Message, workspace_id: int) -> bool:
    """Whether a button pressed in this chat may act and answer there: any private chat; in a
    group, only the active team chat of the item's own team (never a client's chat)."""
    if msg.chat.type == "private":
        return True
    linked = await linked_team_chat(repos, msg.chat.id)
    return linked is not None and linked.workspace_id == workspace_id


async def linked_team_chat(repos: Repos, chat_id: int) -> LinkedChat | None:
    """The group's link if it is an active team chat; None for any other chat."""
    linked = await repos.chats.get(chat_id)
    return linked if linked is not None and linked.active and linked.kind == "team" else None


async def pressed_client(
    query: CallbackQuery,
    client_id: int,
    user: User | None,
    repos: Repos,
    *,
    in_groups: bool = False,
) -> tuple[Client, Message, User] | None:
    """The client a button is about, if the presser may act on it (checked on every press);
    otherwise the presser is told so and None comes back. A button about a client works in
    private chats only, unless `in_groups` (then also in its own team's chat)."""
    client = await accessible(repos, user, client_id)
    msg = query.message
    if client is None or user is None or not isinstance(msg, Message):
        await answer(query, _("This client is not in your team."), show_alert=True)
        return None
    if msg.chat.type != "private" and not (
        in_groups and await group_may_show(repos, msg, client.workspace_id)
    ):
        # Contacts and notes never reach a group, whatever data a button carries.
        await answer(query, _("This button works in our private chat."), show_alert=True)
        return None
    return client, msg, user


async def answer(
    query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press, best effort: a stale query (400 after a restart) or a network
    error must not roll back the handler's committed-to-be work."""
    with contextlib.suppress(TelegramAPIError, TelegramNetworkError):
        await query.answer(text, show_alert=show_alert)


async def managed_workspace(
    repos: Repos, user: User | None, replies: Replies, chat_id: int
) -> Workspace | None:
    """The user's workspace if they may manage it; otherwise say why and return None."""
    asking = await workspace_of(repos, user, replies, chat_id)
    if asking is None:
        return None
    _user, workspace, role = asking
    if role not in CAN_MANAGE:
        await replies.send(
            chat_id,
            _("Only the owner or an admin of “{team}” can change this.").format(
                team=esc(await team_name(repos, workspace))
            ),
        )
        return None
    return workspace


async def team_name(repos: Repos, workspace: Workspace) -> str:
    """One team as people know it (see team_names)."""
    return (await team_names(repos, [workspace]))[workspace.id]


async def card_message(
    repos: Repos, client: Client, viewer: User, default_zone: str, now: datetime, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The client card and its buttons, loaded and drawn for this viewer."""
    file = await client_file(repos, client)
    text = client_card(file, viewer.timezone or default_zone, now, lang)
    return text, card_keyboard(client, file)


@dataclass(frozen=True)
class Asker:
    """A person's command in hand: where to answer, who asks, in which team, and the tools."""

    chat_id: int
    user: User
    workspace: Workspace
    role: str
    repos: Repos
    replies: Replies
    settings: Settings
    clock: Clock
    lang: str
    # When the person sent the command: its message's own time if it is handled late (after
    # downtime), so a call is logged and a lead received when they really happened.
    sent_at: datetime


Awaited = Callable[[Message, "User | None"], Awaitable["bool | dict[str, Any]"]]


def awaited(*kinds: str) -> Awaited:
    """A filter for private text answering a question the bot asked (`users.awaiting` is
    `<kind>:<id>` with one of `kinds`): it hands the handler `asked` (the kind) and `ref` (the
    id). A command is never an answer."""

    async def check(message: Message, user: User | None) -> bool | dict[str, Any]:
        if message.chat.type != "private" or user is None or not user.awaiting:
            return False
        if message.text is None or message.text.startswith("/"):
            return False
        kind, _sep, ref = user.awaiting.partition(":")
        ref_id = id_arg(ref)
        if kind not in kinds or ref_id is None:
            return False
        return {"asked": kind, "ref": ref_id}

    return check


# Telegram stamps messages to the second; only a gap beyond this means the bot was late.
LATE_HANDLING = timedelta(seconds=30)


def sent_at(message: Message | None, now: datetime) -> datetime:
    """The message's own time if the bot handles it late, else now."""
    if message is None or message.date is None:
        return now
    stamped = message.date if message.date.tzinfo else message.date.replace(tzinfo=UTC)
    return stamped if timedelta(0) < now - stamped and now - stamped > LATE_HANDLING else now


# What a command does once its client is known, by command name: a picked or created client
# goes on through the same path as a typed one. Routers register theirs at import.
Continuation = Callable[[Asker, Client, str], Awaitable[None]]
CONTINUATIONS: dict[str, Continuation] = {}
PICK_KIND = "pick"


def continues(command: str) -> Callable[[Continuation], Continuation]:
    """Register what `command` does with its client once chosen from a list or created."""

    def register(fn: Continuation) -> Continuation:
        CONTINUATIONS[command] = fn
        return fn

    return register


async def team_names(repos: Repos, workspaces: list[Workspace]) -> dict[int, str]:
    """Each team as people know it: its name, or whose team it is until it is named."""
    owners = await repos.users.many([w.owner_id for w in workspaces if not w.name])
    return {
        w.id: team_label(w.name, owners[w.owner_id].first_name if w.owner_id in owners else "")
        for w in workspaces
    }


async def ask_context(
    chat_id: int,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
    message: Message | None = None,
) -> Asker | None:
    """The Asker for a command, or None after telling a stranger to /start first."""
    asking = await workspace_of(repos, user, replies, chat_id)
    if asking is None:
        return None
    user, workspace, role = asking
    if chat_id < 0:
        # A command in a team's linked chat works in that team, for its members only.
        # Never in a client's chat, or one the bot left: nothing is answered there.
        linked = await linked_team_chat(repos, chat_id)
        member = await repos.workspaces.membership(linked.workspace_id, user.id) if linked else None
        team = await repos.workspaces.get(linked.workspace_id) if linked and member else None
        if team is None or member is None:
            await replies.send(chat_id, _("You are not in this chat's team."))
            return None
        workspace, role = team, member.role
    when = sent_at(message, clock.now())
    return Asker(chat_id, user, workspace, role, repos, replies, settings, clock, lang, when)


async def named_client(asker: Asker, text: str, *, command: str) -> tuple[Client, str] | None:
    """The one step every command that names a client goes through: the client named at the
    start of `text` in any of the person's teams, and the rest of the text. Several matches:
    they are offered as buttons; none: creating one is offered. Then None comes back, and the
    command goes on in its continuation once the person chooses."""
    repos = asker.repos
    teams = [w for w, _role in await repos.workspaces.of_user(asker.user.id)]
    named = await name_in_text(repos, [w.id for w in teams], text)
    if named.unique:
        return named.clients[0], named.rest
    now = asker.clock.now()
    if named.clients:
        draft = await repos.drafts.add(
            asker.user.id,
            PICK_KIND,
            {
                "cmd": command,
                "rest": named.rest,
                "ids": [c.id for c in named.clients],
                "name": new_client_name(text),
            },
            now,
        )
        labels = await team_names(repos, teams) if len(teams) > 1 else {}
        await asker.replies.send(
            asker.chat_id,
            _("Several clients match “{name}”. Which one?").format(name=esc(named.name)),
            reply_markup=client_picker(draft.id, draft.token, named.clients, labels, 0),
        )
        return None
    name = new_client_name(text)
    draft = await repos.drafts.add(
        asker.user.id,
        PICK_KIND,
        {"cmd": command, "rest": text[len(name) :].strip(), "ids": [], "name": name},
        now,
    )
    await asker.replies.send(
        asker.chat_id,
        _("No client “{name}” in your teams. /clients lists them.").format(name=esc(name)),
        reply_markup=client_picker(draft.id, draft.token, [], {}, 0, new_name=name),
    )
    return None


async def pressed_team(
    query: CallbackQuery,
    workspace_id: int,
    user: User | None,
    repos: Repos,
    *,
    roles: tuple[str, ...] | None = None,
) -> tuple[Workspace, str, Message, User] | None:
    """The team a button names, the presser's role there and the button's message, if the
    presser is a member (with one of `roles`, when given): checked on every press. Otherwise
    the press is answered with why, and None comes back."""
    msg = query.message
    if not isinstance(msg, Message):  # too old for Telegram to show it: nothing to act on
        await answer(query, _("This button no longer works."))
        return None
    member = await repos.workspaces.membership(workspace_id, user.id) if user else None
    workspace = await repos.workspaces.get(workspace_id) if member is not None else None
    if user is None or member is None or workspace is None:
        await answer(query, _("You are not in this team."), show_alert=True)
        return None
    if roles is not None and member.role not in roles:
        await answer(
            query, _("Only the owner or an admin of this team can do that."), show_alert=True
        )
        return None
    return workspace, member.role, msg, user
