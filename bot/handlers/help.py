"""/help: every command with one example, in the user's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.telegram.outbox import Replies
from bot.views.help import help_text

router = Router(name=__name__)


@router.message(Command("help"))
async def cmd_help(message: Message, replies: Replies) -> None:
    """List the commands."""
    await replies.send(message.chat.id, help_text())
