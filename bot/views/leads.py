"""How a lead looks: its card, its buttons and the "call in…" choices."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.storage.records import Client, Contact, User
from bot.views.common import Id, contacts_line, duration, esc, local_time, shaped
from bot.views.limits import MAX_CHOICES, shorten

CALL_IN_MINUTES = (15, 30, 60, 120)
LEAD_NOTE = 700


class LeadCb(CallbackData, prefix="ld"):
    """A button about one client: what to do, and an argument for choices."""

    action: str
    client_id: Id
    arg: str = ""


def lead_card(
    client: Client,
    contacts: list[Contact],
    *,
    zone: str,
    now: datetime,
    sla: timedelta,
    answered_by: str | None = None,
    request: str | None = None,
) -> str:
    """The lead's card as the manager sees it right after /lead, and after an answer;
    `request` is what a known client asks this time (else the lead's first request shows)."""
    title = (
        _("🔥 New lead: <b>{name}</b>")
        if client.status == "lead"
        else _("💬 A new request from your client <b>{name}</b>")
    )
    lines = [title.format(name=esc(shorten(client.name, 200)))]
    if contacts:
        lines.append(contacts_line(contacts))
    note = client.note if request is None else request
    if note:
        lines.append("📝 " + esc(shorten(note, LEAD_NOTE)))
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


def lead_keyboard(client: Client) -> InlineKeyboardMarkup:
    """Ответил ✅ · Позвоню через… · Передать коллеге, and 📝 when the request is too long for
    the card."""
    buttons = [
        _button(_("Answered ✅"), LeadCb(action="ans", client_id=client.id)),
        _button(_("Call in…"), LeadCb(action="call", client_id=client.id)),
        _button(_("Pass to a colleague"), LeadCb(action="pass", client_id=client.id)),
    ]
    if len(client.note.strip()) > LEAD_NOTE:
        buttons.append(
            _button(_("📝 The whole request"), LeadCb(action="notes", client_id=client.id))
        )
        return shaped(buttons, 2, 1, 1)
    return shaped(buttons, 2, 1)


def _button(text: str, data: LeadCb) -> InlineKeyboardButton:
    """One button carrying a LeadCb."""
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def call_in_keyboard(client_id: int) -> InlineKeyboardMarkup:
    """Choices for "I'll call in …"."""
    kb = InlineKeyboardBuilder()
    for minutes in CALL_IN_MINUTES:
        kb.button(
            text=duration(timedelta(minutes=minutes)),
            callback_data=LeadCb(action="callin", client_id=client_id, arg=str(minutes)),
        )
    kb.button(text=_("“ Back"), callback_data=LeadCb(action="card", client_id=client_id))
    kb.adjust(2, 2, 1)
    return kb.as_markup()


def lead_example() -> str:
    """The right form of /lead."""
    return _("Example: <code>/lead Ivan Petrov, +7 999 123-45-67, request from the website</code>")


def forward_offer_keyboard(draft_id: int, token: str) -> InlineKeyboardMarkup:
    """“Сделать лидом” · “Нет” under a forwarded message; the question's token rides along."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("Make it a lead"), callback_data=LeadCb(action="fwd", client_id=draft_id, arg=token)
    )
    kb.button(text=_("No"), callback_data=LeadCb(action="nofwd", client_id=draft_id, arg=token))
    return kb.as_markup()


def pass_keyboard(
    client_id: int, member_ids: list[int], people: dict[int, User]
) -> InlineKeyboardMarkup:
    """The colleagues a lead can be passed to, and “ Back."""
    kb = InlineKeyboardBuilder()
    # A phone screen, not a staff list: the first colleagues; /team shows everyone.
    for member_id in member_ids[:MAX_CHOICES]:
        person = people.get(member_id)
        kb.button(
            text=person.display_name if person else str(member_id),
            callback_data=LeadCb(action="passto", client_id=client_id, arg=str(member_id)),
        )
    kb.button(text=_("“ Back"), callback_data=LeadCb(action="card", client_id=client_id))
    kb.adjust(1)
    return kb.as_markup()


def duplicate_keyboard(draft_id: int, token: str, client_name: str) -> InlineKeyboardMarkup:
    """“It is them: log the request” · “A new client”."""
    kb = InlineKeyboardBuilder()
    kb.button(
        text=_("It is “{name}”: log the request").format(name=shorten(client_name, 40)),
        callback_data=LeadCb(action="dupsame", client_id=draft_id, arg=token),
    )
    kb.button(
        text=_("A new client"), callback_data=LeadCb(action="dupnew", client_id=draft_id, arg=token)
    )
    kb.adjust(1)
    return kb.as_markup()


def call_outcome_keyboard(client_id: int) -> InlineKeyboardMarkup:
    """✅ Talked · 📵 No answer · ⏰ Asked to call back."""
    kb = InlineKeyboardBuilder()
    kb.button(text=_("✅ Talked"), callback_data=LeadCb(action="talked", client_id=client_id))
    kb.button(
        text=_("📵 No answer: again in an hour"),
        callback_data=LeadCb(action="noanswer", client_id=client_id),
    )
    kb.button(
        text=_("⏰ Asked to call back…"),
        callback_data=LeadCb(action="callback", client_id=client_id),
    )
    kb.adjust(1)
    return kb.as_markup()
