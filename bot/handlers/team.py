"""/invite: the link that adds a colleague to the manager's team."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.accounts import CAN_INVITE, invite_link
from bot.handlers.common import workspace_of
from bot.outbox import Replies
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.views import esc

router = Router(name=__name__)


@router.message(Command("invite"))
async def cmd_invite(
    message: Message, user: User | None, repos: Repos, replies: Replies, bot_username: str
) -> None:
    """Show the invite link to owners and managers."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    _user, workspace, role = asking
    if role not in CAN_INVITE:
        await replies.send(
            message.chat.id,
            _("Only the owner or a manager of «{team}» can invite people.").format(
                team=esc(workspace.name)
            ),
        )
        return
    await replies.send(
        message.chat.id,
        _(
            "Send this link to a colleague. Opening it adds them to the team «{team}» as a "
            "manager:\n{link}"
        ).format(team=esc(workspace.name), link=invite_link(bot_username, workspace)),
    )
