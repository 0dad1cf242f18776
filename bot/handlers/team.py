"""Team settings: /invite (a colleague's join link), /sla (lead response time), /silent."""

from __future__ import annotations

from datetime import timedelta

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.handlers.common import managed_workspace, workspace_of
from bot.services.accounts import CAN_INVITE, invite_link
from bot.services.leads import workspace_sla
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import duration, esc

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


MAX_SILENT_DAYS = 365


MAX_SLA_MINUTES = 24 * 60


@router.message(Command("sla"))
async def cmd_sla(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
) -> None:
    """Show or set how long a lead may wait: `/sla 10`, `/sla default`."""
    workspace = await managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    arg = (command.args or "").strip().lower()
    if arg in ("default", "сброс", "по умолчанию"):
        await repos.workspaces.set_lead_sla(workspace.id, None)
        sla = settings.lead_response_sla
    elif arg:
        if not arg.isdigit() or not 1 <= int(arg) <= MAX_SLA_MINUTES:
            await replies.send(
                message.chat.id,
                _(
                    "Give the minutes a lead may wait, from 1 to 1440: <code>/sla 10</code>; "
                    "<code>/sla default</code> goes back to {default}."
                ).format(default=duration(settings.lead_response_sla)),
            )
            return
        await repos.workspaces.set_lead_sla(workspace.id, int(arg) * 60)
        sla = timedelta(minutes=int(arg))
    else:
        sla = workspace_sla(workspace, settings.lead_response_sla)
    await replies.send(
        message.chat.id,
        _(
            "A new lead of «{team}» may wait {sla} for an answer; then I ping its owner, "
            "and after twice that the team's owner. New leads use this; /sla 10 changes it."
        ).format(team=esc(workspace.name), sla=duration(sla)),
    )


@router.message(Command("silent"))
async def cmd_silent(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
) -> None:
    """Show or set after how many days without a touch a client is "silent": `/silent 14`."""
    workspace = await managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    arg = (command.args or "").strip()
    days = workspace.silent_days
    if arg:
        if not arg.isdigit() or not 1 <= int(arg) <= MAX_SILENT_DAYS:
            await replies.send(
                message.chat.id,
                _("Give the days without a touch, from 1 to 365: <code>/silent 14</code>"),
            )
            return
        days = int(arg)
        await repos.workspaces.set_silent_days(workspace.id, days)
    await replies.send(
        message.chat.id,
        ngettext(
            "In «{team}», a client with no touch for {n} day is silent: the morning digest "
            "lists them. /silent 14 changes it.",
            "In «{team}», a client with no touch for {n} days is silent: the morning digest "
            "lists them. /silent 14 changes it.",
            days,
        ).format(team=esc(workspace.name), n=days),
    )
