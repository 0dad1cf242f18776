"""How /settings looks: the summary of a person's settings and its buttons."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel import Locale

from bot.clock import Clock
from bot.parsing.worktime import window_text
from bot.services.align import holiday_country
from bot.storage.records import User
from bot.views.common import hours_text, zone_text

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
            _("Holidays of: {value}").format(value=country_text(user, lang, default_zone)),
            _("Lead alerts in quiet hours and at night: {value}").format(
                value=_("on") if user.urgent_in_quiet else _("off")
            ),
        ]
    )


def country_text(user: User, lang: str, default_zone: str) -> str:
    """`Великобритания (по часовому поясу)` until chosen, then just the country."""
    code = holiday_country(user, default_zone)
    name = Locale.parse(lang).territories.get(code, code)
    return name if user.holiday_country else _("{country} (by time zone)").format(country=name)


def settings_keyboard(user: User, default_zone: str) -> InlineKeyboardMarkup:
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
        text=_("🎌 Holidays: {code}").format(code=holiday_country(user, default_zone)),
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
    kb.button(text=_("“ Back"), callback_data=SettingsCb(action="show"))
    kb.adjust(4)
    return kb.as_markup()
