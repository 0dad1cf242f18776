"""How /start looks: the greeting, and the time-zone prompt and keyboard shared with /settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiogram.types import KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.parsing.timezones import COMMON_ZONES, describe_zone
from bot.storage.records import User
from bot.views.common import duration, esc


def zone_keyboard(lang: str, now: datetime | None = None) -> ReplyKeyboardMarkup:
    """Location button and the common zones; tapping a city sends its name as text."""
    now = now or datetime.now(UTC)
    cities = [KeyboardButton(text=describe_zone(z, now, lang)) for z in COMMON_ZONES]
    rows = [[KeyboardButton(text=_("📍 Share my location"), request_location=True)]]
    rows += [cities[i : i + 2] for i in range(0, len(cities), 2)]
    return ReplyKeyboardMarkup(
        keyboard=rows,
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_("City, UTC+3 or Europe/Berlin"),
    )


def zone_prompt() -> str:
    """How to answer the time zone question."""
    return _(
        "Which time zone are you in? Share your location, tap a city below, or type a city "
        "or an offset: <i>Москва</i>, <i>New York</i>, <i>UTC+3</i>, <i>Europe/Berlin</i>."
    )


def greeting(user: User, sla: timedelta) -> str:
    """Who Nudge is, in three lines."""
    minutes = duration(sla)
    return _(
        "👋 Hi, {name}! I'm Nudge, the working memory of an account manager.\n"
        "• I record leads and ping you when one waits longer than {minutes}.\n"
        "• I keep your clients and follow-ups and remind you on time, in your time zone.\n"
        "• One line is enough: <code>/lead Ivan Petrov, +7 999 123-45-67</code>"
    ).format(name=esc(user.first_name or user.username or ""), minutes=minutes)
