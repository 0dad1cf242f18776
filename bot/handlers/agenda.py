"""/today and /week: what is overdue, what is due, and which leads wait for an answer."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.services.agenda import build_agenda
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.agenda import agenda_keyboard, agenda_text

router = Router(name=__name__)


async def _show(
    message: Message,
    days: int,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """The agenda for the next `days` local days, or a plain "nothing" for an empty one."""
    if user is None:
        await replies.send(message.chat.id, _("Send me /start in a private chat first."))
        return
    agenda = await build_agenda(repos, user, clock.now(), settings.default_timezone, days=days)
    if agenda.empty:
        await replies.send(
            message.chat.id,
            (
                _("Nothing for today: no follow-ups due and no leads waiting.")
                if days == 1
                else _("Nothing this week: no follow-ups due and no leads waiting.")
            )
            + "\n"
            + _("Schedule one: <code>/fu Ivan tomorrow 11:00 send the proposal</code>"),
        )
        return
    title = _("<b>Today</b>") if days == 1 else _("<b>This week</b>")
    zone = user.timezone or settings.default_timezone
    await replies.send(
        message.chat.id,
        agenda_text(agenda, title, zone, lang),
        reply_markup=agenda_keyboard(agenda, zone),
    )


@router.message(Command("today", ignore_case=True))
async def cmd_today(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Overdue first, then today's follow-ups and the leads waiting for an answer."""
    await _show(message, 1, user, repos, replies, settings, clock, lang)


@router.message(Command("week", ignore_case=True))
async def cmd_week(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """The same for the next seven days."""
    await _show(message, 7, user, repos, replies, settings, clock, lang)
