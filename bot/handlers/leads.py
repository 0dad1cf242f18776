"""/lead, forwarded client messages, /call, and the buttons on a lead card and its pings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import (
    CallbackQuery,
    Message,
    MessageOriginChannel,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import (
    CONTINUATIONS,
    Asker,
    answer,
    ask_context,
    card_message,
    continues,
    named_client,
    pressed_client,
    sent_at,
)
from bot.i18n import pick_language
from bot.parsing.calls import parse_call
from bot.parsing.leadtext import Contact as ParsedContact
from bot.parsing.leadtext import LeadText, parse_lead_text
from bot.services.accounts import current_workspace
from bot.services.align import holiday_country
from bot.services.clients import MAX_NOTE, accessible
from bot.services.leads import (
    CALLBACK_KIND,
    create_lead,
    known_client,
    lead_from_payload,
    lead_payload,
    new_request,
    pass_to,
    respond,
    workspace_sla,
)
from bot.settings import Settings
from bot.storage.records import Client, User, Workspace
from bot.storage.repositories import Repos
from bot.storage.repositories.drafts import OPEN
from bot.telegram.outbox import Replies
from bot.views.common import duration, esc, id_arg, local_time, question_closed
from bot.views.leads import (
    CALL_IN_MINUTES,
    LeadCb,
    call_in_keyboard,
    call_outcome_keyboard,
    duplicate_keyboard,
    forward_offer_keyboard,
    lead_card,
    lead_example,
    lead_keyboard,
    pass_keyboard,
)
from bot.views.limits import shorten

router = Router(name=__name__)

# A forwarded message older than this was not "just received": its clock starts now.
FORWARD_KIND = "forward"
NAME_KIND = "leadname"
DUP_KIND = "dup"


async def _workspace(repos: Repos, user: User | None) -> Workspace | None:
    """The workspace the user works in now."""
    found = await current_workspace(repos, user) if user is not None else None
    return found[0] if found else None


async def send_lead_card(
    replies: Replies,
    repos: Repos,
    chat_id: int,
    client: Client,
    *,
    zone: str,
    now: datetime,
    sla: timedelta,
    request: str | None = None,
) -> None:
    """The fresh lead's card with its three buttons."""
    contacts = await repos.clients.contacts(client.id)
    await replies.send(
        chat_id,
        lead_card(client, contacts, zone=zone, now=now, sla=sla, request=request),
        reply_markup=lead_keyboard(client),
    )


