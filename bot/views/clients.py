"""How a client looks: the card, history lines, search results and their buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.clients import CARD_FOLLOWUPS, STATUSES, ClientEditError, ClientFile
from bot.services.leads import response_time
from bot.storage.records import Client, Touch, User
from bot.views.common import (
    Id,
    contacts_line,
    duration,
    esc,
    grid,
    local_time,
    shaped,
    zone_text,
)
from bot.views.invoices import dated_invoice_line, payment_line
from bot.views.leads import LeadCb
from bot.views.limits import LINE_TEXT, MAX_CHOICES, MAX_TEXT, NAME, chunks, fit, shorten, size
from bot.views.tasks import line_for_card


def touch_line(
    touch: Touch, zone: str, now: datetime, who: str | None, *, with_summary: bool = True
) -> str:
    """One line of a client's history (its text shortened; the 📜 log shows it whole)."""
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
        text += f" ({esc(shorten(who, NAME))})"
    if touch.summary and with_summary:
        text += ": " + esc(shorten(touch.summary, LINE_TEXT))
    return text


# A search lists at most this many, MAX_CHOICES a page.
SEARCH_LIMIT = 100
CARD_NOTE = 500


def status_name(status: str) -> str:
    """The status in the user's language."""
    return {
        "lead": _("lead"),
        "active": _("active"),
        "paused": _("paused"),
        "lost": _("lost"),
    }.get(status, status)


def source_name(source: str) -> str:
    """A stored source code in the reader's language; a website's own words stay as they are."""
    names = {
        "website": _("website"),
        "forward": _("forwarded message"),
        "business": _("private chat (Telegram Business)"),
    }
    code, sep, rest = source.partition(" · ")
    return names.get(code, code) + (sep + rest if sep else "")


def client_card(file: ClientFile, zone: str, now: datetime, lang: str) -> str:
    """Everything about a client on one screen, history newest first, in the viewer's zone;
    long texts shortened and the history cut to Telegram's limit (📜 shows it all)."""
    client = file.client
    lines = [f"👤 <b>{esc(shorten(client.name, 200))}</b> · {status_name(client.status)}"]
    if client.company:
        lines.append(_("🏢 Company: {company}").format(company=esc(shorten(client.company, 200))))
    if file.contacts:
        lines.append(contacts_line(file.contacts))
    client_zone = client.timezone or zone
    lines.append(
        _("🕒 Time zone: {zone}").format(zone=zone_text(client_zone, lang, now))
        + ("" if client.timezone else " " + _("(yours)"))
    )
    owner = file.owner
    lines.append(
        _("👔 Owner: {who}").format(who=esc(shorten(owner.display_name, NAME) if owner else "—"))
    )
    if client.received_at is not None:
        waited = response_time(client)
        if waited is not None:
            lines.append(
                _("⏱ Lead answered in {time} (received {at})").format(
                    time=duration(waited), at=local_time(client.received_at, zone, now)
                )
            )
        elif client.awaiting_answer:
            lines.append(
                _("⏱ Lead waiting for an answer: {time}").format(
                    time=duration(now - client.received_at)
                )
            )
    if client.source:
        lines.append(_("Source: {source}").format(source=esc(source_name(client.source))))
    lines.append(
        _("➡️ Next step: {step}").format(
            step=esc(shorten(client.next_step, LINE_TEXT)) if client.next_step else "—"
        )
    )
    for fu in file.followups[:CARD_FOLLOWUPS]:
        lines.append(
            _("🔔 Follow-up: {when}").format(when=local_time(fu.due_at, zone, now))
            + (" — " + esc(shorten(fu.what, LINE_TEXT)) if fu.what else "")
        )
    if len(file.followups) > CARD_FOLLOWUPS:
        lines.append(
            _("…and {n} more follow-ups: /followups").format(n=len(file.followups) - CARD_FOLLOWUPS)
        )
    if client.note:
        lines.append("📋 " + esc(shorten(client.note, CARD_NOTE)))
    if file.latest_note is not None:
        note = file.latest_note
        lines.append(
            _("📝 Note, {at}: {text}").format(
                at=local_time(note.at, zone, now), text=esc(shorten(note.summary, CARD_NOTE))
            )
        )
        if file.note_total > 1:
            lines.append(_("…{n} notes in all: 📝 below shows them.").format(n=file.note_total))
    # One dated timeline, newest first: calls, meetings and mail, tasks, invoices, payments.
    dated = [
        (
            touch.at,
            touch_line(
                touch,
                zone,
                now,
                file.people[touch.user_id].display_name if touch.user_id in file.people else None,
            ),
        )
        for touch in file.touches
    ]
    dated += [(task.created_at, line_for_card(task, zone, lang, now)) for task in file.tasks]
    invoices = {invoice.id: invoice for invoice in file.invoices}
    dated += [
        (invoice.created_at, dated_invoice_line(invoice, zone, lang, now))
        for invoice in file.invoices
    ]
    dated += [
        (payment.paid_at, payment_line(payment, invoices[payment.invoice_id], zone, lang, now))
        for payment in file.payments
        if payment.invoice_id in invoices
    ]
    history = [line for _at, line in sorted(dated, key=lambda item: item[0], reverse=True)]
    if not history:
        return "\n".join(lines)
    hidden = file.touch_total - file.note_total - len(file.touches)
    text, shown = fit(
        [*lines, "", _("<b>History</b>")],
        history,
        lambda n: _("…and {n} earlier: 📜 below shows them.").format(n=n + max(0, hidden)),
    )
    if shown == len(history) and hidden > 0:
        text += "\n" + _("…and {n} earlier: 📜 below shows them.").format(n=hidden)
    return text


