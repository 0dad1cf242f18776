"""Small helpers shared by the handlers: zones, days, menus, who is asking, button answers."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiogram.types import BotCommand, CallbackQuery, Message
from aiogram.utils.i18n import gettext as _
from babel.dates import get_day_names

from bot.accounts import current_workspace
from bot.clients import accessible
from bot.outbox import Replies
from bot.storage.records import Client, User, Workspace
from bot.storage.repositories import Repos
from bot.tzinput import describe_zone
from bot.worktime import window_text


def zone_text(zone: str, lang: str, now: datetime | None = None) -> str:
    """`Москва (UTC+3)`."""
    return describe_zone(zone, now or datetime.now(UTC), lang)


def days_text(days: str, lang: str) -> str:
    """`пн–пт`, `Mon–Fri`, `пн, ср, пт`."""
    names = get_day_names("abbreviated", locale=lang)
    nums = [int(d) for d in days]
    label = [names[n - 1].rstrip(".") for n in nums]
    if len(nums) >= 3 and nums == list(range(nums[0], nums[-1] + 1)):
        return f"{label[0]}–{label[-1]}"
    return ", ".join(label)


def hours_text(user: User, lang: str) -> str:
    """`пн–пт 10:00–19:00`."""
    return (
        f"{days_text(user.work_days, lang)} {window_text(user.work_start_min, user.work_end_min)}"
    )


def commands() -> list[BotCommand]:
    """The command menu in the current locale."""
    return [
        BotCommand(command="lead", description=_("New lead: /lead Ivan, +7 999 123-45-67")),
        BotCommand(command="clients", description=_("Clients and search")),
        BotCommand(command="client", description=_("Client card: /client Ivan")),
        BotCommand(command="call", description=_("Log a call: /call Ivan")),
        BotCommand(command="fu", description=_("Follow-up: /fu Ivan tomorrow 11:00")),
        BotCommand(command="today", description=_("Today: due, overdue, waiting leads")),
        BotCommand(command="week", description=_("The week ahead")),
        BotCommand(command="followups", description=_("All follow-ups")),
        BotCommand(command="intake", description=_("Website form intake URL")),
        BotCommand(command="sla", description=_("Lead response time")),
        BotCommand(command="silent", description=_("When a client counts as silent")),
        BotCommand(command="settings", description=_("Time zone, hours, language")),
        BotCommand(command="invite", description=_("Invite a colleague")),
        BotCommand(command="help", description=_("What I can do")),
    ]


async def workspace_of(
    repos: Repos, user: User | None, replies: Replies, chat_id: int
) -> tuple[User, Workspace, str] | None:
    """The sender, the workspace they work in now and their role in it; if they have none
    (never wrote to the bot privately), they are told how to start and None comes back."""
    found = await current_workspace(repos, user) if user is not None else None
    if user is None or found is None:
        await replies.send(chat_id, _("Send me /start in a private chat first."))
        return None
    return user, found[0], found[1]


async def pressed_client(
    query: CallbackQuery, client_id: int, user: User | None, repos: Repos
) -> tuple[Client, Message, User] | None:
    """The client a button is about, if the presser may act on it (checked on every press);
    otherwise the presser is told so and None comes back."""
    client = await accessible(repos, user, client_id)
    msg = query.message
    if client is None or user is None or not isinstance(msg, Message):
        await answer(query, _("This client is not in your team."), show_alert=True)
        return None
    return client, msg, user


async def answer(
    query: CallbackQuery, text: str | None = None, *, show_alert: bool = False
) -> None:
    """Answer a button press, best effort: a stale query (400 after a restart) or a network
    error must not roll back the handler's committed-to-be work."""
    with contextlib.suppress(TelegramAPIError, TelegramNetworkError):
        await query.answer(text, show_alert=show_alert)
