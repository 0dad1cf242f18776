"""Formatting shared by every view: escaping, durations, clock times, zones, contacts, grids."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel.dates import get_day_names
from pydantic import Field

from bot.parsing.phones import format_phone
from bot.parsing.timezones import describe_zone
from bot.parsing.worktime import window_text
from bot.storage.records import Contact, User
from bot.views.limits import shorten

# An id on a button: a crafted one beyond 64 bits fails the filter instead of the database.
Id = Annotated[int, Field(ge=0, lt=2**63)]
_ID_RE = re.compile(r"[0-9]{1,18}")


def id_arg(text: str) -> int | None:
    """A number a button or a stored question carries, or None: ASCII digits only, because
    `'²'.isdigit()` is true and `int('²')` fails, and at most 18 of them (64-bit columns)."""
    return int(text) if _ID_RE.fullmatch(text) else None


CONTACT_ICONS = {"phone": "📞", "email": "✉️", "username": "💬", "link": "🔗"}


def grid(buttons: list[InlineKeyboardButton], width: int) -> InlineKeyboardMarkup:
    """Buttons in rows of `width`.

    Built directly because aiogram's InlineKeyboardBuilder deep-copies its rows on every
    button() call: 50 buttons cost 19 ms that way and 0.7 ms this way (bench/followups.py).
    """
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def shaped(buttons: list[InlineKeyboardButton], *sizes: int) -> InlineKeyboardMarkup:
    """Buttons in rows of the given sizes, the last size repeating (the builder's adjust(),
    without its deep copies: a lead ping's keyboard is built thousands of times in a burst)."""
    rows, i, n = [], 0, 0
    while i < len(buttons):
        size = sizes[min(n, len(sizes) - 1)]
        rows.append(buttons[i : i + size])
        i, n = i + size, n + 1
    return InlineKeyboardMarkup(inline_keyboard=rows)


def esc(text: object) -> str:
    """Escape user-provided text for HTML messages."""
    return html.escape(str(text), quote=False)


def duration(delta: timedelta) -> str:
    """`45 секунд`, `15 минут`, `2 часа 5 минут`, `3 дня` in the current language."""
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 60:
        return ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        text = ngettext("{n} hour", "{n} hours", hours).format(n=hours)
        if minutes:
            text += " " + ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
        return text
    days = hours // 24
    return ngettext("{n} day", "{n} days", days).format(n=days)


def local_time(at: datetime, zone: str, now: datetime) -> str:
    """`14:15` today, else `27.11 14:15` (with the year when not this one), in the zone."""
    local, today = at.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year != today.year:
        return local.strftime("%d.%m.%Y %H:%M")
    return local.strftime("%d.%m %H:%M")


def contact_text(contact: Contact) -> str:
    """A contact as people read it: phones grouped (+7 999 123-45-67), the rest as stored."""
    return format_phone(contact.value) if contact.kind == "phone" else contact.value


MAX_CONTACTS_SHOWN = 10


def contacts_line(contacts: list[Contact]) -> str:
    """`📞 +7 999 123-45-67 · ✉️ a@b.ru`; beyond ten, how many more (the card keeps them)."""
    line = " · ".join(
        f"{CONTACT_ICONS.get(c.kind, '•')} {esc(shorten(contact_text(c), 100))}"
        for c in contacts[:MAX_CONTACTS_SHOWN]
    )
    extra = len(contacts) - MAX_CONTACTS_SHOWN
    return line + (" " + _("+{n} more").format(n=extra) if extra > 0 else "")


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


def question_closed(state: str) -> str:
    """Why a question's button did nothing: answered already, or not this question any more."""
    if state == "used":
        return _("You have already answered this question.")
    return _("This button is out of date: its question is closed.")


def team_label(name: str, owner_first_name: str) -> str:
    """A team as people know it: its name, or whose team it is until someone names it (never
    a person's first name posing as a team's name)."""
    if name:
        return name
    return _("unnamed, owner {owner}").format(owner=owner_first_name or "?")


def quoted(text: str) -> str:
    """A name in quotes as the reader's language writes them: «Ромашка», “Acme”."""
    return _("“{name}”").format(name=text)
