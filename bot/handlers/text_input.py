"""Free text and locations in a private chat: answers to the bot's questions, else a hint."""

from __future__ import annotations

import asyncio
import re
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import ReplyKeyboardBuilder

from bot.clock import Clock
from bot.handlers.common import answer
from bot.parsing.timezones import describe_zone, parse_timezone, timezone_from_location
from bot.parsing.worktime import OVERNIGHT, parse_quiet, read_hours, window_text
from bot.services.clients import accessible
from bot.storage.records import User
from bot.storage.repositories import Repos
from bot.telegram.outbox import Replies
from bot.views.common import esc, hours_text, zone_text
from bot.views.limits import NAME, shorten
from bot.views.start import zone_keyboard

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")

_PAREN_RE = re.compile(r"\s*\([^)]*\)\s*$")


async def _save_zone(
    message: Message, zone: str, user: User, repos: Repos, replies: Replies, clock: Clock, lang: str
) -> None:
    """Store the zone and confirm it with the local time there."""
    first_time = user.timezone is None
    await repos.users.update(user.id, clock.now(), timezone=zone, awaiting=None)
    local = clock.now().astimezone(ZoneInfo(zone))
    text = _("✅ Time zone: {zone}. It is {time} there now.").format(
        zone=zone_text(zone, lang, clock.now()), time=local.strftime("%H:%M")
    )
    if first_time:
        text += "\n\n" + _(
            "Working hours are {hours} (/settings changes them). /help lists what I can do."
        ).format(hours=hours_text(user, lang))
    await replies.send(message.chat.id, text, reply_markup=ReplyKeyboardRemove())


async def _client_zone(
    message: Message, text: str, user: User, repos: Repos, replies: Replies, clock: Clock, lang: str
) -> None:
    """The answer to "which time zone is this client in?"."""
    assert user.awaiting is not None
    client = await accessible(repos, user, int(user.awaiting.split(":", 1)[1]))
    if client is None:
        await repos.users.update(user.id, clock.now(), awaiting=None)
        await replies.send(message.chat.id, _("This client is not in your team."))
        return
    guess = parse_timezone(_PAREN_RE.sub("", text))
    if guess.zone is None:
        await replies.send(
            message.chat.id,
            _(
                "I don't know the time zone “{text}”. Type a city (<i>Алматы</i>), an offset "
                "(<i>UTC+5</i>) or a zone (<i>Asia/Almaty</i>)."
            ).format(text=esc(shorten(text, NAME))),
        )
        return
    await repos.clients.update(client.id, clock.now(), timezone=guess.zone)
    await repos.users.update(user.id, clock.now(), awaiting=None)
    await replies.send(
        message.chat.id,
        _("✅ “{name}” is in {zone}.").format(
            name=esc(client.name), zone=zone_text(guess.zone, lang, clock.now())
        ),
    )


@router.message(F.location)
async def on_location(
    message: Message, user: User, repos: Repos, replies: Replies, clock: Clock, lang: str
) -> None:
    """A shared location sets the time zone (looked up offline)."""
    assert message.location is not None
    # The first lookup loads the boundary data (~0.2 s): keep the event loop free.
    zone = await asyncio.to_thread(
        timezone_from_location, message.location.latitude, message.location.longitude
    )
    if zone is None:
        await replies.send(
            message.chat.id,
            _("I could not tell the time zone of that place. Type a city instead, e.g. Москва."),
        )
        return
    await _save_zone(message, zone, user, repos, replies, clock, lang)


