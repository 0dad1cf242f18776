"""/help: every command with one example, in the user's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.services.accounts import current_workspace
from bot.services.leads import workspace_sla
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.help import help_text

router = Router(name=__name__)


@router.message(Command("help", ignore_case=True))
async def cmd_help(
    message: Message, user: User | None, repos: Repos, replies: Replies, settings: Settings
) -> None:
    """List the commands, with the team's own lead response time."""
    found = await current_workspace(repos, user) if user is not None else None
    sla = (
        workspace_sla(found[0], settings.lead_response_sla) if found else settings.lead_response_sla
    )
    await replies.send(message.chat.id, help_text(sla))
