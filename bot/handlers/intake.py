"""/intake: the URL a website form posts leads to, and rotating its secret."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.handlers.common import answer, managed_workspace, pressed_team, team_name
from bot.services.accounts import CAN_MANAGE
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.intake import IntakeCb, intake_keyboard, intake_text, intake_url

router = Router(name=__name__)


@router.message(Command("intake", ignore_case=True), F.chat.type == "private")
async def cmd_intake(
    message: Message, user: User | None, repos: Repos, replies: Replies, settings: Settings
) -> None:
    """Show the intake URL with its secret."""
    workspace = await managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    has_url = intake_url(settings, workspace) is not None
    await replies.send(
        message.chat.id,
        intake_text(settings, workspace, await team_name(repos, workspace)),
        reply_markup=intake_keyboard(workspace.id) if has_url else None,
    )


@router.callback_query(IntakeCb.filter(F.action == "rotate"), F.message)
async def on_rotate(
    query: CallbackQuery,
    callback_data: IntakeCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
) -> None:
    """Replace the secret of the team the message shows; the old URL stops working at once."""
    pressed = await pressed_team(query, callback_data.ws, user, repos, roles=CAN_MANAGE)
    if pressed is None:
        return
    workspace, _role, msg, _user = pressed
    await repos.workspaces.rotate_intake_secret(workspace.id)
    workspace = await repos.workspaces.get(workspace.id)
    assert workspace is not None
    await replies.edit(
        msg.chat.id,
        msg.message_id,
        intake_text(settings, workspace, await team_name(repos, workspace)),
        reply_markup=intake_keyboard(workspace.id),
    )
    await answer(query, _("The old URL no longer works."), show_alert=True)