@router.message(F.text & ~F.text.startswith("/"))
async def on_text(
    message: Message, user: User, repos: Repos, replies: Replies, clock: Clock, lang: str
) -> None:
    """Route text to the question the bot asked last, else explain what it understands."""
    assert message.text is not None
    text = message.text.strip()
    chat_id = message.chat.id
    if user.awaiting == "work":
        hours, why = read_hours(text, user.work_days)
        if hours is None and why == OVERNIGHT:
            await replies.send(
                chat_id,
                _(
                    "Working hours end on the day they start, e.g. <code>пн-пт 10-19</code>. "
                    "For hours when I keep quiet, open /settings → 🌙 Quiet hours."
                ),
            )
            return
        if hours is None:
            await replies.send(
                chat_id,
                _(
                    "I did not understand “{text}” as working hours. Examples: "
                    "<code>пн-пт 10-19</code>, <code>mon-sat 9:30-18:00</code>, <code>10-19</code>."
                ).format(text=esc(shorten(text, NAME))),
            )
            return
        user = await repos.users.update(
            user.id,
            clock.now(),
            work_days=hours.days,
            work_start_min=hours.start_min,
            work_end_min=hours.end_min,
            awaiting=None,
        )
        await replies.send(
            chat_id, _("✅ Working hours: {hours}.").format(hours=hours_text(user, lang))
        )
        return
    if user.awaiting == "quiet":
        quiet = parse_quiet(text)
        if quiet is None:
            await replies.send(
                chat_id,
                _(
                    "I did not understand “{text}” as quiet hours. Examples: <code>22-8</code>, "
                    "<code>23:00-07:30</code>, or <code>off</code>."
                ).format(text=esc(shorten(text, NAME))),
            )
            return
        start, end = quiet if quiet else (None, None)
        await repos.users.update(
            user.id, clock.now(), quiet_start_min=start, quiet_end_min=end, awaiting=None
        )
        await replies.send(
            chat_id,
            (
                _("✅ Quiet hours: {hours}. Lead alerts still come at once.")
                if user.urgent_in_quiet
                else _("✅ Quiet hours: {hours}. Lead alerts wait for them to end too.")
            ).format(hours=window_text(start, end))
            if start is not None and end is not None
            else _("✅ Quiet hours are off."),
        )
        return
    if user.awaiting and user.awaiting.startswith("ctz:"):
        await _client_zone(message, text, user, repos, replies, clock, lang)
        return
    if user.awaiting == "tz" or user.timezone is None:
        guess = parse_timezone(_PAREN_RE.sub("", text))
        if guess.zone is not None:
            await _save_zone(message, guess.zone, user, repos, replies, clock, lang)
            return
        if guess.suggestions:
            kb = ReplyKeyboardBuilder()
            for zone in guess.suggestions:
                kb.button(text=describe_zone(zone, clock.now(), lang))
            kb.adjust(1)
            await replies.send(
                chat_id,
                _("I don't know “{text}”. Did you mean one of these?").format(
                    text=esc(shorten(text, NAME))
                ),
                reply_markup=kb.as_markup(resize_keyboard=True, one_time_keyboard=True),
            )
            return
        await replies.send(
            chat_id,
            _(
                "I don't know the time zone “{text}”. Type a city (<i>Москва</i>, "
                "<i>New York</i>), an offset (<i>UTC+3</i>) or a zone (<i>Europe/Berlin</i>), "
                "or share your location."
            ).format(text=esc(shorten(text, NAME))),
            reply_markup=zone_keyboard(lang, clock.now()),
        )
        return
    await replies.send(
        chat_id,
        _("I did not understand that. /help lists the commands, each with an example."),
    )


@router.message(F.text.startswith("/"))
async def on_unknown_command(message: Message, replies: Replies) -> None:
    """A command no router knows: one line pointing to /help."""
    assert message.text is not None
    command = message.text.split(maxsplit=1)[0].partition("@")[0]
    await replies.send(
        message.chat.id,
        _("I don't know the command {command}. /help lists them, each with an example.").format(
            command=esc(command[:40])
        ),
    )


@router.message()
async def on_other_message(message: Message, replies: Replies) -> None:
    """A photo, voice note, file or sticker: say what Nudge reads instead."""
    await replies.send(
        message.chat.id,
        _(
            "I read text, commands, forwarded messages and shared locations. Photos, voice "
            "notes, files and stickers I can't read: type it, or forward the client's text."
        ),
    )


@router.callback_query()
async def on_unknown_button(query: CallbackQuery) -> None:
    """A button no router took (an old or crafted one): answer it, so the spinner stops."""
    await answer(query, _("This button no longer works."))
