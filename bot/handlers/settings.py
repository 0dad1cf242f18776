"""/settings: language, time zone, working and quiet hours, weekends, holidays."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import answer
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.settings import (
    HOLIDAY_COUNTRIES,
    SettingsCb,
    holidays_keyboard,
    settings_keyboard,
    settings_text,
)
from bot.views.start import zone_keyboard, zone_prompt

router = Router(name=__name__)
# Preferences are personal: they are read and changed in the private chat only.
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")


@router.message(Command("settings", ignore_case=True))
async def cmd_settings(
    message: Message, user: User, replies: Replies, settings: Settings, clock: Clock, lang: str
) -> None:
    """Show the preferences with buttons to change them."""
    await replies.send(
        message.chat.id,
        settings_text(user, lang, settings.default_timezone, clock),
        reply_markup=settings_keyboard(user, settings.default_timezone),
    )


@router.callback_query(SettingsCb.filter(), F.message)
async def on_settings_button(
    query: CallbackQuery,
    callback_data: SettingsCb,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
    i18n: I18n,
) -> None:
    """Apply one settings button and redraw the settings message."""
    assert query.message is not None
    chat_id, message_id = query.message.chat.id, query.message.message_id
    action, now = callback_data.action, clock.now()
    if action == "tz":
        await repos.users.update(user.id, now, awaiting="tz")
        await replies.send(chat_id, zone_prompt(), reply_markup=zone_keyboard(lang, now))
        await answer(query)
        return
    if action == "work":
        await repos.users.update(user.id, now, awaiting="work")
        await replies.send(
            chat_id,
            _(
                "Type your working hours, for example <code>пн-пт 10-19</code>, "
                "<code>mon-sat 9:30-18:00</code> or just <code>10-19</code>."
            ),
        )
        await answer(query)
        return
    if action == "quiet":
        await repos.users.update(user.id, now, awaiting="quiet")
        await replies.send(
            chat_id,
            _(
                "Type your quiet hours, when I hold ordinary reminders back, for example "
                "<code>22-8</code> or <code>23:00-07:30</code>; <code>off</code> turns them off."
            ),
        )
        await answer(query)
        return
    if action == "hol":
        await replies.edit(
            chat_id,
            message_id,
            _("Whose public holidays should I skip in working-day counts?"),
            reply_markup=holidays_keyboard(),
        )
        await answer(query)
        return
    if action == "lang":
        lang = "en" if lang == "ru" else "ru"
        user = await repos.users.update(user.id, now, language=lang)
    elif action == "urgent":
        user = await repos.users.update(user.id, now, urgent_in_quiet=not user.urgent_in_quiet)
    elif action == "weekend":
        user = await repos.users.update(user.id, now, weekend_reminders=not user.weekend_reminders)
    elif action == "holset" and callback_data.value in HOLIDAY_COUNTRIES:
        user = await repos.users.update(user.id, now, holiday_country=callback_data.value)
    with i18n.use_locale(lang):
        await replies.edit(
            chat_id,
            message_id,
            settings_text(user, lang, settings.default_timezone, clock),
            reply_markup=settings_keyboard(user, settings.default_timezone),
        )
        await answer(query, _("Saved"))
