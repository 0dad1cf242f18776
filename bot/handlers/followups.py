"""/fu and /followups, the buttons on reminders, and typed or replied dates that move them."""

from __future__ import annotations

from datetime import UTC, datetime, time

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock
from bot.handlers.common import (
    Asker,
    answer,
    ask_context,
    awaited,
    continues,
    named_client,
    pressed_client,
)
from bot.parsing.recurrence import parse_recurrence
from bot.services.clients import accessible
from bot.services.followups import (
    CHASE_STEPS,
    CHASE_WORDS,
    FollowUpError,
    change_rule,
    client_replied,
    client_window,
    followup_of_message,
    mark_done,
    quick_time,
    read_when,
    reschedule,
    schedule_once,
    start_chase,
    start_repeat,
    stop_series,
)
from bot.settings import Settings
from bot.storage.records import Client, FollowUp, User
from bot.storage.repositories import Repos
from bot.storage.repositories.drafts import OPEN as ASKED
from bot.storage.repositories.followups import OPEN
from bot.telegram.outbox import Replies
from bot.views.common import esc, id_arg, question_closed
from bot.views.followups import (
    ASK_WHEN,
    FuCb,
    both_clocks,
    confirmation,
    date_example,
    date_problem,
    error_text,
    followups_list,
    fu_details,
    fu_example,
    fu_keyboard,
    moment,
    next_step_keyboard,
    quiet_note,
    repeat_text,
    when_keyboard,
)
from bot.views.leads import LeadCb
from bot.views.limits import LONG_TEXT, shorten

router = Router(name=__name__)

DRAFT_KIND = "fu"
NEXT_KIND = "next"
LIST_LIMIT = 30


