"""/client and /clients: the client card, search, and edits by text or buttons."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import (
    CONTINUATIONS,
    PICK_KIND,
    Asker,
    answer,
    ask_context,
    card_message,
    continues,
    named_client,
    pressed_client,
    team_names,
    workspace_of,
)
from bot.services.align import holiday_country
from bot.services.clients import (
    NOTE_KIND,
    ClientEditError,
    accessible,
    apply_edit,
    client_log,
    is_real_query,
    parse_edit,
    search_clients,
    set_status,
)
from bot.settings import Settings
from bot.storage.records import Client, User
from bot.storage.repositories import Repos
from bot.storage.repositories.clients import STATUSES
from bot.storage.repositories.drafts import OPEN
from bot.telegram.outbox import Replies
from bot.views.clients import (
    SEARCH_LIMIT,
    PickCb,
    client_log_text,
    client_picker,
    edit_error,
    log_more_keyboard,
    status_keyboard,
    unknown_edit,
)
from bot.views.common import esc, id_arg, question_closed
from bot.views.leads import LeadCb

router = Router(name=__name__)


@router.message(Command("client", ignore_case=True))
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
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(
            message.chat.id,
            _("Whose card? Example: <code>/client Ivan Petrov</code>; /clients lists everyone."),
        )
        return
    named = await named_client(asker, text, command="client")
    if named is not None:
        await show_or_edit(asker, *named)


@continues("client")
async def show_or_edit(asker: Asker, client: Client, rest: str) -> None:
    """The card, after applying the change typed after the name, if any."""
    now, repos = asker.clock.now(), asker.repos
    if rest:
        edit = parse_edit(rest)
        if edit is None:
            await asker.replies.send(asker.chat_id, unknown_edit(client, rest))
            return
        try:
            client = await apply_edit(
                repos,
                client,
                edit.field,
                edit.value,
                now,
                asker.user.id,
                default_sla=asker.settings.lead_response_sla,
                region=holiday_country(asker.user, asker.settings.default_timezone),
            )
        except ClientEditError as exc:
            await asker.replies.send(asker.chat_id, edit_error(exc))
            return
        client = await repos.clients.get(client.id) or client
    text, markup = await card_message(
        repos, client, asker.user, asker.settings.default_timezone, now, asker.lang
    )
    await asker.replies.send(asker.chat_id, text, reply_markup=markup)


@router.callback_query(PickCb.filter(), F.message)
async def on_pick(
    query: CallbackQuery,
    callback_data: PickCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A client chosen from a list (or a new one created): the command goes on with it."""
    msg = query.message
    if not isinstance(msg, Message):  # too old for Telegram to show it: nothing to act on
        await answer(query, _("This button no longer works."))
        return
    asker = await ask_context(msg.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        await answer(query)
        return
    choice, now = callback_data.c, clock.now()
    if choice.startswith("p"):
        page = id_arg(choice[1:])
        seen = await repos.drafts.peek(callback_data.d, asker.user.id, PICK_KIND, callback_data.t)
        if page is None or seen.state != OPEN:
            await answer(query, question_closed(seen.state), show_alert=True)
            return
        clients = await repos.clients.many(seen.payload.get("ids", []))
        teams = [w for w, _role in await repos.workspaces.of_user(asker.user.id)]
        labels = await team_names(repos, teams) if len(teams) > 1 else {}
        markup = client_picker(callback_data.d, callback_data.t, clients, labels, page)
        await replies.edit_markup(msg.chat.id, msg.message_id, markup)
        await answer(query)
        return
    taken = await repos.drafts.peek(callback_data.d, asker.user.id, PICK_KIND, callback_data.t)
    if taken.state == OPEN and not taken.payload.get("reuse"):
        # A question is answered once; a list of search results opens again and again.
        taken = await repos.drafts.take(
            callback_data.d, asker.user.id, PICK_KIND, now, callback_data.t
        )
    payload = taken.payload
    picked = id_arg(choice)
    if taken.state != OPEN or (choice != "+" and picked not in payload.get("ids", [])):
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    if choice == "+":
        name = str(payload.get("name") or "?")
        # Two commands about a new client answered one after the other: the second press
        # finds the client the first one made, not a twin of it.
        same = await repos.clients.named(asker.workspace.id, name)
        client = same or await repos.clients.create(
            asker.workspace.id, name, owner_id=asker.user.id, now=now, status="active"
        )
    else:
        found = await accessible(repos, asker.user, picked) if picked is not None else None
        if found is None:
            await answer(query, _("This client is not in your team."), show_alert=True)
            return
        client = found
    if not payload.get("reuse"):
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
    go_on = CONTINUATIONS.get(str(payload.get("cmd")))
    if go_on is not None:
        await go_on(asker, client, str(payload.get("rest") or ""))
    await answer(query)


@router.message(Command("clients", ignore_case=True))
async def cmd_clients(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    clock: Clock,
) -> None:
    """List clients of all your teams, or search them: `/clients иван`, a phone, an e-mail."""
    asking = await workspace_of(repos, user, replies, message.chat.id)
    if asking is None:
        return
    user = asking[0]
    query = (command.args or "").strip()
    if query and not is_real_query(query):
        await replies.send(
            message.chat.id,
            _(
                "Search by a name, a company, a phone or an e-mail: "
                "<code>/clients ivan</code>, <code>/clients 999 123</code>."
            ),
        )
        return
    teams = [w for w, _role in await repos.workspaces.of_user(user.id)]
    clients = await search_clients(repos, [w.id for w in teams], query, SEARCH_LIMIT)
    if not clients:
        text = (
            _("Nobody matches “{query}”.").format(query=esc(query))
            if query
            else _("No clients yet. Add the first one: <code>/lead Ivan, +7 999 123-45-67</code>")
        )
        await replies.send(message.chat.id, text)
        return
    total = sum([await repos.clients.count(w.id) for w in teams])
    header = (
        _("Clients matching “{query}”:").format(query=esc(query))
        if query
        else _("Clients: {total}, newest first.").format(total=total)
    )
    draft = await repos.drafts.add(
        user.id,
        PICK_KIND,
        {"cmd": "client", "rest": "", "ids": [c.id for c in clients], "reuse": True},
        clock.now(),
    )
    labels = await team_names(repos, teams) if len(teams) > 1 else {}
    await replies.send(
        message.chat.id,
        header,
        reply_markup=client_picker(draft.id, draft.token, clients, labels, 0),
    )


LOG_PAGE = 40


@router.callback_query(LeadCb.filter(F.action.in_({"log", "notes"})), F.message)
async def on_log_button(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """📜 / 📝: the client's whole history or notes, a page at a time, each text whole."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    notes = callback_data.action == "notes"
    # "" is the first page (with the lead's request); then the offset of the next entry.
    first_page = callback_data.arg == ""
    offset = 0 if first_page else id_arg(callback_data.arg) or 0
    touches, people, total = await client_log(
        repos, client, NOTE_KIND if notes else None, offset, LOG_PAGE
    )
    pieces, shown = client_log_text(
        client,
        touches,
        people,
        notes=notes,
        first_page=first_page,
        zone=user.timezone or settings.default_timezone,
        now=clock.now(),
        lang=lang,
    )
    more = offset + shown < total or (first_page and shown == 0 and total > 0)
    for i, piece in enumerate(pieces):
        last = i == len(pieces) - 1
        await replies.send(
            msg.chat.id,
            piece,
            reply_markup=log_more_keyboard(client.id, callback_data.action, offset + shown)
            if last and more
            else None,
        )
    await answer(query)


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
        text, markup = await card_message(repos, client, user, settings.default_timezone, now, lang)
        await replies.send(msg.chat.id, text, reply_markup=markup)
    elif callback_data.action == "status":
        await replies.edit_markup(msg.chat.id, msg.message_id, status_keyboard(client))
    elif callback_data.action == "setst" and callback_data.arg in STATUSES:
        client = await set_status(
            repos, client, callback_data.arg, user.id, now, settings.lead_response_sla
        )
        text, markup = await card_message(repos, client, user, settings.default_timezone, now, lang)
        await replies.edit(msg.chat.id, msg.message_id, text, reply_markup=markup)
    elif callback_data.action == "ctz":
        await repos.users.update(user.id, now, awaiting=f"ctz:{client.id}")
        # The answer is read in the private chat, so the question goes there too.
        await replies.send(
            user.id,
            _(
                "Which time zone is “{name}” in? Type a city or an offset: "
                "<i>Алматы</i>, <i>New York</i>, <i>UTC+5</i>."
            ).format(name=esc(client.name)),
        )
    await answer(query)
