"""How a reply owed in a watched chat is told: the ping, the escalation, and their buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.services.chats import message_link
from bot.storage.records import Client, Conversation, User
from bot.views.common import Id, duration, esc, grid
from bot.views.limits import LONG_TEXT, NAME, shorten


class ReplyCb(CallbackData, prefix="cv"):
    """A button on a reply ping: what to do, with whom, and which silence it was about."""

    action: str
    id: Id
    arg: str = ""
    t: str = ""  # the waiting-since stamp: a button of an older silence does nothing


def where(conv: Conversation, manager: User | None = None) -> str:
    """Where the client wrote: the group's name, or the private chat (the manager's, when
    someone else reads it)."""
    if conv.connection_id and manager is not None:
        return _("the private chat of {who}").format(who=esc(manager.display_name))
    if conv.connection_id:
        return _("your private chat")
    return _("the chat “{title}”").format(title=esc(shorten(conv.title or "—", NAME)))


def said_lines(conv: Conversation) -> str:
    """What the client wrote and a link to it, for private eyes only ('' when nothing)."""
    lines = []
    if conv.waiting_text:
        lines.append(
            _("They wrote: “{text}”").format(text=esc(shorten(conv.waiting_text, LONG_TEXT)))
        )
    link = message_link(conv.chat_id, conv.chat_type, conv.waiting_message_id, conv.thread_id)
    if link:
        lines.append(link)
    return "".join("\n" + line for line in lines)


def reply_ping_text(conv: Conversation, client: Client, now: datetime) -> str:
    """The private ping: who waits, how long, where, what they wrote, and a link."""
    assert conv.waiting_since is not None
    return _("💬 “{name}” has waited {time} for a reply in {where}.").format(
        name=esc(shorten(client.name, NAME)),
        time=duration(now - conv.waiting_since),
        where=where(conv),
    ) + said_lines(conv)


def escalation_text(conv: Conversation, client: Client, manager: User | None, now: datetime) -> str:
    """The escalation, fit for the team chat: the client and the wait, not what they wrote."""
    assert conv.waiting_since is not None
    return _("🚨 “{name}” has waited {time} for a reply in {where}. Manager: {who}.").format(
        name=esc(shorten(client.name, NAME)),
        time=duration(now - conv.waiting_since),
        where=where(conv, manager),
        who=esc(manager.display_name) if manager else "—",
    )


def reply_keyboard(conv: Conversation) -> InlineKeyboardMarkup:
    """I'll answer · assign to… · +30 min · no reply needed."""
    stamp = str(int(conv.waiting_since.timestamp())) if conv.waiting_since else ""
    return grid(
        [
            InlineKeyboardButton(
                text=label, callback_data=ReplyCb(action=action, id=conv.id, t=stamp).pack()
            )
            for action, label in (
                ("mine", _("✍️ I'll answer")),
                ("who", _("👤 Assign to…")),
                ("snz", _("⏰ +30 min")),
                ("none", _("🚫 No reply needed")),
            )
        ],
        2,
    )


def people_keyboard(conv: Conversation, people: list[User]) -> InlineKeyboardMarkup:
    """Whom to hand the reply to."""
    stamp = str(int(conv.waiting_since.timestamp())) if conv.waiting_since else ""
    return grid(
        [
            InlineKeyboardButton(
                text=shorten(p.display_name, 40),
                callback_data=ReplyCb(action="to", id=conv.id, arg=str(p.id), t=stamp).pack(),
            )
            for p in people[:20]
        ],
        2,
    )


def reply_not_yours() -> str:
    """A press on a ping of another team's conversation."""
    return _("This chat is not in your team.")


def reply_answered() -> str:
    """A press on a ping whose silence is over."""
    return _("Already answered: nothing is owed there now.")


def reply_mine(name: str) -> str:
    """I'll answer."""
    return _("OK: you answer “{name}”.").format(name=name)


def passed_text(name: str, who: str) -> str:
    """Assigned to a colleague."""
    return _("“{name}” passed to {who}.").format(name=name, who=who)


def reply_snoozed() -> str:
    """+30 min."""
    return _("I'll remind you in 30 minutes.")


def reply_closed(name: str) -> str:
    """No reply needed."""
    return _("OK: “{name}” needs no reply.").format(name=name)


def business_text(enabled: bool) -> str:
    """What the manager is told when they connect or disconnect Nudge in Telegram Business."""
    if not enabled:
        return _("Telegram Business: disconnected. I stopped watching your private chats.")
    return _(
        "✅ Telegram Business connected. I watch your private chats: a new person who writes "
        "becomes a lead, and a client left without your answer gets you a ping. I never write "
        "into those chats."
    )
