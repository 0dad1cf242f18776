"""How a client looks: the card, history lines, search results and their buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.clients import STATUSES, ClientEditError, ClientFile
from bot.services.leads import response_time
from bot.storage.records import Client, Touch
from bot.views.common import contacts_line, duration, esc, grid, local_time, zone_text
from bot.views.leads import LeadCb


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


LIST_LIMIT = 20


def status_name(status: str) -> str:
    """The status in the user's language."""
    return {
        "lead": _("lead"),
        "active": _("active"),
        "paused": _("paused"),
        "lost": _("lost"),
    }.get(status, status)


def client_card(file: ClientFile, zone: str, now: datetime, lang: str) -> str:
    """Everything about a client on one screen, history newest first, in the viewer's zone."""
    client = file.client
    lines = [f"👤 <b>{esc(client.name)}</b> · {status_name(client.status)}"]
    if file.contacts:
        lines.append(contacts_line(file.contacts))
    client_zone = client.timezone or zone
    lines.append(
        _("🕒 Time zone: {zone}").format(zone=zone_text(client_zone, lang, now))
        + ("" if client.timezone else " " + _("(yours)"))
    )
    owner = file.owner
    lines.append(_("👔 Owner: {who}").format(who=esc(owner.display_name if owner else "—")))
    if client.received_at is not None:
        waited = response_time(client)
        if waited is not None:
            lines.append(
                _("⏱ Lead answered in {time} (received {at})").format(
                    time=duration(waited), at=local_time(client.received_at, zone, now)
                )
            )
        else:
            lines.append(
                _("⏱ Lead waiting for an answer: {time}").format(
                    time=duration(now - client.received_at)
                )
            )
    if client.source:
        lines.append(_("Source: {source}").format(source=esc(client.source)))
    lines.append(
        _("➡️ Next step: {step}").format(step=esc(client.next_step) if client.next_step else "—")
    )
    for fu in file.followups:
        lines.append(
            _("🔔 Follow-up: {when}").format(when=local_time(fu.due_at, zone, now))
            + (" — " + esc(fu.what) if fu.what else "")
        )
    if client.note:
        lines.append("📝 " + esc(client.note))
    if file.touches:
        lines.append("")
        lines.append(_("<b>History</b>"))
        for touch in file.touches:
            who = file.people.get(touch.user_id) if touch.user_id else None
            lines.append(touch_line(touch, zone, now, who.display_name if who else None))
    return "\n".join(lines)


def card_keyboard(client: Client) -> InlineKeyboardMarkup:
    """Buttons on a client card."""
    kb = InlineKeyboardBuilder()
    if client.status == "lead" and client.first_response_at is None:
        kb.button(
            text=_("Answered ✅"),
            callback_data=LeadCb(action="ans", client_id=client.id, arg="card"),
        )
    kb.button(text=_("🔔 Follow up"), callback_data=LeadCb(action="fu", client_id=client.id))
    kb.button(text=_("Status"), callback_data=LeadCb(action="status", client_id=client.id))
    kb.button(text=_("Time zone"), callback_data=LeadCb(action="ctz", client_id=client.id))
    kb.button(
        text=_("Pass to a colleague"), callback_data=LeadCb(action="pass", client_id=client.id)
    )
    waiting = client.status == "lead" and client.first_response_at is None
    kb.adjust(1, 1, 2, 1) if waiting else kb.adjust(1, 2, 1)
    return kb.as_markup()


def pick_keyboard(clients: list[Client], action: str) -> InlineKeyboardMarkup:
    """One button per client to choose from."""
    return grid(
        [
            InlineKeyboardButton(
                text=f"{client.name} · {status_name(client.status)}",
                callback_data=LeadCb(action=action, client_id=client.id).pack(),
            )
            for client in clients
        ],
        1,
    )


def edit_error(exc: ClientEditError) -> str:
    """One clear message per kind of bad edit, with the right form."""
    if exc.code == "timezone":
        return _(
            "I don't know the time zone «{value}». "
            "Example: <code>/client Ivan tz Asia/Almaty</code>"
        ).format(value=esc(exc.value))
    if exc.code == "status":
        return _(
            "«{value}» is not a status. Use lead, active, paused or lost: "
            "<code>/client Ivan status active</code>"
        ).format(value=esc(exc.value))
    if exc.code == "contact":
        return _(
            "«{value}» is not a phone, e-mail, @username or link. "
            "Example: <code>/client Ivan phone +7 999 123-45-67</code>"
        ).format(value=esc(exc.value))
    return _("What should I change? Example: <code>/client Ivan tz Asia/Almaty</code>")


def status_keyboard(client: Client) -> InlineKeyboardMarkup:
    """The statuses to choose from, the current one marked."""
    kb = InlineKeyboardBuilder()
    for status in STATUSES:
        kb.button(
            text=("• " if status == client.status else "") + status_name(status),
            callback_data=LeadCb(action="setst", client_id=client.id, arg=status),
        )
    kb.adjust(2)
    return kb.as_markup()
