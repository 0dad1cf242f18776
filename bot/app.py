"""The app factory: wires settings, database, bot, dispatcher, delivery and polling together."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BotCommandScopeDefault, Update
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.clock import Clock, SystemClock
from bot.handlers import build_router
from bot.i18n import UserLocaleMiddleware, make_i18n, pick_language, speaking
from bot.scheduler.alarm import Alarm
from bot.scheduler.delivery import Delivery
from bot.scheduler.notify import Notifier
from bot.scheduler.ratelimit import RateLimiter
from bot.services.agenda import ensure_digests
from bot.settings import SUPPORTED_LANGUAGES, Settings
from bot.storage.coordination import Coordination
from bot.storage.db import Database, DatabaseError
from bot.storage.repositories import Repos
from bot.telegram.middlewares import UnitOfWorkMiddleware
from bot.telegram.polling import Poller, TokenRejectedError
from bot.telegram.responses import keep_response_types
from bot.views.help import commands
from bot.views.limits import MAX_TEXT, chunks, size

if TYPE_CHECKING:
    from aiohttp import web

    from bot.web import WebDeps

log = logging.getLogger("nudge")

ALLOWED_UPDATES = (
    "message",
    "edited_message",
    "callback_query",
    "my_chat_member",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
)
DRAIN_SECONDS = 3.0
# How often the SQLite file is checked for deletion; a stat call, so cheap.
DB_WATCH_SECONDS = 5.0


class StartupError(Exception):
    """The bot cannot start; the message is one clear line for the operator."""


@dataclass
class App:
    """Everything one running bot process owns."""

    settings: Settings
    clock: Clock
    db: Database
    bot: Bot
    dispatcher: Dispatcher
    i18n: I18n
    delivery: Delivery
    alarm: Alarm
    poller: Poller
    coordination: Coordination
    bot_username: str = ""
    web: web.AppRunner | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    # Set to stop serving (a signal, or this instance losing the lead it held).
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    exit_code: int = 0
    arming: asyncio.Task[object] | None = None


def make_bot(settings: Settings) -> Bot:
    """A Bot pointed at Telegram or at the server in TELEGRAM_API_URL."""
    session = (
        AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else AiohttpSession()
    )
    return Bot(settings.bot_token.get_secret_value(), session=session)


def apology_for(
    i18n: I18n, default_language: str
) -> Callable[[Update], tuple[int, list[str]] | None]:
    """Build the message sent when an update failed for good: a typed command is echoed back
    so nothing the user wrote is lost; a pressed button gets a note in the private chat."""

    def apology(update: Update) -> tuple[int, list[str]] | None:
        message, query = update.message, update.callback_query
        person = message.from_user if message else query.from_user if query else None
        if person is None:
            return None
        with speaking(i18n, pick_language(None, person.language_code, default_language)):
            if message is not None and message.chat.type == "private":
                text = _(
                    "Sorry, something went wrong on my side and this was not saved. Please send "
                    "it again; here is what you wrote:"
                )
                typed = message.text or message.caption or ""
                # A long command may fill a whole message: echoed apart, never cut or lost.
                if size(text) + size(typed) + 2 <= MAX_TEXT:
                    return message.chat.id, [f"{text}\n\n{typed}"]
                return message.chat.id, [text, *chunks(typed, MAX_TEXT)]
            if query is not None:
                return person.id, [
                    _(
                        "Sorry, that button did not work on my side and nothing was changed. "
                        "Please press it again in a minute."
                    )
                ]
        return None

    return apology


def build_app(settings: Settings, clock: Clock | None = None, bot: Bot | None = None) -> App:
    """Create every part; nothing touches the network or the database yet."""
    clock = clock or SystemClock()
    db = Database(settings.database_url)
    bot = bot or make_bot(settings)
    keep_response_types()
    i18n = make_i18n(settings.default_language)
    limiter = RateLimiter(clock, global_rate=settings.delivery_rate_per_second)
    delivery = Delivery(
        db, bot, clock, limiter, i18n=i18n, default_language=settings.default_language
    )
    alarm = Alarm(db, clock, Notifier(i18n, settings), delivery)
    dispatcher = Dispatcher(
        settings=settings,
        clock=clock,
        db=db,
        delivery=delivery,
        alarm=alarm,
        apology=apology_for(i18n, settings.default_language),
        i18n=i18n,
        bot_username="",
    )
    dispatcher.update.outer_middleware(
        UnitOfWorkMiddleware(db, clock, delivery, alarm, default_zone=settings.default_timezone)
    )
    UserLocaleMiddleware(i18n, settings.default_language).setup(dispatcher)
    dispatcher.include_router(build_router())
    poller = Poller(
        bot, dispatcher, db, allowed_updates=ALLOWED_UPDATES, timeout=settings.polling_timeout
    )
    coordination = Coordination(settings.database_url)
    return App(settings, clock, db, bot, dispatcher, i18n, delivery, alarm, poller, coordination)


def web_deps(app: App) -> WebDeps:
    """What the HTTP side needs from the running app."""
    from bot.web import WebDeps

    return WebDeps(
        app.db,
        app.clock,
        app.settings,
        app.i18n,
        app.delivery,
        app.alarm,
        app.poller,
        app.coordination,
    )


async def _get_me(app: App) -> str:
    """Ask Telegram who we are, waiting out an outage; a rejected token is fatal."""
    delay = 1.0
    while True:
        try:
            # bot.me() keeps the answer: command filters checking @mentions then need no call.
            me = await app.bot.me()
            return me.username or ""
        except TelegramUnauthorizedError as exc:
            raise StartupError("Telegram rejected BOT_TOKEN (401 Unauthorized)") from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            log.warning(
                "Telegram is unreachable (%s); retrying in %.0f s", type(exc).__name__, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)


async def _set_webhook(app: App) -> None:
    """Point Telegram at WEBHOOK_URL (after the server listens: updates come at once), keeping
    pending updates; an outage or a flood limit (instances starting together) is waited out,
    a refusal stops the start with Telegram's reason."""
    delay = 1.0
    while True:
        try:
            await app.bot.set_webhook(
                app.settings.webhook_url or "",
                secret_token=app.settings.webhook_token(),
                allowed_updates=list(ALLOWED_UPDATES),
                max_connections=app.settings.webhook_max_connections,
                drop_pending_updates=False,
            )
            return
        except TelegramRetryAfter as exc:
            await asyncio.sleep(float(exc.retry_after))
        except (TelegramNetworkError, TelegramServerError) as exc:
            log.warning(
                "could not set the webhook (%s); retrying in %.0f s", type(exc).__name__, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
        except TelegramBadRequest as exc:
            raise StartupError(f"Telegram refused WEBHOOK_URL: {exc.message}") from exc


async def _set_commands(app: App) -> None:
    """The command menu per language; a failure here only costs the menu."""
    try:
        for lang in (None, *SUPPORTED_LANGUAGES):
            with speaking(app.i18n, lang or app.settings.default_language):
                await app.bot.set_my_commands(
                    commands(), scope=BotCommandScopeDefault(), language_code=lang
                )
    except Exception as exc:
        log.warning("could not set the command menu: %s", type(exc).__name__)


async def _start(app: App) -> None:
    """Everything between the process start and the first getUpdates."""
    try:
        await app.db.migrate()
    except DatabaseError as exc:
        raise StartupError(str(exc)) from exc
    app.bot_username = await _get_me(app)
    app.dispatcher["bot_username"] = app.bot_username
    if not app.settings.webhook_url:
        # getUpdates is refused while a webhook is set; pending updates are kept, never dropped.
        with contextlib.suppress(Exception):
            await app.bot.delete_webhook(drop_pending_updates=False)
    # Only the leader delivers and fires reminders (always so on SQLite): Telegram's limits
    # then hold across all instances, and another takes over within seconds if it dies.
    app.alarm.active = False
    await app.coordination.start(
        lead=lambda: _lead(app), lost=lambda: _lost_lead(app), wake=lambda: _woken(app)
    )
    if app.settings.intake_port is not None:
        # aiohttp's server side (~1.5 MB) is loaded only when lead intake is switched on.
        from bot.web import start_web

        app.web = await start_web(web_deps(app), app.settings.intake_host, app.settings.intake_port)
    if app.settings.webhook_url:
        await _set_webhook(app)
    app.tasks.append(asyncio.create_task(_set_commands(app)))
    app.tasks.append(asyncio.create_task(_watch_database(app.db)))
    # The ~260k objects of start-up (modules, mappers, catalogues) live as long as the process:
    # frozen, no full collection walks them again (a burst's p99 0.3–0.5 s → 0.09 s measured).
    gc.collect()
    gc.freeze()
    log.info("Nudge started as @%s", app.bot_username)


async def _lead(app: App) -> None:
    """This instance now delivers messages and fires reminders."""
    app.alarm.active = True
    app.delivery.start()
    app.alarm.start()
    # Whatever fell due while no instance led goes out now, in due order, marked late.
    await app.alarm.run_due()
    async with app.db.session() as session:
        await ensure_digests(Repos(session), app.clock.now(), app.settings.default_timezone)
    await app.alarm.arm()


def _lost_lead(app: App) -> None:
    """The lead went with our database connection, and another instance may have it now:
    stop sending at once, so that nothing is sent twice, then stop the process; the
    supervisor starts it again as a follower."""
    log.error("lost the lead over delivery (database connection lost); stopping")
    app.exit_code = 1
    app.tasks.append(asyncio.create_task(_stand_down(app)))
    app.stopping.set()
    app.poller.stop()


async def _stand_down(app: App) -> None:
    """No send and no firing from here on (the shutdown that follows has more to wait for)."""
    await app.delivery.stop(drain_seconds=0)
    await app.alarm.shutdown()


def _woken(app: App) -> None:
    """Another instance committed a message or moved a due time."""
    if not app.coordination.leads or app.stopping.is_set():
        return
    app.delivery.poke()
    if app.arming is not None and not app.arming.done():
        return  # a burst of notifications re-arms once
    app.arming = asyncio.create_task(app.alarm.arm())


async def _watch_database(db: Database) -> None:
    """Notice, within seconds, a database file deleted or replaced under the running bot."""
    while not db.lost:
        await asyncio.sleep(DB_WATCH_SECONDS)
        db.check_file()


async def run(app: App) -> None:
    """Start, serve until SIGTERM/SIGINT, then stop gracefully; a stop is honoured at any point."""
    loop = asyncio.get_running_loop()
    starting = asyncio.create_task(_start(app), name="start-up")
    stop_requested = False

    def request_stop() -> None:
        nonlocal stop_requested
        if stop_requested:  # a second signal must not interrupt the clean-up of the first
            return
        stop_requested = True
        app.stopping.set()
        app.poller.stop()
        # Every wait of start-up (getMe retries, migrations, ...) ends here, not minutes later.
        starting.cancel()

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    quiet = False  # the caller reports a start-up error as one line; nothing else is said
    try:
        try:
            await starting
        except asyncio.CancelledError:
            if not (stop_requested and starting.cancelled()):
                raise
            log.info("stop requested during start-up")
            return
        if app.settings.webhook_url:
            await app.stopping.wait()  # updates arrive on the HTTP server
        else:
            await app.poller.run()
    except StartupError:
        quiet = True
        raise
    except TokenRejectedError as exc:
        quiet = True
        raise StartupError("Telegram rejected BOT_TOKEN (401 Unauthorized)") from exc
    finally:
        if not quiet:
            log.info("stopping")
        app.coordination.no_takeover()
        if app.web is not None:
            await app.web.cleanup()
        await app.alarm.shutdown()
        await app.delivery.stop(drain_seconds=DRAIN_SECONDS if app.coordination.leads else 0)
        await app.coordination.stop()
        for task in [*app.tasks, *([app.arming] if app.arming else [])]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await app.bot.session.close()
        await app.db.close()
        if not quiet:
            log.info("stopped")
