"""/settings: language, time zone, working and quiet hours, weekends, holidays."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clock import Clock
from bot.handlers.common import answer, hours_text, zone_text
from bot.handlers.onboarding import zone_keyboard, zone_prompt
from bot.outbox import Replies
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.worktime import window_text

router = Router(name=__name__)
# Preferences are personal: they are read and changed in the private chat only.
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

HOLIDAY_COUNTRIES = ("RU", "BY", "KZ", "UZ", "AM", "GE", "RS", "DE", "GB", "US", "AE", "TH")
LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}


class SettingsCb(CallbackData, prefix="set"):
    """A settings button: what to change and, for choices, the value."""

    action: str
    value: str = ""


def settings_text(user: User, lang: str, default_zone: str, clock: Clock) -> str:
    """The current preferences, one per line."""
    quiet = (
        window_text(user.quiet_start_min, user.quiet_end_min)
        if user.quiet_start_min is not None and user.quiet_end_min is not None
        else _("off")
    )
    zone = (
        zone_text(user.timezone, lang, clock.now())
        if user.timezone
        else _("not set (using {zone})").format(zone=zone_text(default_zone, lang, clock.now()))
    )
    return "\n".join(
        [
            _("⚙️ <b>Settings</b>"),
            "",
            _("Language: {value}").format(value=LANGUAGE_NAMES[lang]),
            _("Time zone: {value}").format(value=zone),
            _("Working hours: {value}").format(value=hours_text(user, lang)),
            _("Quiet hours: {value}").format(value=quiet),
            _("Reminders on weekends: {value}").format(
                value=_("on") if user.weekend_reminders else _("off")
            ),
            _("Holidays of: {value}").format(value=user.holiday_country),
            _("Lead alerts in quiet hours and at night: {value}").format(
                value=_("on") if user.urgent_in_quiet else _("off")
            ),
        ]
    )


def settings_keyboard(user: User) -> InlineKeyboardMarkup:
    """One button per preference."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🌐 Language"), callback_data=SettingsCb(action="lang"))
    kb.button(text=_("🕒 Time zone"), callback_data=SettingsCb(action="tz"))
    kb.button(text=_("💼 Working hours"), callback_data=SettingsCb(action="work"))
    kb.button(text=_("🌙 Quiet hours"), callback_data=SettingsCb(action="quiet"))
    kb.button(
        text=_("📅 Weekends: on") if user.weekend_reminders else _("📅 Weekends: off"),
        callback_data=SettingsCb(action="weekend"),
    )
    kb.button(
        text=_("🎌 Holidays: {code}").format(code=user.holiday_country),
        callback_data=SettingsCb(action="hol"),
    )
    kb.button(
        text=_("🚨 Leads at night: on") if user.urgent_in_quiet else _("🚨 Leads at night: off"),
        callback_data=SettingsCb(action="urgent"),
    )
    kb.adjust(2)
    return kb.as_markup()


def holidays_keyboard() -> InlineKeyboardMarkup:
    """Countries whose public holidays we can skip."""
    kb = InlineKeyboardBuilder()
    for code in HOLIDAY_COUNTRIES:
        kb.button(text=code, callback_data=SettingsCb(action="holset", value=code))
    kb.button(text=_("« Back"), callback_data=SettingsCb(action="show"))
    kb.adjust(4)
    return kb.as_markup()


@router.message(Command("settings"))
async def cmd_settings(
    message: Message, user: User, replies: Replies, settings: Settings, clock: Clock, lang: str
) -> None:
    """Show the preferences with buttons to change them."""
    await replies.send(
        message.chat.id,
        settings_text(user, lang, settings.default_timezone, clock),
        reply_markup=settings_keyboard(user),
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
            reply_markup=settings_keyboard(user),
        )
        await answer(query, _("Saved"))
