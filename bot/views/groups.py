"""What the bot says in a group: that its commands work in a private chat, with a link there."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _


def private_only_text() -> str:
    """One short line for any command sent in a group."""
    return _("I work in a private chat: client data, lists and links stay out of groups.")


def private_only_keyboard(bot_username: str) -> InlineKeyboardMarkup | None:
    """A button that opens the private chat with the bot."""
    if not bot_username:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("Open the chat"), url=f"https://t.me/{bot_username}")]
        ]
    )