@router.message(Command("lead", ignore_case=True), F.chat.type == "private")
async def cmd_lead(
    message: Message,
    command: CommandObject,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """Record a lead received now and arm its response clock."""
    text = (command.args or "").strip()
    if not text:
        await replies.send(
            message.chat.id,
            _("Write the lead in one line after the command.") + "\n" + lead_example(),
        )
        return
    workspace = await _workspace(repos, user)
    assert workspace is not None  # every private user has one (see accounts.register)
    parsed = parse_lead_text(text, region=holiday_country(user, settings.default_timezone))
    await _create_and_show(
        message.chat.id,
        parsed,
        user,
        workspace,
        repos,
        replies,
        settings,
        clock,
        received_at=sent_at(message, clock.now()),
    )


async def _create_and_show(
    chat_id: int,
    parsed: LeadText,
    user: User,
    workspace: Workspace,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    *,
    received_at: datetime | None = None,
    source: str | None = None,
    checked: bool = False,
) -> Client | None:
    """Create the lead and show its card; or ask for its name, or whether it is a client the
    team already has (same phone, e-mail or @username); or explain what is missing."""
    now = clock.now()
    if not parsed.name and not parsed.contacts:
        await replies.send(
            chat_id,
            _("I could not find the lead's name or contact in that.") + "\n" + lead_example(),
        )
        return None
    kept = {
        "lead": lead_payload(parsed),
        "received_at": received_at.timestamp() if received_at else None,
        "source": source,
    }
    if not parsed.name:
        draft = await repos.drafts.add(user.id, NAME_KIND, kept, now)
        await repos.users.update(user.id, now, awaiting=f"{NAME_KIND}:{draft.id}")
        await replies.send(
            chat_id,
            _(
                "What is the lead's name? Type it, e.g. <code>Ivan Petrov</code>; "
                "I keep {contacts}."
            ).format(contacts=esc(shorten(", ".join(c.value for c in parsed.contacts), 300))),
        )
        return None
    known = None if checked else await known_client(repos, workspace.id, parsed)
    if known is not None:
        draft = await repos.drafts.add(user.id, DUP_KIND, {**kept, "client": known.id}, now)
        await replies.send(
            chat_id,
            _(
                "“{name}” has the same contact as your client “{client}”. Is it them writing "
                "again, or a new client?"
            ).format(name=esc(parsed.name), client=esc(known.name)),
            reply_markup=duplicate_keyboard(draft.id, draft.token, known.name),
        )
        return None
    sla = workspace_sla(workspace, settings.lead_response_sla)
    client = await create_lead(
        repos, workspace, user.id, parsed, now=now, sla=sla, received_at=received_at, source=source
    )
    zone = user.timezone or settings.default_timezone
    await send_lead_card(replies, repos, chat_id, client, zone=zone, now=now, sla=sla)
    return client


def _kept_lead(payload: dict[str, Any]) -> tuple[LeadText, datetime | None, str | None]:
    """A lead kept in a question's payload: the text, when it was received, its source."""
    stamp = payload.get("received_at")
    received = datetime.fromtimestamp(stamp, tz=UTC) if isinstance(stamp, int | float) else None
    source = payload.get("source")
    return lead_from_payload(payload["lead"]), received, source if isinstance(source, str) else None


def _asked_name(message: Message, user: User | None) -> bool | dict[str, Any]:
    """Text answering "what is the lead's name?"."""
    if user is None or not user.awaiting or not message.text or message.text.startswith("/"):
        return False
    kind, _sep, ref = user.awaiting.partition(":")
    ref_id = id_arg(ref)
    return {"draft_id": ref_id} if kind == NAME_KIND and ref_id is not None else False


@router.message(F.chat.type == "private", _asked_name)
async def on_lead_name(
    message: Message,
    draft_id: int,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """The lead's name, typed after the bot asked for it: the lead is recorded under it."""
    assert message.text is not None
    name = " ".join(message.text.split())[:200]
    now = clock.now()
    if not any(ch.isalpha() for ch in name):
        await replies.send(
            message.chat.id, _("A name needs letters, e.g. <code>Ivan Petrov</code>.")
        )
        return
    taken = await repos.drafts.take(draft_id, user.id, NAME_KIND, now)
    await repos.users.update(user.id, now, awaiting=None)
    workspace = await _workspace(repos, user)
    if taken.state != OPEN or workspace is None:
        await replies.send(message.chat.id, question_closed(taken.state))
        return
    parsed, received, source = _kept_lead(taken.payload)
    await _create_and_show(
        message.chat.id,
        LeadText(name, parsed.contacts, parsed.note),
        user,
        workspace,
        repos,
        replies,
        settings,
        clock,
        received_at=received,
        source=source,
    )


@router.callback_query(LeadCb.filter(F.action.in_({"dupsame", "dupnew"})), F.message)
async def on_duplicate_choice(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """The same person as a known client (log the request, restart the answer clock), or a
    new client after all."""
    msg = query.message
    if not isinstance(msg, Message):  # too old for Telegram to show it: nothing to act on
        await answer(query, _("This button no longer works."))
        return
    now = clock.now()
    if user is None:
        await answer(query)
        return
    taken = await repos.drafts.take(
        callback_data.client_id, user.id, DUP_KIND, now, callback_data.arg
    )
    if taken.state != OPEN:
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    parsed, received, source = _kept_lead(taken.payload)
    workspace = await _workspace(repos, user)
    known = await accessible(repos, user, taken.payload.get("client"))
    if workspace is None:
        await answer(query)
        return
    if callback_data.action == "dupnew" or known is None:
        await _create_and_show(
            msg.chat.id,
            parsed,
            user,
            workspace,
            repos,
            replies,
            settings,
            clock,
            received_at=received,
            source=source,
            checked=True,
        )
        await answer(query)
        return
    # The request belongs to the known client's own team (maybe not the current one): its
    # SLA and its owner's escalation.
    home = await repos.workspaces.get(known.workspace_id) or workspace
    sla = workspace_sla(home, settings.lead_response_sla)
    client = await new_request(
        repos, home, known, parsed, now=now, sla=sla, received_at=received, source=source
    )
    zone = user.timezone or settings.default_timezone
    await send_lead_card(
        replies, repos, msg.chat.id, client, zone=zone, now=now, sla=sla, request=parsed.note
    )
    await answer(query)


def _origin_name(message: Message) -> tuple[str, str | None, datetime | None]:
    """Sender name, @username and time of a forwarded message, as far as Telegram tells."""
    origin = message.forward_origin
    if isinstance(origin, MessageOriginUser):
        user = origin.sender_user
        name = " ".join(p for p in (user.first_name, user.last_name) if p)
        return name, (f"@{user.username}" if user.username else None), origin.date
    if isinstance(origin, MessageOriginHiddenUser):
        return origin.sender_user_name, None, origin.date
    if isinstance(origin, MessageOriginChat):
        return origin.sender_chat.title or "", None, origin.date
    if isinstance(origin, MessageOriginChannel):
        return origin.chat.title or "", None, origin.date
    return "", None, None


@router.message(F.forward_origin, F.chat.type == "private")
async def on_forward(
    message: Message, user: User, repos: Repos, replies: Replies, clock: Clock
) -> None:
    """Offer to turn a forwarded client message into a lead; the message is kept as a draft."""
    name, username, sent_at = _origin_name(message)
    draft = await repos.drafts.add(
        user.id,
        FORWARD_KIND,
        {
            "name": name,
            "username": username,
            "sent_at": sent_at.timestamp() if sent_at else None,
            "text": message.text or message.caption or "",
        },
        clock.now(),
    )
    await replies.send(
        message.chat.id,
        _("Make a lead of this message from {name}?").format(name=esc(name or _("a client"))),
        reply_markup=forward_offer_keyboard(draft.id, draft.token),
        reply_to=message.message_id,
    )


@router.callback_query(LeadCb.filter(F.action.in_({"fwd", "nofwd"})), F.message)
async def on_forward_choice(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """Create the lead from the kept forward; taking the draft makes a second tap a no-op."""
    msg = query.message
    if not isinstance(msg, Message):  # too old for Telegram to show it: nothing to act on
        await answer(query, _("This button no longer works."))
        return
    taken = await repos.drafts.take(
        callback_data.client_id, user.id, FORWARD_KIND, clock.now(), callback_data.arg
    )
    if taken.state != OPEN:
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    if callback_data.action == "nofwd":
        await answer(query, _("OK, not a lead."))
        return
    draft = taken.payload
    workspace = await _workspace(repos, user)
    assert workspace is not None
    body = str(draft.get("text") or "")
    parsed = parse_lead_text(body)
    contacts = parsed.contacts
    username = draft.get("username")
    if username and all(c.value.lower() != username.lower() for c in contacts):
        contacts = (ParsedContact("username", username), *contacts)
    lead = LeadText(str(draft.get("name") or "") or parsed.name, contacts, body.strip())
    now = clock.now()
    # Received when the client wrote it: a forward of an old message has waited that long.
    sent_at = datetime.fromtimestamp(draft["sent_at"], tz=UTC) if draft.get("sent_at") else None
    received = sent_at or now
    await _create_and_show(
        msg.chat.id,
        lead,
        user,
        workspace,
        repos,
        replies,
        settings,
        clock,
        received_at=min(received, now),
        source="forward",
    )
    await answer(query)


@router.message(Command("call", ignore_case=True))
async def cmd_call(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Log an outgoing call to a client; it answers their lead if it was waiting."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang, message)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(
            message.chat.id,
            _("Whom did you call? Example: <code>/call Ivan Petrov agreed on a brief</code>"),
        )
        return
    named = await named_client(asker, text, command="call")
    if named is not None:
        await log_call(asker, *named)


@continues("call")
async def log_call(asker: Asker, client: Client, rest: str) -> None:
    """/call once its client is known: the call (its length, what was said) is logged, a
    waiting lead is answered, and `next: <when> <what>` becomes the next step and a
    follow-up. The name alone asks how the call went."""
    if not rest.strip():
        await asker.replies.send(
            asker.chat_id,
            _("📞 Call with “{name}”: how did it go?").format(name=esc(client.name)),
            reply_markup=call_outcome_keyboard(client.id),
        )
        return
    call = parse_call(rest)
    result = await respond(
        asker.repos,
        client,
        asker.user.id,
        asker.sent_at,
        kind="call",
        summary=call.summary[:MAX_NOTE],
        duration_s=int(call.duration.total_seconds()) if call.duration else None,
    )
    reply = _("📞 Call with “{name}” logged.").format(name=esc(client.name))
    if call.duration is not None:
        reply += " " + _("Length: {time}.").format(time=duration(call.duration))
    if result.first and result.waited is not None:
        reply += " " + _("The lead was answered in {time}.").format(time=duration(result.waited))
    await asker.replies.send(asker.chat_id, reply)
    if call.next_step:
        await asker.repos.clients.update(
            client.id, asker.clock.now(), next_step=call.next_step[:1000], next_step_who="us"
        )
        # The next step is a follow-up like any /fu, through the same path.
        await CONTINUATIONS["fu"](asker, client, call.next_step)


@router.callback_query(LeadCb.filter(F.action.in_({"talked", "noanswer", "callback"})), F.message)
async def on_call_outcome(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """How a call went: talked (logged, a waiting lead answered), no answer (call again in an
    hour), or asked to call back (when?)."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    asker = await ask_context(msg.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        await answer(query)
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    if callback_data.action == "talked":
        await log_call(asker, client, _("talked"))
    elif callback_data.action == "noanswer":
        # No contact made: nothing answered; the follow-up keeps the call from being forgotten.
        await CONTINUATIONS["fu"](asker, client, "через 1 час " + _("call again: no answer"))
    else:
        await CONTINUATIONS["fu"](asker, client, _("call back as they asked"))
    await answer(query)


@router.callback_query(LeadCb.filter(F.action == "ans"), F.message)
async def on_answered(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Ответил ✅: stop the clock once; a second tap changes nothing."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    if client.first_response_at is not None:
        await answer(
            query,
            _("Already recorded: answered in {time}.").format(
                time=duration(client.first_response_at - (client.received_at or client.created_at))
            ),
        )
        return
    result = await respond(repos, client, user.id, clock.now())
    if callback_data.arg == "card":
        # Pressed on a /client card: redraw that card, not the lead card.
        text, markup = await card_message(
            repos, result.client, user, settings.default_timezone, clock.now(), lang
        )
        await replies.edit(msg.chat.id, msg.message_id, text, reply_markup=markup)
        await answer(query, _("Answer recorded"))
        return
    workspace = await repos.workspaces.get(client.workspace_id)
    assert workspace is not None
    contacts = await repos.clients.contacts(client.id)
    await replies.edit(
        msg.chat.id,
        msg.message_id,
        lead_card(
            result.client,
            contacts,
            zone=user.timezone or settings.default_timezone,
            now=clock.now(),
            sla=workspace_sla(workspace, settings.lead_response_sla),
            answered_by=user.display_name,
        ),
    )
    await answer(query, _("Answer recorded"))


@router.callback_query(LeadCb.filter(F.action.in_({"call", "card", "pass"})), F.message)
async def on_lead_menu(
    query: CallbackQuery, callback_data: LeadCb, user: User | None, repos: Repos, replies: Replies
) -> None:
    """Swap the card's buttons: call-in choices, colleagues, or back to the three buttons."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    if callback_data.action == "call":
        markup = call_in_keyboard(client.id)
    elif callback_data.action == "card":
        markup = lead_keyboard(client)
    else:
        members = [
            m for m in await repos.workspaces.members(client.workspace_id) if m.user_id != user.id
        ]
        if not members:
            await answer(
                query,
                _("Nobody else is in your team yet. Invite a colleague with /invite."),
                show_alert=True,
            )
            return
        people = await repos.users.many([m.user_id for m in members])
        markup = pass_keyboard(client.id, [m.user_id for m in members], people)
    await replies.edit_markup(msg.chat.id, msg.message_id, markup)
    await answer(query)


@router.callback_query(LeadCb.filter(F.action == "callin"), F.message)
async def on_call_in(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """Позвоню через N: remind the presser to call at that time."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    allowed = {str(m) for m in CALL_IN_MINUTES}
    minutes = int(callback_data.arg) if callback_data.arg in allowed else 30
    now = clock.now()
    due = now + timedelta(minutes=minutes)
    # One call reminder per lead: a second choice (or a double tap) replaces the first.
    await repos.reminders.cancel_for_client(client.id, (CALLBACK_KIND,))
    await repos.reminders.add(
        client.workspace_id, CALLBACK_KIND, due, now=now, client_id=client.id, user_id=user.id
    )
    await replies.edit_markup(msg.chat.id, msg.message_id, lead_keyboard(client))
    await replies.send(
        msg.chat.id,
        _("📞 I'll remind you to call “{name}” at {time}.").format(
            name=esc(client.name),
            time=local_time(due, user.timezone or settings.default_timezone, now),
        ),
    )
    await answer(query)


@router.callback_query(LeadCb.filter(F.action == "take"), F.message)
async def on_take_lead(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    clock: Clock,
) -> None:
    """✋ on the team chat's morning post: the presser owns the lead now (its pings follow)."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos, in_groups=True)
    if pressed is None:
        return
    client, _msg, user = pressed
    if client.owner_id != user.id:
        await pass_to(repos, client, user.id, clock.now())
    await answer(query, _("“{name}” is yours now.").format(name=client.name), show_alert=True)


@router.callback_query(LeadCb.filter(F.action == "passto"), F.message)
async def on_pass_to(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
) -> None:
    """Передать коллеге: the colleague owns the lead now and gets its card."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, msg, user = pressed
    colleague_id = id_arg(callback_data.arg) or 0
    if await repos.workspaces.membership(client.workspace_id, colleague_id) is None:
        await answer(query, _("That person is not in your team any more."), show_alert=True)
        return
    if client.owner_id == colleague_id:
        # A double tap, or a second press on an old list: passed once, sent once.
        await answer(query, _("Already passed to them."))
        return
    now = clock.now()
    client = await pass_to(repos, client, colleague_id, now)
    colleague = await repos.users.get(colleague_id)
    workspace = await repos.workspaces.get(client.workspace_id)
    assert workspace is not None and colleague is not None
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    await replies.send(
        msg.chat.id,
        _("➡️ Lead “{name}” passed to {who}.").format(
            name=esc(client.name), who=esc(colleague.display_name)
        ),
    )
    lang = pick_language(colleague, None, settings.default_language)
    await _send_passed_card(replies, repos, colleague, client, user, workspace, settings, now, lang)
    await answer(query)


async def _send_passed_card(
    replies: Replies,
    repos: Repos,
    colleague: User,
    client: Client,
    by: User,
    workspace: Workspace,
    settings: Settings,
    now: datetime,
    lang: str,
) -> None:
    """The colleague's copy of the card, in their language."""
    with get_i18n().use_locale(lang):
        contacts = await repos.clients.contacts(client.id)
        text = _("{who} passed you a lead.").format(who=esc(by.display_name)) + "\n\n"
        text += lead_card(
            client,
            contacts,
            zone=colleague.timezone or settings.default_timezone,
            now=now,
            sla=workspace_sla(workspace, settings.lead_response_sla),
        )
        await replies.send(
            colleague.id,
            text,
            reply_markup=lead_keyboard(client),
            on_behalf_of=by.id,
            client_id=client.id,
        )
