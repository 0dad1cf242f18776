"""/start: greeting, onboarding and joining a workspace by invite link."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import team_name
from bot.i18n import pick_language, speaking
from bot.services.accounts import INVITE_PREFIX, current_workspace, join
from bot.services.leads import workspace_sla
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import esc, zone_text
from bot.views.start import greeting, zone_keyboard, zone_prompt

router = Router(name=__name__)


@router.message(CommandStart(ignore_case=True), F.chat.type == "private")
async def cmd_start(
    message: Message,
    command: CommandObject,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
    i18n: I18n,
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
            team = esc(await team_name(repos, result.workspace))
            await replies.send(
                chat_id,
                _(
                    "✅ You joined the team “{team}”: its clients are in your search now, and "
                    "new leads go there. /team switches between your teams."
                ).format(team=team),
            )
            # The owner hears who joined (in their own language, whatever the newcomer's).
            owner = await repos.users.get(result.workspace.owner_id)
            if owner is not None and owner.id != user.id:
                with speaking(i18n, pick_language(owner, None, settings.default_language)):
                    await replies.send(
                        owner.id,
                        _("👋 {who} joined the team “{team}”. /team shows everyone.").format(
                            who=esc(user.display_name),
                            team=esc(await team_name(repos, result.workspace)),
                        ),
                    )
        else:
            await replies.send(
                chat_id,
                _("You are already in the team “{team}”.").format(
                    team=esc(await team_name(repos, result.workspace))
                ),
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
