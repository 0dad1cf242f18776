"""Commands sent in a group: no client data there, only a pointer to the private chat."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from bot.telegram.outbox import Replies
from bot.views.groups import private_only_keyboard, private_only_text

router = Router(name=__name__)
# Until a group can be linked as a team's chat, nothing about clients, the agenda, invites or
# intake may be posted where people outside the team may read it; this router comes first.
router.message.filter(F.chat.type.in_({"group", "supergroup", "channel"}))


@router.message(F.text.startswith("/"))
async def on_group_command(message: Message, replies: Replies, bot_username: str) -> None:
    """Any command in a group: one line that it works in a private chat, with a button."""
    assert message.text is not None
    head = message.text.split(maxsplit=1)[0]
    addressee = head.partition("@")[2]
    if addressee and addressee.lower() != bot_username.lower():
        return  # another bot's command
    await replies.send(
        message.chat.id,
        private_only_text(),
        reply_markup=private_only_keyboard(bot_username),
        reply_to=message.message_id,
    )


@router.message()
async def on_group_message(message: Message) -> None:
    """Other group messages are not for the bot yet: stay silent, and stop them here."""
