"""/start: greeting, onboarding and joining a workspace by invite link."""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.accounts import INVITE_PREFIX, current_workspace, join
from bot.clock import Clock
from bot.handlers.common import zone_text
from bot.handlers.onboarding import zone_keyboard, zone_prompt
from bot.leads import workspace_sla
from bot.outbox import Replies
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.views import duration, esc

router = Router(name=__name__)


def greeting(user: User, sla: timedelta) -> str:
    """Who Nudge is, in three lines."""
    minutes = duration(sla)
    return _(
        "👋 Hi, {name}! I'm Nudge, the working memory of an account manager.\n"
        "• I record leads and ping you when one waits longer than {minutes}.\n"
        "• I keep follow-ups, promises and invoices and remind you on time.\n"
        "• One line is enough: <code>/lead Ivan Petrov, +7 999 123-45-67</code>"
    ).format(name=esc(user.first_name or user.username or ""), minutes=minutes)


@router.message(CommandStart(), F.chat.type == "private")
async def cmd_start(
    message: Message,
    command: CommandObject,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Greet, join by invite if the link carries one, and ask for the time zone."""
    chat_id = message.chat.id
    args = (command.args or "").strip()
    if args.startswith(INVITE_PREFIX):
        result = await join(repos, user, args[len(INVITE_PREFIX) :], clock.now())
        if result.workspace is None:
            await replies.send(
                chat_id,
                _(
                    "This invite link is not valid any more. Ask your colleague for a fresh "
                    "one: they get it with /invite."
                ),
            )
        elif result.joined:
            await replies.send(
                chat_id,
                _(
                    "✅ You joined the team «{team}». Its clients and leads are now yours too."
                ).format(team=esc(result.workspace.name)),
            )
        else:
            await replies.send(
                chat_id,
                _("You are already in the team «{team}».").format(team=esc(result.workspace.name)),
            )
    user = await repos.users.get(user.id) or user  # joining may have switched the team
    found = await current_workspace(repos, user)
    sla = (
        workspace_sla(found[0], settings.lead_response_sla) if found else settings.lead_response_sla
    )
    if user.timezone is None:
        await repos.users.update(user.id, clock.now(), awaiting="tz")
        await replies.send(
            chat_id,
            greeting(user, sla) + "\n\n" + zone_prompt(),
            reply_markup=zone_keyboard(lang, clock.now()),
        )
        return
    await replies.send(
        chat_id,
        greeting(user, sla)
        + "\n\n"
        + _("Your time zone: {zone}. /settings changes it; /help lists the commands.").format(
            zone=zone_text(user.timezone, lang, clock.now())
        ),
    )