def client_log_text(
    client: Client,
    touches: list[Touch],
    people: dict[int, User],
    *,
    notes: bool,
    first_page: bool,
    zone: str,
    now: datetime,
    lang: str,
) -> tuple[list[str], int]:
    """A page of the client's history or notes, each entry whole: as many entries as fit in one
    message (one entry longer than a message comes in several). Returns the messages and how
    many of `touches` they show, so "Earlier ›" goes on from there."""
    title = (_("📝 Notes on “{name}”") if notes else _("📜 History of “{name}”")).format(
        name=esc(shorten(client.name, NAME))
    )
    blocks: list[str] = []
    head = "<b>" + title + "</b>"
    budget = MAX_TEXT - 300 - size(head)
    if notes and first_page and client.note:
        request = _("📋 Request:") + "\n" + esc(client.note)
        if size(request) + 2 > budget:
            # The request alone fills the page (in pieces); the notes come on the next one.
            pieces = chunks(client.note, MAX_TEXT - 300, lambda s: size(esc(s)))
            return [head + "\n\n" + _("📋 Request:")] + [esc(piece) for piece in pieces], 0
        blocks.append(request)
        budget -= size(request) + 2
    used = 0
    for touch in touches:
        who = people[touch.user_id].display_name if touch.user_id in people else None
        line = touch_line(touch, zone, now, who, with_summary=False)
        block = line + (":\n" + esc(touch.summary) if touch.summary else "")
        if size(block) + 2 > budget:
            if used == 0 and not blocks:
                # One entry longer than a message: it alone, in pieces.
                pieces = chunks(touch.summary, MAX_TEXT - 300, lambda s: size(esc(s)))
                return [head + "\n\n" + line] + [esc(piece) for piece in pieces], 1
            break
        blocks.append(block)
        budget -= size(block) + 2
        used += 1
    if not blocks:
        return [head + "\n" + _("Nothing yet.")], 0
    return [head + "\n\n" + "\n\n".join(blocks)], used


