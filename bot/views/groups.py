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


def added_text() -> str:
    """The one line the bot posts when it is added to a group."""
    return _(
        "👋 I'm Nudge. A team admin can link this chat: <code>/link team</code> makes it the "
        "team's chat; <code>/link client Name</code> makes it that client's chat, where I watch "
        "for messages left without an answer. Until then I post nothing here."
    )


def link_usage() -> str:
    """How /link is used."""
    return _(
        "Link this chat with <code>/link team</code> (your team's chat) or "
        "<code>/link client Name</code> (a client's chat)."
    )


def cannot_read_text() -> str:
    """Why the bot will miss messages, and how to fix it."""
    return _(
        "⚠️ I can't read the messages here, only commands: make me an admin of this group, or "
        "turn off privacy mode in @BotFather (/setprivacy) and add me again."
    )


def linked_team_text(team: str) -> str:
    """The confirmation of /link team."""
    return _("✅ This is now the chat of the team “{team}”.").format(team=team)


def linked_client_text() -> str:
    """The confirmation of /link client, said where the client reads it: nothing internal."""
    return _("✅ Chat linked. The team will make sure no message here is left without an answer.")


def link_refused(reason: str) -> str:
    """Why /link was refused."""
    return {
        "start": _("Send me /start in a private chat first, then link the chat."),
        "anonymous": _("Send /link as yourself, not anonymously: I need to know who you are."),
        "not_admin": _("Only an admin of this group can link it."),
        "no_client": _(
            "I can't find exactly one client by that name in your teams. Check the name with "
            "/clients in our private chat."
        ),
        "other_team": _("This chat is linked to another team; only its members can change that."),
    }[reason]


def unlinked_owner_text(title: str) -> str:
    """The owner's note that the bot left a linked chat."""
    return _(
        "I was removed from the chat “{title}”: I stopped watching it. The link is kept; add me "
        "back to resume."
    ).format(title=title)


def demoted_text(title: str) -> str:
    """The note that the bot is no longer an admin of a linked chat."""
    return _(
        "I am no longer an admin of the chat “{title}”: with privacy mode on I see only "
        "commands there and will miss messages. Make me an admin again."
    ).format(title=title)
