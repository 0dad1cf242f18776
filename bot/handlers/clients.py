"""/client and /clients: the client card, search, and edits by text or buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import answer, pressed_client, workspace_of
from bot.services.clients import (
    ClientEditError,
    apply_edit,
    client_file,
    find_clients,
    parse_client_query,
    search_clients,
)
from bot.settings import Settings
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.storage.repositories.clients import STATUSES
from bot.telegram.outbox import Replies
from bot.views.clients import (
    LIST_LIMIT,
    card_keyboard,
    client_card,
    edit_error,
    pick_keyboard,
    status_keyboard,
)
from bot.views.common import esc
from bot.views.leads import LeadCb

router = Router(name=__name__)


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
        client_card(
            await client_file(repos, client), user.timezone or settings.default_timezone, now, lang
        ),
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
            client_card(
                await client_file(repos, client),
                user.timezone or settings.default_timezone,
                now,
                lang,
            ),
            reply_markup=card_keyboard(client),
        )
    elif callback_data.action == "status":
        await replies.edit_markup(msg.chat.id, msg.message_id, status_keyboard(client))
    elif callback_data.action == "setst" and callback_data.arg in STATUSES:
        client = await repos.clients.update(client.id, now, status=callback_data.arg)
        await replies.edit(
            msg.chat.id,
            msg.message_id,
            client_card(
                await client_file(repos, client),
                user.timezone or settings.default_timezone,
                now,
                lang,
            ),
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
