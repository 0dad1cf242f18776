"""Team settings: /intake (the website form URL), /sla (lead response time), /silent."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.accounts import CAN_INVITE
from bot.handlers.common import answer, workspace_of
from bot.leads import workspace_sla
from bot.outbox import Replies
from bot.settings import Settings
from bot.storage.records import User, Workspace
from bot.storage.repositories import Repos
from bot.views import duration, esc

router = Router(name=__name__)

MAX_SILENT_DAYS = 365
MAX_SLA_MINUTES = 24 * 60


class IntakeCb(CallbackData, prefix="in"):
    """The intake message's button."""

    action: str


def intake_url(settings: Settings, workspace: Workspace) -> str | None:
    """Where the website posts leads, or None when the HTTP server is off."""
    if settings.intake_port is None:
        return None
    base = settings.public_url or f"http://{settings.intake_host}:{settings.intake_port}"
    return f"{base.rstrip('/')}/intake/{workspace.intake_secret}"


def intake_text(settings: Settings, workspace: Workspace) -> str:
    """The URL, a curl example and what happens to a posted lead."""
    url = intake_url(settings, workspace)
    if url is None:
        return _(
            "Website intake is off: the bot's HTTP server is not running. Set INTAKE_PORT "
            "(and PUBLIC_URL) in the bot's settings and restart it."
        )
    example = (
        f"curl -X POST {esc(url)} -H 'Content-Type: application/json' "
        """-d '{"name": "Ivan Petrov", "phone": "+7 999 123-45-67", "message": "Landing page"}'"""
    )
    return (
        _(
            "Website leads go to this URL (POST, JSON or form fields name, phone, email, "
            "message, source; other fields are kept as notes). Keep it secret:"
        )
        + f"\n<code>{esc(url)}</code>\n\n"
        + _("Example:")
        + f"\n<pre>{example}</pre>\n"
        + _("Every owner and manager of «{team}» gets the lead at once.").format(
            team=esc(workspace.name)
        )
    )


def intake_keyboard() -> InlineKeyboardMarkup:
    """Rotate the secret."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🔄 New secret"), callback_data=IntakeCb(action="rotate"))
    return kb.as_markup()


async def _managed_workspace(
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


@router.message(Command("intake"), F.chat.type == "private")
async def cmd_intake(
    message: Message, user: User | None, repos: Repos, replies: Replies, settings: Settings
) -> None:
    """Show the intake URL with its secret."""
    workspace = await _managed_workspace(repos, user, replies, message.chat.id)
    if workspace is None:
        return
    has_url = intake_url(settings, workspace) is not None
    await replies.send(
        message.chat.id,
        intake_text(settings, workspace),
        reply_markup=intake_keyboard() if has_url else None,
    )


@router.callback_query(IntakeCb.filter(F.action == "rotate"), F.message)
async def on_rotate(
    query: CallbackQuery, user: User | None, repos: Repos, replies: Replies, settings: Settings
) -> None:
    """Replace the secret; the old URL stops working at once."""
    msg = query.message
    assert isinstance(msg, Message)
    workspace = await _managed_workspace(repos, user, replies, msg.chat.id)
    if workspace is None:
        await answer(query)
        return
    await repos.workspaces.rotate_intake_secret(workspace.id)
    workspace = await repos.workspaces.get(workspace.id)
    assert workspace is not None
    await replies.edit(
        msg.chat.id,
        msg.message_id,
        intake_text(settings, workspace),
        reply_markup=intake_keyboard(),
    )
    await answer(query, _("The old URL no longer works."), show_alert=True)


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
    workspace = await _managed_workspace(repos, user, replies, message.chat.id)
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
    workspace = await _managed_workspace(repos, user, replies, message.chat.id)
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
