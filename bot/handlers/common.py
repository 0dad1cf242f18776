"""Helpers shared by the routers: who is asking, in which team, with what rights; button answers."""

from __future__ import annotations

import contextlib

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.services.accounts import CAN_INVITE, current_workspace
from bot.services.clients import accessible
from bot.storage.records import Client, User, Workspace
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import esc


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


async def pressed_client(
    query: CallbackQuery, client_id: int, user: User | None, repos: Repos
) -> tuple[Client, Message, User] | None:
    """The client a button is about, if the presser may act on it (checked on every press);
    otherwise the presser is told so and None comes back."""
    client = await accessible(repos, user, client_id)
    msg = query.message
    if client is None or user is None or not isinstance(msg, Message):
        await answer(query, _("This client is not in your team."), show_alert=True)
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
    if role not in CAN_INVITE:
        await replies.send(
            chat_id,
            _("Only the owner or a manager of «{team}» can change this.").format(
                team=esc(workspace.name)
            ),
        )
        return None
    return workspace