def card_keyboard(client: Client, file: ClientFile | None = None) -> InlineKeyboardMarkup:
    """Buttons on a client card; 📜 and 📝 when there is more to read than the card shows."""

    def button(text: str, action: str, arg: str = "") -> InlineKeyboardButton:
        data = LeadCb(action=action, client_id=client.id, arg=arg).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    buttons = []
    if client.awaiting_answer:
        buttons.append(button(_("Answered ✅"), "ans", "card"))
    buttons += [
        button(_("🔔 Follow up"), "fu"),
        button(_("Status"), "status"),
        button(_("Time zone"), "ctz"),
        button(_("Pass to a colleague"), "pass"),
    ]
    extra = 0
    if file is not None and file.touch_total - file.note_total > 0:
        buttons.append(button(_("📜 History"), "log"))
        extra += 1
    if file is not None and (file.note_total or client.note):
        buttons.append(button(_("📝 Notes"), "notes"))
        extra += 1
    rows = [1, 1, 2, 1] if client.awaiting_answer else [1, 2, 1]
    if extra:
        rows.append(extra)
    return shaped(buttons, *rows)


def edit_error(exc: ClientEditError) -> str:
    """One clear message per kind of bad edit, with the right form."""
    if exc.code == "timezone":
        return _(
            "I don't know the time zone “{value}”. "
            "Example: <code>/client Ivan tz Asia/Almaty</code>"
        ).format(value=esc(exc.value))
    if exc.code == "status":
        return _(
            "“{value}” is not a status. Use lead, active, paused or lost: "
            "<code>/client Ivan status active</code>"
        ).format(value=esc(exc.value))
    if exc.code == "contact":
        return _(
            "“{value}” is not a phone, e-mail, @username or link. "
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


def log_more_keyboard(client_id: int, action: str, offset: int) -> InlineKeyboardMarkup:
    """The "Earlier ›" button under a page of the history or notes, going on from `offset`."""
    return grid(
        [
            InlineKeyboardButton(
                text=_("Earlier ›"),
                callback_data=LeadCb(action=action, client_id=client_id, arg=str(offset)).pack(),
            )
        ],
        1,
    )


class PickCb(CallbackData, prefix="pk"):
    """A choice in a client picker: `c` is a client id, `+` to create one, or `p<page>`."""

    d: Id
    t: str
    c: str


def client_picker(
    draft_id: int,
    token: str,
    clients: list[Client],
    teams: dict[int, str],
    page: int,
    *,
    new_name: str | None = None,
) -> InlineKeyboardMarkup:
    """At most MAX_CHOICES clients a page (with their team when the person is in several),
    "More ›" for the next page, and "➕ New client" when the name is unknown."""
    start = page * MAX_CHOICES
    chunk = clients[start : start + MAX_CHOICES]
    buttons = []
    for client in chunk:
        label = shorten(client.name, NAME) + " · " + status_name(client.status)
        if client.workspace_id in teams:
            label += " · " + shorten(teams[client.workspace_id], 24)
        buttons.append(
            InlineKeyboardButton(
                text=label, callback_data=PickCb(d=draft_id, t=token, c=str(client.id)).pack()
            )
        )
    if start + MAX_CHOICES < len(clients):
        buttons.append(
            InlineKeyboardButton(
                text=_("More ›"), callback_data=PickCb(d=draft_id, t=token, c=f"p{page + 1}").pack()
            )
        )
    if new_name:
        buttons.append(
            InlineKeyboardButton(
                text=_("➕ New client “{name}”").format(name=shorten(new_name, NAME)),
                callback_data=PickCb(d=draft_id, t=token, c="+").pack(),
            )
        )
    return grid(buttons, 1)


def unknown_edit(client: Client, rest: str) -> str:
    """The words after a client's name are no change this bot knows: say what is."""
    return _(
        "I found “{name}”, but “{rest}” is not a change I know. To change the card: "
        "<code>/client {name} note …</code>, <code>status active</code>, "
        "<code>tz Asia/Almaty</code>, <code>phone …</code>, <code>next …</code>, "
        "<code>name …</code>, <code>company …</code>, <code>source …</code>."
    ).format(name=esc(shorten(client.name, NAME)), rest=esc(shorten(rest, NAME)))
