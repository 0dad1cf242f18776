"""How leads and clients look in messages: texts, time formatting and their buttons."""

from __future__ import annotations

import html
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.storage.records import Client, Contact, Touch

CALL_IN_MINUTES = (15, 30, 60, 120)
CONTACT_ICONS = {"phone": "📞", "email": "✉️", "username": "💬", "link": "🔗"}


class LeadCb(CallbackData, prefix="ld"):
    """A button about one client: what to do, and an argument for choices."""

    action: str
    client_id: int
    arg: str = ""


def grid(buttons: list[InlineKeyboardButton], width: int) -> InlineKeyboardMarkup:
    """Buttons in rows of `width`.

    Built directly because aiogram's InlineKeyboardBuilder deep-copies its rows on every
    button() call: 50 buttons cost 19 ms that way and 0.7 ms this way (bench/followups.py).
    """
    rows = [buttons[i : i + width] for i in range(0, len(buttons), width)]
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
    """`14:15` today, else `27.11 14:15`, in the given zone."""
    local, today = at.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    if local.date() == today.date():
        return local.strftime("%H:%M")
    return local.strftime("%d.%m %H:%M")


def contacts_line(contacts: list[Contact]) -> str:
    """`📞 +79991234567 · ✉️ a@b.ru`."""
    return " · ".join(f"{CONTACT_ICONS.get(c.kind, '•')} {esc(c.value)}" for c in contacts)


def lead_card(
    client: Client,
    contacts: list[Contact],
    *,
    zone: str,
    now: datetime,
    sla: timedelta,
    answered_by: str | None = None,
) -> str:
    """The lead's card as the manager sees it right after /lead, and after an answer."""
    lines = [_("🔥 New lead: <b>{name}</b>").format(name=esc(client.name))]
    if contacts:
        lines.append(contacts_line(contacts))
    if client.note:
        lines.append("📝 " + esc(client.note))
    received = client.received_at or client.created_at
    if client.first_response_at is not None:
        lines.append(
            _("✅ Answered in {time} ({who})").format(
                time=duration(client.first_response_at - received), who=esc(answered_by or "—")
            )
        )
    else:
        lines.append(
            _("🕒 Received {received} · answer by {deadline}").format(
                received=local_time(received, zone, now),
                deadline=local_time(received + sla, zone, now),
            )
        )
    return "\n".join(lines)


def lead_keyboard(client_id: int) -> InlineKeyboardMarkup:
    """Ответил ✅ · Позвоню через… · Передать коллеге."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("Answered ✅"), callback_data=LeadCb(action="ans", client_id=client_id))
    kb.button(text=_("Call in…"), callback_data=LeadCb(action="call", client_id=client_id))
    kb.button(
        text=_("Pass to a colleague"), callback_data=LeadCb(action="pass", client_id=client_id)
    )
    kb.adjust(2, 1)
    return kb.as_markup()


def call_in_keyboard(client_id: int) -> InlineKeyboardMarkup:
    """Choices for "I'll call in …"."""
    kb = InlineKeyboardBuilder()
    for minutes in CALL_IN_MINUTES:
        kb.button(
            text=duration(timedelta(minutes=minutes)),
            callback_data=LeadCb(action="callin", client_id=client_id, arg=str(minutes)),
        )
    kb.button(text=_("« Back"), callback_data=LeadCb(action="card", client_id=client_id))
    kb.adjust(2, 2, 1)
    return kb.as_markup()


def touch_line(touch: Touch, zone: str, now: datetime, who: str | None) -> str:
    """One line of a client's history."""
    icons = {"call": "📞", "meeting": "🤝", "email": "✉️", "note": "📝", "reply": "💬"}
    arrow = "→" if touch.direction == "out" else "←" if touch.direction == "in" else "·"
    kinds = {
        "call": _("call"),
        "meeting": _("meeting"),
        "email": _("e-mail"),
        "note": _("note"),
        "reply": _("answer"),
        "message": _("message"),
    }
    text = f"{icons.get(touch.kind, '•')} {local_time(touch.at, zone, now)} {arrow} "
    text += kinds.get(touch.kind, touch.kind)
    if who:
        text += f" ({esc(who)})"
    if touch.summary:
        text += ": " + esc(touch.summary)
    return text
