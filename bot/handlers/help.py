"""/help: every command with one example, in the user's language."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.outbox import Replies

router = Router(name=__name__)


def help_text() -> str:
    """The command list with examples."""
    return "\n".join(
        [
            _("<b>What I can do</b>"),
            "",
            _("/settings — time zone, working hours, quiet hours, language"),
            _("/invite — a link that adds a colleague to your team"),
            _("/help — this list"),
        ]
    )


@router.message(Command("help"))
async def cmd_help(message: Message, replies: Replies) -> None:
    """List the commands."""
    await replies.send(message.chat.id, help_text())
