"""/client and /clients: the client card, search, and edits by text or buttons."""

from __future__ import annotations

from datetime import datetime

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.clients import (
    ClientEditError,
    apply_edit,
    find_clients,
    parse_client_query,
    search_clients,
)
from bot.clock import Clock
from bot.handlers.common import answer, pressed_client, workspace_of, zone_text
from bot.leads import response_time
from bot.outbox import Replies
from bot.settings import Settings
from bot.storage.records import Client, User
from bot.storage.repositories import Repos
from bot.storage.repositories.clients import STATUSES
from bot.views import LeadCb, contacts_line, duration, esc, grid, local_time, touch_line

router = Router(name=__name__)

LIST_LIMIT = 20


def status_name(status: str) -> str:
    """The status in the user's language."""
    return {
        "lead": _("lead"),
        "active": _("active"),
        "paused": _("paused"),
        "lost": _("lost"),
    }.get(status, status)


async def client_card(
    repos: Repos, client: Client, viewer: User, settings: Settings, now: datetime, lang: str
) -> str:
    """Everything about a client on one screen, history newest first."""
    zone = viewer.timezone or settings.default_timezone
    lines = [f"👤 <b>{esc(client.name)}</b> · {status_name(client.status)}"]
    contacts = await repos.clients.contacts(client.id)
    if contacts:
        lines.append(contacts_line(contacts))
    client_zone = client.timezone or zone
    lines.append(
        _("🕒 Time zone: {zone}").format(zone=zone_text(client_zone, lang, now))
        + ("" if client.timezone else " " + _("(yours)"))
    )
    owner = await repos.users.get(client.owner_id) if client.owner_id else None
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
    for fu in await repos.followups.open_for_client(client.id):
        lines.append(
            _("🔔 Follow-up: {when}").format(when=local_time(fu.due_at, zone, now))
            + (" — " + esc(fu.what) if fu.what else "")
        )
    if client.note:
        lines.append("📝 " + esc(client.note))
    touches = await repos.clients.touches(client.id)
    if touches:
        people = await repos.users.many([t.user_id for t in touches if t.user_id])
        lines.append("")
        lines.append(_("<b>History</b>"))
        for touch in touches:
            who = people.get(touch.user_id) if touch.user_id else None
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


@router.message(Command("client"))
async def cmd_client(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Show a client's card, or change one field: `/client Иван tz Asia/Almaty`."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    user, workspace, _role = asking
    text = (command.args or "").strip()
    if not text:
        await replies.send(
            message.chat.id,
            _("Whose card? Example: <code>/client Ivan Petrov</code>; /clients lists everyone."),
        )
        return
    query = parse_client_query(text)
    found, unique = await find_clients(repos, workspace.id, query.name)
    if not found:
        await replies.send(
            message.chat.id,
            _("No client «{name}». /clients lists everyone.").format(name=esc(query.name)),
        )
        return
    if not unique:
        await replies.send(
            message.chat.id,
            _("Several clients match «{name}». Which one?").format(name=esc(query.name)),
            reply_markup=pick_keyboard(found, "open"),
        )
        return
    client, now = found[0], clock.now()
    if query.field is not None:
        try:
            client = await apply_edit(repos, client, query.field, query.value, now)
        except ClientEditError as exc:
            await replies.send(message.chat.id, edit_error(exc))
            return
        client = await repos.clients.get(client.id) or client
    await replies.send(
        message.chat.id,
        await client_card(repos, client, user, settings, now, lang),
        reply_markup=card_keyboard(client),
    )


@router.message(Command("clients"))
async def cmd_clients(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
) -> None:
    """List clients, or search them: `/clients иван`."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    workspace = asking[1]
    query = (command.args or "").strip()
    clients = await search_clients(repos, workspace.id, query, LIST_LIMIT)
    if not clients:
        text = (
            _("Nobody matches «{query}».").format(query=esc(query))
            if query
            else _("No clients yet. Add the first one: <code>/lead Ivan, +7 999 123-45-67</code>")
        )
        await replies.send(message.chat.id, text)
        return
    total = await repos.clients.count(workspace.id)
    header = (
        _("Clients matching «{query}»:").format(query=esc(query))
        if query
        else _("Clients: {shown} of {total}, newest first.").format(shown=len(clients), total=total)
    )
    await replies.send(message.chat.id, header, reply_markup=pick_keyboard(clients, "open"))


@router.callback_query(LeadCb.filter(F.action.in_({"open", "status", "ctz", "setst"})), F.message)
async def on_card_button(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Open a card, pick a status, or start changing the client's time zone."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    now = clock.now()
    if callback_data.action == "open":
        await replies.send(
            msg.chat.id,
            await client_card(repos, client, user, settings, now, lang),
            reply_markup=card_keyboard(client),
        )
    elif callback_data.action == "status":
        kb = InlineKeyboardBuilder()
        for status in STATUSES:
            kb.button(
                text=("• " if status == client.status else "") + status_name(status),
                callback_data=LeadCb(action="setst", client_id=client.id, arg=status),
            )
        kb.adjust(2)
        await replies.edit_markup(msg.chat.id, msg.message_id, kb.as_markup())
    elif callback_data.action == "setst" and callback_data.arg in STATUSES:
        client = await repos.clients.update(client.id, now, status=callback_data.arg)
        await replies.edit(
            msg.chat.id,
            msg.message_id,
            await client_card(repos, client, user, settings, now, lang),
            reply_markup=card_keyboard(client),
        )
    elif callback_data.action == "ctz":
        await repos.users.update(user.id, now, awaiting=f"ctz:{client.id}")
        # The answer is read in the private chat, so the question goes there too.
        await replies.send(
            user.id,
            _(
                "Which time zone is «{name}» in? Type a city or an offset: "
                "<i>Алматы</i>, <i>New York</i>, <i>UTC+5</i>."
            ).format(name=esc(client.name)),
        )
    await answer(query)