@router.message(Command("fu", ignore_case=True))
async def cmd_fu(
    message: Message,
    command: CommandObject,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """`/fu <client> <when> [what]`, `/fu <client> chase`, `/fu <client> every Mon 10:00`."""
    asker = await ask_context(message.chat.id, user, repos, replies, settings, clock, lang)
    if asker is None:
        return
    text = (command.args or "").strip()
    if not text:
        await replies.send(message.chat.id, _("Whom to follow up, and when?") + "\n" + fu_example())
        return
    named = await named_client(asker, text, command="fu")
    if named is not None:
        await plan_for(asker, *named)


@continues("fu")
async def plan_for(asker: Asker, client: Client, rest: str) -> None:
    """/fu once its client is known."""
    await plan(
        asker.chat_id,
        asker.user,
        client,
        rest,
        asker.repos,
        asker.replies,
        asker.settings,
        asker.clock,
        asker.lang,
    )


async def plan(
    chat_id: int,
    user: User,
    client: Client,
    text: str,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Read what the manager wants for this client: a chase, a series, or one date."""
    now = clock.now()
    my_zone = user.timezone or settings.default_timezone
    words = text.split()
    if any(w.lower() in CHASE_WORDS for w in words):
        what = " ".join(w for w in words if w.lower() not in CHASE_WORDS)
        window = client_window(client, user, settings.default_timezone)
        try:
            fu = await start_chase(repos, client, user, window, what, now)
        except FollowUpError as exc:
            await replies.send(chat_id, error_text(exc))
            return
        await replies.send(
            chat_id,
            _(
                "🔁 Chasing “{name}”: {total} reminders (next working day, 3 days, a week, "
                "two weeks, a month, three months) until they answer.\nFirst: {when}."
            ).format(
                name=esc(client.name),
                total=CHASE_STEPS,
                when=both_clocks(fu.due_at, client.timezone or my_zone, my_zone, lang, now),
            )
            + quiet_note(user, fu.due_at, settings.default_timezone, lang, now),
        )
        return
    found = parse_recurrence(
        text,
        workday_start=time(user.work_start_min // 60, user.work_start_min % 60),
    )
    if found is not None:
        fu = await start_repeat(repos, client, user, found.recurrence, my_zone, found.rest, now)
        await replies.send(
            chat_id,
            _("🔁 “{name}”: {rule}{what}.\nNext: {when}. ⏹ Stop on any reminder ends it.").format(
                name=esc(client.name),
                rule=repeat_text(found.recurrence.rule, lang),
                what=" — " + esc(shorten(found.rest, LONG_TEXT)) if found.rest else "",
                when=moment(fu.due_at, my_zone, lang, now),
            ),
        )
        return
    found_at = read_when(text, user, now, settings.default_timezone)
    if found_at.error is not None:
        await replies.send(chat_id, date_problem(text, found_at, now) or "")
        return  # a date that cannot be: nothing is stored, nothing half-read
    if found_at.at is None:
        await ask_when(chat_id, user, client, text, repos, replies, now)
        return
    await schedule_at(
        chat_id, user, client, found_at.at, found_at.rest, repos, replies, settings, now, lang
    )


async def ask_when(
    chat_id: int,
    user: User,
    client: Client,
    what: str,
    repos: Repos,
    replies: Replies,
    now: datetime,
) -> None:
    """No date given: keep what was typed and ask when, with quick answers."""
    draft = await repos.drafts.add(user.id, DRAFT_KIND, {"client": client.id, "what": what}, now)
    await repos.users.update(user.id, now, awaiting=f"fuwhen:{draft.id}")
    await replies.send(
        chat_id,
        _("When should I remind you about “{name}”?").format(name=esc(client.name))
        + "\n"
        + date_example(),
        reply_markup=when_keyboard(draft.id, draft.token),
    )


async def schedule_at(
    chat_id: int,
    user: User,
    client: Client,
    at: datetime,
    what: str,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    now: datetime,
    lang: str,
) -> FollowUp | None:
    """Store a one-off follow-up and confirm it; offer the client's working hours if outside."""
    try:
        fu = await schedule_once(repos, client, user, at, what, now)
    except FollowUpError as exc:
        await replies.send(chat_id, error_text(exc))
        return None
    text, markup = confirmation(fu, client, user, settings.default_timezone, lang, now)
    await replies.send(chat_id, text, reply_markup=markup)
    return fu


async def _pressed_fu(
    query: CallbackQuery, fu_id: int, user: User | None, repos: Repos
) -> tuple[FollowUp, Client, Message, User] | None:
    """The follow-up a button is about, if the presser may act on it (checked every press)."""
    fu = await repos.followups.get(fu_id)
    client = await accessible(repos, user, fu.client_id) if fu is not None else None
    msg = query.message
    if fu is None or client is None or user is None or not isinstance(msg, Message):
        await answer(query, _("This follow-up is not yours."), show_alert=True)
        return None
    return fu, client, msg, user


@router.callback_query(FuCb.filter(F.action == "when"), F.message)
async def on_when_button(
    query: CallbackQuery,
    callback_data: FuCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A quick answer to "when?": in an hour, tomorrow, on Monday, in 3 days."""
    msg = query.message
    if user is None or not isinstance(msg, Message):
        await answer(query)
        return
    if callback_data.arg not in ASK_WHEN:
        await answer(query, error_text(FollowUpError("stale")), show_alert=True)
        return  # not a button this bot made: the question stays for the real one
    now = clock.now()
    taken = await repos.drafts.take(callback_data.id, user.id, DRAFT_KIND, now, callback_data.t)
    if taken.state != ASKED:
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    client_id = taken.payload.get("client")
    client = await accessible(repos, user, client_id) if isinstance(client_id, int) else None
    if client is None:
        await answer(query, _("This client is not in your team."), show_alert=True)
        return
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    if user.awaiting == f"fuwhen:{callback_data.id}":
        await repos.users.update(user.id, now, awaiting=None)
    at = quick_time(callback_data.arg, user, now, settings.default_timezone)
    await schedule_at(
        msg.chat.id, user, client, at, taken.payload["what"], repos, replies, settings, now, lang
    )
    await answer(query)


@router.callback_query(LeadCb.filter(F.action == "fu"), F.message)
async def on_card_follow_up(
    query: CallbackQuery,
    callback_data: LeadCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    clock: Clock,
) -> None:
    """🔔 on a client card: ask when, as /fu without a date does."""
    pressed = await pressed_client(query, callback_data.client_id, user, repos)
    if pressed is None:
        return
    client, _msg, user = pressed
    await ask_when(user.id, user, client, "", repos, replies, clock.now())
    await answer(query)


@router.callback_query(FuCb.filter(F.action == "next"), F.message)
async def on_next_button(
    query: CallbackQuery,
    callback_data: FuCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """The answer to "what's next?": a follow-up in 3 days, or nothing for now; once."""
    msg = query.message
    if user is None or not isinstance(msg, Message):
        await answer(query)
        return
    now = clock.now()
    taken = await repos.drafts.take(callback_data.id, user.id, NEXT_KIND, now, callback_data.t)
    if taken.state != ASKED:
        await answer(query, question_closed(taken.state), show_alert=True)
        return
    client = await accessible(repos, user, taken.payload.get("client"))
    if client is None:
        await answer(query, _("This client is not in your team."), show_alert=True)
        return
    if user.awaiting == f"next:{callback_data.id}":
        await repos.users.update(user.id, now, awaiting=None)
    await replies.edit_markup(msg.chat.id, msg.message_id, None)
    if callback_data.arg == "3d":
        at = quick_time("3d", user, now, settings.default_timezone)
        await schedule_at(msg.chat.id, user, client, at, "", repos, replies, settings, now, lang)
    else:
        await replies.send(
            msg.chat.id, _("OK, no next step for “{name}” for now.").format(name=esc(client.name))
        )
    await answer(query)


@router.callback_query(
    FuCb.filter(F.action.in_({"done", "replied", "snz", "at", "stop", "open", "align", "keep"})),
    F.message,
)
async def on_followup_button(
    query: CallbackQuery,
    callback_data: FuCb,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Done, client replied, snooze, another time, stop, open, and the alignment offer."""
    pressed = await _pressed_fu(query, callback_data.id, user, repos)
    if pressed is None:
        return
    fu, client, msg, user = pressed
    now, action = clock.now(), callback_data.action
    my_zone = user.timezone or settings.default_timezone
    if action == "open":
        await replies.send(
            msg.chat.id,
            fu_details(fu, client, my_zone, lang, now),
            reply_markup=fu_keyboard(fu) if fu.state in OPEN else None,
        )
        await answer(query)
        return
    shown = msg.html_text if msg.text else ""
    if action in ("replied", "stop"):
        # These act on the whole chase or series, so they work from an older reminder too.
        await _end_series(query, action, fu, client, msg, shown, user, repos, replies, now)
        return
    if fu.state not in OPEN:
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, _("This follow-up is already closed."))
        return
    try:
        if action == "done":
            await mark_done(repos, fu, now)
            await replies.edit(msg.chat.id, msg.message_id, shown + "\n\n" + _("✅ Done."))
            if fu.mode == "once":
                await ask_next(msg.chat.id, user, client, repos, replies, now)
            await answer(query, _("Done"))
        elif action == "snz":
            at = quick_time(callback_data.arg, user, now, settings.default_timezone)
            moved = await reschedule(repos, fu, at, now)
            note = _("⏰ Snoozed until {when}.").format(
                when=moment(moved.due_at, my_zone, lang, now)
            )
            await replies.edit(msg.chat.id, msg.message_id, shown + "\n\n" + note)
            await answer(query, note)
        elif action == "at":
            await repos.users.update(user.id, now, awaiting=f"fuat:{fu.id}")
            await replies.send(
                msg.chat.id,
                _("When should I remind you about “{name}”?").format(name=esc(client.name))
                + "\n"
                + date_example()
                + (
                    " " + _("Or a new rule: <code>every Tue 11:00</code>.")
                    if fu.mode == "repeat"
                    else ""
                ),
            )
            await answer(query)
        elif action == "align":
            stamp = id_arg(callback_data.arg)
            if stamp is None or stamp > 10**11:
                raise FollowUpError("stale")  # not a timestamp this bot put on a button
            proposed = datetime.fromtimestamp(stamp, tz=UTC)
            moved = await reschedule(repos, fu, proposed, now)
            text, _markup = confirmation(moved, client, user, settings.default_timezone, lang, now)
            await replies.edit(msg.chat.id, msg.message_id, text)
            await answer(query, _("Moved"))
        elif action == "keep":
            await replies.edit_markup(msg.chat.id, msg.message_id, None)
            await answer(query, _("Kept as it is"))
    except FollowUpError as exc:
        await answer(query, error_text(exc).split("<code>")[0], show_alert=True)


async def _end_series(
    query: CallbackQuery,
    action: str,
    fu: FollowUp,
    client: Client,
    msg: Message,
    shown: str,
    user: User,
    repos: Repos,
    replies: Replies,
    now: datetime,
) -> None:
    """💬 Client replied (stops the client's chases) or ⏹ Stop (ends the series)."""
    if action == "replied":
        if fu.state not in OPEN and not await repos.followups.open_chases(client.id):
            await replies.edit_markup(msg.chat.id, msg.message_id, None)
            await answer(query, _("This follow-up is already closed."))
            return
        await client_replied(repos, client, user.id, now)
        note = _("💬 “{name}” replied: the chase is stopped.").format(name=esc(client.name))
        await replies.edit(msg.chat.id, msg.message_id, shown + "\n\n" + note)
        await answer(query, _("Chase stopped"))
        return
    if not await stop_series(repos, fu, now):
        await replies.edit_markup(msg.chat.id, msg.message_id, None)
        await answer(query, _("This follow-up is already closed."))
        return
    note = _("⏹ Stopped: no more reminders of this series.")
    await replies.edit(msg.chat.id, msg.message_id, shown + "\n\n" + note)
    await answer(query, _("Stopped"))


async def ask_next(
    chat_id: int, user: User, client: Client, repos: Repos, replies: Replies, now: datetime
) -> None:
    """After a Done: ask once what the next step with this client is."""
    draft = await repos.drafts.add(user.id, NEXT_KIND, {"client": client.id}, now)
    await repos.users.update(user.id, now, awaiting=f"next:{draft.id}")
    await replies.send(
        chat_id,
        _(
            "What's next with “{name}”? Type the step with a date, e.g. "
            "<code>send the contract tomorrow at 12</code>."
        ).format(name=esc(client.name)),
        reply_markup=next_step_keyboard(draft.id, draft.token),
    )


@router.message(F.chat.type == "private", F.reply_to_message, F.text, ~F.text.startswith("/"))
async def on_reply_to_reminder(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A reply to a follow-up reminder with a date (“завтра в 11”) reschedules it."""
    reply_to = message.reply_to_message
    assert reply_to is not None and message.text is not None
    fu = await followup_of_message(repos, message.chat.id, reply_to.message_id)
    if fu is None or user is None or fu.user_id != user.id:
        raise SkipHandler
    if fu.state not in OPEN:
        await replies.send(message.chat.id, _("This follow-up is already closed."))
        return
    await move_to_text(
        message.chat.id, fu, message.text.strip(), user, repos, replies, settings, clock.now(), lang
    )


@router.message(awaited("fuwhen", "fuat", "next"))
async def on_awaited_text(
    message: Message,
    asked: str,
    ref: int,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """A typed date for a follow-up, or the next step after a Done."""
    assert message.text is not None
    text, now, chat_id = message.text.strip(), clock.now(), message.chat.id
    if asked == "fuat":
        fu = await repos.followups.get(ref)
        mine = fu is not None and fu.user_id == user.id
        if not mine or await accessible(repos, user, fu.client_id) is None:  # type: ignore[union-attr]
            await repos.users.update(user.id, now, awaiting=None)
            await replies.send(chat_id, _("This follow-up is not yours."))
            return
        assert fu is not None
        if fu.state not in OPEN:
            await repos.users.update(user.id, now, awaiting=None)
            await replies.send(chat_id, _("This follow-up is already closed."))
            return
        if await move_to_text(chat_id, fu, text, user, repos, replies, settings, now, lang):
            await repos.users.update(user.id, now, awaiting=None)
        return
    if asked == "fuwhen":
        found_at = read_when(text, user, now, settings.default_timezone)
        at, rest = found_at.at, found_at.rest
        problem = date_problem(text, found_at, now)
        if problem is not None:
            await replies.send(chat_id, problem)  # the question stays open for another try
            return
        assert at is not None
        taken = await repos.drafts.take(ref, user.id, DRAFT_KIND, now)
        await repos.users.update(user.id, now, awaiting=None)
        client = (
            await accessible(repos, user, taken.payload.get("client"))
            if taken.state == ASKED
            else None
        )
        if client is None:
            await replies.send(chat_id, question_closed(taken.state))
            return
        what = " ".join(filter(None, [taken.payload.get("what", ""), rest]))
        await schedule_at(chat_id, user, client, at, what, repos, replies, settings, now, lang)
        return
    found_at = read_when(text, user, now, settings.default_timezone)
    at, what = found_at.at, found_at.rest
    if (at is not None or found_at.error) and (
        problem := date_problem(text, found_at, now)
    ) is not None:
        await replies.send(chat_id, problem)  # the question stays open for another try
        return
    taken = await repos.drafts.take(ref, user.id, NEXT_KIND, now)
    await repos.users.update(user.id, now, awaiting=None)
    client = (
        await accessible(repos, user, taken.payload.get("client")) if taken.state == ASKED else None
    )
    if client is None:
        await replies.send(chat_id, question_closed(taken.state))
        return
    await repos.clients.update(
        client.id, now, next_step=(what or text)[:1000], next_step_who="us", next_step_at=at
    )
    if at is None:
        await plan(chat_id, user, client, text, repos, replies, settings, clock, lang)
        return
    await schedule_at(chat_id, user, client, at, what, repos, replies, settings, now, lang)


async def move_to_text(
    chat_id: int,
    fu: FollowUp,
    text: str,
    user: User,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    now: datetime,
    lang: str,
) -> bool:
    """Move a follow-up to a typed date (or give a series a new rule); False if not understood."""
    client = await repos.clients.get(fu.client_id)
    assert client is not None
    my_zone = user.timezone or settings.default_timezone
    try:
        found = parse_recurrence(text) if fu.mode == "repeat" else None
        if found is not None:
            moved = await change_rule(repos, fu, found.recurrence, now)
            await replies.send(
                chat_id,
                _("🔁 “{name}” now repeats {rule}. Next: {when}.").format(
                    name=esc(client.name),
                    rule=repeat_text(found.recurrence.rule, lang),
                    when=moment(moved.due_at, my_zone, lang, now),
                ),
            )
            return True
        found_at = read_when(text, user, now, settings.default_timezone)
        at = found_at.at
        problem = date_problem(text, found_at, now)
        if problem is not None:
            await replies.send(chat_id, problem)
            return False
        assert at is not None
        moved = await reschedule(repos, fu, at, now)
    except FollowUpError as exc:
        await replies.send(chat_id, error_text(exc))
        return False
    await replies.send(
        chat_id,
        _("🗓 “{name}” moved to {when}.").format(
            name=esc(client.name),
            when=both_clocks(moved.due_at, client.timezone or my_zone, my_zone, lang, now),
        ),
    )
    return True


@router.message(Command("followups", ignore_case=True))
async def cmd_followups(
    message: Message,
    user: User | None,
    repos: Repos,
    replies: Replies,
    settings: Settings,
    clock: Clock,
    lang: str,
) -> None:
    """Every open follow-up of the user, each with a button to open, move or stop it."""
    now = clock.now()
    if user is None:
        await replies.send(message.chat.id, _("Send me /start in a private chat first."))
        return
    items = await repos.followups.open_for_user(user.id, limit=LIST_LIMIT)
    if not items:
        await replies.send(message.chat.id, _("No follow-ups scheduled.") + "\n" + fu_example())
        return
    zone = user.timezone or settings.default_timezone
    clients = {c.id: c for c in await repos.clients.many(sorted({f.client_id for f in items}))}
    total = await repos.followups.count_open(user.id)
    text, markup = followups_list(items, clients, total, zone, lang, now)
    await replies.send(message.chat.id, text, reply_markup=markup)
